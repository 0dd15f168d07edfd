import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Alert, AlertSender } from '../expiry-scan.js';
import { isoDay } from '../expiry.js';
import { showFingerprint } from '../fingerprint.js';
import type { Logger } from '../logger.js';
import { context, escapeMrkdwn, plain, section } from './blocks.js';
import { classifySlackError, faultLabel } from './slack-errors.js';

/** Expiry and health alerts as channel messages, with a one-click way to rotate. */

export const ROTATE_FROM_ALERT_ACTION = 'rotate_from_alert';
export const TOKEN_GUIDE_URL = 'https://docs.digitalocean.com/reference/api/create-personal-access-token/';

const FALL_BACK_TO_DM = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

export function createSlackAlertSender(client: WebClient, logger: Logger, fallbackChannel: string | undefined): AlertSender {
  return {
    async send(alert) {
      const { text, blocks } = alertMessage(alert);
      const submitter = alert.set.metadata.submittedBy;
      const channel = alert.set.metadata.alertChannel ?? fallbackChannel ?? submitter;
      const environment = alert.set.metadata.environment;
      try {
        await client.chat.postMessage({ channel, text, blocks });
        return true;
      } catch (error) {
        const fault = classifySlackError(error);
        const canFallBack = fault.kind === 'platform' && FALL_BACK_TO_DM.has(fault.error) && submitter !== '' && channel !== submitter;
        logger.warn({ event: 'alert_post_failed', environment, fault: faultLabel(fault), fallback: canFallBack ? 'dm' : 'none' }, 'alert not posted');
        if (!canFallBack) return false;
      }
      try {
        await client.chat.postMessage({ channel: submitter, text, blocks });
        return true;
      } catch (error) {
        logger.warn({ event: 'alert_dm_failed', environment, fault: faultLabel(classifySlackError(error)) }, 'alert DM not sent');
        return false;
      }
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
