// The FCM client against a fake FCM over real HTTP on 127.0.0.1: it checks the JWT-bearer grant with the
// test's own key pair, the request path, the bearer token and the body, and answers as scripted.
import '../support/unit-env.ts';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FCM_SCOPE, getAccessToken, resetFcmAuth } from '../../lambdas/alarms/fcm-auth.ts';
import { classifyFcmError, sendPush } from '../../lambdas/alarms/fcm-client.ts';
import { parseRetryAfter } from '../../lambdas/shared/retry-after.ts';
import { ENV } from '../../lib/definitions.ts';

const PROJECT = 'alarm-test-project';
const CLIENT_EMAIL = 'pusher@alarm-test-project.iam.gserviceaccount.com';
/** Deliberately not Google's path: the client must use the key's token_uri as written. */
const TOKEN_PATH = '/custom/oauth2/v4/token';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(tmpdir(), 'fcm-client-test-'));
const keyFile = join(dir, 'service-account.json');

interface Scripted {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const fake = {
  grants: [] as Record<string, unknown>[],
  sends: [] as { path: string; authorization: string | undefined; body: unknown }[],
  issued: new Set<string>(),
  script: [] as Scripted[],
  tokenAnswer: undefined as Scripted | undefined,
  expiresIn: 3600,
  refuseEveryToken: false,
  reset() {
    this.refuseEveryToken = false;
    this.grants = [];
    this.sends = [];
    this.issued.clear();
    this.script = [];
    this.tokenAnswer = undefined;
    this.expiresIn = 3600;
  },
};

let server: Server;
let baseUrl: string;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: import('node:http').ServerResponse, answer: Scripted): void {
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(answer.body === undefined ? '{}' : JSON.stringify(answer.body));
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await readBody(req);
    if (req.method === 'POST' && req.url === TOKEN_PATH) {
      if (fake.tokenAnswer) return reply(res, fake.tokenAnswer);
      const form = new URLSearchParams(text);
      try {
        const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', publicKey, {
          algorithms: ['RS256'],
          issuer: CLIENT_EMAIL,
          audience: `${baseUrl}${TOKEN_PATH}`,
        });
        fake.grants.push({
          ...payload,
          kid: protectedHeader.kid,
          contentType: req.headers['content-type'],
          grantType: form.get('grant_type'),
        });
      } catch {
        return reply(res, { status: 400, body: { error: 'invalid_grant' } });
      }
      const token = `ya29.${randomBytes(8).toString('hex')}`;
      fake.issued.add(token);
      return reply(res, {
        status: 200,
        body: { access_token: token, expires_in: fake.expiresIn, token_type: 'Bearer' },
      });
    }
    const authorization = req.headers.authorization;
    fake.sends.push({ path: req.url ?? '', authorization, body: JSON.parse(text) });
    const bearer = authorization?.replace(/^Bearer /, '') ?? '';
    if (fake.refuseEveryToken || !fake.issued.has(bearer))
      return reply(res, { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } });
    reply(res, fake.script.shift() ?? { status: 200, body: { name: `projects/${PROJECT}/messages/1` } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: 'kid-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: CLIENT_EMAIL,
      token_uri: `${baseUrl}${TOKEN_PATH}`,
    }),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  fake.reset();
  resetFcmAuth();
  process.env[ENV.fcmBaseUrl] = baseUrl;
  process.env[ENV.fcmCredentialsFile] = keyFile;
  delete process.env[ENV.fcmCredentialsSecretArn];
});

const push = {
  alarmId: '01JBBBBBBBBBBBBBBBBBBBBBBB',
  deviceToken: 'device-1',
  title: 'Stand up',
  body: 'Room 4',
  data: { room: '4' },
};

const fcmError = (status: number, statusName: string, message: string, errorCode?: string): Scripted => ({
  status,
  body: {
    error: {
      code: status,
      status: statusName,
      message,
      details: errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] : [],
    },
  },
});

describe('sending a push', () => {
  it('makes the contract’s request with a bearer token from the key’s own token endpoint', async () => {
    await expect(sendPush(push)).resolves.toEqual({ kind: 'accepted' });
    expect(fake.sends).toHaveLength(1);
    const [send] = fake.sends;
    expect(send?.path).toBe(`/v1/projects/${PROJECT}/messages:send`);
    expect(fake.issued.has(send?.authorization?.replace('Bearer ', '') ?? '')).toBe(true);
    expect(send?.body).toEqual({
      message: {
        token: 'device-1',
        notification: { title: 'Stand up', body: 'Room 4' },
        data: { room: '4', alarmId: '01JBBBBBBBBBBBBBBBBBBBBBBB' },
      },
    });
    const [grant] = fake.grants;
    expect(grant).toMatchObject({
      iss: CLIENT_EMAIL,
      scope: FCM_SCOPE,
      kid: 'kid-1',
      contentType: 'application/x-www-form-urlencoded',
      grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    });
    const { iat, exp } = grant as { iat: number; exp: number };
    expect(exp - iat).toBeLessThanOrEqual(3600);
    expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(5);
  });

  it('reuses the access token until shortly before it expires', async () => {
    await sendPush(push);
    await sendPush(push);
    expect(fake.grants).toHaveLength(1);
    expect(fake.sends).toHaveLength(2);
  });

  it('renews the token 60 s before expires_in runs out', async () => {
    fake.expiresIn = 61;
    const now = Date.now();
    const first = await getAccessToken(now);
    expect(await getAccessToken(now + 500)).toBe(first);
    expect(await getAccessToken(now + 1500)).not.toBe(first);
    expect(fake.grants).toHaveLength(2);
  });

  it('on a 401 drops its token and tries once more with a fresh one', async () => {
    await sendPush(push);
    fake.issued.clear();
    await expect(sendPush(push)).resolves.toEqual({ kind: 'accepted' });
    expect(fake.grants).toHaveLength(2);
    expect(fake.sends).toHaveLength(3);
  });

  it('gives up for now when FCM refuses even a fresh token', async () => {
    fake.refuseEveryToken = true;
    await expect(sendPush(push)).resolves.toEqual({ kind: 'retry-later', reason: 'FCM_AUTH_FAILED' });
    expect(fake.sends).toHaveLength(2);
  });

  it.each([
    ['404 UNREGISTERED', fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'), 'UNREGISTERED'],
    [
      '400 invalid registration token',
      fcmError(
        400,
        'INVALID_ARGUMENT',
        'The registration token is not a valid FCM registration token',
        'INVALID_ARGUMENT',
      ),
      'INVALID_TOKEN',
    ],
    [
      '403 SENDER_ID_MISMATCH',
      fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'),
      'SENDER_ID_MISMATCH',
    ],
  ])('reports a dead token on %s', async (_name, answer, reason) => {
    fake.script = [answer];
    await expect(sendPush(push)).resolves.toEqual({ kind: 'dead-token', reason });
    expect(fake.sends).toHaveLength(1);
  });

  it('reports a payload FCM will never take as rejected, not as a dead token', async () => {
    fake.script = [fcmError(400, 'INVALID_ARGUMENT', 'Message is too big', 'INVALID_ARGUMENT')];
    await expect(sendPush(push)).resolves.toEqual({ kind: 'rejected', reason: 'FCM_REJECTED_400_INVALID_ARGUMENT' });
  });

  it('asks to retry on 429 with Retry-After in seconds, and on 503 with Retry-After as a date', async () => {
    fake.script = [
      { ...fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', 'QUOTA_EXCEEDED'), headers: { 'retry-after': '30' } },
      {
        ...fcmError(503, 'UNAVAILABLE', 'Unavailable', 'UNAVAILABLE'),
        headers: { 'retry-after': new Date(Date.now() + 120_000).toUTCString() },
      },
      fcmError(500, 'INTERNAL', 'Internal error', 'INTERNAL'),
    ];
    await expect(sendPush(push)).resolves.toEqual({
      kind: 'retry-later',
      reason: 'FCM_UNAVAILABLE',
      retryAfterSeconds: 30,
    });
    const second = await sendPush(push);
    expect(second.kind === 'retry-later' && second.retryAfterSeconds).toBeGreaterThanOrEqual(118);
    expect(second.kind === 'retry-later' && second.retryAfterSeconds).toBeLessThanOrEqual(120);
    await expect(sendPush(push)).resolves.toEqual({ kind: 'retry-later', reason: 'FCM_UNAVAILABLE' });
  });

  it('treats an unreachable FCM like a 503', async () => {
    process.env[ENV.fcmBaseUrl] = 'http://127.0.0.1:9';
    await expect(sendPush(push)).resolves.toEqual({ kind: 'retry-later', reason: 'FCM_UNREACHABLE' });
  });

  it('asks to retry when the token endpoint refuses the grant', async () => {
    fake.tokenAnswer = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    await expect(sendPush(push)).resolves.toEqual({ kind: 'retry-later', reason: 'FCM_AUTH_FAILED' });
    expect(fake.sends).toHaveLength(0);
  });

  it('does not cache a failed read of the credentials: once the key is there, it sends', async () => {
    process.env[ENV.fcmCredentialsFile] = join(dir, 'not-yet.json');
    await expect(sendPush(push)).resolves.toEqual({ kind: 'retry-later', reason: 'FCM_AUTH_FAILED' });
    process.env[ENV.fcmCredentialsFile] = keyFile;
    await expect(sendPush(push)).resolves.toEqual({ kind: 'accepted' });
  });

  it('reads the key from Secrets Manager in AWS, once', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: readFileSync(keyFile, 'utf8') });
    delete process.env[ENV.fcmCredentialsFile];
    process.env[ENV.fcmCredentialsSecretArn] = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fcm';
    await expect(sendPush(push)).resolves.toEqual({ kind: 'accepted' });
    await expect(sendPush(push)).resolves.toEqual({ kind: 'accepted' });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fcm',
    });
    secrets.restore();
  });
});

describe('reading FCM’s answers', () => {
  it('parses Retry-After as seconds or an HTTP date, and ignores nonsense', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('does not take a 404 without UNREGISTERED (a wrong URL) for a dead token', () => {
    expect(classifyFcmError(404, '<html>Not Found</html>', null, Date.now()).kind).toBe('rejected');
  });
});
