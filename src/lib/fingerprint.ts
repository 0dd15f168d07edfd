/** What people may see of a secret: its last four characters, never more. */
export function fingerprint(secret: string): string {
  return secret.slice(-4);
}

/** A fingerprint as shown to people. */
export function showFingerprint(fp: string): string {
  return `…${fp}`;
}
