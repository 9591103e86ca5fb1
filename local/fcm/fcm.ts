// The local FCM stand-in: Google's OAuth2 token endpoint (JWT-bearer grant) and FCM HTTP v1
// `messages:send`, on 127.0.0.1. At start it makes a service account (an RSA key pair) and writes its
// JSON key file; a sender that signs its grant with that key gets an access token, and every push it then
// sends is checked like FCM checks it, printed on one line and kept in `received`. Tests can script
// FCM's answers per device token (`respondWith`) or take it down (`down`).
import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.ts';
import {
  answer,
  badRequest,
  errorCodeOf,
  FCM_ANSWERS,
  type FcmScriptedResponse,
  fcmError,
  oauthError,
  UNAUTHENTICATED,
} from './answers.ts';
import { checkAssertion, FCM_SCOPE, parseMessage } from './checks.ts';

export { FCM_ANSWERS, FCM_SCOPE, type FcmScriptedResponse };

export const LOCAL_FCM_PROJECT_ID = 'local-project';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_SECONDS = 3600;
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

/** Device tokens are long and secret-ish: enough of one to tell pushes apart. */
export function shorten(token: string | undefined): string {
  if (!token) return '(no token)';
  return token.length <= 14 ? token : `${token.slice(0, 6)}…${token.slice(-4)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
