import type { StoreConfig } from './config.js';
import type { CredentialStore } from './credential-set.js';
import type { Logger } from './logger.js';
import { createFileStore } from './file-store.js';
import { createSecretsManagerStore, type StorePacing } from './secret-store.js';

/** The configured credential store: AWS Secrets Manager, or the embedded file store (CREDS_STORE). */
export function createStore(config: StoreConfig, hmacKey: string, retryBaseMs: number, more: { pacing?: StorePacing; logger?: Logger; maxAttempts?: number } = {}): CredentialStore {
  if (config.kind === 'file') return createFileStore({ dir: config.fileDir, prefix: config.prefix, hmacKey, logger: more.logger });
  return createSecretsManagerStore({ ...config, hmacKey, retryBaseMs, pacing: more.pacing, maxAttempts: more.maxAttempts });
}
