import {
  App,
  AwsLambdaReceiver,
  type BlockAction,
  type ButtonAction,
  type RespondFn,
  type SlashCommand,
  type ViewSubmitAction,
} from '@slack/bolt';
import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { createAccessPolicy, GroupsUnavailable, type Subject } from '../access.js';
import { looksLikeCredential } from '../credential-input.js';
import { parseCommand } from '../command.js';
import type { Config } from '../config.js';
import type { CredentialStore } from '../credential-set.js';
import { toBoltLogger, type Logger } from '../logger.js';
import type { JobQueue } from '../queue/jobs.js';
import type { ValidationDeps } from '../validation.js';
import { HOME_TAB, refusal, type GateDeps } from './access-gate.js';
import { ROTATE_FROM_ALERT_ACTION } from './alerts.js';
import { ephemeral, section, type EphemeralMessage } from './blocks.js';
import { credentialsModal, MODAL_CALLBACK_ID, toSlackErrors, noticeModal, parseModalMetadata, type ModalMetadata, type ModalPrefill } from './credentials-modal.js';
import { GUIDE_FALLBACK_TEXT, guideBlocks, OPEN_MODAL_ACTION } from './guide.js';
import { helpMessage } from './help.js';
import {
  DELETE_ACTION,
  deleteConfirmation,
  deleteSet,
  environmentArgument,
  lookUpEnvironment,
  notStoredText,
  statusMessage,
  terraformMessage,
  type ManageDeps,
} from './manage.js';
import { auditLater } from './audit-job.js';
import { classifySlackError, faultLabel, type SlackFault } from './slack-errors.js';
import { statusBlocks } from './status-view.js';
import { storeFaultText } from './store-messages.js';
import { scopesMessage } from './scope-advice.js';
import { handleSubmission } from './submission.js';

/** Time from a request's arrival until saving must stop, leaving room for the answer. */
const SUBMISSION_DEADLINE_MS = 2_400;
/** Time from a request's arrival until a lookup Slack waits for (the set to rotate) must stop. */
const LOOKUP_DEADLINE_MS = 2_400;

export interface SlackAppDeps {
  config: Config;
  logger: Logger;
  validation: ValidationDeps;
  store: CredentialStore;
  /** Where work Slack does not wait for goes (confirmations, audit posts). */
  jobs: JobQueue;
}

export interface SlackApp {
  app: App;
  receiver: AwsLambdaReceiver;
}

export function createSlackApp({ config, logger, validation, store, jobs }: SlackAppDeps): SlackApp {
  const boltLogger = toBoltLogger(logger);
  const receiver = new AwsLambdaReceiver({
    signingSecret: config.slack.signingSecret,
    logger: boltLogger,
    // Slack's 3 seconds run from the request's arrival (cold start included), not from a listener's start.
    customPropertiesExtractor: (event: { requestContext?: { timeEpoch?: number } }) => ({ receivedAt: arrivalTime(event) }),
  });
  const app = new App({
    receiver,
    logger: boltLogger,
    processBeforeResponse: true,
    // A local authorize avoids Bolt's auth.test round trip at cold start or on every request.
    authorize: () =>
      Promise.resolve({ botToken: config.slack.botToken, botId: config.slack.botId, botUserId: config.slack.botUserId }),
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      timeout: config.slack.apiTimeoutMs,
      // Slack allows 3 s per request: one quick retry at most, and no waiting out rate limits here.
      retryConfig: { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 100, randomize: false },
      rejectRateLimitedCalls: true,
    },
  });
  const manage: ManageDeps = { store, awsRegion: config.store.region, recoveryDays: config.store.recoveryDays, now: validation.now };
  const policy = createAccessPolicy(config.access, async (usergroup) => {
    try {
      const res = await app.client.usergroups.users.list({ token: config.slack.botToken, usergroup });
      return res.users ?? [];
    } catch (error) {
      // User groups need a paid Slack plan (plan_upgrade_required): no retry will change that.
      const fault = classifySlackError(error);
      if (fault.kind === 'platform' && fault.error === 'plan_upgrade_required') {
        logger.warn({ event: 'usergroups_unavailable' }, 'ALLOWED_USERGROUP_IDS is set but this Slack plan has no user groups');
        throw new GroupsUnavailable('user groups need a paid Slack plan');
      }
      throw error;
    }
  });
  const rotate: RotateDeps = { store, logger };
  const gate: GateDeps = {
    policy,
    writers: config.access.writers,
    contact: config.accessContact,
    logger,
    auditChannelId: config.auditChannelId,
    jobs,
    now: validation.now,
  };

  app.command(/.*/, async ({ command, ack, client, respond, context }) => {
    const parsed = parseCommand(command.text);
    const name = command.command;
    // A credential pasted into the command is never repeated back, whatever the subcommand.
    if (looksLikeCredential(command.text ?? '')) return ack(ephemeral(pastedCredentialText(name)));
    if (parsed.kind === 'unknown') return ack(helpMessage(name, parsed.word));
    const need = parsed.name === 'status' || parsed.name === 'terraform' || parsed.name === 'scopes' ? 'read' : parsed.name === 'help' ? undefined : 'write';
    if (need) {
      const refused = await refusal(gate, client, need, commandSubject(command), `${name} ${parsed.name}`);
      if (refused) return ack(ephemeral(refused));
    }
    const [arg] = parsed.args;
    switch (parsed.name) {
      case 'help':
        return ack(helpMessage(name));
      case 'setup':
        return ack(ephemeral(GUIDE_FALLBACK_TEXT, guideBlocks(store.description, config.scopePolicy, name)));
      case 'scopes':
        return ack(await scopesMessage(config.scopePolicy, name, parsed.args));
      case 'status':
        return ack(await statusMessage(manage, name));
      case 'terraform': {
        const found = await lookUpEnvironment(manage, name, 'terraform', arg);
        return ack(found.kind === 'answer' ? found.message : terraformMessage(found.set, manage.awsRegion, manage.store.kind));
      }
      case 'delete': {
        const found = await lookUpEnvironment(manage, name, 'delete', arg);
        return ack(found.kind === 'answer' ? found.message : deleteConfirmation(found.set, config.store.recoveryDays));
      }
      case 'rotate': {
        const named = environmentArgument(name, 'rotate', arg);
        if (named.kind === 'answer') return ack(named.message);
        await ack();
        // The form opens before the stored set is looked up: the trigger id lasts 3 seconds.
        await openRotateForm(rotate, { client, respond, triggerId: command.trigger_id, channelId: command.channel_id, environment: named.environment, command: name, deadline: deadlineOf(context) });
        return;
      }
    }
  });

  app.action<BlockAction>(OPEN_MODAL_ACTION, async ({ ack, body, client, respond }) => {
    await ack();
    const subject = actionSubject(body);
    const refused = await refusal(gate, client, 'write', subject, 'open the credentials form');
    if (refused) return respondSafely(respond, { ...ephemeral(refused), replace_original: false }, logger);
    await openCredentialsModal(client, respond, body.trigger_id, { channelId: subject.channelId, mode: 'setup' }, logger);
  });

  app.action<BlockAction<ButtonAction>>(ROTATE_FROM_ALERT_ACTION, async ({ ack, body, action, client, respond, context }) => {
    await ack();
    const subject = actionSubject(body);
    const refused = await refusal(gate, client, 'write', subject, 'rotate from an alert');
    if (refused) return respondSafely(respond, { ...ephemeral(refused), replace_original: false }, logger);
    const named = environmentArgument('/do-creds', 'rotate', action.value);
    if (named.kind === 'answer') return respondSafely(respond, { ...named.message, replace_original: false }, logger);
    await openRotateForm(rotate, { client, respond, triggerId: body.trigger_id, channelId: subject.channelId, environment: named.environment, command: '/do-creds', deadline: deadlineOf(context) });
  });

  // Slack POSTs block_actions for a button with a url too, and shows a warning icon unless it is
  // acknowledged: every link button (the alert's token guide, for one) is acked and nothing more.
  app.action<BlockAction>(/.*/, async ({ ack, action }) => {
    if (isLinkButton(action)) await ack();
  });

  app.action<BlockAction<ButtonAction>>(DELETE_ACTION, async ({ ack, body, action, client, respond }) => {
    await ack();
    const refused = await refusal(gate, client, 'write', actionSubject(body), 'delete credentials');
    if (refused) return respondSafely(respond, { ...ephemeral(refused), replace_original: false }, logger);
    const env = action.value ?? '';
    const found = await store.describe(env);
    const { message, deleted } = await deleteSet(manage, env);
    await respondSafely(respond, { ...message, replace_original: true }, logger);
    if (deleted) {
      const m = found.kind === 'ok' ? found.set?.metadata : undefined;
      await auditLater(jobs, logger, config.auditChannelId, {
        action: 'delete',
        actor: body.user.id,
        environment: env,
        fingerprint: m?.tokenFingerprint,
        tokenHmac: m?.tokenHmac,
        at: validation.now(),
      });
    }
  });

  app.view<ViewSubmitAction>(MODAL_CALLBACK_ID, async (args) => {
    const { body, view, ack, client, context } = args;
    const subject: Subject = {
      userId: body.user.id,
      teamId: body.team?.id ?? body.user.team_id,
      enterpriseId: body.enterprise?.id,
      channelId: parseModalMetadata(view.private_metadata).channelId,
    };
    // Checked again here: the form may have been opened before access changed.
    const refused = await refusal(gate, client, 'write', subject, 'submit credentials');
    // Field errors are plain text: the refusal's mentions become plain words.
    if (refused) return ack({ response_action: 'errors', errors: toSlackErrors({ environment: refused }) });
    await handleSubmission(args, {
      jobs,
      logger,
      validation,
      store,
      alertChannelId: config.alertChannelId,
      auditChannelId: config.auditChannelId,
      fingerprintKey: config.fingerprintKey,
      deadline: Number(context.receivedAt) + SUBMISSION_DEADLINE_MS,
      // A retried delivery saves idempotently but must not confirm or audit twice.
      isRetry: context.retryNum !== undefined,
    });
  });

  app.event('app_home_opened', async ({ event, body, client, context }) => {
    if (event.tab !== 'home' || context.retryNum !== undefined) return;
    const subject: Subject = { userId: event.user, teamId: body.team_id, enterpriseId: body.enterprise_id, channelId: undefined };
    const refused = await refusal(gate, client, 'read', subject, HOME_TAB);
    let blocks;
    if (refused) {
      blocks = [section(refused)];
    } else {
      const listed = await store.list();
      blocks = listed.kind === 'ok' ? statusBlocks(listed.sets, validation.now()) : [section(storeFaultText(listed, 'read'))];
    }
    try {
      await client.views.publish({ user_id: event.user, view: { type: 'home', blocks } });
    } catch (error) {
      logger.warn({ event: 'views_publish_failed', fault: faultLabel(classifySlackError(error)) }, 'could not publish the home tab');
    }
  });

  // Bolt's default error handler rethrows, which turns a listener error into a 500 after the ack.
  app.error((error) => {
    logger.error({ event: 'listener_error', error: error.name, code: (error as { code?: string }).code }, 'listener failed');
    return Promise.resolve();
  });

  return { app, receiver };
}

function pastedCredentialText(command: string): string {
  return (
    'That looks like a DigitalOcean token or Spaces secret, so I ignored the command and did not repeat it. ' +
    `Credentials go in the private form: \`${command} setup\`. If it was pasted anywhere others can read, delete it in the control panel and create a new one.`
  );
}

/** When API Gateway received the request; now, if that is missing or implausible (clock skew). */
function arrivalTime(event: { requestContext?: { timeEpoch?: number } }): number {
  const now = Date.now();
  const at = event.requestContext?.timeEpoch;
  return typeof at === 'number' && at <= now && now - at < 10_000 ? at : now;
}

function commandSubject(command: SlashCommand): Subject {
  return { userId: command.user_id, teamId: command.team_id, enterpriseId: command.enterprise_id, channelId: command.channel_id };
}

function actionSubject(body: BlockAction): Subject {
  return {
    userId: body.user.id,
    teamId: body.team?.id ?? body.user.team_id,
    enterpriseId: body.enterprise?.id,
    channelId: body.channel?.id ?? (body.container?.channel_id as string | undefined),
  };
}

/** When work that Slack waits for must stop: LOOKUP_DEADLINE_MS after the request arrived. */
function deadlineOf(context: Record<string, unknown>): number {
  const at = Number(context.receivedAt);
  return (Number.isFinite(at) ? at : Date.now()) + LOOKUP_DEADLINE_MS;
}

interface RotateDeps {
  store: CredentialStore;
  logger: Logger;
}

interface RotateRequest {
  client: WebClient;
  respond: RespondFn;
  triggerId: string;
  channelId: string | undefined;
  environment: string;
  command: string;
  deadline: number;
}

/**
 * Opens the rotation form for `environment` at once (the trigger id lasts 3 seconds, and reading the
 * stored set may be slow), then looks the set up and updates the open form: with its region and bucket
 * when found, with a note when it cannot be read in time, or with "nothing stored" when there is none.
 */
async function openRotateForm(deps: RotateDeps, r: RotateRequest): Promise<void> {
  const metadata: ModalMetadata = { channelId: r.channelId, mode: 'rotate' };
  const first: ModalPrefill = { environment: r.environment, region: undefined, bucket: undefined };
  const opened = await openCredentialsModal(r.client, r.respond, r.triggerId, metadata, deps.logger, first);
  if (opened === undefined) return;
  const left = r.deadline - Date.now();
  const found = left > 50 ? await deps.store.describe(r.environment, AbortSignal.timeout(left)) : ({ kind: 'unavailable' } as const);
  let view: ModalView;
  if (found.kind !== 'ok') {
    deps.logger.warn({ event: 'rotate_lookup_failed', fault: found.kind, environment: r.environment }, 'could not read the set to rotate');
    view = credentialsModal(metadata, first, `${storeFaultText(found, 'read')} Fill in the Spaces region and bucket yourself, or close this form and try again.`);
  } else if (found.set === undefined) {
    view = noticeModal(notStoredText(r.command, r.environment));
  } else {
    const m = found.set.metadata;
    // Alerts sent to a person directly carry the set's own channel for the next ones.
    view = credentialsModal({ ...metadata, channelId: r.channelId ?? m.alertChannel }, { environment: m.environment, region: m.spacesRegion, bucket: m.spacesBucket });
  }
  try {
    await r.client.views.update({ view_id: opened.id, ...(opened.hash ? { hash: opened.hash } : {}), view });
  } catch (error) {
    // hash_conflict: the person already changed or submitted the form; it is theirs now.
    deps.logger.warn({ event: 'views_update_failed', fault: faultLabel(classifySlackError(error)) }, 'could not update the rotation form');
  }
}

/** Opens the form; the opened view's id and hash, or undefined after telling the person it could not open. */
async function openCredentialsModal(
  client: WebClient,
  respond: RespondFn,
  triggerId: string,
  metadata: ModalMetadata,
  logger: Logger,
  prefill?: ModalPrefill,
): Promise<{ id: string; hash: string | undefined } | undefined> {
  try {
    const res = await client.views.open({ trigger_id: triggerId, view: credentialsModal(metadata, prefill) });
    return { id: res.view?.id ?? '', hash: res.view?.hash };
  } catch (error) {
    const fault = classifySlackError(error);
    logger.warn({ event: 'views_open_failed', fault: faultLabel(fault) }, 'could not open the form');
    await respondSafely(respond, { ...ephemeral(openFailureText(fault)), replace_original: false }, logger);
    return undefined;
  }
}

/** A block action from a link button (one with a url), which needs nothing but its acknowledgement. */
function isLinkButton(action: BlockAction['actions'][number]): boolean {
  return action.type === 'button' && typeof action.url === 'string';
}

function openFailureText(fault: SlackFault): string {
  if (fault.kind === 'platform' && fault.error === 'expired_trigger_id') {
    return 'Slack took too long to open the form, so the button expired. Please click *Submit credentials* again.';
  }
  if (fault.kind === 'rate_limited') {
    return `Slack is rate limiting do-creds right now, so the form could not open. Please try again in ${fault.retryAfterSeconds} seconds.`;
  }
  return 'I could not open the form. Please try again; if it keeps failing, tell whoever runs do-creds.';
}

async function respondSafely(respond: RespondFn, message: EphemeralMessage & { replace_original: boolean }, logger: Logger): Promise<void> {
  try {
    await respond(message);
  } catch (error) {
    logger.warn({ event: 'respond_failed', error: (error as Error).name }, 'could not answer through response_url');
  }
}
