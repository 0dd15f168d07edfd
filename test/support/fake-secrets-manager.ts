import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/local/http.js';

/**
 * A local AWS Secrets Manager on 127.0.0.1 speaking its JSON protocol (`X-Amz-Target:
 * secretsmanager.<Operation>`, `application/x-amz-json-1.1`). Every behaviour copies a documented
 * behaviour of the real service; the source is named beside it. Where the documentation leaves a
 * doubt, the stricter answer is modelled, and says so.
 *
 * Sources, as cited below:
 * - [aws.md]      /work/shared/facts/aws.md (AWS behaviour measured and reported; moto's deviations)
 * - [API <Op>]    https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_<Op>.html
 * - [API Filter]  https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html
 * - [API Tag]     https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Tag.html
 * - [Errors]      https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 * - [Quotas]      https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
 * - [Tag quotas]  "Service quotas for Tagging" (AWS General Reference / Tag Editor), which the
 *                 current TagResource page points to for tag limits and characters.
 *
 * Model-constraint violations (lengths, ranges, enums, patterns from the API reference) answer
 * `ValidationException` with AWS's "1 validation error detected: Value '…' at '…' failed to satisfy
 * constraint: …" text: [Errors] lists the validation error, and Secrets Manager answers in exactly
 * that form, e.g. for 11 filter values ("… at 'filters.1.member.values' failed to satisfy constraint:
 * Member must have length less than or equal to 10", jenkinsci/aws-secrets-manager-credentials-
 * provider-plugin#235, against real AWS).
 *
 * Test switches (all off by default so ordinary tests are unchanged and fast):
 * - `fail(operation, fault, times)`: injected errors and delays. With `delayMs` and no `type`, the
 *   operation is still applied after the delay even if the client gave up: a write that lands late.
 * - `setListStaleness(ms)`: ListSecrets answers from a snapshot of that age ([API ListSecrets]: it
 *   "might not reflect changes from the last five minutes").
 * - `enforceQuotas(true)`: per-operation requests-per-second quotas answered with ThrottlingException.
 * - `setLatency(ms)`: every answer leaves `ms` after its request arrived (for the benchmark).
 *
 * Scale: built to hold 100,000 secrets and page through them at the quota rates. Lookups by name or
 * ARN are map reads; ListSecrets (and BatchGetSecretValue with Filters) keep one name-sorted view of
 * the secrets (re-sorted only when the set of names changes; snapshots sort theirs once) and walk it
 * from the NextToken, applying filters as they go, so a page costs O(log n + what it skips) and a
 * full listing O(n). Filters are applied at request time, so a tag pushed onto `secret(name).tags`
 * by a test is seen by the next call, as before.
 */

interface Version {
  id: string;
  value: string;
  stages: string[];
  created: number;
}

interface Secret {
  arn: string;
  name: string;
  description: string | undefined;
  kmsKeyId: string | undefined;
  tags: { Key: string; Value: string }[];
  versions: Version[];
  created: number;
  lastChanged: number;
  /** When the secret will be deleted for good (DeleteSecret's DeletionDate); undefined if not scheduled. */
  deletionDate: number | undefined;
  /** When DeleteSecret was called. */
  deletedAt: number | undefined;
}

export interface InjectedFault {
  status?: number;
  type?: string;
  message?: string;
  delayMs?: number;
  /**
   * The operation is applied at once and only its answer is late: what a client sees when AWS did
   * the write but the response was slow or lost on the way (any network between client and AWS).
   */
  answerDelayMs?: number;
}

export interface FakeSecretsManager {
  url: string;
  calls: { operation: string; input: Record<string, unknown> }[];
  /** Requests answered ThrottlingException because a quota was exceeded (enforceQuotas). */
  readonly throttled: number;
  /**
   * The next `times` calls of this operation fail (or are delayed) this way. With `delayMs` and no
   * `type`, the operation is applied after the delay even if the client has aborted (a late write).
   */
  fail(operation: string, fault: InjectedFault, times?: number): void;
  /** ListSecrets answers from the state of `ms` ago (0: current state, the default). */
  setListStaleness(ms: number): void;
  /** Answer ThrottlingException above the documented per-second quotas (off by default). */
  enforceQuotas(on: boolean): void;
  /**
   * Every answer (success or error, injected ones included) leaves no sooner than `ms` after its
   * request arrived; 0, the default, adds nothing. Quotas count a request when it arrives, as AWS
   * does. This models network plus service time for the benchmark; it is not a documented behaviour
   * of Secrets Manager. An injected delay longer than `ms` is not shortened, nor added to.
   */
  setLatency(ms: number): void;
  secret(name: string): Secret | undefined;
  currentValue(name: string): Record<string, unknown> | undefined;
  versions(name: string): Version[];
  /**
   * Seeds a secret directly (for large listings). With setListStaleness on, each seed snapshots every
   * secret (O(n)); use seedMany for many secrets then.
   */
  seed(name: string, value: string, tags: { Key: string; Value: string }[]): void;
  /** Seeds many secrets at once, as `seed` does each, with one ListSecrets snapshot at the end. */
  seedMany(entries: Iterable<{ name: string; value: string; tags: { Key: string; Value: string }[] }>): void;
  /** Back to an empty account: secrets, calls, faults, staleness, quotas and latency; late writes still in flight are dropped. */
  clear(): void;
  close(): Promise<void>;
}

/**
 * Requests per second, per account and Region ([Quotas]; [aws.md]). Groups share one budget.
 * TagResource + UntagResource: 50 combined, not adjustable.
 */
export const SECRETS_MANAGER_QUOTAS: readonly { operations: readonly string[]; perSecond: number }[] = [
  // [aws.md]: "GetSecretValue + DescribeSecret 10,000 combined". (AWS announced 40,000/s for
  // DescribeSecret alone in 2025; the combined 10,000 is the stricter reading.)
  { operations: ['GetSecretValue', 'DescribeSecret'], perSecond: 10_000 },
  { operations: ['ListSecrets'], perSecond: 100 },
  { operations: ['BatchGetSecretValue'], perSecond: 100 },
  { operations: ['TagResource', 'UntagResource'], perSecond: 50 },
  { operations: ['CreateSecret'], perSecond: 50 },
  // [Quotas]: "Combined rate of PutSecretValue, RemoveRegionsFromReplication, ReplicateSecretToRegion,
  // StopReplicationToReplica, UpdateSecret, and UpdateSecretVersionStage API requests: 50 per second".
  { operations: ['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage'], perSecond: 50 },
  { operations: ['DeleteSecret'], perSecond: 50 },
  { operations: ['RestoreSecret'], perSecond: 50 },
  // Not listed in aws.md: modelled at the control-plane rate of 50, the stricter guess.
  { operations: ['ListSecretVersionIds'], perSecond: 50 },
];

/** Operation name to its index in SECRETS_MANAGER_QUOTAS. */
const QUOTA_GROUP = new Map(SECRETS_MANAGER_QUOTAS.flatMap((q, i) => q.operations.map((op) => [op, i] as const)));

/** [Tag quotas] (TagResource points there): 50 user tags; key 1-128, value 0-256 characters. */
export const TAG_LIMITS = { perSecret: 50, keyLength: 128, valueLength: 256 } as const;
/** [Tag quotas]: letters, numbers and spaces representable in UTF-8, and `_ . : / = + - @`. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_PATTERN_TEXT = '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$';
/** [API Filter] Values: "Pattern: ^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$", at most 512 characters. */
const FILTER_VALUE = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;
/** [API Filter] Key: "Valid Values: description | name | tag-key | tag-value | primary-region | owning-service | all". */
const FILTER_KEYS = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'] as const;

const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

/** Operations that change state: ListSecrets' stale view is snapshotted after each of them. */
const MUTATING = new Set(['CreateSecret', 'PutSecretValue', 'TagResource', 'UntagResource', 'DeleteSecret', 'RestoreSecret', 'UpdateSecretVersionStage']);

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const now = () => Date.now() / 1000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * ListSecrets' order (not documented; tests must not rely on it): by name as `localeCompare` orders
 * them, ties between distinct names broken by code unit, so the order is total and can be searched.
 */
const collator = new Intl.Collator();
const byName = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
/** The index of the first secret in `sorted` whose name comes after `name`. */
function firstAfter(sorted: readonly Secret[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byName(sorted[mid]!.name, name) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(shown).join(', ')}]`;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** AWS's wording for a violated model constraint ([Errors]; see the header). */
function invalid(value: unknown, member: string, constraint: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value '${shown(value)}' at '${member}' failed to satisfy constraint: ${constraint}`);
}

/** A JSON string member; anything else is a request the SDK would never send ([Errors] SerializationException). */
function str(value: unknown, member: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new AwsError('SerializationException', `Expected a string for ${member}`);
}

function checkLength(value: string, member: string, min: number, max: number): void {
  if (value.length < min) throw invalid(value, member, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw invalid(value, member, `Member must have length less than or equal to ${max}`);
}

function checkRange(value: unknown, member: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new AwsError('SerializationException', `Expected an integer for ${member}`);
  if (n < min) throw invalid(n, member, `Member must have value greater than or equal to ${min}`);
  if (n > max) throw invalid(n, member, `Member must have value less than or equal to ${max}`);
  return n;
}

type Filter = { Key: string; Values: string[] };

/** [API Filter]: keys from the enum, 1-10 values each, values up to 512 characters of the pattern. */
function checkFilters(filters: unknown): Filter[] {
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters)) throw new AwsError('SerializationException', 'Filters must be a list');
  return filters.map((f: { Key?: unknown; Values?: unknown }, i) => {
    const at = `filters.${i + 1}.member`;
    if (!(FILTER_KEYS as readonly unknown[]).includes(f.Key)) {
      throw invalid(f.Key, `${at}.key`, `Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`);
    }
    const values = Array.isArray(f.Values) ? (f.Values as unknown[]).map(String) : [];
    if (values.length < 1) throw invalid(values, `${at}.values`, 'Member must have length greater than or equal to 1');
    if (values.length > 10) throw invalid(values, `${at}.values`, 'Member must have length less than or equal to 10');
    for (const v of values) {
      if (v.length > 512) throw invalid(values, `${at}.values`, 'Member must satisfy constraint: [Member must have length less than or equal to 512]');
      if (!FILTER_VALUE.test(v)) {
        throw invalid(values, `${at}.values`, 'Member must satisfy constraint: [Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$]');
      }
    }
    return { Key: f.Key as string, Values: values };
  });
}

/** Words as [API Filter] `all` and the console search split them: at punctuation, case and letter/digit changes. */
function words(text: string): string[] {
  return text
    .split(/[^\p{L}\p{N}]+/u)
    .flatMap((w) => w.split(/(?<=\p{Ll})(?=\p{Lu})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u))
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/**
 * [API Filter]: description is a prefix match, not case-sensitive; name, tag-key, tag-value,
 * primary-region and owning-service are case-sensitive prefix matches; `all` splits the value into
 * words and matches them in every attribute, not case-sensitive; a leading `!` negates. Several
 * filters must all match; any value of one filter may.
 */
function matches(s: Secret, filters: Filter[]): boolean {
  return filters.every((f) =>
    f.Values.some((value) => {
      const negate = value.startsWith('!');
      const v = negate ? value.slice(1) : value;
      let hit: boolean;
      switch (f.Key) {
        case 'name':
          hit = s.name.startsWith(v);
          break;
        case 'tag-key':
          hit = s.tags.some((t) => t.Key.startsWith(v));
          break;
        case 'tag-value':
          hit = s.tags.some((t) => t.Value.startsWith(v));
          break;
        case 'description':
          hit = (s.description ?? '').toLowerCase().startsWith(v.toLowerCase()) && s.description !== undefined;
          break;
        case 'all': {
          const have = [s.name, s.description ?? '', ...s.tags.flatMap((t) => [t.Key, t.Value])].flatMap(words);
          const want = words(v);
          hit = want.length > 0 && want.every((w) => have.some((h) => h.startsWith(w)));
          break;
        }
        default:
          // primary-region, owning-service: this fake has neither replicas nor managed secrets.
          hit = false;
      }
      return negate ? !hit : hit;
    }),
  );
}

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, Secret>();
  const calls: FakeSecretsManager['calls'] = [];
  let faults: { operation: string; fault: InjectedFault; remaining: number }[] = [];
  /** Bumped by clear(): a delayed write begun before it belongs to a previous test and is dropped. */
  let epoch = 0;
  let quotasOn = false;
  let throttledCount = 0;
  /** Per quota group, the arrival times (ms) of the requests it accepted, oldest first, from `head` on. */
  const accepted = new Map<number, { times: number[]; head: number }>();
  let staleness = 0;
  /** `sorted`: the snapshot's secrets by name, made the first time ListSecrets reads the snapshot. */
  let history: { at: number; secrets: Secret[]; sorted?: Secret[] }[] = [];
  let latencyMs = 0;
  const byArn = new Map<string, Secret>();
  /** The current secrets by name (byName); undefined until ListSecrets needs it after a bulk change. */
  let sorted: Secret[] | undefined;

  function add(s: Secret, bulk: boolean): void {
    secrets.set(s.name, s);
    byArn.set(s.arn, s);
    // One new name goes into its place; a bulk seed leaves the sorting to the next listing.
    if (sorted && !bulk) sorted.splice(firstAfter(sorted, s.name), 0, s);
    else sorted = undefined;
  }
  function remove(s: Secret): void {
    secrets.delete(s.name);
    byArn.delete(s.arn);
    if (!sorted) return;
    const i = firstAfter(sorted, s.name) - 1;
    if (sorted[i] === s) sorted.splice(i, 1);
    else sorted = undefined;
  }
  function lookup(id: unknown): Secret | undefined {
    return typeof id === 'string' ? (secrets.get(id) ?? byArn.get(id)) : undefined;
  }
  function find(id: unknown): Secret {
    const s = lookup(id);
    if (!s) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    return s;
  }
  /**
   * [aws.md]: PutSecretValue, TagResource, UntagResource on a secret scheduled for deletion; GetSecretValue
   * too ([API GetSecretValue], InvalidRequestException: "The secret is scheduled for deletion").
   */
  function notDeleted(s: Secret): void {
    if (s.deletionDate !== undefined) throw new AwsError('InvalidRequestException', MARKED_FOR_DELETION);
  }

  /**
   * [API CreateSecret], [API PutSecretValue] ClientRequestToken: "Length Constraints: Minimum length
   * of 32. Maximum length of 64." Without one, AWS answers InvalidRequestException "You must provide a
   * ClientRequestToken value. We recommend a UUID-type value." (reported against real AWS in
   * aws/aws-sdk-js-v3#4640 and localstack/localstack#8308; the SDKs fill it in, so only raw requests
   * meet this).
   */
  function token(input: Record<string, unknown>, required: boolean): string | undefined {
    const t = input.ClientRequestToken;
    if (t === undefined || t === null || t === '') {
      if (required) throw new AwsError('InvalidRequestException', 'You must provide a ClientRequestToken value. We recommend a UUID-type value.');
      return undefined;
    }
    const id = str(t, 'ClientRequestToken');
    checkLength(id, 'clientRequestToken', 32, 64);
    return id;
  }

  /** [API CreateSecret] SecretString: "Maximum length of 65536". */
  function secretString(input: Record<string, unknown>): string | undefined {
    if (input.SecretString === undefined || input.SecretString === null) return undefined;
    const v = str(input.SecretString, 'SecretString');
    checkLength(v, 'secretString', 1, 65536);
    return v;
  }

  /**
   * [Tag quotas] (and [API Tag]): key 1-128 and value 0-256 characters of letters, numbers, spaces
   * and `_ . : / = + - @`; keys may not begin with `aws:` (reserved for AWS).
   */
  function checkTags(tags: unknown): { Key: string; Value: string }[] {
    if (tags === undefined || tags === null) return [];
    if (!Array.isArray(tags)) throw new AwsError('SerializationException', 'Tags must be a list');
    return tags.map((t: { Key?: unknown; Value?: unknown }, i) => {
      const key = str(t.Key ?? '', 'Tag.Key');
      const value = str(t.Value ?? '', 'Tag.Value');
      const at = `tags.${i + 1}.member`;
      checkLength(key, `${at}.key`, 1, TAG_LIMITS.keyLength);
      checkLength(value, `${at}.value`, 0, TAG_LIMITS.valueLength);
      if (!TAG_CHARACTERS.test(key)) throw invalid(key, `${at}.key`, `Member must satisfy regular expression pattern: ${TAG_PATTERN_TEXT}`);
      if (!TAG_CHARACTERS.test(value)) throw invalid(value, `${at}.value`, `Member must satisfy regular expression pattern: ${TAG_PATTERN_TEXT}`);
      if (key.toLowerCase().startsWith('aws:')) {
        // [API TagResource]: "Do not use the aws: prefix … You can't edit or delete tag names or values with this prefix."
        throw new AwsError('InvalidParameterException', 'The tag key prefix aws: is reserved for AWS use.');
      }
      return { Key: key, Value: value };
    });
  }
  /**
   * [API TagResource] "Maximum number of tags per secret: 50" ("Tags with this prefix [aws:] do not
   * count"). The whole request is refused and nothing changes: AWS applies a request or not at all.
   * The error type for this case is not documented; InvalidParameterException is the one TagResource
   * documents for a parameter value it refuses.
   */
  function withinTagLimit(tags: { Key: string }[]): void {
    if (tags.filter((t) => !t.Key.startsWith('aws:')).length > TAG_LIMITS.perSecret) {
      throw new AwsError('InvalidParameterException', `A secret can have at most ${TAG_LIMITS.perSecret} tags; this request would leave it with ${tags.length}.`);
    }
  }

  /**
   * [API PutSecretValue] / [API CreateSecret] ClientRequestToken: a token not yet used makes a new
   * version; the same token with the same value is ignored (idempotent); the same token with another
   * value fails with ResourceExistsException. [API PutSecretValue] VersionStages: the labels move to
   * the new version ("If you don't include VersionStages, then Secrets Manager automatically moves the
   * staging label AWSCURRENT to this version"), and when AWSCURRENT moves, AWSPREVIOUS goes to the
   * version that had it.
   */
  function addVersion(s: Secret, id: string, value: string, stages: string[] = ['AWSCURRENT']): { version: Version; created: boolean } {
    const existing = s.versions.find((v) => v.id === id);
    if (existing) {
      if (existing.value !== value) {
        throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create new versions.");
      }
      return { version: existing, created: false };
    }
    const version: Version = { id, value, stages: [], created: now() };
    s.versions.push(version);
    for (const stage of stages) moveStage(s, stage, version);
    // The first version of a secret is always AWSCURRENT.
    if (!s.versions.some((v) => v.stages.includes('AWSCURRENT'))) version.stages.push('AWSCURRENT');
    s.lastChanged = version.created;
    return { version, created: true };
  }
  /** A staging label is on at most one version; moving AWSCURRENT leaves AWSPREVIOUS on the version it left ([API UpdateSecretVersionStage]). */
  function moveStage(s: Secret, stage: string, to: Version): void {
    const from = s.versions.find((v) => v !== to && v.stages.includes(stage));
    if (from) from.stages = from.stages.filter((st) => st !== stage);
    if (!to.stages.includes(stage)) to.stages.push(stage);
    if (stage === 'AWSCURRENT' && from) {
      for (const v of s.versions) v.stages = v.stages.filter((st) => st !== 'AWSPREVIOUS');
      from.stages.push('AWSPREVIOUS');
    }
  }
  const current = (s: Secret) => s.versions.find((v) => v.stages.includes('AWSCURRENT'));
  /** Versions without labels are deprecated and not listed ([API DescribeSecret] VersionIdsToStages). */
  const versionMap = (s: Secret) => Object.fromEntries(s.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, [...v.stages]]));
  /** [API SecretListEntry]: DeletedDate is "the date and time the deletion of the secret occurred". */
  const listEntry = (s: Secret) => ({
    ARN: s.arn,
    Name: s.name,
    Description: s.description,
    KmsKeyId: s.kmsKeyId,
    Tags: s.tags.length > 0 ? s.tags : undefined,
    CreatedDate: s.created,
    LastChangedDate: s.lastChanged,
    DeletedDate: s.deletedAt,
    SecretVersionsToStages: versionMap(s),
  });

  /**
   * One page of `view` (sorted by name) for ListSecrets and BatchGetSecretValue: the first `size`
   * secrets that `keep` takes, after the NextToken's name. The NextToken names the last secret
   * returned, so a secret created or deleted between pages neither shifts nor repeats the others.
   * No NextToken when nothing `keep` takes is left (so no empty last page).
   */
  function pageByName(view: readonly Secret[], input: Record<string, unknown>, size: number, keep: (s: Secret) => boolean): { items: Secret[]; next: string | undefined } {
    let i = 0;
    if (input.NextToken !== undefined && input.NextToken !== null) {
      const decoded = /^after:([\s\S]*)$/.exec(Buffer.from(str(input.NextToken, 'NextToken'), 'base64').toString());
      // [Errors] InvalidNextTokenException: "The NextToken value is invalid."
      if (!decoded) throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
      i = firstAfter(view, decoded[1]!);
    }
    const items: Secret[] = [];
    for (; i < view.length && items.length < size; i += 1) if (keep(view[i]!)) items.push(view[i]!);
    let more = false;
    for (; i < view.length && !more; i += 1) more = keep(view[i]!);
    const last = items.at(-1);
    return { items, next: more && last ? Buffer.from(`after:${last.name}`).toString('base64') : undefined };
  }

  /** Offset paging, for ListSecretVersionIds (one secret's few versions). */
  function page<T>(items: T[], input: Record<string, unknown>, size: number): { items: T[]; next: string | undefined } {
    let start = 0;
    if (input.NextToken !== undefined && input.NextToken !== null) {
      const decoded = /^offset:(\d+)$/.exec(Buffer.from(str(input.NextToken, 'NextToken'), 'base64').toString());
      // [Errors] InvalidNextTokenException: "The NextToken value is invalid."
      if (!decoded) throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
      start = Number(decoded[1]);
    }
    const slice = items.slice(start, start + size);
    const next = start + size < items.length ? Buffer.from(`offset:${start + size}`).toString('base64') : undefined;
    return { items: slice, next };
  }

  /** `wire`: a CreateSecret request (ClientRequestToken rules apply); otherwise a seed. */
  function create(input: Record<string, unknown>, wire: boolean): unknown {
    const name = str(input.Name ?? '', 'Name');
    checkLength(name, 'name', 1, 512);
    const value = secretString(input);
    const id = wire ? token(input, value !== undefined) : randomUUID();
    const tags = checkTags(input.Tags);
    withinTagLimit(tags);
    const existing = secrets.get(name);
    if (existing?.deletionDate !== undefined) {
      // [aws.md]: CreateSecret on a name scheduled for deletion answers InvalidRequestException, not
      // ResourceExistsException (aws/copilot-cli#655, aws-ia/terraform-aws-eks-blueprints#1733,
      // redpanda-data/console#1835). RestoreSecret brings it back.
      throw new AwsError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    if (existing) {
      // [API CreateSecret] ClientRequestToken: a retry with the same token and value is ignored;
      // the same token with another value is ResourceExistsException; otherwise the name is taken.
      const same = existing.versions.find((v) => v.id === id);
      if (same && same.value === value) return { ARN: existing.arn, Name: name, VersionId: same.id };
      if (same) throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create new versions.");
      throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const s: Secret = {
      // Six random hex digits, taken from randomUUID (which draws from a pool: randomBytes(3) per
      // secret was a system call each, a second of seeding at 100,000).
      arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`,
      name,
      description: input.Description as string | undefined,
      kmsKeyId: input.KmsKeyId as string | undefined,
      tags,
      versions: [],
      created: now(),
      lastChanged: now(),
      deletionDate: undefined,
      deletedAt: undefined,
    };
    // [API CreateSecret]: without SecretString or SecretBinary the secret has no version yet.
    const version = value === undefined || id === undefined ? undefined : addVersion(s, id, value).version;
    add(s, !wire);
    return { ARN: s.arn, Name: name, VersionId: version?.id };
  }

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret: (input) => create(input, true),
    PutSecretValue(input) {
      const s = find(input.SecretId);
      const value = secretString(input);
      if (value === undefined) throw new AwsError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      const id = token(input, true)!;
      // [API PutSecretValue] VersionStages: "Array Members: Minimum number of 1 item. Maximum number of 20 items."
      const stages = input.VersionStages === undefined ? undefined : (input.VersionStages as unknown[]).map(String);
      if (stages && stages.length < 1) throw invalid(stages, 'versionStages', 'Member must have length greater than or equal to 1');
      if (stages && stages.length > 20) throw invalid(stages, 'versionStages', 'Member must have length less than or equal to 20');
      // [aws.md]: PutSecretValue on a secret scheduled for deletion answers InvalidRequestException.
      notDeleted(s);
      const { version } = addVersion(s, id, value, stages);
      return { ARN: s.arn, Name: s.name, VersionId: version.id, VersionStages: [...version.stages] };
    },
    GetSecretValue(input) {
      const s = find(input.SecretId);
      // [aws.md] / [API GetSecretValue]: a secret scheduled for deletion is not readable (InvalidRequestException).
      notDeleted(s);
      const stage = (input.VersionStage as string | undefined) ?? 'AWSCURRENT';
      const v = input.VersionId ? s.versions.find((x) => x.id === input.VersionId) : s.versions.find((x) => x.stages.includes(stage));
      if (!v || (input.VersionId && input.VersionStage && !v.stages.includes(stage))) {
        throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value.");
      }
      return { ARN: s.arn, Name: s.name, VersionId: v.id, SecretString: v.value, VersionStages: [...v.stages], CreatedDate: v.created };
    },
    DescribeSecret(input) {
      const s = find(input.SecretId);
      // [API DescribeSecret]: DeletedDate is "the date the secret is scheduled for deletion. If it is
      // not scheduled for deletion, this field is omitted"; VersionIdsToStages lists labelled versions.
      const { SecretVersionsToStages: _, ...entry } = listEntry(s);
      return { ...entry, DeletedDate: s.deletionDate, VersionIdsToStages: versionMap(s) };
    },
    ListSecrets(input) {
      // [API ListSecrets] MaxResults: "Valid Range: Minimum value of 1. Maximum value of 100."
      const size = checkRange(input.MaxResults, 'maxResults', 1, 100) ?? 100;
      const filters = checkFilters(input.Filters);
      const planned = input.IncludePlannedDeletion === true;
      // [API ListSecrets]: "might not reflect changes from the last five minutes" (setListStaleness).
      const { items, next } = pageByName(listView(), input, size, (s) => (planned || s.deletionDate === undefined) && matches(s, filters));
      return { SecretList: items.map(listEntry), NextToken: next };
    },
    BatchGetSecretValue(input) {
      const ids = input.SecretIdList as unknown[] | undefined;
      const hasFilters = input.Filters !== undefined && input.Filters !== null;
      // [API BatchGetSecretValue]: "You must include Filters or SecretIdList, but not both";
      // SecretIdList has 1-20 members; MaxResults (1-20) only with Filters.
      if ((ids === undefined) === !hasFilters) {
        throw new AwsError('InvalidParameterException', "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
      }
      if (ids !== undefined) {
        if (ids.length < 1) throw invalid(ids, 'secretIdList', 'Member must have length greater than or equal to 1');
        if (ids.length > 20) throw invalid(ids, 'secretIdList', 'Member must have length less than or equal to 20');
        if (input.MaxResults !== undefined) throw new AwsError('InvalidParameterException', "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");
        const values: unknown[] = [];
        const errors: unknown[] = [];
        for (const id of ids.map(String)) {
          // Errors for one secret do not fail the call; they come back in Errors ([API BatchGetSecretValue]).
          // [aws.md]: a secret scheduled for deletion is an error entry, not a value.
          try {
            values.push(operations.GetSecretValue!({ SecretId: id }));
          } catch (error) {
            if (!(error instanceof AwsError)) throw error;
            errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
          }
        }
        return { SecretValues: values, Errors: errors };
      }
      const size = checkRange(input.MaxResults, 'maxResults', 1, 20) ?? 20;
      const filters = checkFilters(input.Filters);
      const { items, next } = pageByName(currentSorted(), input, size, (s) => s.deletionDate === undefined && matches(s, filters));
      return { SecretValues: items.map((s) => operations.GetSecretValue!({ SecretId: s.name })), Errors: [], NextToken: next };
    },
    TagResource(input) {
      const s = find(input.SecretId);
      const tags = checkTags(input.Tags);
      // [aws.md]: TagResource on a secret scheduled for deletion answers InvalidRequestException.
      notDeleted(s);
      // [API TagResource]: "appends tags to the existing list"; a key already there takes the new value.
      let merged = s.tags;
      for (const tag of tags) merged = [...merged.filter((t) => t.Key !== tag.Key), tag];
      withinTagLimit(merged);
      s.tags = merged;
      s.lastChanged = now();
      return {};
    },
    UntagResource(input) {
      const s = find(input.SecretId);
      const keys = ((input.TagKeys as unknown[] | undefined) ?? []).map(String);
      keys.forEach((k, i) => checkLength(k, `tagKeys.${i + 1}.member`, 1, TAG_LIMITS.keyLength));
      if (keys.some((k) => k.toLowerCase().startsWith('aws:'))) {
        throw new AwsError('InvalidParameterException', 'The tag key prefix aws: is reserved for AWS use.');
      }
      // [aws.md]: UntagResource on a secret scheduled for deletion answers InvalidRequestException.
      notDeleted(s);
      s.tags = s.tags.filter((t) => !keys.includes(t.Key));
      s.lastChanged = now();
      return {};
    },
    DeleteSecret(input) {
      const force = input.ForceDeleteWithoutRecovery;
      const window = input.RecoveryWindowInDays;
      // [API DeleteSecret]: "You can't use both this parameter and RecoveryWindowInDays in the same
      // call." Stricter reading: both present is refused, whatever ForceDeleteWithoutRecovery's value.
      if (force !== undefined && force !== null && window !== undefined && window !== null) {
        throw new AwsError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
      }
      // [API DeleteSecret] RecoveryWindowInDays: "The number of days from 7 to 30"; 30 by default.
      const days = window === undefined || window === null ? 30 : Number(window);
      if (!Number.isInteger(days) || days < 7 || days > 30) {
        throw new AwsError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      }
      if (force === true) {
        // [API DeleteSecret]: "If you forcibly delete an already deleted or nonexistent secret, the
        // operation does not return ResourceNotFoundException."
        const s = lookup(input.SecretId);
        if (s) remove(s);
        const name = s?.name ?? String(input.SecretId);
        return { ARN: s?.arn ?? `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`, Name: name, DeletionDate: now() };
      }
      const s = find(input.SecretId);
      // Already scheduled: InvalidRequestException ([API DeleteSecret] lists it for "a secret that is
      // already scheduled for deletion"; aws.md's rule for operations on deleted secrets).
      notDeleted(s);
      s.deletedAt = now();
      s.deletionDate = s.deletedAt + days * 86400;
      s.lastChanged = s.deletedAt;
      return { ARN: s.arn, Name: s.name, DeletionDate: s.deletionDate };
    },
    RestoreSecret(input) {
      // [API RestoreSecret]: "Cancels the scheduled deletion of a secret by removing the DeletedDate time stamp."
      const s = find(input.SecretId);
      s.deletionDate = undefined;
      s.deletedAt = undefined;
      s.lastChanged = now();
      return { ARN: s.arn, Name: s.name };
    },
    UpdateSecretVersionStage(input) {
      const s = find(input.SecretId);
      notDeleted(s);
      const stage = str(input.VersionStage ?? '', 'VersionStage');
      checkLength(stage, 'versionStage', 1, 256);
      const holder = s.versions.find((v) => v.stages.includes(stage));
      // [API UpdateSecretVersionStage] RemoveFromVersionId: "If the staging label is already attached to
      // a version, then you must include this parameter and specify the version that the label is already attached to."
      if (holder && input.RemoveFromVersionId !== holder.id && input.MoveToVersionId !== holder.id) {
        throw new AwsError('InvalidParameterException', `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`);
      }
      if (input.MoveToVersionId) {
        const to = s.versions.find((v) => v.id === input.MoveToVersionId);
        if (!to) throw new AwsError('InvalidParameterException', `Not a valid version: ${str(input.MoveToVersionId, 'MoveToVersionId')}`);
        moveStage(s, stage, to);
      } else if (holder) {
        holder.stages = holder.stages.filter((st) => st !== stage);
      }
      s.lastChanged = now();
      return { ARN: s.arn, Name: s.name };
    },
    ListSecretVersionIds(input) {
      const s = find(input.SecretId);
      const size = checkRange(input.MaxResults, 'maxResults', 1, 100) ?? 100;
      // [API ListSecretVersionIds] IncludeDeprecated: versions without labels only on request.
      const versions = s.versions.filter((v) => input.IncludeDeprecated === true || v.stages.length > 0);
      const { items, next } = page(versions, input, size);
      return { ARN: s.arn, Name: s.name, Versions: items.map((v) => ({ VersionId: v.id, VersionStages: [...v.stages], CreatedDate: v.created })), NextToken: next };
    },
  };

  function snapshot(): void {
    if (staleness <= 0) return;
    const at = Date.now();
    history.push({ at, secrets: structuredClone([...secrets.values()]) });
    // Keep the newest snapshot old enough to answer with, and everything after it.
    const cutoff = at - staleness;
    let keepFrom = 0;
    history.forEach((h, i) => {
      if (h.at <= cutoff) keepFrom = i;
    });
    history = history.slice(keepFrom);
  }
  /** The current secrets, sorted by name (byName). */
  function currentSorted(): Secret[] {
    sorted ??= [...secrets.values()].sort((a, b) => byName(a.name, b.name));
    return sorted;
  }
  /** The secrets as ListSecrets sees them, by name: as they were `staleness` ms ago (or when staleness was switched on, if later). */
  function listView(): readonly Secret[] {
    if (staleness <= 0) return currentSorted();
    const cutoff = Date.now() - staleness;
    let chosen = history[0];
    for (const h of history) if (h.at <= cutoff) chosen = h;
    if (!chosen) return currentSorted();
    chosen.sorted ??= [...chosen.secrets].sort((a, b) => byName(a.name, b.name));
    return chosen.sorted;
  }

  /** [Quotas]: a sliding one-second window per quota group; a refused request does not count. */
  function withinQuota(operation: string): boolean {
    const group = QUOTA_GROUP.get(operation);
    if (group === undefined) return true;
    const t = Date.now();
    let window = accepted.get(group);
    if (!window) accepted.set(group, (window = { times: [], head: 0 }));
    // Drop what left the window from the front (arrival order): amortised O(1) a request.
    while (window.head < window.times.length && window.times[window.head]! <= t - 1000) window.head += 1;
    if (window.head > 1024 && window.head * 2 > window.times.length) {
      window.times = window.times.slice(window.head);
      window.head = 0;
    }
    if (window.times.length - window.head >= SECRETS_MANAGER_QUOTAS[group]!.perSecond) return false;
    window.times.push(t);
    return true;
  }

  const server = createServer((req, res) => {
    // setLatency: the answer leaves no sooner than `latencyMs` after the request arrived.
    const due = Date.now() + latencyMs;
    void handle(req, res)
      .catch((error: unknown) => new AwsError('InternalServiceError', `fake: ${error instanceof Error ? error.message : String(error)}`, 500))
      .then(async (answer) => {
        if (answer === undefined) return;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        if (answer instanceof AwsError) sendError(res, answer);
        else send(res, 200, answer.output);
      });
  });

  /** The answer to one request: an output, an error, or nothing (the client is gone). */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<{ output: unknown } | AwsError | undefined> {
    const started = epoch;
    const raw = (await readBody(req)).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^secretsmanager\./, '');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw || '{}') as Record<string, unknown>;
    } catch {
      return new AwsError('SerializationException', 'The request body is not valid JSON.');
    }
    calls.push({ operation, input });
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
      return new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (quotasOn && !withinQuota(operation)) {
      // [Quotas] / [aws.md]: "Over a quota: ThrottlingException"; [Errors]: HTTP 400.
      throttledCount += 1;
      return new AwsError('ThrottlingException', 'Rate exceeded');
    }
    const injected = faults.find((f) => f.operation === operation && f.remaining > 0);
    if (injected) {
      injected.remaining -= 1;
      if (injected.fault.delayMs) await sleep(injected.fault.delayMs);
      if (injected.fault.type) {
        return new AwsError(injected.fault.type, injected.fault.message ?? injected.fault.type, injected.fault.status ?? 400);
      }
      // A delayed request from before clear() belongs to another test: it must not land in this one.
      if (epoch !== started) return new AwsError('InternalServiceError', 'fake: dropped across clear()', 500);
      // Otherwise it goes on and is applied, even if the client has given up waiting (a late write).
    }
    const op = operations[operation];
    if (!op) return new AwsError('InvalidAction', `Unknown operation ${operation}`);
    try {
      const output = op(input);
      if (MUTATING.has(operation)) snapshot();
      if (injected?.fault.answerDelayMs) await sleep(injected.fault.answerDelayMs);
      if (res.destroyed) return undefined;
      return { output };
    } catch (error) {
      if (error instanceof AwsError) return error;
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    get throttled() {
      return throttledCount;
    },
    fail(operation, fault, times = 1) {
      faults.push({ operation, fault, remaining: times });
    },
    setListStaleness(ms) {
      staleness = Math.max(0, ms);
      history = staleness > 0 ? [{ at: Date.now(), secrets: structuredClone([...secrets.values()]) }] : [];
    },
    enforceQuotas(on) {
      quotasOn = on;
      accepted.clear();
    },
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    secret: (name) => secrets.get(name),
    currentValue(name) {
      const s = secrets.get(name);
      const v = s && current(s);
      return v ? (JSON.parse(v.value) as Record<string, unknown>) : undefined;
    },
    versions: (name) => secrets.get(name)?.versions ?? [],
    seed(name, value, tags) {
      create({ Name: name, SecretString: value, Tags: tags }, false);
      snapshot();
    },
    seedMany(entries) {
      for (const { name, value, tags } of entries) create({ Name: name, SecretString: value, Tags: tags }, false);
      snapshot();
    },
    clear() {
      secrets.clear();
      byArn.clear();
      sorted = undefined;
      latencyMs = 0;
      calls.length = 0;
      faults = [];
      epoch += 1;
      quotasOn = false;
      accepted.clear();
      staleness = 0;
      history = [];
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: AwsError): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ __type: error.type, message: error.message }));
}
