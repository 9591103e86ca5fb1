// OAuth2 access tokens for FCM from a Google service-account key, by the JWT-bearer grant (RFC 7523).
// The key's own `token_uri` is used as written (google-auth-library would hard-code Google's host).
import { readFile } from 'node:fs/promises';
import { importPKCS8, SignJWT } from 'jose';
import * as z from 'zod/mini';
import { ENV } from '../../lib/definitions.ts';
import { readSecretString } from '../shared/clients/secrets.ts';
import { optionalEnv } from '../shared/config.ts';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** A token is renewed this long before it expires, so none expires on its way to FCM. */
const RENEW_BEFORE_MS = 60_000;
const TOKEN_REQUEST_TIMEOUT_MS = 4_000;

/** Credentials or the token endpoint failed; sending may work later, once they are fixed or back. */
export class FcmAuthError extends Error {}

const serviceAccountKey = z.object({
  project_id: z.string().check(z.minLength(1)),
  client_email: z.string().check(z.minLength(1)),
  private_key: z.string().check(z.minLength(1)),
  private_key_id: z.optional(z.string()),
  token_uri: z.url(),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

let key: Promise<ServiceAccountKey> | undefined;

async function readKeyText(): Promise<string> {
  const file = optionalEnv(ENV.fcmCredentialsFile);
  const secretArn = optionalEnv(ENV.fcmCredentialsSecretArn);
  if (file) {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new FcmAuthError(
        `The FCM credentials file cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (secretArn) {
    let value: string | undefined;
    try {
      value = await readSecretString(secretArn);
    } catch (error) {
      throw new FcmAuthError(`The FCM credentials secret cannot be read: ${(error as Error).name}`);
    }
    if (!value) throw new FcmAuthError('The FCM credentials secret has no value yet');
    return value;
  }
  throw new FcmAuthError(`${ENV.fcmCredentialsFile} or ${ENV.fcmCredentialsSecretArn} must be set`);
}

async function readKey(): Promise<ServiceAccountKey> {
  const text = await readKeyText();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FcmAuthError('The FCM credentials are not JSON');
  }
  const parsed = serviceAccountKey.safeParse(json);
  if (!parsed.success) {
    // Names the missing fields only: the key itself must never reach a log.
    throw new FcmAuthError(`The FCM credentials lack ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return parsed.data;
}

/** The service-account key, read once per container; a failed read is not cached, so the next call retries. */
export function loadServiceAccountKey(): Promise<ServiceAccountKey> {
  if (!key) {
    const reading = readKey();
    key = reading;
    reading.catch(() => {
      if (key === reading) key = undefined;
    });
  }
  return key;
}

let cached: { readonly token: string; readonly renewAt: number } | undefined;
let pending: Promise<string> | undefined;

async function requestToken(now: number): Promise<{ token: string; renewAt: number }> {
  const sa = await loadServiceAccountKey();
  let assertion: string;
  try {
    const signingKey = await importPKCS8(sa.private_key, 'RS256');
    const iat = Math.floor(now / 1000);
    assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(sa.private_key_id ? { kid: sa.private_key_id } : {}) })
      .setIssuer(sa.client_email)
      .setAudience(sa.token_uri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(signingKey);
  } catch {
    throw new FcmAuthError('The FCM service-account private key cannot sign');
  }
  let res: Response;
  try {
    res = await fetch(sa.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
      signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new FcmAuthError(`The token endpoint is unreachable: ${(error as Error).name}`);
  }
  const text = await res.text();
  if (!res.ok) throw new FcmAuthError(`The token endpoint answered ${res.status}`);
  let body: { access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new FcmAuthError('The token endpoint answered something other than JSON');
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new FcmAuthError('The token endpoint answered without an access_token');
  }
  const expiresInMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
  return { token: body.access_token, renewAt: now + expiresInMs - RENEW_BEFORE_MS };
}

/** A valid access token: the cached one until shortly before it expires; concurrent callers share one request. */
export async function getAccessToken(now: number = Date.now()): Promise<string> {
  if (cached && now < cached.renewAt) return cached.token;
  if (!pending) {
    pending = requestToken(now)
      .then((fresh) => {
        cached = fresh;
        return fresh.token;
      })
      .finally(() => {
        pending = undefined;
      });
  }
  return pending;
}

/** FCM refused the token (401): the next request gets a fresh one. */
export function forgetAccessToken(): void {
  cached = undefined;
}

/** Forgets the key and the token (for tests that change credentials within one process). */
export function resetFcmAuth(): void {
  key = undefined;
  cached = undefined;
  pending = undefined;
}
