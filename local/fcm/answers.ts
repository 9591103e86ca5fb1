// FCM's answers as the real service words them: the error bodies tests script and the stand-in refuses
// with, and writing one on the wire.
import type { ServerResponse } from 'node:http';

export interface FcmScriptedResponse {
  readonly status: number;
  /** JSON body (an object) or raw text; FCM's own body for that status when absent. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function fcmError(status: number, statusName: string, message: string, errorCode?: string): FcmScriptedResponse {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: statusName,
        ...(errorCode
          ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] }
          : {}),
      },
    },
  };
}

/** FCM HTTP v1 answers, as the real service sends them. */
export const FCM_ANSWERS = {
  unregistered: (): FcmScriptedResponse =>
    fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'),
  invalidToken: (): FcmScriptedResponse =>
    fcmError(
      400,
      'INVALID_ARGUMENT',
      'The registration token is not a valid FCM registration token',
      'INVALID_ARGUMENT',
    ),
  senderIdMismatch: (): FcmScriptedResponse =>
    fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'),
  quotaExceeded: (retryAfterSeconds?: number): FcmScriptedResponse => ({
    ...fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric.', 'QUOTA_EXCEEDED'),
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  }),
  unavailable: (retryAfterSeconds?: number): FcmScriptedResponse => ({
    ...fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'),
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  }),
  internal: (): FcmScriptedResponse => fcmError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'),
} as const;

export const UNAUTHENTICATED = fcmError(
  401,
  'UNAUTHENTICATED',
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
);

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export function badRequest(problem: string, field: string): FcmScriptedResponse {
  return {
    status: 400,
    body: {
      error: {
        code: 400,
        message: problem,
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' },
          { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: problem }] },
        ],
      },
    },
  };
}

export function oauthError(res: ServerResponse, error: string, description: string): void {
  answer(res, { status: 400, body: { error, error_description: description } });
}

export function answer(res: ServerResponse, response: FcmScriptedResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  const body =
    response.body === undefined
      ? response.status === 200
        ? {}
        : fcmError(response.status, STATUS_NAMES[response.status] ?? 'UNKNOWN', 'Scripted failure.').body
      : response.body;
  if (typeof body === 'string') {
    res.end(body);
    return;
  }
  res.setHeader('content-type', 'application/json; charset=UTF-8');
  res.end(JSON.stringify(body));
}

export function errorCodeOf(response: FcmScriptedResponse): string {
  const error = (response.body as { error?: { status?: string; details?: { errorCode?: string }[] } } | undefined)
    ?.error;
  return error?.details?.find((d) => d.errorCode)?.errorCode ?? error?.status ?? '';
}
