import { checkLocally, type CredentialInput, type Field, type FieldErrors, type RawSubmission } from './credential-input.js';
import { READ_SCOPE_PROBES, type Account, type DigitalOceanClient, type Fault, type RateLimit, type TokenInfo } from './digitalocean/client.js';
import { accessFromTokenInfo, probesFor, reportFromProbes, reportFromTokenInfo, type ProbeOutcome, type ScopeReport, type TokenInfoState } from './digitalocean/scopes.js';
import { daysLeft, differentDay, isoDay } from './expiry.js';
import { policyFor, type EnvironmentPolicy, type ScopePolicy } from './scope-policy.js';
import type { SpacesCheck, SpacesChecker } from './spaces.js';
import { missingScopesMessage, spacesErrors, tokenAccessNotes, tokenFaultMessage, unconfirmedBecause, unverifiableMessage } from './validation-messages.js';

/**
 * Validates a submission: local checks first, then the live ones at once, each with its own
 * timeout. DigitalOcean gets two requests (account and token info); read probes start only when
 * token info fails or is late, and never spend the token's last requests. The result is per field,
 * for the modal.
 */

export interface ValidationDeps {
  digitalocean: DigitalOceanClient;
  spaces: SpacesChecker;
  policy: ScopePolicy;
  /** How long token info may take before read probes start as well. */
  tokenInfoHedgeMs: number;
  now: () => Date;
}

export interface Note {
  level: 'info' | 'warning';
  text: string;
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
  notes: Note[];
}

/** Causes of upstream faults, for one structured log field (e.g. {digitalocean: "dns"}). */
export type UpstreamCauses = Partial<Record<'digitalocean' | 'token_info' | 'spaces', string>>;

export type Validation =
  | { ok: true; set: ValidatedCredentialSet; causes: UpstreamCauses }
  | { ok: false; errors: FieldErrors; causes: UpstreamCauses };

type InfoResult = Awaited<ReturnType<DigitalOceanClient['getTokenInfo']>>;

/** What became of token info, when it gave no usable scope list. */
function tokenInfoState(info: InfoResult): Exclude<TokenInfoState, 'answered'> {
  if (info.kind === 'disabled') return 'disabled';
  return info.kind === 'ok' ? 'unrecognised' : 'failed';
}

/** At most this many read probes per submission: DigitalOcean allows 250 requests a minute per token. */
const MAX_PROBES = 10;

/** Never spend the last tenth of a token's window on checks: the person's Terraform shares it. */
const RESERVED_SHARE = 0.1;

export async function validateSubmission(raw: RawSubmission, deps: ValidationDeps): Promise<Validation> {
  const now = deps.now();
  const local = checkLocally(raw, now);
  if (!local.ok) return { ...local, causes: {} };
  const input = local.input;
  const rules = policyFor(deps.policy, input.environment);

  const account = deps.digitalocean.getAccount(input.token);
  const info = deps.digitalocean.getTokenInfo(input.token, now);
  const [accountResult, infoResult, scoped, spaces] = await Promise.all([
    account,
    info,
    checkScopes(input.token, rules.require, account, info, deps),
    deps.spaces.check(input),
  ]);
  return judge({ input, rules, now, account: accountResult, info: infoResult, scoped, spaces });
}

interface Checked {
  input: CredentialInput;
  rules: EnvironmentPolicy;
  now: Date;
  account: Awaited<ReturnType<DigitalOceanClient['getAccount']>>;
  info: InfoResult;
  scoped: ScopeCheck;
  spaces: SpacesCheck;
}

function judge({ input, rules, now, account, info, scoped, spaces }: Checked): Validation {
  const errors: FieldErrors = {};
  const notes: Note[] = [];
  const causes = upstreamCauses(account, info, scoped.report.tokenInfo, spaces);
  const set = (field: Field, message: string | undefined) => {
    if (message !== undefined && errors[field] === undefined) errors[field] = message;
  };
  const tokenFault = account.kind === 'ok' || account.kind === 'forbidden' ? undefined : account;
  if (tokenFault) set('token', tokenFaultMessage(tokenFault));

  const report = scoped.report;
  if (report.missing.length > 0) set('token', missingScopesMessage(input.environment, report.missing));
  if (report.unverified.length > 0 && rules.unverifiable === 'refuse') set('token', unverifiableMessage(input.environment, report));
  notes.push(...tokenAccessNotes(report, rules));
  if (scoped.skippedForBudget) {
    notes.push({ level: 'warning', text: 'This token has used most of its DigitalOcean requests for now, so do-creds did not spend more of them checking its scopes.' });
  }
  if (account.kind === 'forbidden') {
    notes.push({ level: 'info', text: 'The token has no account:read scope, so the account it belongs to could not be shown.' });
  }
  if (account.kind === 'ok' && account.account.status !== 'active') {
    notes.push({ level: 'warning', text: `DigitalOcean reports this account's status as "${account.account.status}": Terraform may fail until it is active again.` });
  }
  for (const [field, message] of Object.entries(spacesErrors(spaces, input)) as [Field, string][]) set(field, message);
  if (spaces.kind === 'ok' && input.bucket?.includes('.')) {
    notes.push({
      level: 'warning',
      text: 'The bucket name has dots: Spaces\' TLS certificate does not cover dotted names in virtual-host addresses, so use path-style addressing (use_path_style = true, as do-creds\' Terraform does).',
    });
  }

  const expiry = chooseExpiry(input, info.kind === 'ok' && report.tokenInfo === 'answered' ? info.info : undefined, notes);
  const lifetime = lifetimeProblem(rules, expiry, input, now, report);
  if (lifetime && !tokenFault) set(lifetime.field, lifetime.message);

  if (Object.keys(errors).length > 0) return { ok: false, errors, causes };
  return {
    ok: true,
    causes,
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
      scopes: report,
      notes,
    },
  };
}

interface ScopeCheck {
  report: ScopeReport;
  skippedForBudget: boolean;
}

/**
 * Token info's answer when it comes within the hedge; otherwise read probes start too. Token info
 * is awaited either way (its expiry is needed), so it still wins when it answers late: the probes
 * are then cut short, and only used when it fails or names nothing the catalogue knows.
 */
async function checkScopes(
  token: string,
  required: readonly string[],
  account: Promise<Awaited<ReturnType<DigitalOceanClient['getAccount']>>>,
  info: Promise<InfoResult>,
  deps: ValidationDeps,
): Promise<ScopeCheck> {
  const access = info.then((r) => (r.kind === 'ok' ? accessFromTokenInfo(r.info.scopes) : undefined));
  const early = await Promise.race([access, delay(deps.tokenInfoHedgeMs).then(() => 'late' as const)]);
  if (early !== 'late' && early !== undefined) return { report: reportFromTokenInfo(required, early), skippedForBudget: false };

  const stop = new AbortController();
  const probing = probe(token, required, account, info, deps, stop.signal);
  const late = await access;
  if (late === undefined) return probing;
  stop.abort();
  return { report: reportFromTokenInfo(required, late), skippedForBudget: false };
}

async function probe(
  token: string,
  required: readonly string[],
  accountCall: Promise<Awaited<ReturnType<DigitalOceanClient['getAccount']>>>,
  info: Promise<InfoResult>,
  deps: ValidationDeps,
  signal: AbortSignal,
): Promise<ScopeCheck> {
  const account = await accountCall;
  const outcomes = new Map<string, ProbeOutcome>();
  if (required.includes('account:read')) {
    outcomes.set('account:read', account.kind === 'ok' ? 'granted' : account.kind === 'forbidden' ? 'missing' : 'unknown');
  }
  const wanted = probesFor(required).filter((s) => s !== 'account:read' && s in READ_SCOPE_PROBES).slice(0, MAX_PROBES);
  // A token DigitalOcean rejects or is throttling gets no further requests.
  const usable = account.kind === 'ok' || account.kind === 'forbidden';
  const skippedForBudget = usable && wanted.length > 0 && !withinBudget(account.rateLimit, wanted.length);
  if (usable && !skippedForBudget) {
    const results = await Promise.all(wanted.map(async (s) => [s, await deps.digitalocean.probeReadScope(token, s, signal)] as const));
    for (const [s, outcome] of results) outcomes.set(s, outcome);
  }
  return { report: reportFromProbes(required, outcomes, tokenInfoState(await info)), skippedForBudget };
}

function withinBudget(rateLimit: RateLimit | undefined, requests: number): boolean {
  if (rateLimit === undefined) return true;
  return rateLimit.remaining - requests >= Math.ceil(rateLimit.limit * RESERVED_SHARE);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

function upstreamCauses(account: Fault | { kind: 'ok' }, info: InfoResult, tokenInfo: TokenInfoState, spaces: SpacesCheck): UpstreamCauses {
  const causes: UpstreamCauses = {};
  const cause = (r: { kind: string; reason?: string }) => (r.kind === 'unavailable' ? r.reason : r.kind);
  if (account.kind !== 'ok' && account.kind !== 'forbidden') causes.digitalocean = cause(account);
  if (info.kind === 'disabled') causes.token_info = 'disabled';
  else if (info.kind !== 'ok') causes.token_info = cause(info);
  else if (tokenInfo === 'unrecognised') causes.token_info = 'unrecognised';
  if (spaces.kind !== 'ok') causes.spaces = cause(spaces);
  return causes;
}

type ChosenExpiry = { expiresAt: Date | undefined; createdAt: Date | undefined; source: 'digitalocean' | 'submitted' };

/** DigitalOcean's own expiry wins when it is known; the person is told when theirs differed. */
function chooseExpiry(input: CredentialInput, info: TokenInfo | undefined, notes: Note[]): ChosenExpiry {
  if (info === undefined) return { expiresAt: input.expiresAt, createdAt: undefined, source: 'submitted' };
  if (differentDay(info.expiresAt, input.expiresAt)) {
    const theirs = info.expiresAt ? `expires on ${isoDay(info.expiresAt)}` : 'never expires';
    const yours = input.expiresAt ? isoDay(input.expiresAt) : 'no expiry';
    notes.push({ level: 'info', text: `DigitalOcean says this token ${theirs}, not ${yours} as chosen in the form; do-creds uses DigitalOcean's date.` });
  }
  return { expiresAt: info.expiresAt, createdAt: info.createdAt, source: 'digitalocean' };
}

/**
 * The environment's lifetime rules. The lifetime runs from the token's creation (token info's
 * created_at) to its expiry; a self-reported expiry counts only where unconfirmed ones are accepted.
 */
function lifetimeProblem(
  rules: EnvironmentPolicy,
  expiry: ChosenExpiry,
  input: CredentialInput,
  now: Date,
  report: ScopeReport,
): { field: Field; message: string } | undefined {
  if (!rules.requireExpiry) return undefined;
  const env = input.environment;
  const field: Field = expiry.source === 'digitalocean' ? 'token' : 'expiry';
  const limit = rules.maxLifetimeDays === undefined ? 'that expire' : `that live at most ${rules.maxLifetimeDays} days`;
  if (expiry.source === 'submitted' && rules.unverifiable === 'refuse') {
    return { field: 'token', message: `${env} only accepts tokens ${limit}, and ${unconfirmedBecause(report.tokenInfo, "this one's expiry")}` };
  }
  if (expiry.expiresAt === undefined) {
    const why = expiry.source === 'digitalocean' ? 'DigitalOcean says this token never expires' : 'The form says this token never expires';
    return { field, message: `${env} only accepts tokens ${limit}. ${why}: generate one with an expiration.` };
  }
  // From creation: the exact lifetime (a calendar-day count would add a day when made late in a UTC day).
  const days = expiry.createdAt ? Math.round((expiry.expiresAt.getTime() - expiry.createdAt.getTime()) / 86_400_000) : daysLeft(expiry.expiresAt, now);
  if (rules.maxLifetimeDays !== undefined && days > rules.maxLifetimeDays) {
    const since = expiry.createdAt ? `was made to live ${days} days (until ${isoDay(expiry.expiresAt)})` : `expires on ${isoDay(expiry.expiresAt)}, in ${days} days`;
    return { field, message: `${env} only accepts tokens ${limit}; this one ${since}. Generate one with a shorter expiration.` };
  }
  return undefined;
}
