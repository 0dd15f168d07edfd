import '../src/local/require-node-22.js';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ReadStream } from 'node:tty';
import { drive } from '../src/local/driver.js';

/**
 * `npm run slack -- ...`: see src/local/driver.ts. This file is the terminal side: where the
 * server is, its signing secret, and how secrets are asked for without ever being shown:
 * on a terminal with echo off (raw mode, read key by key), else one line of stdin per secret.
 */

/** Ctrl-C at a prompt: nothing is sent, and the shell gets 130 as after SIGINT. */
class Cancelled extends Error {
  readonly exitCode = 130;
}

type Ask = (question: string) => Promise<string>;

// ---------------------------------------------------------------------------------------------
// On a terminal: raw mode, nothing echoed

const ENTER = new Set(['\r', '\n']);
const BACKSPACE = new Set(['\x7f', '\b']);
const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_U = '\x15';
const ESCAPE = '\x1b';

/** What the keys typed so far make: a finished line, a cancel, the end of input, or nothing yet. */
type KeyResult = { kind: 'line'; line: string; rest: string } | { kind: 'cancel' } | { kind: 'end' } | { kind: 'more'; line: string };

/** Applies typed keys to the line being typed; keys after Enter are kept for the next question. */
function applyKeys(line: string, keys: string): KeyResult {
  const chars = [...keys];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (ENTER.has(c)) return { kind: 'line', line, rest: chars.slice(i + 1).join('').replace(/^\n/, '') };
    if (c === CTRL_C) return { kind: 'cancel' };
    // Ctrl-D ends the input on an empty line (as a terminal does), and ends the line otherwise.
    if (c === CTRL_D) return line === '' ? { kind: 'end' } : { kind: 'line', line, rest: chars.slice(i + 1).join('') };
    if (BACKSPACE.has(c)) line = [...line].slice(0, -1).join('');
    else if (c === CTRL_U) line = '';
    else if (c === ESCAPE) i = skipEscape(chars, i);
    else if (c >= ' ') line += c;
  }
  return { kind: 'more', line };
}

/** Arrow keys and other escape sequences (ESC [ ... final, ESC O x) are skipped, not typed. */
function skipEscape(chars: string[], at: number): number {
  const next = chars[at + 1];
  if (next === 'O') return at + 2;
  if (next !== '[') return at;
  let i = at + 2;
  while (i < chars.length && !/[@-~]/.test(chars[i] as string)) i++;
  return i;
}

/** Asks on a terminal with echo off. Raw mode is always undone, on every way out. */
function terminalAsk(input: ReadStream, output: NodeJS.WriteStream): Ask {
  let typedAhead = '';
  let noted = false;
  return async (question) => {
    // One neutral note, so an empty-looking prompt is not taken for a hang.
    if (!noted) output.write('(What you type or paste is not shown. Press Enter when done.)\n');
    noted = true;
    output.write(question);
    const restore = enterRawMode(input);
    try {
      const result = await readLine(input, typedAhead);
      typedAhead = result.rest;
      return result.line;
    } finally {
      restore();
      output.write('\n');
    }
  };
}

/** Raw mode on; returns what turns it off again, also wired to exit and to the signals that end us. */
function enterRawMode(input: ReadStream): () => void {
  input.setRawMode(true);
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, signal);
  };
  const restore = () => {
    input.setRawMode(false);
    input.pause();
    process.off('exit', restore);
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  process.on('exit', restore);
  for (const s of SIGNALS) process.once(s, onSignal);
  return restore;
}

// In raw mode Ctrl-C is a key, not SIGINT; these come from outside (kill, a closed terminal).
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

function readLine(input: ReadStream, typedAhead: string): Promise<{ line: string; rest: string }> {
  return new Promise((resolve, reject) => {
    let line = '';
    const onKeys = (keys: string) => {
      const r = applyKeys(line, keys);
      if (r.kind === 'more') {
        line = r.line;
        return;
      }
      done();
      if (r.kind === 'line') resolve({ line: r.line, rest: r.rest });
      else if (r.kind === 'cancel') reject(new Cancelled('Cancelled: nothing was sent.'));
      else reject(new Error('Input ended (Ctrl-D) before the answer: nothing was sent.'));
    };
    const onEnd = () => {
      done();
      reject(new Error('The terminal closed before the answer: nothing was sent.'));
    };
    const done = () => {
      input.off('data', onKeys);
      input.off('end', onEnd);
    };
    input.setEncoding('utf8');
    input.on('data', onKeys);
    input.on('end', onEnd);
    input.resume();
    if (typedAhead) onKeys(typedAhead);
  });
}

// ---------------------------------------------------------------------------------------------
// Piped: one line of stdin per secret, in the order asked

function pipedAsk(input: NodeJS.ReadableStream): { ask: Ask; close: () => void } {
  let lines: AsyncIterator<string> | undefined;
  let rl: ReturnType<typeof createInterface> | undefined;
  const ask: Ask = async (question) => {
    // Opened at the first question: a command that asks nothing leaves stdin alone.
    rl ??= createInterface({ input, crlfDelay: Infinity, terminal: false });
    lines ??= rl[Symbol.asyncIterator]();
    const next = await lines.next();
    if (next.done) {
      const what = question.replace(/[:\s]+$/, '');
      throw new Error(`Standard input ended before the ${what}: pipe one line per secret, in the order asked (token, access key, secret key), or use --secrets-file. Nothing was sent.`);
    }
    return next.value;
  };
  return { ask, close: () => rl?.close() };
}

// ---------------------------------------------------------------------------------------------

/** The terminal-mode signing secret the server wrote (never created here: that is the server's). */
async function signingSecret(): Promise<string> {
  if (process.env.SLACK_SIGNING_SECRET) return process.env.SLACK_SIGNING_SECRET;
  // Missing: the server was never started here; the driver then says it is not running, or the
  // server refuses the signature with a sentence.
  return (await readFile('.local/dev-signing-secret', 'utf8').catch(() => '')).trim();
}

async function main(): Promise<void> {
  const url = process.env.DO_CREDS_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const piped = process.stdin.isTTY ? undefined : pipedAsk(process.stdin);
  // Prompts go to stderr: stdout carries only what Slack would show.
  const ask = piped?.ask ?? terminalAsk(process.stdin, process.stderr);
  try {
    process.stdout.write(`${await drive(process.argv.slice(2), { url, secret: await signingSecret(), ask })}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = error instanceof Cancelled ? error.exitCode : 1;
  } finally {
    piped?.close();
  }
}

let finished = false;
// Should anything ever wait on input that cannot come, say so instead of exiting quietly.
process.on('exit', (code) => {
  if (finished || code !== 0) return;
  process.stderr.write('The driver stopped before it finished: nothing more to read.\n');
  process.exitCode = 1;
});
void main().finally(() => {
  finished = true;
});
