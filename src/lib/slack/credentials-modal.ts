import type { KnownBlock, ModalView, Option, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import type { Field, FieldErrors, RawSubmission } from '../credential-input.js';
import { EXPIRY_CHOICES } from '../expiry.js';
import { SPACES_REGIONS } from '../regions.js';
import { context, header, plain, plainSentence, section } from './blocks.js';

/** The private modal in which a person submits a credential set. */

export const MODAL_CALLBACK_ID = 'credentials_submit';

/** The block id of each field; `response_action: "errors"` is keyed by them. */
export const FIELD: Readonly<Record<Field, string>> = {
  environment: 'environment',
  token: 'do_token',
  expiry: 'token_expiry',
  expiryDate: 'token_expiry_date',
  accessKey: 'spaces_access_key',
  secretKey: 'spaces_secret_key',
  region: 'spaces_region',
  bucket: 'spaces_bucket',
};

/** Each input's action id is its block id with this suffix. */
const INPUT = '_input';

/** What the modal carries between opening and submission. Never a secret. */
const metadataSchema = z.object({
  channelId: z.string().max(40).optional(),
  mode: z.enum(['setup', 'rotate']).default('setup'),
});
export type ModalMetadata = z.infer<typeof metadataSchema>;

export function parseModalMetadata(raw: string | undefined): ModalMetadata {
  try {
    const parsed = metadataSchema.safeParse(JSON.parse(raw ?? '{}'));
    return parsed.success ? parsed.data : { mode: 'setup' };
  } catch {
    return { mode: 'setup' };
  }
}

/** Non-secret values a rotation starts from. */
export interface ModalPrefill {
  environment: string;
  region: string | undefined;
  bucket: string | undefined;
}

/** The form's title: Block Kit allows 24 characters. */
const TITLE = 'DigitalOcean credentials';

/** A modal that only says something (no input, so no submit): what a form turned into when it cannot be used. */
export function noticeModal(mrkdwn: string): ModalView {
  return { type: 'modal', title: plain(TITLE), close: plain('Close'), blocks: [section(mrkdwn)] };
}

/** The form; `note` (mrkdwn) is shown at its top, e.g. why the rotation's region could not be filled in. */
export function credentialsModal(metadata: ModalMetadata, prefill?: ModalPrefill, note?: string): ModalView {
  const rotating = prefill !== undefined;
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    title: plain(TITLE),
    submit: plain('Check and save'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify(metadata),
    blocks: [
      ...(note ? [context(`:warning: ${note}`)] : []),
      ...(rotating
        ? [context(`Rotating \`${prefill.environment}\`: paste the new token and Spaces key. The current version stays available as the previous one.`)]
        : []),
      context(
        'Values are checked live with DigitalOcean and stored encrypted; nobody else sees this form. ' +
          ':warning: Slack cannot mask these fields (Block Kit has no password input), so do not fill ' +
          'this in while sharing your screen.',
      ),
      textInput(FIELD.environment, 'Environment', {
        placeholder: 'prod',
        hint: 'Lowercase letters, digits and dashes, 1 to 32 characters, e.g. prod or staging.',
        maxLength: 32,
        initial: prefill?.environment,
      }),
      header('API token'),
      textInput(FIELD.token, 'Personal access token', {
        placeholder: 'dop_v1_...',
        hint: 'Shown once when you generated it; starts with dop_v1_.',
        maxLength: 200,
      }),
      selectInput(FIELD.expiry, 'Token expiry', 'The expiration you chose', expiryOptions(), {
        hint: 'The expiration you chose when generating the token, so do-creds can warn before it ends.',
      }),
      {
        type: 'input',
        block_id: FIELD.expiryDate,
        optional: true,
        label: plain('Expiry date'),
        hint: plain('Only when the token expires on a particular date.'),
        element: { type: 'datepicker', action_id: FIELD.expiryDate + INPUT },
      },
      header('Spaces access key'),
      textInput(FIELD.accessKey, 'Access key', {
        placeholder: 'DO00...',
        hint: 'The key ID that stays visible in the control panel.',
        maxLength: 200,
      }),
      textInput(FIELD.secretKey, 'Secret key', {
        hint: 'Shown once when you created the key.',
        maxLength: 200,
      }),
      selectInput(FIELD.region, 'Spaces region', 'Region', regionOptions(), {
        hint: 'The region in the Space\'s address, e.g. nyc3 in https://nyc3.digitaloceanspaces.com.',
        initial: prefill?.region,
      }),
      textInput(FIELD.bucket, 'Bucket', {
        placeholder: 'my-terraform-state',
        hint: 'Optional: a bucket this key must be able to reach (3 to 63 lowercase letters, digits, dashes).',
        maxLength: 63,
        optional: true,
        initial: prefill?.bucket,
      }),
    ],
  };
}

interface TextInputOptions {
  placeholder?: string;
  hint: string;
  maxLength: number;
  optional?: boolean;
  initial?: string | undefined;
}

function textInput(blockId: string, label: string, o: TextInputOptions): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: o.optional ?? false,
    label: plain(label),
    hint: plain(o.hint),
    element: {
      type: 'plain_text_input',
      action_id: blockId + INPUT,
      max_length: o.maxLength,
      ...(o.placeholder === undefined ? {} : { placeholder: plain(o.placeholder) }),
      ...(o.initial === undefined ? {} : { initial_value: o.initial }),
    },
  };
}

function selectInput(
  blockId: string,
  label: string,
  placeholder: string,
  options: PlainTextOption[],
  o: { hint: string; initial?: string | undefined },
): KnownBlock {
  const initial = options.find((opt) => opt.value === o.initial);
  return {
    type: 'input',
    block_id: blockId,
    label: plain(label),
    hint: plain(o.hint),
    element: {
      type: 'static_select',
      action_id: blockId + INPUT,
      placeholder: plain(placeholder),
      options,
      ...(initial ? { initial_option: initial } : {}),
    },
  };
}

function expiryOptions(): PlainTextOption[] {
  return Object.entries(EXPIRY_CHOICES).map(([value, text]) => ({ text: plain(text), value }));
}

function regionOptions(): PlainTextOption[] {
  return Object.entries(SPACES_REGIONS).map(([value, name]) => ({ text: plain(`${value} (${name})`), value }));
}

interface ViewStateValue {
  value?: string | null;
  selected_option?: Option | null;
  selected_date?: string | null;
}
export type ViewState = Record<string, Record<string, ViewStateValue>>;

/** The raw, untrimmed values of a submitted modal, by field. */
export function readSubmission(state: ViewState): RawSubmission {
  const out: RawSubmission = {};
  for (const [field, blockId] of Object.entries(FIELD) as [Field, string][]) {
    const v = state[blockId]?.[blockId + INPUT];
    out[field] = v?.value ?? v?.selected_option?.value ?? v?.selected_date ?? undefined;
  }
  return out;
}

/**
 * Field errors keyed by block id, as `response_action: "errors"` wants them, as plain sentences:
 * Slack shows a field error as plain text, so mrkdwn (backticks, mentions, links) would show as typed.
 */
export function toSlackErrors(errors: FieldErrors): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [FIELD[field as Field], plainSentence(message)]));
}
