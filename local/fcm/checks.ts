// What Google's token endpoint and FCM check of a request, as far as this product's sender goes: the
// JWT-bearer grant, and the message's fields and size.
import type { KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** FCM's limit on a message's notification and data payload. */
const MAX_PAYLOAD_BYTES = 4096;

/** What Google's token endpoint checks in a JWT-bearer grant; undefined when the grant is good. */
export async function checkAssertion(
  assertion: string,
  publicKey: KeyObject,
  clientEmail: string,
  tokenUri: string,
): Promise<{ error: string; description: string } | undefined> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(assertion, publicKey, { algorithms: ['RS256'], clockTolerance: 30 }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED')
      return {
        error: 'invalid_grant',
        description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.',
      };
    return { error: 'invalid_grant', description: 'Invalid JWT Signature.' };
  }
  if (payload.iss !== clientEmail)
    return { error: 'invalid_grant', description: 'Invalid JWT: iss is not the service account.' };
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(tokenUri))
    return { error: 'invalid_grant', description: 'Invalid JWT: aud is not the token endpoint.' };
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat || exp - iat > 3600) {
    return {
      error: 'invalid_grant',
      description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
    };
  }
  if (iat > Date.now() / 1000 + 30)
    return { error: 'invalid_grant', description: 'Invalid JWT: iat is in the future.' };
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
  if (!scopes.includes(FCM_SCOPE))
    return { error: 'invalid_scope', description: `The scope must include ${FCM_SCOPE}.` };
  return undefined;
}

export interface ValidMessage {
  readonly token: string;
  readonly title: string;
  readonly body: string;
  readonly data: Record<string, string>;
}

const RESERVED_DATA_KEYS = new Set(['from', 'notification', 'message_type']);

/** FCM's validation of the request body, for the fields this product sends. */
export function parseMessage(
  text: string | undefined,
): { message: ValidMessage } | { problem: string; field: string; token?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    return { problem: 'Invalid JSON payload received.', field: '' };
  }
  const message = (json as { message?: unknown } | null)?.message;
  if (!message || typeof message !== 'object') return { problem: 'message is required.', field: 'message' };
  const m = message as { token?: unknown; notification?: unknown; data?: unknown };
  if (typeof m.token !== 'string' || m.token === '')
    return { problem: 'message.token is required.', field: 'message.token' };
  const token = m.token;
  const n = m.notification as { title?: unknown; body?: unknown } | undefined;
  if (!n || typeof n !== 'object' || typeof n.title !== 'string' || typeof n.body !== 'string') {
    return { problem: 'message.notification needs a title and a body.', field: 'message.notification', token };
  }
  const data: Record<string, string> = {};
  if (m.data !== undefined) {
    if (!m.data || typeof m.data !== 'object' || Array.isArray(m.data)) {
      return { problem: 'message.data must be a map of strings.', field: 'message.data', token };
    }
    for (const [key, value] of Object.entries(m.data)) {
      if (typeof value !== 'string') {
        return {
          problem: `Invalid value at 'message.data[${key}].value' (TYPE_STRING)`,
          field: `message.data[${key}].value`,
          token,
        };
      }
      if (RESERVED_DATA_KEYS.has(key) || key.startsWith('google') || key.startsWith('gcm')) {
        return { problem: `Invalid data payload key: ${key}`, field: 'message.data', token };
      }
      data[key] = value;
    }
  }
  const size =
    Buffer.byteLength(n.title) +
    Buffer.byteLength(n.body) +
    Object.entries(data).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_PAYLOAD_BYTES) return { problem: 'Message is too big', field: 'message', token };
  return { message: { token, title: n.title, body: n.body, data } };
}
