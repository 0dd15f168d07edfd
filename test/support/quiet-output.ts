import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Tests are quiet when they pass. vitest (`silent: 'passed-only'` in vitest.config.ts) keeps a
 * test's console output and prints it only if the test fails, but the code under test logs with
 * pino to process.stdout, which vitest does not capture. So in the test workers, writes to stdout
 * and stderr go through the console: hidden for a passing test, shown with a failing one. Tests
 * that read the logs (harness.ts `captureOutput`) spy on process.stdout.write as before.
 */
let inside = false;
const asConsole = (stream: NodeJS.WriteStream, log: (text: string) => void) => {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  return function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    // Should the console itself write to the stream (vitest not intercepting it), write as usual.
    if (inside) return original(chunk, encoding, callback);
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    inside = true;
    try {
      log(text.endsWith('\n') ? text.slice(0, -1) : text);
    } finally {
      inside = false;
    }
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  } as typeof process.stdout.write;
};

// eslint-disable-next-line no-console -- the point: vitest holds console output back for passing tests
process.stdout.write = asConsole(process.stdout, (text) => console.log(text));
// eslint-disable-next-line no-console -- likewise
process.stderr.write = asConsole(process.stderr, (text) => console.error(text));

// Handlers built from process.env (harness.ts) without a Secrets Manager endpoint use the file
// store (CREDS_STORE=auto): keep it out of the working tree, one folder per test file.
const storeDir = mkdtempSync(join(tmpdir(), 'do-creds-test-store-'));
process.env.CREDS_FILE_DIR = join(storeDir, 'creds');
afterAll(() => rmSync(storeDir, { recursive: true, force: true }));
