// The signature of every call to a user's URL: `x-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">`, keyed with the account's signing secret. The receiver recomputes it over the bytes
// it got and checks t against its clock, so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-signature';

const hmacHex = (secret: string, unixSeconds: number, rawBody: string | Buffer): string =>
  createHmac('sha256', secret).update(`${unixSeconds}.`, 'utf8').update(rawBody).digest('hex');

/** The `x-signature` value for a body sent at `unixSeconds`. */
export function signatureHeader(secret: string, rawBody: string | Buffer, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, unixSeconds, rawBody)}`;
}

/**
 * Whether `header` is a valid signature of `rawBody` (the bytes as received, before any JSON parsing)
 * made with `secret` at most `toleranceSeconds` away from `nowSeconds`. Any `v1` entry may match.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  toleranceSeconds: number,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === undefined || signatures.length === 0 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, t, rawBody), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
