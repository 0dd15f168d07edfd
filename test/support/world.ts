import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { FIELD } from '../../src/lib/slack/credentials-modal.js';
import { fakeDoToken, fakeSpacesKey } from './credentials.js';
import { FULL_ACCESS, type FakeDigitalOcean, type TokenBehaviour } from './fake-digitalocean.js';
import type { FakeSecretsManager } from './fake-secrets-manager.js';
import type { FakeSlack } from './fake-slack.js';
import type { FakeSpaces } from './fake-spaces.js';
import { inProcessJobsDone } from '../../src/lib/queue/in-process.js';
import { closeUpstreams, startUpstreams, upstreamEnv } from './upstreams.js';
import { fakeBotToken, invoke, loadSlackHandler, type InvokeResult } from './harness.js';
import {
  blockActionPayload,
  interactionBody,
  randomSigningSecret,
  signedEvent,
  slashCommandBody,
  USER_ID,
  viewSubmissionPayload,
} from './slack-request.js';

/**
 * Every outside system on 127.0.0.1 (Slack Web API, DigitalOcean API, Spaces) and the exported
 * Lambda handler configured to reach them, as one object tests drive like Slack would.
 */

export interface FormValues {
  environment?: string;
  token?: string;
  expiry?: string;
  expiryDate?: string;
  accessKey?: string;
  secretKey?: string;
  region?: string;
  bucket?: string;
}

export interface World {
  secret: string;
  /** The bot token the fake Slack accepts (also when the handler reads it from Secrets Manager). */
  botToken: string;
  /** The environment the handler was loaded with (local endpoints, fake tokens). */
  env: Record<string, string | undefined>;
  slack: FakeSlack;
  digitalocean: FakeDigitalOcean;
  spaces: FakeSpaces;
  secretsManager: FakeSecretsManager;
  handler: Awaited<ReturnType<typeof loadSlackHandler>>;
  send(event: APIGatewayProxyEventV2): Promise<InvokeResult>;
  command(text: string): Promise<InvokeResult>;
  /** Clicks "Submit credentials" and returns the view Slack was asked to open. */
  openModal(): Promise<ModalView>;
  /** Opens the modal, fills it in as a person would, and submits it. */
  submit(values: FormValues): Promise<InvokeResult>;
  /** A valid, registered credential set; overrides adjust the DigitalOcean behaviour. */
  validCredentials(behaviour?: Partial<TokenBehaviour>, bucket?: string): Required<Pick<FormValues, 'token' | 'accessKey' | 'secretKey'>> & FormValues;
  close(): Promise<void>;
}

interface ModalBlock {
  block_id?: string;
  type: string;
  element?: { type: string; action_id: string; options?: { text: { text: string }; value: string }[] };
}
export interface ModalView {
  callback_id: string;
  private_metadata: string;
  blocks: ModalBlock[];
}

// The form's own field -> block id map: Slack sends values back keyed by block id.
const BLOCK_OF: Readonly<Record<keyof FormValues, string>> = FIELD;

export async function startWorld(extraEnv: Record<string, string | undefined> = {}): Promise<World> {
  const secret = randomSigningSecret();
  const botToken = fakeBotToken();
  const upstreams = await startUpstreams(botToken);
  const { slack, digitalocean, spaces, secretsManager } = upstreams;
  const env = {
    ...upstreamEnv(upstreams, { signingSecret: secret, botToken }),
    LOG_LEVEL: 'warn',
    ALLOWED_USER_IDS: USER_ID,
    ...extraEnv,
  };
  // The operator invites the bot to the channels do-creds is configured to post in.
  slack.join(...[extraEnv.ALERT_CHANNEL_ID, extraEnv.AUDIT_CHANNEL_ID].filter((c): c is string => c !== undefined && c !== ''));
  const handler = await loadSlackHandler(env);
  // Work Slack does not wait for runs in-process after the answer: a step is done when it has too.
  const send = async (event: APIGatewayProxyEventV2) => {
    const res = await invoke(handler, event);
    await inProcessJobsDone();
    return res;
  };

  const world: World = {
    secret,
    botToken,
    env,
    slack,
    digitalocean,
    spaces,
    secretsManager,
    handler,
    send,
    command: (text) => send(signedEvent({ secret, body: slashCommandBody({ text, responseUrl: slack.responseUrl('command') }) })),
    async openModal() {
      const before = slack.callsTo('views.open').length;
      await send(signedEvent({ secret, body: interactionBody(blockActionPayload({ actionId: 'open_credentials_modal', responseUrl: slack.responseUrl() })) }));
      const call = slack.callsTo('views.open')[before];
      if (!call) throw new Error('the button did not open the modal');
      return call.args.view as ModalView;
    },
    async submit(values) {
      const view = await world.openModal();
      return send(signedEvent({ secret, body: interactionBody(fillForm(view, values)) }));
    },
    validCredentials(behaviour = {}, bucket) {
      const token = fakeDoToken();
      const { accessKey, secretKey } = fakeSpacesKey();
      digitalocean.setToken(token, { scopes: FULL_ACCESS, expiresInSeconds: null, ...behaviour });
      spaces.addKey(accessKey, { secret: secretKey });
      if (bucket) spaces.addBucket(bucket);
      return { environment: 'prod', token, expiry: 'never', accessKey, secretKey, region: 'nyc3', ...(bucket ? { bucket } : {}) };
    },
    close: async () => {
      await closeUpstreams(upstreams);
    },
  };
  return world;
}

/** view.state.values as Slack builds it from the inputs of the opened view. */
export function fill(view: ModalView, values: FormValues): Record<string, Record<string, object>> {
  const state: Record<string, Record<string, object>> = {};
  for (const block of view.blocks) {
    if (block.type !== 'input' || !block.block_id || !block.element) continue;
    const field = (Object.keys(BLOCK_OF) as (keyof FormValues)[]).find((f) => BLOCK_OF[f] === block.block_id);
    const value = field === undefined ? undefined : values[field];
    const el = block.element;
    if (el.type === 'static_select') {
      const option = el.options?.find((o) => o.value === value);
      if (value !== undefined && option === undefined) throw new Error(`no option ${value} in ${block.block_id}`);
      state[block.block_id] = { [el.action_id]: { type: el.type, selected_option: option ? { text: { type: 'plain_text', text: option.text.text }, value: option.value } : null } };
    } else if (el.type === 'datepicker') {
      state[block.block_id] = { [el.action_id]: { type: el.type, selected_date: value ?? null } };
    } else {
      state[block.block_id] = { [el.action_id]: { type: el.type, value: value ?? null } };
    }
  }
  return state;
}

/** The whole view_submission payload for an opened view filled with these values. */
export function fillForm(view: ModalView, values: FormValues): object {
  return viewSubmissionPayload({ callbackId: view.callback_id, privateMetadata: view.private_metadata, values: fill(view, values) });
}
