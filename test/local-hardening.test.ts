import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LocalServerError, startLocalServer, type LocalServer, type LocalServerOptions } from '../src/local/server.js';

/** `npm start` exposed through a tunnel: huge bodies, slow clients, many connections, a busy port. */

const started: LocalServer[] = [];
async function start(overrides: Partial<LocalServerOptions> = {}): Promise<{ server: LocalServer; printed: string[] }> {
  const printed: string[] = [];
  const server = await startLocalServer({
    port: 0,
    dataDir: await mkdtemp(join(tmpdir(), 'do-creds-hardening-')),
    env: { LOG_LEVEL: 'silent' },
    print: (line) => printed.push(line),
    ...overrides,
  });
  started.push(server);
  return { server, printed };
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** POSTs `total` bytes from one reused 64 KiB chunk (the client never holds the body): declared, or chunked. */
function post(url: string, total: number, declared: boolean): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(declared ? { 'content-length': String(total) } : {}) },
    });
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    // The server stops reading and closes: the rest of the upload may fail, the answer is what counts.
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const n = Math.min(CHUNK.length, total - sent);
        sent += n;
        if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** Resolves when the server closes the socket, with what it sent before closing. */
function closed(socket: Socket): Promise<string> {
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString()));
  return new Promise((resolve) => {
    socket.on('close', () => resolve(got));
    socket.on('error', () => undefined);
  });
}

/** Buffered, three 10 MB bodies at a time would hold 60 MB and more (Buffer.concat copies); counted and dropped, only noise remains. */
const MEMORY_BOUND_MB = 16;

/** The most the process's memory grows over its level before, sampled while 3 x 10 MB posts run, five times over. */
async function peakGrowthMb(url: string): Promise<number> {
  await post(url, 10 * 1024 * 1024, false); // warm up
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([true, false, true].map((declared) => post(url, 10 * 1024 * 1024, declared)));
      expect(answers.map((a) => a.status)).toEqual([413, 413, 413]);
    }
  } finally {
    clearInterval(sample);
  }
  return (Math.max(peak, process.memoryUsage().rss) - before) / 1024 / 1024;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('request bodies', () => {
  let server: LocalServer;
  beforeAll(async () => {
    ({ server } = await start());
  });

  it('answers a 10 MB body with 413 quickly, declared or chunked', async () => {
    for (const declared of [true, false]) {
      const res = await post(server.url, 10 * 1024 * 1024, declared);
      expect(res.status).toBe(413);
      expect(res.ms).toBeLessThan(2_000);
    }
  });

  it('does not keep bodies in memory: three 10 MB posts at a time, five times, and memory stays put', async () => {
    expect(await peakGrowthMb(server.url)).toBeLessThan(MEMORY_BOUND_MB);
  });

  it('still takes a body under the limit (an unsigned one is refused by the handler, not by size)', async () => {
    const res = await post(server.url, 200 * 1024, true);
    expect(res.status).toBe(401);
  });

  it('refuses an `Expect: 100-continue` over the limit before the body is sent', async () => {
    const socket = connect(portOf(server.url), '127.0.0.1');
    const got = closed(socket);
    socket.write(`POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`);
    const answer = await got;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).not.toContain('100 Continue');
  });
});

describe('slow and many connections', () => {
  it('uses header and request timeouts of a few seconds and a connection cap by default', () => {
    expect(DEFAULT_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(5_000);
    expect(DEFAULT_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(DEFAULT_LIMITS.maxConnections).toBeLessThanOrEqual(64);
  });

  it('closes a connection that sends its headers a byte at a time (slow loris)', async () => {
    const { server } = await start({ limits: { headersTimeoutMs: 400, requestTimeoutMs: 800 } });
    const socket = connect(portOf(server.url), '127.0.0.1');
    const got = closed(socket);
    const t0 = performance.now();
    const headers = 'POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed && i < headers.length) socket.write(headers[i++] ?? '');
    }, 50);
    const answer = await got;
    clearInterval(drip);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 |^$/);
  });

  it('closes a connection whose body never finishes', async () => {
    const { server } = await start({ limits: { headersTimeoutMs: 400, requestTimeoutMs: 800 } });
    const socket = connect(portOf(server.url), '127.0.0.1');
    const got = closed(socket);
    const t0 = performance.now();
    socket.write('POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab');
    const drip = setInterval(() => !socket.destroyed && socket.write('a'), 100);
    await got;
    clearInterval(drip);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it('holds at most maxConnections connections; more are closed at once', async () => {
    const { server } = await start({ limits: { maxConnections: 2 } });
    const open = [connect(portOf(server.url), '127.0.0.1'), connect(portOf(server.url), '127.0.0.1')];
    await Promise.all(open.map((s) => new Promise((r) => s.once('connect', r))));
    await new Promise((r) => setTimeout(r, 50));
    const third = connect(portOf(server.url), '127.0.0.1');
    const t0 = performance.now();
    await closed(third);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(open.every((s) => !s.destroyed)).toBe(true);
    open.forEach((s) => s.destroy());
  });
});

describe('where it listens', () => {
  it('binds to 127.0.0.1 by default, unreachable on the machine\'s other addresses', async () => {
    const { server } = await start();
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (external === undefined) return; // no other address on this machine: nothing more to try
    const socket = connect(portOf(server.url), external.address);
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('connect', () => resolve(undefined));
      socket.once('error', resolve);
    });
    socket.destroy();
    expect(error?.code).toBe('ECONNREFUSED');
  });

  it('says in one sentence that the port is busy and how to pick another', async () => {
    const { server } = await start();
    const port = portOf(server.url);
    const error = await start({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalServerError);
    expect((error as Error).message).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect((error as Error).message).toContain(`PORT=${port + 1} npm start`);
  });

  it('`npm start` on a busy port prints that sentence, no stack, and exits 1', async () => {
    const { server } = await start();
    const port = portOf(server.url);
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(join('node_modules', '.bin', 'tsx'), ['src/local/server.ts'], {
        env: { ...process.env, PORT: String(port), LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(`Port ${port} on 127.0.0.1 is already in use`)]);
    expect(run.stderr).not.toContain('    at ');
  }, 30_000);

  it('refuses a PORT that is not a port number', async () => {
    const error = await start({ port: Number('abc') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalServerError);
    expect((error as Error).message).toContain('PORT must be a port number');
  });

  it('imports the Node 22 check before anything else', async () => {
    const source = await readFile('src/local/server.ts', 'utf8');
    expect(source.split('\n')[0]).toBe("import './require-node-22.js';");
  });
});

describe('what the banner says', () => {
  it('says development mode is on only when it is', async () => {
    const on = await start();
    expect(on.printed.join('\n')).toContain('Development mode on');
    const off = await start({ env: { LOG_LEVEL: 'silent', DO_CREDS_DEV_MODE: 'false' } });
    expect(off.printed.join('\n')).toContain('Development mode off');
    expect(off.printed.join('\n')).not.toContain('Development mode on');
    expect(off.printed.join('\n')).toContain('terminal mode');
  });

  it('stays with the file store when AWS credentials are in the shell, and says so', async () => {
    const { printed } = await start({ env: { LOG_LEVEL: 'silent', AWS_PROFILE: 'work', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE' } });
    const text = printed.join('\n');
    expect(text).toContain('encrypted local file store');
    expect(text).toContain('AWS credentials are set (AWS_PROFILE, AWS_ACCESS_KEY_ID), but local runs never use them unless CREDS_STORE=aws is set.');
    expect(text).not.toContain('REAL AWS');
  });
});
