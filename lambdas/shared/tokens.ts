import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Longest bearer token worth looking up; anything longer is rejected before hashing. */
export const MAX_TOKEN_LENGTH = 512;

/** A new account token: 32 random bytes. Only its hash is ever stored. */
export const newToken = (): string => `sbt_${randomBytes(32).toString('base64url')}`;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of two secrets of any length (their digests have equal length). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
