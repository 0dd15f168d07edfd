import { randomBytes, randomInt } from 'node:crypto';

/** Fake credentials of DigitalOcean's shapes, generated at run time: nothing real is committed. */

export function fakeDoToken(): string {
  return `dop_v1_${randomBytes(32).toString('hex')}`;
}

export function fakeSpacesKey(): { accessKey: string; secretKey: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const accessKey = 'DO00' + Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]).join('');
  // 43 base64 characters, like the secrets DigitalOcean shows; no trailing '='.
  const secretKey = randomBytes(32).toString('base64').slice(0, 43);
  return { accessKey, secretKey };
}
