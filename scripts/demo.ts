import '../src/local/require-node-22.js';
import { createInterface } from 'node:readline';
import { startDemo } from '../src/local/sandbox.js';
import { LocalServerError } from '../src/local/server.js';

/**
 * `npm run demo`: the offline demo (src/local/sandbox.ts). The bot in terminal mode against built-in
 * DigitalOcean and Spaces sandboxes on 127.0.0.1, sample credentials printed, the walk to follow with
 * `npm run slack` in another terminal. Lines typed here: `revoke <sample>`.
 */

const port = (process.env.PORT ?? '').trim() === '' ? 3000 : Number(process.env.PORT);
let demo: Awaited<ReturnType<typeof startDemo>>;
try {
  demo = await startDemo({ port, dataDir: '.local', env: process.env });
} catch (error) {
  if (!(error instanceof LocalServerError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write('Demo stopped; its sandbox credentials no longer work anywhere.\n');
  await demo.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

// Typed here: `revoke <sample>` makes the sandbox reject that token, as deleting it in DigitalOcean's control panel would.
if (process.stdin.isTTY) {
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    const [word, name] = line.trim().split(/\s+/);
    if (word === '' || word === undefined) return;
    if (word === 'revoke' && name) {
      try {
        demo.sandbox.revoke(name);
        process.stdout.write(`SANDBOX: DigitalOcean now rejects the ${name} token (401), as if deleted in the control panel. Try \`npm run slack -- scan\`.\n`);
      } catch (error) {
        process.stdout.write(`${(error as Error).message}\n`);
      }
    } else {
      process.stdout.write('Here you can type: revoke <sample> (e.g. revoke full-access). Ctrl-C stops the demo.\n');
    }
  });
  lines.on('close', () => void stop());
}
