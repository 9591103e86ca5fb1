// The local FCM stand-in: Google's OAuth2 token endpoint (JWT-bearer grant) and FCM HTTP v1
// `messages:send`, on 127.0.0.1. At start it makes a service account (an RSA key pair) and writes its
// JSON key file; a sender that signs its grant with that key gets an access token, and every push it then
// sends is checked like FCM checks it, printed on one line and kept in `received`. Tests can script
// FCM's answers per device token (`respondWith`) or take it down (`down`).
import { generateKeyPair, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.ts';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const LOCAL_FCM_PROJECT_ID = 'local-project';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_SECONDS = 3600;
/** FCM's limit on a message's notification and data payload. */
const MAX_PAYLOAD_BYTES = 4096;
const MAX_REQUEST_BYTES = 1024 * 1024;

export interface FcmPush {
  /** When the stand-in accepted it (ISO-8601). */
  readonly time: string;
  readonly project: string;
  readonly deviceToken: string;
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
  /** The message name FCM answered with: projects/{project}/messages/{id}. */
  readonly name: string;
}

/** Every `messages:send` request that got past authentication, with the status it was answered. */
export interface FcmSendRequest {
  readonly time: string;
  readonly deviceToken: string | undefined;
  readonly status: number;
}

export interface FcmScriptedResponse {
  readonly status: number;
  /** JSON body (an object) or raw text; FCM's own body for that status when absent. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FcmStandIn {
  /** For FCM_BASE_URL: http://127.0.0.1:<port> (the API lives under /v1/...). */
  readonly baseUrl: string;
  /** The service account's token_uri. */
  readonly tokenUri: string;
  readonly projectId: string;
  readonly clientEmail: string;
  /** Path of the service-account JSON key file, for FCM_CREDENTIALS_FILE. */
  readonly credentialsFile: string;
  /** Pushes accepted (a device would show them), oldest first. */
  readonly received: FcmPush[];
  /** Every authenticated send request and its answer's status, scripted failures included. */
  readonly sendRequests: FcmSendRequest[];
  /** Access tokens issued so far. */
  readonly tokenRequests: number;
  /** TCP connections opened to it so far (senders that reuse connections open few). */
  readonly connections: number;
  /** The next answers for sends to this device token, in order; then normal service again. */
  respondWith(deviceToken: string, responses: readonly FcmScriptedResponse[]): void;
  /**
   * While on, every send answers 503 UNAVAILABLE; with `retryAfterSeconds` the answers carry
   * `Retry-After`, so senders come back on a known beat.
   */
  down(on?: boolean, options?: FcmDownOptions): void;
  /** Makes every access token issued so far invalid (as if they had expired). */
  revokeAccessTokens(): void;
  /** Forgets pushes, requests, scripts and `down`. */
  reset(): void;
  stop(): Promise<void>;
}

export interface FcmDownOptions {
  readonly retryAfterSeconds?: number;
}

export interface FcmStandInOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Where to write the key file; a fresh temp directory (removed at stop) when absent. */
  readonly stateDir?: string;
  /** Each push on one line. */
  readonly log?: (line: string) => void;
  /** How long each send takes to answer (default 0), as FCM's own round trip does; the push counts at arrival. */
  readonly sendLatencyMs?: number;
}

// ---- FCM's error answers, for scripting ----------------------------------------------------------------

function fcmError(status: number, statusName: string, message: string, errorCode?: string): FcmScriptedResponse {
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

const UNAUTHENTICATED = fcmError(
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

// ---- The server ----------------------------------------------------------------------------------------

export async function startFcmStandIn(options: FcmStandInOptions = {}): Promise<FcmStandIn> {
  const log = options.log ?? (() => {});
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `local-push@${LOCAL_FCM_PROJECT_ID}.iam.gserviceaccount.com`;

  const received: FcmPush[] = [];
  const sendRequests: FcmSendRequest[] = [];
  const accessTokens = new Map<string, number>();
  const scripts = new Map<string, FcmScriptedResponse[]>();
  let tokenRequests = 0;
  let isDown = false;
  let downAnswer = FCM_ANSWERS.unavailable();

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`[fcm] ${req.method} ${req.url} failed: ${String(error)}`);
      if (!res.headersSent) answer(res, fcmError(500, 'INTERNAL', 'Internal error encountered.'));
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections++;
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  const baseUrl = `http://${LOOPBACK}:${port}`;
  const tokenUri = `${baseUrl}/token`;

  const ownDir = options.stateDir ? undefined : await mkdtemp(join(tmpdir(), 'sched-fcm-'));
  const credentialsFile = join(options.stateDir ?? (ownDir as string), 'fcm-service-account.json');
  await writeFile(
    credentialsFile,
    `${JSON.stringify(
      {
        type: 'service_account',
        project_id: LOCAL_FCM_PROJECT_ID,
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKeyPem,
        client_email: clientEmail,
        client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
        auth_uri: `${baseUrl}/auth`,
        token_uri: tokenUri,
        universe_domain: 'googleapis.com',
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' && path === '/token') return issueToken(req, res);
    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
    if (req.method === 'POST' && send?.[1]) return acceptPush(req, res, decodeURIComponent(send[1]));
    answer(res, fcmError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`));
  }

  async function issueToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readText(req)) ?? '');
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER) {
      return oauthError(res, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    }
    const assertion = form.get('assertion');
    if (!assertion) return oauthError(res, 'invalid_request', 'Missing required parameter: assertion');
    const problem = await checkAssertion(assertion, publicKey, clientEmail, tokenUri);
    if (problem) return oauthError(res, problem.error, problem.description);
    tokenRequests++;
    const accessToken = `ya29.local-${randomBytes(32).toString('base64url')}`;
    accessTokens.set(accessToken, Date.now() + ACCESS_TOKEN_SECONDS * 1000);
    answer(res, {
      status: 200,
      body: { access_token: accessToken, expires_in: ACCESS_TOKEN_SECONDS, token_type: 'Bearer' },
    });
  }

  async function acceptPush(req: IncomingMessage, res: ServerResponse, project: string): Promise<void> {
    const time = new Date().toISOString();
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiresAt = bearer ? accessTokens.get(bearer) : undefined;
    const text = await readText(req);
    if (options.sendLatencyMs) await new Promise((resolve) => setTimeout(resolve, options.sendLatencyMs));
    if (expiresAt === undefined || expiresAt < Date.now()) return answer(res, UNAUTHENTICATED);
    if (project !== LOCAL_FCM_PROJECT_ID) {
      return answer(
        res,
        fcmError(
          403,
          'PERMISSION_DENIED',
          `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`,
        ),
      );
    }
    const parsed = parseMessage(text);
    const deviceToken = 'message' in parsed ? parsed.message.token : parsed.token;
    const respond = (response: FcmScriptedResponse) => {
      sendRequests.push({ time, deviceToken, status: response.status });
      answer(res, response);
    };
    if ('problem' in parsed) {
      log(`${time} push to ${shorten(deviceToken)} refused: 400 ${parsed.problem}`);
      return respond(badRequest(parsed.problem, parsed.field));
    }
    const { message } = parsed;
    const scripted = scripts.get(message.token)?.shift();
    const failure = scripted && scripted.status !== 200 ? scripted : isDown ? downAnswer : undefined;
    if (failure) {
      log(`${time} push to ${shorten(message.token)} answered ${failure.status} ${errorCodeOf(failure)}`);
      return respond(failure);
    }
    const name = `projects/${project}/messages/${randomUUID()}`;
    received.push({
      time,
      project,
      deviceToken: message.token,
      title: message.title,
      body: message.body,
      data: message.data,
      name,
    });
    log(`${time} push to ${shorten(message.token)}: ${JSON.stringify(message.title)} ${oneLine(message.body)}`);
    respond(scripted?.body === undefined ? { status: 200, body: { name } } : scripted);
  }

  let stopped: Promise<void> | undefined;
  return {
    baseUrl,
    tokenUri,
    projectId: LOCAL_FCM_PROJECT_ID,
    clientEmail,
    credentialsFile,
    received,
    sendRequests,
    get tokenRequests() {
      return tokenRequests;
    },
    get connections() {
      return connections;
    },
    respondWith(deviceToken, responses) {
      scripts.set(deviceToken, [...(scripts.get(deviceToken) ?? []), ...responses]);
    },
    down(on = true, downOptions = {}) {
      isDown = on;
      downAnswer = FCM_ANSWERS.unavailable(on ? downOptions.retryAfterSeconds : undefined);
    },
    revokeAccessTokens() {
      accessTokens.clear();
    },
    reset() {
      received.length = 0;
      sendRequests.length = 0;
      scripts.clear();
      isDown = false;
      downAnswer = FCM_ANSWERS.unavailable();
    },
    stop() {
      stopped ??= (async () => {
        await closeServer(server);
        if (ownDir) await rm(ownDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** What Google's token endpoint checks in a JWT-bearer grant; undefined when the grant is good. */
async function checkAssertion(
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

interface ValidMessage {
  readonly token: string;
  readonly title: string;
  readonly body: string;
  readonly data: Record<string, string>;
}

const RESERVED_DATA_KEYS = new Set(['from', 'notification', 'message_type']);

/** FCM's validation of the request body, for the fields this product sends. */
function parseMessage(
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

function badRequest(problem: string, field: string): FcmScriptedResponse {
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

function oauthError(res: ServerResponse, error: string, description: string): void {
  answer(res, { status: 400, body: { error, error_description: description } });
}

function answer(res: ServerResponse, response: FcmScriptedResponse): void {
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

async function readText(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorCodeOf(response: FcmScriptedResponse): string {
  const error = (response.body as { error?: { status?: string; details?: { errorCode?: string }[] } } | undefined)
    ?.error;
  return error?.details?.find((d) => d.errorCode)?.errorCode ?? error?.status ?? '';
}

/** Device tokens are long and secret-ish: enough of one to tell pushes apart. */
export function shorten(token: string | undefined): string {
  if (!token) return '(no token)';
  return token.length <= 14 ? token : `${token.slice(0, 6)}…${token.slice(-4)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
