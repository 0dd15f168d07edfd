import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { createFileStore } from '../src/lib/file-store.js';
import { createSecretsManagerStore } from '../src/lib/secret-store.js';
import { deleteSet, type ManageDeps } from '../src/lib/slack/manage.js';
import { storeFaultText } from '../src/lib/slack/store-messages.js';

/** What a person reads when the store cannot be used, for each store. */

describe('store faults in words', () => {
  it('says there are no AWS credentials (a missing profile), not that AWS did not answer', async () => {
    // What the SDK's provider chain throws, before sending anything, when AWS_PROFILE names no profile.
    const noCredentials = () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const client = new SecretsManagerClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: noCredentials });
    const store = createSecretsManagerStore({ prefix: 'do-creds/', kmsKeyId: undefined, region: 'us-east-1', endpoint: undefined, timeoutMs: 500, hmacKey: 'k', retryBaseMs: 10, client });
    const found = await store.describe('prod');
    expect(found).toEqual({ kind: 'no_credentials' });
    const text = storeFaultText(found as { kind: 'no_credentials' }, 'read');
    expect(text).toContain('no AWS credentials');
    expect(text).not.toContain('did not answer');
  });

  it('tells how to bring a deleted set back from the store in use: no AWS command for the local store', async () => {
    const store = createFileStore({ dir: join(mkdtempSync(join(tmpdir(), 'do-creds-faults-')), 'creds'), prefix: 'do-creds/', hmacKey: 'k' });
    const now = new Date();
    const metadata = {
      environment: 'prod', expiresAt: undefined, submittedBy: 'U1', submittedAt: now, tokenFingerprint: 'abcd', spacesKeyId: 'DO00EXAMPLEEXAMPLE00', spacesRegion: 'nyc3',
      spacesBucket: undefined, alertChannel: undefined, validatedAt: now, validation: 'ok' as const, alertedThreshold: undefined,
    };
    const value = { do_token: 'x', do_access_key: 'DO00EXAMPLEEXAMPLE00', do_secret_key: 'y', spaces_region: 'nyc3', spaces_endpoint: 'https://nyc3.digitaloceanspaces.com' };
    expect((await store.save({ value, metadata, idempotencyKey: 'one' })).kind).toBe('ok');
    const deps = { store, recoveryDays: 7 } as unknown as ManageDeps;
    const { message, deleted } = await deleteSet(deps, 'prod');
    expect(deleted).toBe(true);
    const text = JSON.stringify(message);
    expect(text).not.toContain('aws secretsmanager');
    expect(text).toContain('/do-creds setup');
    expect(text).toContain('local store');
  });
});
