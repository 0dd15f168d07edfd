import type { KnownBlock } from '@slack/types';
import { daysLeft, isoDay } from '../expiry.js';
import { fingerprint, showFingerprint } from '../fingerprint.js';
import { groupByResource } from '../digitalocean/catalogue.js';
import type { ScopeReport, TokenAccess } from '../digitalocean/scopes.js';
import type { ValidatedCredentialSet } from '../validation.js';
import { context, escapeMrkdwn, namedList, section } from './blocks.js';

/** Scopes named in a list before "and N more". */
const MAX_SCOPES_SHOWN = 12;
const code = (s: string) => `\`${s}\``;

/** A checked credential set as people see it: fingerprints and facts, never a secret. */
export function credentialSummaryBlocks(set: ValidatedCredentialSet, now: Date): KnownBlock[] {
  const account = set.account
    ? `${escapeMrkdwn(set.account.email ?? 'unknown email')}${set.account.teamName ? ` (team ${escapeMrkdwn(set.account.teamName)})` : ''}`
    : '_not shown (no account:read scope)_';
  const lines = [
    `*Environment:* \`${set.environment}\``,
    `*DigitalOcean account:* ${account}`,
    `*API token:* \`${showFingerprint(fingerprint(set.token))}\`, ${expiryText(set.expiresAt, now)}${set.expirySource === 'digitalocean' ? ' (from DigitalOcean)' : ''}`,
    `*Token kind:* ${tokenAccessText(set.scopes.access)}`,
    `*Spaces key:* \`${escapeMrkdwn(set.spaces.accessKey)}\` in \`${set.spaces.region}\`${set.spaces.bucket ? `, bucket \`${set.spaces.bucket}\`` : ''}`,
  ];
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  const report = scopeReportText(set.environment, set.scopes);
  if (report) blocks.push(section(report));
  if (set.notes.length > 0) {
    blocks.push(context(set.notes.map((n) => `${n.level === 'warning' ? ':warning:' : ':information_source:'} ${escapeMrkdwn(n.text)}`).join('\n')));
  }
  return blocks;
}

export function expiryText(expiresAt: Date | undefined, now: Date): string {
  if (expiresAt === undefined) return 'never expires';
  const days = daysLeft(expiresAt, now);
  if (days < 0) return `expired on ${isoDay(expiresAt)}`;
  if (days === 0) return `expires today (${isoDay(expiresAt)})`;
  return `expires on ${isoDay(expiresAt)} (in ${days} day${days === 1 ? '' : 's'})`;
}

/** "Full Access", "Read Only", or the custom scopes grouped by resource: "droplet: read, create · vpc: read". */
export function tokenAccessText(access: TokenAccess | undefined, maxChars = 1500): string {
  switch (access?.kind) {
    case 'full_access':
      return `Full Access${access.legacy ? ' (legacy write scope)' : ''}`;
    case 'read_only':
      return `Read Only${access.legacy ? ' (legacy read scope)' : ''}`;
    case 'custom':
      return customScopesText(access, maxChars);
    case 'unknown':
      return 'not known (DigitalOcean\'s token info did not say)';
    case undefined:
      return 'not recorded';
  }
}

function customScopesText(access: Extract<TokenAccess, { kind: 'custom' }>, maxChars: number): string {
  const total = access.scopes.length + (access.omitted ?? 0);
  const groups = groupByResource(access.scopes).map(([resource, actions]) => `${resource}: ${actions.join(', ')}`);
  let shown = '';
  let hidden = access.omitted ?? 0;
  for (const [i, group] of groups.entries()) {
    if (shown.length + group.length + 3 > maxChars) {
      hidden += groupByResource(access.scopes).slice(i).reduce((n, [, a]) => n + a.length, 0);
      break;
    }
    shown += (shown ? ' · ' : '') + group;
  }
  const more = hidden > 0 ? ` · and ${hidden} more` : '';
  return `Custom scopes (${total})${access.readAll ? ', plus every read scope' : ''}: ${shown}${more}`;
}

/** The required scopes' report; undefined when the environment requires none. */
export function scopeReportText(environment: string, report: ScopeReport): string | undefined {
  if (report.required.length === 0) return undefined;
  const source =
    report.source === 'token_info' ? 'from the scopes DigitalOcean lists for the token' : report.source === 'probes' ? 'checked with read-only calls' : 'not checked';
  const lines = [`*Scopes ${environment} requires* (${source}): ${report.granted.length} of ${report.required.length} held.`];
  if (report.missing.length > 0) lines.push(`:x: Missing: ${namedList(report.missing, MAX_SCOPES_SHOWN, code)}`);
  if (report.unverified.length > 0) {
    lines.push(
      `:grey_question: Not confirmed (without DigitalOcean's token info, write scopes cannot be tested without changing the account, and read probes are limited): ${namedList(report.unverified, MAX_SCOPES_SHOWN, code)}`,
    );
  }
  return lines.join('\n');
}
