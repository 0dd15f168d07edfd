import type { CredentialInput, FieldErrors } from './credential-input.js';
import { isReadScope } from './digitalocean/catalogue.js';
import type { Fault, UnavailableReason } from './digitalocean/client.js';
import type { ScopeReport, TokenInfoState } from './digitalocean/scopes.js';
import type { EnvironmentPolicy } from './scope-policy.js';
import type { SpacesCheck } from './spaces.js';
import type { Note } from './validation.js';

/**
 * What a person reads when a check fails or needs a word: each fault names its cause, so an outage
 * is never mistaken for a typo. No message repeats a submitted value.
 */

const MAX_SCOPES_NAMED = 6;
const NOT_SAVED = 'Nothing was saved';

/** Why a service gave no usable answer, as a clause: "did not answer in time". */
function unavailableCause(service: string, reason: UnavailableReason | 'clock_skew'): string {
  switch (reason) {
    case 'timeout':
      return `${service} did not answer in time`;
    case 'dns':
      return `${service}'s address could not be looked up (DNS), a network problem on do-creds' side, not your credentials`;
    case 'network':
      return `do-creds could not connect to ${service} (network unreachable or connection refused)`;
    case 'tls':
      return `the secure connection to ${service} failed (TLS certificate or handshake), a network problem on do-creds' side`;
    case 'server_error':
      return `${service} answered with a server error (5xx), an outage on its side`;
    case 'bad_response':
      return `${service} answered with something that is not its usual JSON (a proxy or an outage page?)`;
    case 'clock_skew':
      return `${service} refused the request because do-creds' clock is more than 15 minutes off (RequestTimeTooSkewed)`;
  }
}

const retryHint = (reason: UnavailableReason) =>
  reason === 'dns' || reason === 'network' || reason === 'tls' ? 'please try again, and tell whoever runs do-creds if it keeps failing' : 'please try again';

export function tokenFaultMessage(fault: Exclude<Fault, { kind: 'forbidden' }>): string {
  switch (fault.kind) {
    case 'unauthorized':
      return `DigitalOcean rejected this token: it has expired, been revoked or been mistyped. ${NOT_SAVED}.`;
    case 'rate_limited':
      return `DigitalOcean is rate limiting this token right now (429). ${NOT_SAVED}; try again in ${fault.retryAfterSeconds} seconds.`;
    case 'unavailable':
      return `${capitalise(unavailableCause("DigitalOcean's API", fault.reason))}. ${NOT_SAVED}; ${retryHint(fault.reason)}.`;
  }
}

export function missingScopesMessage(environment: string, missing: string[]): string {
  const named = missing.slice(0, MAX_SCOPES_NAMED).join(', ');
  const more = missing.length > MAX_SCOPES_NAMED ? ` and ${missing.length - MAX_SCOPES_NAMED} more` : '';
  return (
    `${environment} requires scopes this token lacks: ${named}${more}. Scopes cannot be added to a token: ` +
    `generate a new one with them (/do-creds scopes ${environment} lists what to tick).`
  );
}

/** Why something could not be confirmed, and what to do, for a refusal: "… so do-creds cannot confirm X. Nothing was saved; …". */
export function unconfirmedBecause(state: TokenInfoState, what: string): string {
  switch (state) {
    case 'disabled':
      return `this installation has DigitalOcean's token info turned off (DO_TOKEN_INFO_URL=off), so do-creds cannot confirm ${what}. ${NOT_SAVED}; tell whoever runs do-creds.`;
    case 'unrecognised':
      return `DigitalOcean described this token's scopes with names do-creds does not know, so it cannot confirm ${what}. ${NOT_SAVED}; tell whoever runs do-creds (its scope catalogue needs regenerating).`;
    case 'failed':
    case 'answered':
      return `DigitalOcean's token info did not answer, so do-creds cannot confirm ${what}. ${NOT_SAVED}; please try again in a minute.`;
  }
}

export function unverifiableMessage(environment: string, report: ScopeReport): string {
  const named = report.unverified.slice(0, MAX_SCOPES_NAMED).join(', ');
  const more = report.unverified.length > MAX_SCOPES_NAMED ? ` and ${report.unverified.length - MAX_SCOPES_NAMED} more` : '';
  return capitalise(unconfirmedBecause(report.tokenInfo, `scopes ${environment} requires: ${named}${more}`));
}

/** What kind of token this is, when that matters to the person; never called exact. */
export function tokenAccessNotes(report: ScopeReport, rules: EnvironmentPolicy): Note[] {
  const notes: Note[] = [];
  const access = report.access;
  if (access.kind === 'read_only') {
    notes.push({ level: 'warning', text: 'This is a Read Only token: Terraform can read and plan with it, but every create, change or destroy will fail with 403 Forbidden.' });
  } else if (access.kind === 'custom' && !access.readAll && access.scopes.every(isReadScope)) {
    notes.push({ level: 'warning', text: 'This token has only read scopes: Terraform can plan with it, but not apply.' });
  } else if (access.kind === 'unknown') {
    notes.push({ level: 'warning', text: unknownAccessText(report) });
  }
  if ((access.kind === 'full_access' || access.kind === 'read_only') && access.legacy) {
    notes.push({ level: 'info', text: 'This token predates custom scopes (legacy read/write scopes).' });
  }
  if (access.kind === 'full_access' || access.kind === 'read_only') {
    notes.push({
      level: 'info',
      text: 'Full Access and Read Only tokens follow their creator\'s team role: if that role is narrowed, the token loses those permissions although DigitalOcean still lists the same scopes.',
    });
  }
  if (report.unverified.length > 0 && rules.unverifiable === 'accept') {
    const n = report.unverified.length;
    notes.push({ level: 'warning', text: `Saved although do-creds could not confirm ${n} required scope${n === 1 ? '' : 's'} (listed above).` });
  }
  return notes;
}

function unknownAccessText(report: ScopeReport): string {
  const why = {
    unrecognised: 'DigitalOcean described this token\'s scopes with names do-creds does not know (its scope catalogue may need regenerating)',
    disabled: 'DigitalOcean\'s token info is turned off in this installation',
    failed: 'DigitalOcean\'s token info did not answer',
    answered: 'DigitalOcean\'s token info did not say',
  }[report.tokenInfo];
  const probed = report.source === 'probes' ? ', so the required scopes were checked with read-only calls instead' : '';
  return `${why}${probed}. do-creds cannot tell whether it is Read Only, Full Access or custom: if it is Read Only, Terraform plans work but applies fail.`;
}

export function spacesErrors(check: SpacesCheck, input: CredentialInput): FieldErrors {
  switch (check.kind) {
    case 'ok':
      return {};
    case 'invalid_access_key':
      return { accessKey: 'Spaces does not know this access key: check it, or it may have been deleted.' };
    case 'signature_mismatch':
      return { secretKey: 'This secret does not belong to this access key. Copy it again; if it is lost, create a new key.' };
    case 'no_such_bucket':
      return { bucket: `There is no bucket with this name in ${input.region}: check the name and the region.` };
    case 'access_denied':
      return check.to === 'bucket'
        ? { bucket: 'This key has no access to this bucket (keys can be limited to chosen buckets).' }
        : { bucket: 'This key is limited to particular buckets: enter one of them here so it can be checked.' };
    case 'rate_limited':
      return { accessKey: `Spaces is rate limiting requests right now (503 SlowDown or 429). ${NOT_SAVED}; try again in a minute.` };
    case 'clock_skew':
      return { accessKey: `${capitalise(unavailableCause(`Spaces (${input.region})`, 'clock_skew'))}. ${NOT_SAVED}; tell whoever runs do-creds.` };
    case 'unavailable':
      return { accessKey: `${capitalise(unavailableCause(`Spaces (${input.region})`, check.reason))}. ${NOT_SAVED}; ${retryHint(check.reason)}.` };
  }
}

/** A sentence's first letter in capitals, except do-creds' own name, which is always lowercase. */
function capitalise(text: string): string {
  return text.startsWith('do-creds') ? text : text.charAt(0).toUpperCase() + text.slice(1);
}
