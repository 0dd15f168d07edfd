import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto (https://github.com/getmoto/moto), installed here for Python 3 (see
 * /work/shared/facts/aws.md), as a second opinion on AWS's wire protocols: a real
 * `python3 -m moto.server` child process on a free loopback port, one per test file.
 *
 * moto is not the truth: where it and AWS's documentation disagree, the tests expect AWS from our
 * fakes and record moto's deviation explicitly.
 *
 * Availability: `motoStatus()` answers synchronously, so a suite can `describe.skipIf(!status.ok)`.
 * Without moto, a developer's run skips with the reason; under CI (`process.env.CI` set) it throws,
 * so the suite fails loudly instead of silently testing nothing.
 */

export type MotoStatus = { ok: true } | { ok: false; reason: string };

let cached: MotoStatus | undefined;

/** Whether `python3 -c "import moto"` works (and moto's server extras are there). Throws under CI if not. */
export function motoStatus(): MotoStatus {
  cached ??= probe();
  if (!cached.ok && process.env.CI) {
    throw new Error(`moto is required in CI but is not usable: ${cached.reason}. Install it with: pip install 'moto[server]'`);
  }
  return cached;
}

function probe(): MotoStatus {
  const res = spawnSync('python3', ['-c', 'import moto, moto.server, flask, flask_cors; print(moto.__version__)'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: childEnv({}),
  });
  if (res.error) return { ok: false, reason: `python3 could not be run (${res.error.message})` };
  if (res.status !== 0) {
    const last = (res.stderr ?? '').trim().split('\n').at(-1) ?? '';
    return { ok: false, reason: `python3 -c "import moto" failed: ${last || `exit ${res.status}`}` };
  }
  return { ok: true };
}

export interface Moto {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Forgets every resource in every service (POST /moto-api/reset), including IAM users and keys. */
  reset(): Promise<void>;
  /** Stops the server process. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /**
   * Check request signatures (S3 SigV4 against access keys created through moto's IAM API) from the
   * first request on: the server starts with INITIAL_NO_AUTH_ACTION_COUNT=0. Create a key with
   * `createIamAccessKey`. With this on, moto's Secrets Manager answers errors as XML the JS SDK
   * cannot parse (aws.md), so use a separate server for Secrets Manager.
   */
  auth?: boolean;
  /** How long to wait for the server to answer (default 20 s). */
  readyTimeoutMs?: number;
}

/** Starts moto, or answers undefined (with the reason in `motoStatus()`) where moto is not installed. */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto | undefined> {
  if (!motoStatus().ok) return undefined;
  let lastError: unknown;
  // A free port can be taken between our probe and moto's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await launch(await freePort(), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function launch(port: number, options: StartMotoOptions): Promise<Moto> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('python3', ['-m', 'moto.server', '-p', String(port), '-H', '127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: childEnv(options.auth ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {}),
  });
  running.add(child);
  // moto logs every request on stderr: keep only the tail, for the error message if it dies.
  let tail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    if (dead) throw new Error(`moto.server exited before answering on ${url}:\n${tail}`);
    try {
      const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto.server did not answer on ${url} within ${options.readyTimeoutMs ?? 20_000} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`POST /moto-api/reset answered ${res.status}`);
    },
    stop,
  };
}

/** Opens (count > 0) or closes (0) moto's unauthenticated window: the next `count` actions skip signature checks. */
async function resetAuth(moto: Moto, count: number): Promise<void> {
  // moto reads the count from the raw body, so it must not be sent as a form.
  const res = await fetch(`${moto.url}/moto-api/reset-auth`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: String(count) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`POST /moto-api/reset-auth answered ${res.status}`);
}

export interface IamAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
}

/**
 * With signature checking on (`startMoto({ auth: true })`): creates an IAM user and an access key
 * for it, allowed `actions` on every resource (default `s3:*`; none: a key that authenticates but
 * may do nothing). The IAM calls go in a window of exactly that many unauthenticated actions opened
 * with `POST /moto-api/reset-auth` and closed again afterwards, so every later request must be
 * signed with a key moto knows. (moto's own tests do this with `set_initial_no_auth_action_count`.)
 * `reset()` forgets the user and key.
 */
export async function createIamAccessKey(
  moto: Moto,
  { userName = `do-creds-test-${process.pid}`, actions = ['s3:*'] }: { userName?: string; actions?: string[] } = {},
): Promise<IamAccessKey> {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
  await resetAuth(moto, actions.length > 0 ? 3 : 2);
  try {
    await iam(moto, { Action: 'CreateUser', UserName: userName });
    if (actions.length > 0) await iam(moto, { Action: 'PutUserPolicy', UserName: userName, PolicyName: 'allow', PolicyDocument: policy });
    const created = await iam(moto, { Action: 'CreateAccessKey', UserName: userName });
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(created)?.[1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(created)?.[1];
    if (!accessKeyId || !secretAccessKey) throw new Error(`CreateAccessKey answered without a key: ${created.slice(0, 300)}`);
    return { accessKeyId, secretAccessKey, userName };
  } finally {
    await resetAuth(moto, 0);
  }
}

/**
 * One IAM Query API call inside the unauthenticated window. moto picks the service from the
 * Authorization header's credential scope; the signature is not checked in the window, so a
 * placeholder naming `iam` is enough (no credentials involved).
 */
async function iam(moto: Moto, params: Record<string, string>): Promise<string> {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const res = await fetch(`${moto.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAMOTOSETUP0000000/${day}/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** The environment for python3: no AWS credentials or profile of the developer's, ever. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && k !== 'INITIAL_NO_AUTH_ACTION_COUNT') env[k] = v;
  return { ...env, PYTHONUNBUFFERED: '1', ...extra };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
