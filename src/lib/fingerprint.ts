/** What people may see of a secret: its last four characters, never more. */
export function lastFour(secret: string): string {
  return `…${secret.slice(-4)}`;
}
