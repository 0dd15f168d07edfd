import type { NewVersion } from '../../src/lib/credential-set.js';
import { fakeDoToken, fakeSpacesKey } from './credentials.js';

/** A new version of a set, as the form would save it, with credentials generated at run time. */
export function newVersion(env: string, key = `view-${Math.random()}`): NewVersion {
  const token = fakeDoToken();
  const { accessKey, secretKey } = fakeSpacesKey();
  return {
    value: { do_token: token, do_access_key: accessKey, do_secret_key: secretKey, spaces_region: 'nyc3', spaces_endpoint: 'https://nyc3.digitaloceanspaces.com' },
    metadata: {
      environment: env,
      expiresAt: new Date('2027-01-31T00:00:00Z'),
      submittedBy: 'U0SUBMITTER',
      submittedAt: new Date('2026-11-24T10:00:00Z'),
      tokenFingerprint: token.slice(-4),
      spacesKeyId: accessKey,
      spacesRegion: 'nyc3',
      spacesBucket: undefined,
      alertChannel: 'C0ALERTS',
      validatedAt: new Date('2026-11-24T10:00:00Z'),
      validation: 'ok',
      alertedThreshold: undefined,
    },
    idempotencyKey: key,
  };
}
