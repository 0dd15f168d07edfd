import type { KnownBlock } from '@slack/types';
import { daysLeft, isoDay } from '../expiry.js';
import { fingerprint, showFingerprint } from '../fingerprint.js';
import type { ScopeReport } from '../scopes.js';
import type { ValidatedCredentialSet } from '../validation.js';
import { context, escapeMrkdwn, section } from './blocks.js';

/** A checked credential set as people see it: fingerprints and facts, never a secret. */
export function credentialSummaryBlocks(set: ValidatedCredentialSet, now: Date): KnownBlock[] {
  const account = set.account
    ? `${escapeMrkdwn(set.account.email ?? 'unknown email')}${set.account.teamName ? ` (team ${escapeMrkdwn(set.account.teamName)})` : ''}`
    : '_not shown (no account:read scope)_';
  const lines = [
    `*Environment:* \`${set.environment}\``,
    `*DigitalOcean account:* ${account}`,
    `*API token:* \`${showFingerprint(fingerprint(set.token))}\`, ${expiryText(set.expiresAt, now)}${set.expirySource === 'digitalocean' ? ' (from DigitalOcean)' : ''}`,
    `*Spaces key:* \`${escapeMrkdwn(set.spaces.accessKey)}\` in \`${set.spaces.region}\`${set.spaces.bucket ? `, bucket \`${set.spaces.bucket}\`` : ''}`,
  ];
  const blocks: KnownBlock[] = [section(lines.join('\n')), section(scopeReportText(set.scopes))];
  if (set.notes.length > 0) blocks.push(context(set.notes.map((n) => `:information_source: ${escapeMrkdwn(n)}`).join('\n')));
  return blocks;
}

export function expiryText(expiresAt: Date | undefined, now: Date): string {
  if (expiresAt === undefined) return 'never expires';
  const days = daysLeft(expiresAt, now);
  if (days < 0) return `expired on ${isoDay(expiresAt)}`;
  if (days === 0) return `expires today (${isoDay(expiresAt)})`;
  return `expires on ${isoDay(expiresAt)} (in ${days} day${days === 1 ? '' : 's'})`;
}

export function scopeReportText(report: ScopeReport): string {
  const source = report.source === 'digitalocean' ? 'as DigitalOcean reports them' : 'checked with read-only calls';
  const lines = [`*Scopes Terraform needs* (${source}): ${report.granted.length} of ${report.required.length} present.`];
  if (report.missing.length > 0) lines.push(`:x: Missing: ${report.missing.map((s) => `\`${s}\``).join(', ')}`);
  if (report.unverified.length > 0) {
    lines.push(
      `:grey_question: Not verifiable without DigitalOcean's token info (write scopes cannot be tested without changing the account): ${report.unverified.map((s) => `\`${s}\``).join(', ')}`,
    );
  }
  return lines.join('\n');
}
