import { App, AwsLambdaReceiver, type BlockAction, type RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import { parseCommand, type Subcommand } from '../command.js';
import { toBoltLogger, type Logger } from '../logger.js';
import { ephemeral, section, plain, type EphemeralMessage } from './blocks.js';
import { validateSubmission, type ValidatedCredentialSet, type ValidationDeps } from '../validation.js';
import { credentialSummaryBlocks } from './credential-summary.js';
import { credentialsModal, MODAL_CALLBACK_ID, readSubmission, toSlackErrors } from './credentials-modal.js';
import { GUIDE_FALLBACK_TEXT, guideBlocks, OPEN_MODAL_ACTION } from './guide.js';
import { helpMessage, notAvailableMessage } from './help.js';
import { classifySlackError, faultLabel, type SlackFault } from './slack-errors.js';

/** Subcommands this version really implements; the others say so honestly. */
const AVAILABLE: ReadonlySet<Subcommand> = new Set<Subcommand>(['help', 'setup']);

export interface SlackAppDeps {
  config: Config;
  logger: Logger;
  validation: ValidationDeps;
}

export interface SlackApp {
  app: App;
  receiver: AwsLambdaReceiver;
}

export function createSlackApp({ config, logger, validation }: SlackAppDeps): SlackApp {
  const boltLogger = toBoltLogger(logger);
  const receiver = new AwsLambdaReceiver({ signingSecret: config.slack.signingSecret, logger: boltLogger });
  const app = new App({
    receiver,
    logger: boltLogger,
    processBeforeResponse: true,
    // A local authorize avoids Bolt's auth.test round trip at cold start or on every request.
    authorize: () =>
      Promise.resolve({
        botToken: config.slack.botToken,
        botId: config.slack.botId,
        botUserId: config.slack.botUserId,
      }),
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      timeout: config.slack.apiTimeoutMs,
      // Slack allows 3 s per request: one quick retry at most, and no waiting out rate limits here.
      retryConfig: { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 100, randomize: false },
      rejectRateLimitedCalls: true,
    },
  });

  app.command(/.*/, async ({ command, ack }) => {
    await ack(answerCommand(command.command, command.text));
  });

  app.action<BlockAction>(OPEN_MODAL_ACTION, async ({ ack, body, client, respond }) => {
    await ack();
    await openCredentialsModal(client, respond, body, logger);
  });

  app.view(MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const result = await validateSubmission(readSubmission(view.state.values), validation);
    if (!result.ok) {
      logger.info({ event: 'submission_invalid', fields: Object.keys(result.errors), user: body.user.id }, 'submission refused');
      await ack({ response_action: 'errors', errors: toSlackErrors(result.errors) });
      return;
    }
    // Storage comes in a later version: say so instead of pretending to save.
    logger.info({ event: 'submission_valid_not_stored', environment: result.set.environment, user: body.user.id }, 'valid, not stored');
    await ack({ response_action: 'update', view: storageNotAvailableView(result.set, validation.now()) });
  });

  // Bolt's default error handler rethrows, which turns a listener error into a 500 after the ack.
  app.error((error) => {
    logger.error({ event: 'listener_error', error: error.name, code: (error as { code?: string }).code }, 'listener failed');
    return Promise.resolve();
  });

  return { app, receiver };
}

export function answerCommand(command: string, text: string): EphemeralMessage {
  const parsed = parseCommand(text);
  if (parsed.kind === 'unknown') return helpMessage(command, AVAILABLE, parsed.word);
  if (!AVAILABLE.has(parsed.name)) return notAvailableMessage(command, parsed.name);
  if (parsed.name === 'setup') return ephemeral(GUIDE_FALLBACK_TEXT, guideBlocks());
  return helpMessage(command, AVAILABLE);
}

async function openCredentialsModal(client: WebClient, respond: RespondFn, body: BlockAction, logger: Logger): Promise<void> {
  const channelId = body.channel?.id ?? body.container?.channel_id as string | undefined;
  try {
    await client.views.open({ trigger_id: body.trigger_id, view: credentialsModal({ channelId, mode: 'setup' }) });
  } catch (error) {
    const fault = classifySlackError(error);
    logger.warn({ event: 'views_open_failed', fault: faultLabel(fault), user: body.user.id }, 'could not open the form');
    await respondSafely(respond, ephemeral(openFailureText(fault)), logger);
  }
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

async function respondSafely(respond: RespondFn, message: EphemeralMessage, logger: Logger): Promise<void> {
  try {
    await respond({ ...message, replace_original: false });
  } catch (error) {
    logger.warn({ event: 'respond_failed', error: (error as Error).name }, 'could not answer through response_url');
  }
}

function storageNotAvailableView(set: ValidatedCredentialSet, now: Date) {
  return {
    type: 'modal' as const,
    title: plain('DigitalOcean credentials'),
    close: plain('Close'),
    blocks: [
      section(
        ':white_check_mark: *These credentials work.* But *nothing was saved*: storing credentials is not ' +
          'available yet in this version of do-creds, so what you typed was not kept anywhere. Keep them in ' +
          'a safe place (a password manager) until storing is available.',
      ),
      ...credentialSummaryBlocks(set, now),
    ],
  };
}
