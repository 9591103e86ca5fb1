// One FCM HTTP v1 `messages:send` request, and what its answer means for the alarm.
import { DEFAULTS, ENV } from '../../lib/definitions.ts';
import { optionalEnv } from '../shared/config.ts';
import { parseRetryAfter } from '../shared/retry-after.ts';
import { FcmAuthError, forgetAccessToken, getAccessToken, loadServiceAccountKey } from './fcm-auth.ts';
import { fcmMessage } from './fcm-message.ts';

const SEND_TIMEOUT_MS = 8_000;
const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

export interface Push {
  readonly alarmId: string;
  readonly deviceToken: string;
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
  /** ISO UTC time of the occurrence; recurring alarms only. */
  readonly occurrenceAt?: string;
}

/** Why a device token is dead; recorded as the alarm's failureReason. */
export type DeadTokenReason = 'UNREGISTERED' | 'INVALID_TOKEN' | 'SENDER_ID_MISMATCH';

export type FcmResult =
  | { readonly kind: 'accepted' }
  /** The token will never work again: FAILED, no retry. */
  | { readonly kind: 'dead-token'; readonly reason: DeadTokenReason }
  /** FCM refused this message for good (a bad payload): FAILED, no retry. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** Try again later (429, 5xx, network, credentials); `retryAfterSeconds` when FCM said when. */
  | { readonly kind: 'retry-later'; readonly reason: string; readonly retryAfterSeconds?: number };

const baseUrl = (): string => (optionalEnv(ENV.fcmBaseUrl) ?? DEFAULTS.fcmBaseUrl).replace(/\/+$/, '');

interface FcmErrorBody {
  readonly error?: {
    readonly code?: number;
    readonly status?: string;
    readonly message?: string;
    readonly details?: readonly { readonly '@type'?: string; readonly errorCode?: string }[];
  };
}

function parseErrorBody(text: string): FcmErrorBody['error'] {
  try {
    const body = JSON.parse(text) as FcmErrorBody;
    return typeof body === 'object' && body !== null ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/** What an FCM error answer means. Exported for tests of the classification itself. */
export function classifyFcmError(status: number, text: string, retryAfter: string | null, now: number): FcmResult {
  const error = parseErrorBody(text);
  const fcmCode = error?.details?.find((d) => d['@type'] === FCM_ERROR_TYPE)?.errorCode;
  const code = fcmCode ?? error?.status;
  if (status === 404 && code === 'UNREGISTERED') return { kind: 'dead-token', reason: 'UNREGISTERED' };
  if (status === 403 && code === 'SENDER_ID_MISMATCH') return { kind: 'dead-token', reason: 'SENDER_ID_MISMATCH' };
  // Other 400s are payloads FCM will never take (too large, reserved key): failing for good is right too,
  // but only the token's own invalidity is reported as a dead token.
  if (status === 400 && code === 'INVALID_ARGUMENT' && /registration token/i.test(error?.message ?? '')) {
    return { kind: 'dead-token', reason: 'INVALID_TOKEN' };
  }
  if (status === 429 || status >= 500) {
    const retryAfterSeconds = parseRetryAfter(retryAfter, now);
    return {
      kind: 'retry-later',
      reason: 'FCM_UNAVAILABLE',
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  }
  return { kind: 'rejected', reason: `FCM_REJECTED_${status}${code ? `_${code}` : ''}` };
}

async function post(url: string, token: string, push: Push): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(fcmMessage(push)),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
}

/** Makes the FCM request for one alarm. Never throws: every failure is a result the caller acts on. */
export async function sendPush(push: Push): Promise<FcmResult> {
  try {
    const { project_id } = await loadServiceAccountKey();
    const url = `${baseUrl()}/v1/projects/${encodeURIComponent(project_id)}/messages:send`;
    let res = await post(url, await getAccessToken(), push);
    if (res.status === 401) {
      // Revoked or expired early: one more try with a fresh token. A 401 means nothing was delivered.
      await res.text();
      forgetAccessToken();
      res = await post(url, await getAccessToken(), push);
    }
    const text = await res.text();
    if (res.ok) return { kind: 'accepted' };
    if (res.status === 401) return { kind: 'retry-later', reason: 'FCM_AUTH_FAILED' };
    return classifyFcmError(res.status, text, res.headers.get('retry-after'), Date.now());
  } catch (error) {
    if (error instanceof FcmAuthError) return { kind: 'retry-later', reason: 'FCM_AUTH_FAILED' };
    // Timeouts, refused connections, resets: FCM may or may not have it; like a 503.
    return { kind: 'retry-later', reason: 'FCM_UNREACHABLE' };
  }
}
