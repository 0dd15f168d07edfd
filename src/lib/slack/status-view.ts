import type { KnownBlock } from '@slack/types';
import { metadataStale, type StoredSet } from '../credential-set.js';
import { isoDay } from '../expiry.js';
import { showFingerprint } from '../fingerprint.js';
import { context, escapeMrkdwn, header, section } from './blocks.js';
import { expiryText, tokenAccessText } from './credential-summary.js';

/** Every stored set, from metadata only: the `/do-creds status` answer and the App Home tab. */

const MAX_SECTION_CHARS = 2900;
const MAX_SECTIONS = 45;

export function statusBlocks(sets: StoredSet[], now: Date, command = '/do-creds'): KnownBlock[] {
  if (sets.length === 0) {
    return [section(`No DigitalOcean credentials are stored yet. Run \`${command} setup\` to add a set.`)];
  }
  const entries = sets.map((s) => statusLine(s, now));
  const blocks: KnownBlock[] = [header(`DigitalOcean credential sets (${sets.length})`)];
  const chunks = chunkByLength(entries, MAX_SECTION_CHARS);
  // Block Kit allows 50 blocks per message.
  for (const chunk of chunks.slice(0, MAX_SECTIONS)) blocks.push(section(chunk.join('\n\n')));
  const hidden = chunks.slice(MAX_SECTIONS).reduce((n, c) => n + c.length, 0);
  if (hidden > 0) blocks.push(context(`${hidden} more sets are not shown here.`));
  blocks.push(context(`Replace a set with \`${command} rotate <environment>\`; see its Terraform with \`${command} terraform <environment>\`.`));
  return blocks;
}

function statusLine(set: StoredSet, now: Date): string {
  const m = set.metadata;
  const icon = m.validation === 'revoked' ? ':red_circle:' : expiringSoon(m.expiresAt, now) ? ':large_orange_circle:' : ':large_green_circle:';
  // The daily check records only changes, so the date is when the state was last seen to change.
  const since = isoDay(m.validatedAt);
  const check =
    m.validation === 'revoked' ? `*token no longer works* (revoked or expired), since ${since}` : m.validation === 'ok' ? `working since ${since} (checked daily)` : 'not checked yet';
  const submitter = m.submittedBy ? `<@${escapeMrkdwn(m.submittedBy)}>` : 'unknown';
  const lines = [
    `${icon} *${escapeMrkdwn(m.environment)}*: token \`${showFingerprint(m.tokenFingerprint)}\`, ${expiryText(m.expiresAt, now)} · ${tokenAccessText(m.tokenAccess, 300)}`,
    `Spaces key \`${escapeMrkdwn(m.spacesKeyId)}\` · submitted by ${submitter} on ${isoDay(m.submittedAt)} · ${check}`,
  ];
  if (set.damaged.length > 0) {
    lines.push(`:warning: *Description damaged* (${set.damaged.join(', ')} failed do-creds' checks, so they are not used): rotate to repair it.`);
  } else if (metadataStale(set)) {
    lines.push(':warning: *Description out of date*: a newer version was stored than the one described here; the daily check repairs it.');
  }
  return lines.join('\n');
}

function expiringSoon(expiresAt: Date | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt.getTime() - now.getTime() < 14 * 24 * 3600 * 1000;
}

function chunkByLength(entries: string[], max: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const entry of entries) {
    if (current.length > 0 && length + entry.length + 2 > max) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(entry);
    length += entry.length + 2;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
