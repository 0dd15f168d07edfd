import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { alwaysInfo, type Logger } from '../logger.js';
import { escapeMrkdwn } from './blocks.js';
import { classifySlackError, faultLabel } from './slack-errors.js';

/** Messages the bot sends on its own: private notes to one person, and the audit trail. */

/** Slack errors meaning the bot cannot post where it tried; a direct message still reaches the person. */
const NOT_REACHABLE = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'user_not_in_channel']);

export interface Message {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Posts with `first`; where Slack says the bot cannot post there (or there is no `first`), sends
 * the message to `dmUser` directly instead. Failures are logged as `{what}_failed`,
 * `{what}_fallback_dm` and `{what}_dm_failed`, with `fields` (never the message).
 */
export async function postOrDm(
  client: WebClient,
  logger: Logger,
  first: (() => Promise<unknown>) | undefined,
  dmUser: string | undefined,
  message: Message,
  log: { what: string; fields?: Record<string, unknown> },
): Promise<boolean> {
  if (first !== undefined) {
    try {
      await first();
      return true;
    } catch (error) {
      const fault = classifySlackError(error);
      const reachable = !(fault.kind === 'platform' && NOT_REACHABLE.has(fault.error));
      if (reachable || dmUser === undefined) {
        logger.warn({ event: `${log.what}_failed`, ...log.fields, fault: faultLabel(fault) }, 'message not posted');
        return false;
      }
      logger.info({ event: `${log.what}_fallback_dm`, ...log.fields, fault: faultLabel(fault) }, 'channel not reachable, sending a DM');
    }
  }
  if (dmUser === undefined) return false;
  try {
    await client.chat.postMessage({ channel: dmUser, ...message });
    return true;
  } catch (error) {
    logger.warn({ event: `${log.what}_dm_failed`, ...log.fields, fault: faultLabel(classifySlackError(error)) }, 'direct message not sent');
    return false;
  }
}

/**
 * An ephemeral message in the channel the person worked from; where the bot cannot post there
 * (not a member, archived, no channel at all), a direct message instead.
 */
export function tellPrivately(client: WebClient, logger: Logger, to: { user: string; channel: string | undefined }, message: Message): Promise<boolean> {
  const channel = to.channel;
  const first = channel === undefined ? undefined : () => client.chat.postEphemeral({ channel, user: to.user, ...message });
  return postOrDm(client, logger, first, to.user, message, { what: 'post_ephemeral' });
}

export interface AuditEntry {
  /** `restore`: a deleted set brought back by a new submission; `unknown`: a save that may or may not have landed. */
  action: 'save' | 'rotate' | 'restore' | 'delete' | 'refused' | 'unknown';
  actor: string;
  /** The environment concerned, if known. */
  environment: string | undefined;
  /** Last four characters of the token concerned. */
  fingerprint: string | undefined;
  /** Keyed HMAC of the token (FINGERPRINT_HMAC_KEY), for checking a token against the trail. */
  tokenHmac?: string | undefined;
  /** For refusals: what was attempted and why it was refused. */
  detail?: string;
  at: Date;
}

/** The audit log line: written whatever LOG_LEVEL says (short of silent), because it is the trail. */
export function logAudit(logger: Logger, entry: AuditEntry): void {
  alwaysInfo(logger).info(
    {
      event: 'audit',
      action: entry.action,
      actor: entry.actor,
      environment: entry.environment,
      fingerprint: entry.fingerprint,
      tokenHmac: entry.tokenHmac,
      detail: entry.detail,
      at: entry.at.toISOString(),
    },
    entry.action === 'refused' ? 'access refused' : 'credential set changed',
  );
}

/** The audit-channel message for an entry. */
export function auditMessage(entry: AuditEntry): Message {
  const text = auditText(entry);
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

function auditText(entry: AuditEntry): string {
  const who = `<@${escapeMrkdwn(entry.actor)}>`;
  const env = entry.environment ? `\`${escapeMrkdwn(entry.environment)}\`` : 'an environment';
  const fp = entry.fingerprint ? ` (token …${escapeMrkdwn(entry.fingerprint)})` : '';
  const hmac = entry.tokenHmac ? `\n\`${entry.tokenHmac}\`` : '';
  const when = entry.at.toISOString();
  switch (entry.action) {
    case 'save':
      return `${who} stored new credentials for ${env}${fp} at ${when}.${hmac}`;
    case 'rotate':
      return `${who} rotated the credentials of ${env}${fp} at ${when}.${hmac}`;
    case 'restore':
      return `${who} restored the deleted credentials of ${env} with new ones${fp} at ${when}.${hmac}`;
    case 'delete':
      return `${who} deleted the credentials of ${env}${fp} at ${when}.${hmac}`;
    case 'unknown':
      return `${who} submitted credentials for ${env}${fp} at ${when}, and AWS did not confirm whether they were saved; \`/do-creds status\` shows which token is stored.${hmac}`;
    case 'refused':
      return `${who} was refused: ${escapeMrkdwn(entry.detail ?? 'no access')} at ${when}.`;
  }
}
