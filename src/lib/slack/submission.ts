import type { SlackViewMiddlewareArgs, ViewSubmitAction, AllMiddlewareArgs } from '@slack/bolt';
import type { CredentialStore, NewVersion, SaveOutcome } from '../credential-set.js';
import { fingerprint, keyedFingerprint } from '../fingerprint.js';
import type { Logger } from '../logger.js';
import { validateSubmission, type ValidatedCredentialSet, type ValidationDeps } from '../validation.js';
import type { KnownBlock, ModalView } from '@slack/types';
import type { Job, JobQueue } from '../queue/jobs.js';
import { context, header, plain, section } from './blocks.js';
import { credentialSummaryBlocks } from './credential-summary.js';
import { parseModalMetadata, readSubmission, toSlackErrors } from './credentials-modal.js';
import { auditJob } from './audit-job.js';
import { logAudit, type AuditEntry } from './notify.js';
import { storeFaultText } from './store-messages.js';

/** A submitted form: validate, store, close the form, confirm privately, audit. */

export interface SubmissionDeps {
  /** Confirmations and audit posts go here: Slack's answer never waits for another Slack call. */
  jobs: JobQueue;
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

/** The hand-over may use this much past the save's deadline: the answer must leave within Slack's 3 s. */
const ENQUEUE_GRACE_MS = 400;

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export async function handleSubmission({ ack, body, view }: Args, deps: SubmissionDeps): Promise<void> {
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
  const tokenHmac = deps.fingerprintKey ? keyedFingerprint(deps.fingerprintKey, set.token) : undefined;
  const version = newVersion(set, user, metadata.channelId ?? deps.alertChannelId, view.id, now, tokenHmac);
  const saved = await deps.store.save(version, deps.deadline);
  const auditEntry = { actor: user, environment: set.environment, fingerprint: fingerprint(set.token), tokenHmac, at: now };
  if (saved.kind !== 'ok') {
    deps.logger.warn({ event: 'store_failed', fault: saved.kind, environment: set.environment, user }, 'could not store the credentials');
    // A save that may have landed is on the trail either way.
    if (saved.kind === 'unknown_outcome' && !deps.isRetry) {
      const entry: AuditEntry = { action: 'unknown', ...auditEntry };
      logAudit(deps.logger, entry);
      await enqueue(deps, [auditJob(deps.auditChannelId, entry, `unknown:${view.id}:${fingerprint(set.token)}`)]);
    }
    await ack({ response_action: 'errors', errors: toSlackErrors({ environment: storeFaultText(saved, 'save') }) });
    return;
  }
  const message = confirmation(set, saved, now, deps.store.description);
  // The same submission again (Submit pressed twice): answered in the form itself, nothing sent, nothing audited.
  if (saved.outcome === 'unchanged' || deps.isRetry) {
    await ack({ response_action: 'update', view: answerView(message) });
    return;
  }
  const action = saved.outcome === 'created' ? 'save' : saved.outcome === 'restored' ? 'restore' : 'rotate';
  const entry: AuditEntry = { action, ...auditEntry };
  logAudit(deps.logger, entry);
  // One hand-over for the confirmation and the audit post.
  const tell: Job = { kind: 'tell', id: `tell:${saved.versionId}`, user, channel: metadata.channelId, message };
  const queued = await enqueue(deps, [tell, auditJob(deps.auditChannelId, entry, `audit:${saved.versionId}`)]);
  // If the queue cannot take them, the form shows the confirmation instead of closing.
  await ack(queued ? { response_action: 'clear' } : { response_action: 'update', view: answerView(message) });
  if (!queued) deps.logger.warn({ event: 'job_enqueue_failed', kind: 'tell', environment: set.environment }, 'confirmation shown in the form instead');
}

/** Hands jobs over, bounded so that Slack still gets its answer in time (the save stops at the deadline). */
async function enqueue(deps: SubmissionDeps, jobs: (Job | undefined)[]): Promise<boolean> {
  const present = jobs.filter((j): j is Job => j !== undefined);
  if (present.length === 0) return true;
  return deps.jobs.send(present, { signal: AbortSignal.timeout(Math.max(100, deps.deadline + ENQUEUE_GRACE_MS - Date.now())) });
}

/** A message shown in the form itself (a modal takes up to 100 blocks). */
function answerView(message: { text: string; blocks: KnownBlock[] }): ModalView {
  return { type: 'modal', title: plain('DigitalOcean credentials'), close: plain('Close'), blocks: message.blocks };
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

const HEADLINE: Record<SaveOutcome['outcome'], string> = { created: 'Saved', updated: 'Rotated', restored: 'Restored', unchanged: 'Already saved' };

function confirmation(set: ValidatedCredentialSet, saved: SaveOutcome, now: Date, storeName: string) {
  const what = HEADLINE[saved.outcome];
  const text = `${what}: DigitalOcean credentials for ${set.environment}`;
  return {
    text,
    blocks: [
      header(`${what}: ${set.environment}`),
      ...(saved.outcome === 'unchanged' ? [section(unchangedText(saved.current))] : []),
      ...credentialSummaryBlocks(set, now),
      section(
        `Stored in ${storeName} as \`${saved.name}\` (keys \`do_token\`, \`do_access_key\`, \`do_secret_key\`).` +
          (saved.outcome === 'updated' ? ' The previous version is kept, so a bad rotation can be rolled back.' : '') +
          (saved.outcome === 'restored' ? ' The set had been deleted; it is restored with these new values.' : ''),
      ),
      ...(saved.metadataWritten
        ? []
        : [context(':warning: The credentials are stored, but their description (expiry, fingerprint, token kind) could not be updated: `/do-creds status` marks it out of date until the daily check repairs it.')]),
      context(`Run \`/do-creds terraform ${set.environment}\` for the Terraform that reads it.`),
    ],
  };
}

function unchangedText(current: boolean): string {
  return current
    ? 'These exact credentials were already saved from this form: nothing new was stored.'
    : 'These exact credentials were saved from this form before, but a newer version has been stored since. Nothing was changed; rotate again to make these current.';
}
