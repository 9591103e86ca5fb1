// The outbound call against a real HTTP server on 127.0.0.1 (reachable only with the local allowance).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../lambdas/shared/outbound/signature.ts';
import { type Resolver, signedPost } from '../../lambdas/shared/outbound/signed-post.ts';

const SECRET = 'whsec_unit-test-secret';
const local = { allowLocal: true };
const deployed = { allowLocal: false };

interface Seen {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawBody: string;
  readonly remotePort: number | undefined;
}

let server: Server;
let base: string;
let port: number;
let seen: Seen[] = [];

function answer(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const status = url.pathname.match(/^\/status\/(\d{3})$/);
  if (url.pathname === '/ok') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: JSON.parse(rawBody) }));
  } else if (status) {
    const headers: Record<string, string> = {};
    const retryAfter = url.searchParams.get('retry-after');
    if (retryAfter) headers['retry-after'] = retryAfter;
    res.writeHead(Number(status[1]), headers).end(`status ${status[1]}`);
  } else if (url.pathname === '/redirect') {
    res.writeHead(302, { location: '/ok' }).end();
  } else if (url.pathname === '/never') {
    // Headers never come.
  } else if (url.pathname === '/trickle') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"send":');
    // The rest never comes.
  } else if (url.pathname === '/huge') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = 'x'.repeat(16 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < 4 * 1024 * 1024 && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  } else res.writeHead(404).end();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      seen.push({ path: req.url ?? '', headers: req.headers, rawBody, remotePort: req.socket.remotePort });
      answer(req, res, rawBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
});

const call = (path: string, extra: Partial<Parameters<typeof signedPost>[0]> = {}) =>
  signedPost({
    url: `${base}${path}`,
    body: { alarmId: 'A1', fireAt: '2026-12-01T21:00:00.000Z', data: { k: 'v' } },
    secret: SECRET,
    timeoutMs: 2_000,
    policy: local,
    ...extra,
  });

describe('the signed POST to a user URL', () => {
  it('sends JSON with a signature the receiver can verify, plus the extra headers', async () => {
    const outcome = await call('/ok', { headers: { 'Idempotency-Key': 'J1:2026-12-01T21:00:00.000Z' } });
    expect(outcome).toMatchObject({ kind: 'success', status: 200, truncated: false });
    const request = seen[0];
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['idempotency-key']).toBe('J1:2026-12-01T21:00:00.000Z');
    expect(JSON.parse(request?.rawBody ?? '')).toEqual({
      alarmId: 'A1',
      fireAt: '2026-12-01T21:00:00.000Z',
      data: { k: 'v' },
    });
    const signature = String(request?.headers['x-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, signature, request?.rawBody ?? '', 300)).toBe(true);
    expect(verifySignature('another-secret', signature, request?.rawBody ?? '', 300)).toBe(false);
    if (outcome.kind === 'success') expect(JSON.parse(outcome.body).received.alarmId).toBe('A1');
  });

  it('does not let extra headers replace the content type or the signature', async () => {
    await call('/ok', { headers: { 'Content-Type': 'text/plain', 'X-Signature': 't=1,v1=forged' } });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[0]?.headers['x-signature']).not.toContain('forged');
  });

  it('reuses the connection for the next call to the same receiver', async () => {
    await call('/ok');
    await call('/ok');
    expect(seen).toHaveLength(2);
    expect(seen[1]?.remotePort).toBe(seen[0]?.remotePort);
  });

  it('never follows a redirect: a 302 is a final answer and the target is not called', async () => {
    const outcome = await call('/redirect');
    expect(outcome).toMatchObject({ kind: 'final', status: 302, reason: 'HTTP_302' });
    expect(seen.map((s) => s.path)).toEqual(['/redirect']);
  });

  it.each([408, 429, 500, 502, 503, 504])('counts %i as worth a retry', async (status) => {
    expect(await call(`/status/${status}`)).toMatchObject({ kind: 'retryable', reason: `HTTP_${status}`, status });
  });

  it.each([400, 401, 403, 404, 409, 410, 422])('counts %i as final, no retry', async (status) => {
    expect(await call(`/status/${status}`)).toMatchObject({
      kind: 'final',
      reason: `HTTP_${status}`,
      status,
      body: `status ${status}`,
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', async () => {
    expect(await call('/status/503?retry-after=7')).toMatchObject({ kind: 'retryable', retryAfterSeconds: 7 });
    const now = () => Date.parse('Tue, 01 Dec 2026 21:00:00 GMT');
    const dated = await call(`/status/429?retry-after=${encodeURIComponent('Tue, 01 Dec 2026 21:01:30 GMT')}`, { now });
    expect(dated).toMatchObject({ kind: 'retryable', reason: 'HTTP_429', retryAfterSeconds: 90 });
  });

  it('gives up when no answer comes within the timeout, as a retryable timeout', async () => {
    const outcome = await call('/never', { timeoutMs: 300 });
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'UNREACHABLE', cause: 'timeout' });
  });

  it('counts the time of reading the answer too: a body that stops halfway times out', async () => {
    const outcome = await call('/trickle', { timeoutMs: 300 });
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'UNREACHABLE', cause: 'timeout' });
  });

  it('reads at most the bound of a large answer and stops there', async () => {
    const outcome = await call('/huge', { maxResponseBytes: 1024 });
    expect(outcome).toMatchObject({ kind: 'success', status: 200, truncated: true });
    if (outcome.kind === 'success') expect(Buffer.byteLength(outcome.body)).toBe(1024);
  });

  it('reads 64 KB of an answer by default', async () => {
    const outcome = await call('/huge');
    if (outcome.kind !== 'success') throw new Error(`expected success, got ${outcome.kind}`);
    expect(outcome.truncated).toBe(true);
    expect(Buffer.byteLength(outcome.body)).toBe(64 * 1024);
  });

  it('counts a refused connection as a retryable network failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await signedPost({
      url: `http://127.0.0.1:${closedPort}/`,
      body: {},
      secret: SECRET,
      timeoutMs: 2_000,
      policy: local,
    });
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'UNREACHABLE', cause: 'network' });
  });
});

describe('where the call may go', () => {
  it('refuses loopback and http: in the deployed configuration without calling', async () => {
    const outcome = await call('/ok', { policy: deployed });
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'URL_NOT_ALLOWED' });
    expect(seen).toHaveLength(0);
  });

  it.each([
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fd00::1]/',
  ])('refuses %s even with the local allowance, without connecting', async (url) => {
    const outcome = await signedPost({ url, body: {}, secret: SECRET, timeoutMs: 2_000, policy: local });
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'URL_NOT_ALLOWED' });
  });

  it('refuses a public-looking name that resolves to a private address', async () => {
    const resolver: Resolver = async () => [{ address: '10.0.0.1', family: 4 }];
    const outcome = await signedPost({
      url: 'https://hooks.example.com/check',
      body: {},
      secret: SECRET,
      timeoutMs: 2_000,
      policy: deployed,
      resolver,
    });
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'URL_NOT_ALLOWED' });
    if (outcome.kind === 'refused') expect(outcome.detail).toContain('10.0.0.1');
  });

  it.each([
    [[{ address: '169.254.169.254', family: 4 }]],
    [[{ address: '::ffff:127.0.0.1', family: 6 }]],
    [[{ address: '127.0.0.1', family: 4 }]],
  ] as const)('refuses a name whose answer includes a non-public address (%j)', async (answer) => {
    const outcome = await signedPost({
      url: 'https://rebind.example.com/',
      body: {},
      secret: SECRET,
      timeoutMs: 2_000,
      policy: deployed,
      resolver: async () => answer,
    });
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'URL_NOT_ALLOWED' });
  });

  it('refuses a name whose answer mixes an allowed address with a private one', async () => {
    // Locally 127.0.0.1 is allowed, and the test server listens there: a call that got through would succeed.
    const outcome = await signedPost({
      url: `http://mixed.invalid:${port}/ok`,
      body: {},
      secret: SECRET,
      timeoutMs: 2_000,
      policy: local,
      resolver: async () => [
        { address: '127.0.0.1', family: 4 },
        { address: '192.168.0.1', family: 4 },
      ],
    });
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'URL_NOT_ALLOWED' });
    expect(seen).toHaveLength(0);
  });

  it('connects to exactly the address the checked answer named', async () => {
    // The name exists in no DNS: reaching the server proves the socket used the checked answer.
    const asked: string[] = [];
    const resolver: Resolver = async (hostname) => {
      asked.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const outcome = await signedPost({
      url: `http://receiver.invalid:${port}/ok`,
      body: { jobId: 'J1' },
      secret: SECRET,
      timeoutMs: 2_000,
      policy: local,
      resolver,
    });
    expect(outcome).toMatchObject({ kind: 'success', status: 200 });
    expect(asked).toEqual(['receiver.invalid']);
    expect(seen[0]?.headers.host).toBe(`receiver.invalid:${port}`);
  });

  it('refuses a name that resolves to loopback with the local allowance off, even over https', async () => {
    const outcome = await signedPost({
      url: 'https://loopback.example.com/',
      body: {},
      secret: SECRET,
      timeoutMs: 2_000,
      policy: deployed,
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect(outcome).toMatchObject({ kind: 'refused' });
  });

  it('counts a name that does not resolve as unreachable, worth a retry', async () => {
    const outcome = await signedPost({
      url: 'https://gone.example.com/',
      body: {},
      secret: SECRET,
      timeoutMs: 2_000,
      policy: deployed,
      resolver: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND gone.example.com'), { code: 'ENOTFOUND' });
      },
    });
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'UNREACHABLE', cause: 'network' });
  });
});
