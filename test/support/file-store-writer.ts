import { createFileStore } from '../../src/lib/file-store.js';
import { fakeDoToken, fakeSpacesKey } from './credentials.js';

/**
 * A second process writing to the embedded store: `node --import tsx file-store-writer.ts DIR LABEL
 * COUNT START_AT` saves COUNT sets (LABEL-0, LABEL-1, ...) one after another from START_AT (epoch
 * ms, so that two writers overlap), then prints how many were answered ok, as JSON.
 */

const [dir, label, count, startAt] = process.argv.slice(2);
if (!dir || !label || !count || !startAt) throw new Error('usage: file-store-writer.ts DIR LABEL COUNT START_AT');
const problems: string[] = [];
const store = createFileStore({
  dir,
  prefix: 'p/',
  hmacKey: 'k',
  logger: { warn: (_d, m) => problems.push(m), error: (_d, m) => problems.push(m) },
});
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
let ok = 0;
for (let i = 0; i < Number(count); i += 1) {
  const token = fakeDoToken();
  const { accessKey, secretKey } = fakeSpacesKey();
  const saved = await store.save({
    value: { do_token: token, do_access_key: accessKey, do_secret_key: secretKey, spaces_region: 'nyc3', spaces_endpoint: 'https://nyc3.digitaloceanspaces.com' },
    metadata: {
      environment: `${label}-${i}`,
      expiresAt: undefined,
      submittedBy: 'U0SUBMITTER',
      submittedAt: new Date(),
      tokenFingerprint: token.slice(-4),
      spacesKeyId: accessKey,
      spacesRegion: 'nyc3',
      spacesBucket: undefined,
      alertChannel: undefined,
      validatedAt: new Date(),
      validation: 'ok',
      alertedThreshold: undefined,
    },
    idempotencyKey: `${label}-${i}`,
  });
  if (saved.kind === 'ok') ok += 1;
}
process.stdout.write(JSON.stringify({ ok, problems }) + '\n');
