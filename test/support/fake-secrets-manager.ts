import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/local/http.js';

/**
 * A local AWS Secrets Manager on 127.0.0.1 speaking its JSON protocol (`X-Amz-Target:
 * secretsmanager.<Operation>`, `application/x-amz-json-1.1`) with its real semantics: versions and
 * staging labels (AWSCURRENT/AWSPREVIOUS), ClientRequestToken idempotency, ResourceExistsException,
 * tags, ListSecrets pagination and filters, scheduled deletion and restore, BatchGetSecretValue.
 * Faults can be injected per operation.
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
  deletionDate: number | undefined;
}

export interface InjectedFault {
  status?: number;
  type?: string;
  message?: string;
  delayMs?: number;
}

export interface FakeSecretsManager {
  url: string;
  calls: { operation: string; input: Record<string, unknown> }[];
  /** The next `times` calls of this operation fail (or are delayed) this way. */
  fail(operation: string, fault: InjectedFault, times?: number): void;
  secret(name: string): Secret | undefined;
  currentValue(name: string): Record<string, unknown> | undefined;
  versions(name: string): Version[];
  /** Seeds a secret directly (for large listings). */
  seed(name: string, value: string, tags: { Key: string; Value: string }[]): void;
  clear(): void;
  close(): Promise<void>;
}

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

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, Secret>();
  const calls: FakeSecretsManager['calls'] = [];
  let faults: { operation: string; fault: InjectedFault; remaining: number }[] = [];

  function find(id: unknown): Secret {
    const s = typeof id === 'string' ? (secrets.get(id) ?? [...secrets.values()].find((x) => x.arn === id)) : undefined;
    if (!s) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return s;
  }
  function notDeleted(s: Secret): void {
    if (s.deletionDate !== undefined) {
      throw new AwsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    }
  }
  function addVersion(s: Secret, token: string | undefined, value: string): { version: Version; created: boolean } {
    const id = token ?? randomUUID();
    const existing = s.versions.find((v) => v.id === id);
    if (existing) {
      if (existing.value !== value) {
        throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create new versions.");
      }
      return { version: existing, created: false };
    }
    for (const v of s.versions) {
      v.stages = v.stages.filter((st) => st !== 'AWSPREVIOUS');
      if (v.stages.includes('AWSCURRENT')) v.stages = v.stages.map((st) => (st === 'AWSCURRENT' ? 'AWSPREVIOUS' : st));
    }
    const version = { id, value, stages: ['AWSCURRENT'], created: now() };
    s.versions.push(version);
    s.lastChanged = version.created;
    return { version, created: true };
  }
  const current = (s: Secret) => s.versions.find((v) => v.stages.includes('AWSCURRENT'));
  const versionMap = (s: Secret) => Object.fromEntries(s.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, v.stages]));
  const listEntry = (s: Secret) => ({
    ARN: s.arn,
    Name: s.name,
    Description: s.description,
    KmsKeyId: s.kmsKeyId,
    Tags: s.tags,
    CreatedDate: s.created,
    LastChangedDate: s.lastChanged,
    DeletedDate: s.deletionDate === undefined ? undefined : s.lastChanged,
    SecretVersionsToStages: versionMap(s),
  });

  function matches(s: Secret, filters: { Key: string; Values: string[] }[] | undefined): boolean {
    return (filters ?? []).every((f) =>
      f.Values.some((value) => {
        const negate = value.startsWith('!');
        const v = negate ? value.slice(1) : value;
        const hit =
          f.Key === 'name' ? s.name.startsWith(v)
          : f.Key === 'tag-key' ? s.tags.some((t) => t.Key.startsWith(v))
          : f.Key === 'tag-value' ? s.tags.some((t) => t.Value.startsWith(v))
          : f.Key === 'description' ? (s.description ?? '').startsWith(v)
          : s.name.includes(v);
        return negate ? !hit : hit;
      }),
    );
  }

  function page<T>(items: T[], input: Record<string, unknown>, max: number): { items: T[]; next: string | undefined } {
    const size = Math.min(Number(input.MaxResults ?? max), max);
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken as string), 'base64').toString()) : 0;
    const slice = items.slice(start, start + size);
    const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
    return { items: slice, next };
  }

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret(input) {
      const name = String(input.Name);
      const value = String(input.SecretString);
      const existing = secrets.get(name);
      if (existing) {
        const same = existing.versions.find((v) => v.id === input.ClientRequestToken && v.value === value);
        if (same) return { ARN: existing.arn, Name: name, VersionId: same.id };
        throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      }
      const s: Secret = {
        arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${randomBytes(3).toString('hex')}`,
        name,
        description: input.Description as string | undefined,
        kmsKeyId: input.KmsKeyId as string | undefined,
        tags: (input.Tags as Secret['tags'] | undefined) ?? [],
        versions: [],
        created: now(),
        lastChanged: now(),
        deletionDate: undefined,
      };
      const { version } = addVersion(s, input.ClientRequestToken as string | undefined, value);
      secrets.set(name, s);
      return { ARN: s.arn, Name: name, VersionId: version.id };
    },
    PutSecretValue(input) {
      const s = find(input.SecretId);
      notDeleted(s);
      const { version } = addVersion(s, input.ClientRequestToken as string | undefined, String(input.SecretString));
      return { ARN: s.arn, Name: s.name, VersionId: version.id, VersionStages: version.stages };
    },
    GetSecretValue(input) {
      const s = find(input.SecretId);
      notDeleted(s);
      const stage = (input.VersionStage as string | undefined) ?? 'AWSCURRENT';
      const v = input.VersionId ? s.versions.find((x) => x.id === input.VersionId) : s.versions.find((x) => x.stages.includes(stage));
      if (!v) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value.");
      return { ARN: s.arn, Name: s.name, VersionId: v.id, SecretString: v.value, VersionStages: v.stages, CreatedDate: v.created };
    },
    DescribeSecret(input) {
      const s = find(input.SecretId);
      return { ...listEntry(s), DeletedDate: s.deletionDate === undefined ? undefined : s.lastChanged, VersionIdsToStages: versionMap(s) };
    },
    ListSecrets(input) {
      const all = [...secrets.values()]
        .filter((s) => input.IncludePlannedDeletion === true || s.deletionDate === undefined)
        .filter((s) => matches(s, input.Filters as { Key: string; Values: string[] }[] | undefined))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { items, next } = page(all, input, 100);
      return { SecretList: items.map(listEntry), NextToken: next };
    },
    BatchGetSecretValue(input) {
      const ids = input.SecretIdList as string[] | undefined;
      const chosen = ids
        ? ids.map((id) => secrets.get(id)).filter((s): s is Secret => s !== undefined)
        : [...secrets.values()].filter((s) => s.deletionDate === undefined && matches(s, input.Filters as { Key: string; Values: string[] }[]));
      const { items, next } = page(chosen, input, 20);
      return {
        SecretValues: items.map((s) => {
          const v = current(s);
          return { ARN: s.arn, Name: s.name, VersionId: v?.id, SecretString: v?.value, VersionStages: v?.stages, CreatedDate: v?.created };
        }),
        Errors: (ids ?? []).filter((id) => !secrets.has(id)).map((id) => ({ SecretId: id, ErrorCode: 'ResourceNotFoundException', Message: 'not found' })),
        NextToken: next,
      };
    },
    TagResource(input) {
      const s = find(input.SecretId);
      notDeleted(s);
      for (const tag of input.Tags as Secret['tags']) {
        s.tags = [...s.tags.filter((t) => t.Key !== tag.Key), tag];
      }
      if (s.tags.length > 50) throw new AwsError('ValidationException', 'Too many tags');
      return {};
    },
    UntagResource(input) {
      const s = find(input.SecretId);
      const keys = input.TagKeys as string[];
      s.tags = s.tags.filter((t) => !keys.includes(t.Key));
      return {};
    },
    DeleteSecret(input) {
      const s = find(input.SecretId);
      notDeleted(s);
      if (input.ForceDeleteWithoutRecovery === true) {
        secrets.delete(s.name);
        return { ARN: s.arn, Name: s.name, DeletionDate: now() };
      }
      const days = Number(input.RecoveryWindowInDays ?? 30);
      if (days < 7 || days > 30) throw new AwsError('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30.');
      s.deletionDate = now() + days * 86400;
      s.lastChanged = now();
      return { ARN: s.arn, Name: s.name, DeletionDate: s.deletionDate };
    },
    RestoreSecret(input) {
      const s = find(input.SecretId);
      s.deletionDate = undefined;
      return { ARN: s.arn, Name: s.name };
    },
    ListSecretVersionIds(input) {
      const s = find(input.SecretId);
      return { ARN: s.arn, Name: s.name, Versions: s.versions.map((v) => ({ VersionId: v.id, VersionStages: v.stages, CreatedDate: v.created })) };
    },
  };

  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^secretsmanager\./, '');
    const input = JSON.parse(raw || '{}') as Record<string, unknown>;
    calls.push({ operation, input });
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
      return sendError(res, new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.'));
    }
    const injected = faults.find((f) => f.operation === operation && f.remaining > 0);
    if (injected) {
      injected.remaining -= 1;
      if (injected.fault.delayMs) await new Promise((r) => setTimeout(r, injected.fault.delayMs));
      if (injected.fault.type) {
        return sendError(res, new AwsError(injected.fault.type, injected.fault.message ?? injected.fault.type, injected.fault.status ?? 400));
      }
    }
    const op = operations[operation];
    if (!op) return sendError(res, new AwsError('InvalidAction', `Unknown operation ${operation}`));
    try {
      send(res, 200, op(input));
    } catch (error) {
      if (error instanceof AwsError) return sendError(res, error);
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    fail(operation, fault, times = 1) {
      faults.push({ operation, fault, remaining: times });
    },
    secret: (name) => secrets.get(name),
    currentValue(name) {
      const s = secrets.get(name);
      const v = s && current(s);
      return v ? (JSON.parse(v.value) as Record<string, unknown>) : undefined;
    },
    versions: (name) => secrets.get(name)?.versions ?? [],
    seed(name, value, tags) {
      operations.CreateSecret!({ Name: name, SecretString: value, Tags: tags });
    },
    clear() {
      secrets.clear();
      calls.length = 0;
      faults = [];
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: AwsError): void {
  res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ __type: error.type, message: error.message }));
}
