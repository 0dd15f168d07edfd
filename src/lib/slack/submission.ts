import type { SlackViewMiddlewareArgs, ViewSubmitAction, AllMiddlewareArgs } from '@slack/bolt';
import type { CredentialStore, NewVersion } from '../credential-set.js';
import { fingerprint, keyedFingerprint } from '../fingerprint.js';
import type { Logger } from '../logger.js';
import { validateSubmission, type ValidatedCredentialSet, type ValidationDeps } from '../validation.js';
import { context, header, section } from './blocks.js';
import { credentialSummaryBlocks } from './credential-summary.js';
import { parseModalMetadata, readSubmission, toSlackErrors } from './credentials-modal.js';
import { audit, tellPrivately } from './notify.js';
import { storeFaultText } from './store-messages.js';

/** A submitted form: validate, store, close the form, confirm privately, audit. */

export interface SubmissionDeps {
  logger: Logger;
  validation: ValidationDeps;
  store: CredentialStore;
  alertChannelId: string | undefined;
  auditChannelId: string | undefined;
  fingerprintKey: string | undefined;
  isRetry: boolean;
  /** Epoch milliseconds at which saving must stop so that Slack gets its answer within 3 seconds. */
  deadline: number;
}

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export async function handleSubmission({ ack, body, view, client }: Args, deps: SubmissionDeps): Promise<void> {
  const user = body.user.id;
  const metadata = parseModalMetadata(view.private_metadata);
  const result = await validateSubmission(readSubmission(view.state.values), deps.validation);
  if (!result.ok) {
    deps.logger.info({ event: 'submission_invalid', fields: Object.keys(result.errors), causes: result.causes, user }, 'submission refused');
    await ack({ response_action: 'errors', errors: toSlackErrors(result.errors) });
    return;
  }
  const set = result.set;
  const now = deps.validation.now();
  const remaining = Math.max(250, deps.deadline - Date.now());
  const tokenHmac = deps.fingerprintKey ? keyedFingerprint(deps.fingerprintKey, set.token) : undefined;
  const version = newVersion(set, user, metadata.channelId ?? deps.alertChannelId, view.id, now, tokenHmac);
  const saved = await deps.store.save(version, AbortSignal.timeout(remaining));
  if (saved.kind !== 'ok') {
    deps.logger.warn({ event: 'store_failed', fault: saved.kind, environment: set.environment, user }, 'could not store the credentials');
    await ack({ response_action: 'errors', errors: toSlackErrors({ environment: storeFaultText(saved, 'save') }) });
    return;
  }
  await ack({ response_action: 'clear' });
  if (deps.isRetry) return;
  await Promise.all([
    tellPrivately(client, deps.logger, { user, channel: metadata.channelId }, confirmation(set, saved.name, saved.created, now, deps.store.description)),
    audit(client, deps.logger, deps.auditChannelId, {
      action: saved.created ? 'save' : 'rotate',
      actor: user,
      environment: set.environment,
      fingerprint: fingerprint(set.token),
      tokenHmac,
      at: now,
    }),
  ]);
}

function newVersion(
  set: ValidatedCredentialSet,
  user: string,
  alertChannel: string | undefined,
  viewId: string,
  now: Date,
  tokenHmac: string | undefined,
): NewVersion {
  return {
    value: {
      do_token: set.token,
      do_access_key: set.spaces.accessKey,
      do_secret_key: set.spaces.secretKey,
      spaces_region: set.spaces.region,
      spaces_endpoint: set.spaces.endpoint,
      ...(set.spaces.bucket ? { spaces_bucket: set.spaces.bucket } : {}),
    },
    metadata: {
      environment: set.environment,
      expiresAt: set.expiresAt,
      submittedBy: user,
      submittedAt: now,
      tokenFingerprint: fingerprint(set.token),
      tokenHmac,
      tokenAccess: set.scopes.access,
      spacesKeyId: set.spaces.accessKey,
      spacesRegion: set.spaces.region,
      spacesBucket: set.spaces.bucket,
      alertChannel,
      validatedAt: now,
      validation: 'ok',
      // A new token starts its expiry alerts afresh.
      alertedThreshold: undefined,
    },
    // Slack may deliver the same submission twice; the view id is the same each time.
    idempotencyKey: viewId,
  };
}

function confirmation(set: ValidatedCredentialSet, secretName: string, created: boolean, now: Date, storeName: string) {
  const what = created ? 'Saved' : 'Rotated';
  const text = `${what}: DigitalOcean credentials for ${set.environment}`;
  return {
    text,
    blocks: [
      header(`${what}: ${set.environment}`),
      ...credentialSummaryBlocks(set, now),
      section(
        `Stored in ${storeName} as \`${secretName}\` (keys \`do_token\`, \`do_access_key\`, \`do_secret_key\`).` +
          (created ? '' : ' The previous version is kept, so a bad rotation can be rolled back.'),
      ),
      context(`Run \`/do-creds terraform ${set.environment}\` for the Terraform that reads it.`),
    ],
  };
}
