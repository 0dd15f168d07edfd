import { checkLocally, type FieldErrors, type CredentialInput, type RawSubmission } from './credential-input.js';
import { READ_SCOPE_PROBES, type Account, type DigitalOceanClient, type Fault, type TokenInfo } from './digitalocean.js';
import { differentDay, isoDay } from './expiry.js';
import { isReadScope, reportFromProbes, reportFromTokenInfo, type ProbeOutcome, type ScopeReport } from './scopes.js';
import type { SpacesCheck, SpacesChecker } from './spaces.js';

/**
 * Validates a submission: local checks first, then every live check at once (each with its own
 * timeout, so the whole stays within the slowest one). The result is per field, for the modal.
 */

export interface ValidationDeps {
  digitalocean: DigitalOceanClient;
  spaces: SpacesChecker;
  requiredScopes: readonly string[];
  now: () => Date;
}

export interface ValidatedCredentialSet {
  environment: string;
  token: string;
  expiresAt: Date | undefined;
  /** Where the expiry came from: DigitalOcean's token info, or the person's choice. */
  expirySource: 'digitalocean' | 'submitted';
  account: Account | undefined;
  spaces: { accessKey: string; secretKey: string; region: string; endpoint: string; bucket: string | undefined };
  scopes: ScopeReport;
  /** Things the person should know that do not stop the save. */
  notes: string[];
}

export type Validation = { ok: true; set: ValidatedCredentialSet } | { ok: false; errors: FieldErrors };

const MAX_SCOPES_NAMED = 6;

export async function validateSubmission(raw: RawSubmission, deps: ValidationDeps): Promise<Validation> {
  const now = deps.now();
  const local = checkLocally(raw, now);
  if (!local.ok) return local;
  const input = local.input;

  const probeScopes = deps.requiredScopes.filter((s) => isReadScope(s) && s !== 'account:read' && s in READ_SCOPE_PROBES);
  const [account, info, probes, spaces] = await Promise.all([
    deps.digitalocean.getAccount(input.token),
    deps.digitalocean.getTokenInfo(input.token, now),
    Promise.all(probeScopes.map(async (s) => [s, await deps.digitalocean.probeReadScope(input.token, s)] as const)),
    deps.spaces.check(input),
  ]);

  const errors: FieldErrors = {};
  const notes: string[] = [];
  const tokenFault = account.kind === 'ok' || account.kind === 'forbidden' ? undefined : account;
  if (tokenFault) errors.token = tokenFaultMessage(tokenFault);

  const probeMap = new Map<string, ProbeOutcome>(probes);
  probeMap.set('account:read', account.kind === 'ok' ? 'granted' : account.kind === 'forbidden' ? 'missing' : 'unknown');
  const scopes =
    info.kind === 'ok' ? reportFromTokenInfo(deps.requiredScopes, info.info.scopes) : reportFromProbes(deps.requiredScopes, probeMap);
  if (!tokenFault && scopes.missing.length > 0) errors.token = missingScopesMessage(scopes.missing);
  if (account.kind === 'forbidden') {
    notes.push('The token has no account:read scope, so the account it belongs to could not be shown.');
  }
  if (account.kind === 'ok' && account.account.status !== 'active') {
    notes.push(`DigitalOcean reports this account's status as "${account.account.status}": Terraform may fail until it is active again.`);
  }

  const spacesError = spacesErrors(spaces, input);
  Object.assign(errors, spacesError);

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const expiry = chooseExpiry(input, info.kind === 'ok' ? info.info : undefined, notes);
  return {
    ok: true,
    set: {
      environment: input.environment,
      token: input.token,
      expiresAt: expiry.expiresAt,
      expirySource: expiry.source,
      account: account.kind === 'ok' ? account.account : undefined,
      spaces: {
        accessKey: input.accessKey,
        secretKey: input.secretKey,
        region: input.region,
        endpoint: spaces.kind === 'ok' ? spaces.endpoint : '',
        bucket: input.bucket,
      },
      scopes,
      notes,
    },
  };
}

function tokenFaultMessage(fault: Exclude<Fault, { kind: 'forbidden' }>): string {
  switch (fault.kind) {
    case 'unauthorized':
      return 'DigitalOcean rejected this token: it has expired, been revoked or been mistyped. Nothing was saved.';
    case 'rate_limited':
      return `DigitalOcean is rate limiting this token right now. Nothing was saved; try again in ${fault.retryAfterSeconds} seconds.`;
    case 'unavailable':
      return 'DigitalOcean did not answer in time. Nothing was saved; please try again.';
  }
}

function missingScopesMessage(missing: string[]): string {
  const named = missing.slice(0, MAX_SCOPES_NAMED).join(', ');
  const more = missing.length > MAX_SCOPES_NAMED ? ` and ${missing.length - MAX_SCOPES_NAMED} more` : '';
  return `This token lacks scopes Terraform needs here: ${named}${more}. Scopes cannot be added to a token: generate a new one with them.`;
}

function spacesErrors(check: SpacesCheck, input: CredentialInput): FieldErrors {
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
      return { accessKey: 'Spaces is rate limiting requests right now. Nothing was saved; try again in a minute.' };
    case 'unavailable':
      return { accessKey: `Spaces (${input.region}) did not answer in time. Nothing was saved; please try again.` };
  }
}

/** DigitalOcean's own expiry wins when it is known; the person is told when theirs differed. */
function chooseExpiry(
  input: CredentialInput,
  info: TokenInfo | undefined,
  notes: string[],
): { expiresAt: Date | undefined; source: 'digitalocean' | 'submitted' } {
  if (info === undefined) return { expiresAt: input.expiresAt, source: 'submitted' };
  if (differentDay(info.expiresAt, input.expiresAt)) {
    const theirs = info.expiresAt ? `expires on ${isoDay(info.expiresAt)}` : 'never expires';
    const yours = input.expiresAt ? isoDay(input.expiresAt) : 'no expiry';
    notes.push(`DigitalOcean says this token ${theirs}, not ${yours} as chosen in the form; do-creds uses DigitalOcean's date.`);
  }
  return { expiresAt: info.expiresAt, source: 'digitalocean' };
}
