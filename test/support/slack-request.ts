import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext, slackSignature } from '../../src/local/api-gateway.js';

export { apiGatewayEvent, lambdaContext, slackSignature };

/**
 * Builds requests exactly as Slack sends them (signed `v0:timestamp:body` with HMAC-SHA256) and
 * wraps them in the API Gateway HTTP API (payload 2.0) event the Lambda handler receives.
 */

export function randomSigningSecret(): string {
  return randomBytes(16).toString('hex');
}

export interface SignedEventOptions {
  secret: string;
  body: string;
  contentType?: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Override the signature (e.g. a forged one). */
  signature?: string;
  /** API Gateway base64-encodes form bodies; default true for forms. */
  base64?: boolean;
  headers?: Record<string, string>;
}

export function signedEvent(o: SignedEventOptions): APIGatewayProxyEventV2 {
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const contentType = o.contentType ?? 'application/x-www-form-urlencoded';
  const base64 = o.base64 ?? contentType.startsWith('application/x-www-form-urlencoded');
  return apiGatewayEvent(
    {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': o.signature ?? slackSignature(o.secret, timestamp, o.body),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...o.headers,
    },
    o.body,
    base64,
  );
}

let minted = 0;

/**
 * A trigger id of Slack's shape ("132456.7890123.abcdef"), unique in this process. Slack issues one
 * with each payload; the fake Slack learns it when the harness delivers the payload (see `invoke`).
 */
export function newTriggerId(): string {
  minted += 1;
  return `${Math.floor(Date.now() / 1000)}.${minted}.${randomBytes(8).toString('hex')}`;
}

export const TEAM_ID = 'T0TESTTEAM';
export const USER_ID = 'U0TESTUSER';
export const CHANNEL_ID = 'C0TESTCHAN';

export interface SlashCommandOptions {
  text: string;
  command?: string;
  userId?: string;
  channelId?: string;
  responseUrl?: string;
  triggerId?: string;
}

export function slashCommandBody(o: SlashCommandOptions): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM_ID,
    team_domain: 'test-team',
    channel_id: o.channelId ?? CHANNEL_ID,
    channel_name: 'platform',
    user_id: o.userId ?? USER_ID,
    user_name: 'tester',
    command: o.command ?? '/do-creds',
    text: o.text,
    api_app_id: 'A0TESTAPP',
    is_enterprise_install: 'false',
    response_url: o.responseUrl ?? 'https://hooks.slack.invalid/commands/T0/1/x',
    trigger_id: o.triggerId ?? newTriggerId(),
  }).toString();
}

/** Interactivity payloads arrive as `payload=<json>` form bodies. */
export function interactionBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface BlockActionOptions {
  actionId: string;
  value?: string;
  /** A link button: Slack still posts the click, with the button's url. */
  url?: string;
  responseUrl: string;
  triggerId?: string;
  userId?: string;
  channelId?: string;
}

export function blockActionPayload(o: BlockActionOptions): object {
  const channelId = o.channelId ?? CHANNEL_ID;
  return {
    type: 'block_actions',
    user: { id: o.userId ?? USER_ID, username: 'tester', name: 'tester', team_id: TEAM_ID },
    api_app_id: 'A0TESTAPP',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: channelId, is_ephemeral: true },
    trigger_id: o.triggerId ?? newTriggerId(),
    team: { id: TEAM_ID, domain: 'test-team' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'platform' },
    response_url: o.responseUrl,
    actions: [
      {
        action_id: o.actionId,
        block_id: 'actions',
        text: { type: 'plain_text', text: 'Submit credentials', emoji: true },
        value: o.value,
        ...(o.url === undefined ? {} : { url: o.url }),
        style: 'primary',
        type: 'button',
        action_ts: '1700000000.000200',
      },
    ],
  };
}

export interface ViewSubmissionOptions {
  callbackId: string;
  privateMetadata: string;
  /** block id -> action id -> value object, as Slack puts it in view.state.values */
  values: Record<string, Record<string, object>>;
  userId?: string;
}

export function viewSubmissionPayload(o: ViewSubmissionOptions): object {
  return {
    type: 'view_submission',
    team: { id: TEAM_ID, domain: 'test-team' },
    user: { id: o.userId ?? USER_ID, username: 'tester', name: 'tester', team_id: TEAM_ID },
    api_app_id: 'A0TESTAPP',
    token: 'deprecated-verification-token',
    trigger_id: newTriggerId(),
    view: {
      id: 'V0TESTVIEW',
      team_id: TEAM_ID,
      type: 'modal',
      callback_id: o.callbackId,
      private_metadata: o.privateMetadata,
      hash: '1700000000.abcdef',
      state: { values: o.values },
      blocks: [],
      title: { type: 'plain_text', text: 'DigitalOcean credentials' },
      app_id: 'A0TESTAPP',
      bot_id: 'B0TESTBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** An Events API callback, as Slack posts it (JSON). */
export function eventCallbackBody(event: object): string {
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: TEAM_ID,
    api_app_id: 'A0TESTAPP',
    event,
    type: 'event_callback',
    event_id: `Ev${Date.now()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: TEAM_ID, user_id: 'U0BOTUSER', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}
