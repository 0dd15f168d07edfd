import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Alert, AlertSender } from '../expiry-scan.js';
import { isoDay } from '../expiry.js';
import { showFingerprint } from '../fingerprint.js';
import type { Logger } from '../logger.js';
import { context, escapeMrkdwn, plain, section } from './blocks.js';
import { postOrDm } from './notify.js';

/** Expiry and health alerts as channel messages, with a one-click way to rotate. */

export const ROTATE_FROM_ALERT_ACTION = 'rotate_from_alert';
export const TOKEN_GUIDE_URL = 'https://docs.digitalocean.com/reference/api/create-personal-access-token/';

export function createSlackAlertSender(client: WebClient, logger: Logger, fallbackChannel: string | undefined): AlertSender {
  return {
    send(alert) {
      const message = alertMessage(alert);
      const submitter = alert.set.metadata.submittedBy || undefined;
      const channel = alert.set.metadata.alertChannel ?? fallbackChannel ?? submitter;
      const first = channel === undefined ? undefined : () => client.chat.postMessage({ channel, ...message });
      // No second try at the same person when the alert was already meant for their DM.
      const dmUser = channel === submitter ? undefined : submitter;
      return postOrDm(client, logger, first, dmUser, message, { what: 'alert', fields: { environment: alert.set.metadata.environment } });
    },
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
