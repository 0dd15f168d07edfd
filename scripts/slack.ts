import { createInterface } from 'node:readline/promises';
import { drive } from '../src/local/driver.js';
import { devSigningSecret } from '../src/local/server.js';

/** `npm run slack -- ...`: see src/local/driver.ts. */

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  // Hide what is typed: these are secrets.
  const write = (rl as unknown as { _writeToOutput?: (s: string) => void })._writeToOutput;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.startsWith(question)) write?.call(rl, s);
  };
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

const url = process.env.DO_CREDS_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const secret = process.env.SLACK_SIGNING_SECRET ?? (await devSigningSecret('.local'));
try {
  process.stdout.write(`${await drive(process.argv.slice(2), { url, secret, ask })}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
