import type { KnownBlock } from '@slack/types';
import pThrottle from 'p-throttle';
import type { WebClient } from '@slack/web-api';
import type { Alert, AlertSender } from '../scan/alert.js';
import { isoDay } from '../expiry.js';
import { showFingerprint } from '../fingerprint.js';
import type { Logger } from '../logger.js';
import { context, escapeMrkdwn, plain, section } from './blocks.js';
import { postOrDm } from './notify.js';

/** Expiry and health alerts as channel messages, with a one-click way to rotate. */

export const ROTATE_FROM_ALERT_ACTION = 'rotate_from_alert';
export const TOKEN_GUIDE_URL = 'https://docs.digitalocean.com/reference/api/create-personal-access-token/';

/** More alerts than this for one channel in one run go as a digest: Slack allows about one message per second per channel. */
export const DIGEST_FROM = 4;
/** Rows per digest message: two sections of 12 rows stay well inside 3,000 characters each. */
const ROWS_PER_DIGEST = 24;

export interface AlertSenderOptions {
  /** Where alerts of sets without a channel of their own go (ALERT_CHANNEL_ID); else the submitter's DM. */
  fallbackChannel: string | undefined;
  /** The least time between two posts to one channel: Slack allows about one message a second per channel (slack.md). */
  channelIntervalMs: number;
}

export function createSlackAlertSender(client: WebClient, logger: Logger, options: AlertSenderOptions): AlertSender {
  const channelOf = (alert: Alert) => alert.set.metadata.alertChannel ?? options.fallbackChannel ?? (alert.set.metadata.submittedBy || undefined);
  // Posts to one channel are spaced out here rather than left to Slack's 429s: fewer calls, none
  // refused. One throttle per channel, shared by every job this process runs at once.
  const throttles = new Map<string, <T>(post: () => Promise<T>) => Promise<T>>();
  const paced = <T>(channel: string, post: () => Promise<T>): Promise<T> => {
    let throttle = throttles.get(channel);
    if (throttle === undefined) {
      const limited = options.channelIntervalMs > 0 ? pThrottle({ limit: 1, interval: options.channelIntervalMs, strict: true }) : undefined;
      throttle = limited ? <U>(p: () => Promise<U>) => limited(p)() : <U>(p: () => Promise<U>) => p();
      throttles.set(channel, throttle);
    }
    return throttle(post);
  };
  const send = (alert: Alert) => {
    const message = alertMessage(alert);
    const submitter = alert.set.metadata.submittedBy || undefined;
    const channel = channelOf(alert);
    const first = channel === undefined ? undefined : () => paced(channel, () => client.chat.postMessage({ channel, ...message }));
    // No second try at the same person when the alert was already meant for their DM.
    const dmUser = channel === submitter ? undefined : submitter;
    return postOrDm(client, logger, first, dmUser, message, { what: 'alert', fields: { environment: alert.set.metadata.environment } });
  };
  return {
    async sendAll(alerts, channelTotal) {
      const delivered: boolean[] = new Array<boolean>(alerts.length).fill(false);
      const byChannel = new Map<string | undefined, number[]>();
      for (const [i, alert] of alerts.entries()) {
        const list = byChannel.get(channelOf(alert)) ?? [];
        if (list.length === 0) byChannel.set(channelOf(alert), list);
        list.push(i);
      }
      for (const [channel, indexes] of byChannel) {
        if (channel === undefined || indexes.length < DIGEST_FROM) {
          for (const i of indexes) delivered[i] = await send(alerts[i]!);
          continue;
        }
        for (let start = 0; start < indexes.length; start += ROWS_PER_DIGEST) {
          const part = indexes.slice(start, start + ROWS_PER_DIGEST);
          const message = digestMessage(part.map((i) => alerts[i]!), Math.max(indexes.length, channelTotal ?? 0));
          const ok = await postOrDm(client, logger, () => paced(channel, () => client.chat.postMessage({ channel, ...message })), undefined, message, {
            what: 'alert_digest',
            fields: { channel, alerts: part.length },
          });
          for (const i of part) delivered[i] = ok;
        }
      }
      return delivered;
    },
  };
}

/** Many alerts for one channel as one message: a row per environment, the most urgent first. */
export function digestMessage(alerts: Alert[], total: number): { text: string; blocks: KnownBlock[] } {
  const urgency = (a: Alert) => (a.kind === 'revoked' ? -Infinity : a.daysLeft);
  const rows = [...alerts]
    .sort((a, b) => urgency(a) - urgency(b))
    .map((a) => {
      const m = a.set.metadata;
      const who = m.submittedBy ? ` · <@${escapeMrkdwn(m.submittedBy)}>` : '';
      const date = m.expiresAt ? ` (${isoDay(m.expiresAt)})` : '';
      const what =
        a.kind === 'revoked'
          ? '*no longer works* (DigitalOcean rejects it)'
          : a.daysLeft < 0
            ? `*expired*${date}`
            : a.daysLeft === 0
              ? `expires *today*${date}`
              : `expires in ${a.daysLeft} day${a.daysLeft === 1 ? '' : 's'}${date}`;
      return `• *${escapeMrkdwn(m.environment)}* \`${showFingerprint(m.tokenFingerprint)}\` ${what}${who}`;
    });
  const half = Math.ceil(rows.length / 2);
  const text = alerts.every((a) => a.kind === 'expiry')
    ? `${total} DigitalOcean tokens in this channel expire soon or have expired`
    : `${total} DigitalOcean tokens in this channel need rotating`;
  return {
    text,
    blocks: [
      section(`:warning: *${text}.*${total > alerts.length ? ` ${alerts.length} of them here; the rest follow.` : ''} Rotate each with \`/do-creds rotate <environment>\`.`),
      ...[rows.slice(0, half), rows.slice(half)].filter((r) => r.length > 0).map((r) => section(r.join('\n'))),
      { type: 'actions', elements: [{ type: 'button', action_id: 'open_token_guide', url: TOKEN_GUIDE_URL, text: plain('How to create a token') }] },
    ],
  };
}

export function alertMessage(alert: Alert): { text: string; blocks: KnownBlock[] } {
  const m = alert.set.metadata;
  const who = m.submittedBy ? `<@${escapeMrkdwn(m.submittedBy)}> ` : '';
  const env = escapeMrkdwn(m.environment);
  const token = `\`${showFingerprint(m.tokenFingerprint)}\``;
  let text: string;
  if (alert.kind === 'revoked') {
    text = `:red_circle: ${who}the stored DigitalOcean token for *${env}* (${token}) no longer works: DigitalOcean rejects it (revoked or expired). Terraform runs using it will fail until it is rotated.`;
  } else {
    const date = m.expiresAt ? isoDay(m.expiresAt) : '';
    text =
      alert.daysLeft < 0
        ? `:rotating_light: ${who}the DigitalOcean token for *${env}* (${token}) *expired* on ${date}. Terraform runs using it fail now.`
        : alert.daysLeft === 0
          ? `:rotating_light: ${who}the DigitalOcean token for *${env}* (${token}) expires *today* (${date}).`
          : `:warning: ${who}the DigitalOcean token for *${env}* (${token}) expires on ${date}, in ${alert.daysLeft} day${alert.daysLeft === 1 ? '' : 's'}.`;
  }
  const blocks: KnownBlock[] = [
    section(text),
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: ROTATE_FROM_ALERT_ACTION, style: 'primary', value: m.environment, text: plain('Rotate now') },
        { type: 'button', action_id: 'open_token_guide', url: TOKEN_GUIDE_URL, text: plain('How to create a token') },
      ],
    },
    context('Rotating stores a new version; the current one stays available as the previous version.'),
  ];
  return { text: text.replace(/:[a-z_]+: /, ''), blocks };
}
