import '../support/unit-env.ts';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../lambdas/api/handler.ts';
import { ROUTES } from '../../lib/definitions.ts';
import { apiEvent } from '../support/api-event.ts';
import { callApi as call } from '../support/api-mocks.ts';
import { db } from '../support/sdk-mocks.ts';

const ADMIN = 'unit-admin-token';

beforeEach(() => {
  db.reset();
  db.on(GetCommand).resolves({});
});

describe('the API', () => {
  it('answers health checks', async () => {
    const res = await call({ method: 'GET', path: '/health' });
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('publishes an OpenAPI 3.1 document with every route', async () => {
    const { body } = await call({ method: 'GET', path: '/openapi.json' });
    expect(body.openapi).toBe('3.1.0');
    for (const key of ROUTES) {
      const [method = '', path = ''] = key.split(' ');
      expect(body.paths[path]?.[method.toLowerCase()], key).toBeDefined();
    }
    expect(body.paths['/demo-accounts'].post.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'nickname',
    );
  });

  it('answers 404 in the error shape for an unknown path', async () => {
    const res = await call({ method: 'GET', path: '/nope' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), details: [] } });
  });

  it('answers 405 with the allowed methods for a wrong verb', async () => {
    const res = await call({ method: 'PUT', path: '/accounts/me' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, DELETE');
  });

  it('answers 400 for a body that is not JSON and writes nothing', async () => {
    const res = await call({ method: 'POST', path: '/demo-accounts', rawBody: '{"nickname":' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_REQUEST');
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('names every bad field of a body', async () => {
    const res = await call({ method: 'POST', path: '/demo-accounts', body: { nickname: 5, extra: true } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['nickname', 'extra']));
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('answers 401 without a token and with an unknown one', async () => {
    expect((await call({ method: 'GET', path: '/accounts/me' })).status).toBe(401);
    expect((await call({ method: 'GET', path: '/accounts/me', token: 'sbt_unknown' })).status).toBe(401);
    expect((await call({ method: 'GET', path: '/accounts/me', token: 'x'.repeat(5000) })).status).toBe(401);
  });

  it('answers 403 when an account calls an admin route', async () => {
    db.on(GetCommand).resolves({ Item: { accountId: 'A1', demo: false } });
    const res = await call({ method: 'POST', path: '/accounts', token: 'sbt_someone', body: { nickname: 'x' } });
    expect(res.status).toBe(403);
  });

  it('lets the admin create a permanent account', async () => {
    db.on(TransactWriteCommand).resolves({});
    const res = await call({ method: 'POST', path: '/accounts', token: ADMIN, body: { nickname: 'kim' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accountId: expect.any(String), token: expect.stringMatching(/^sbt_/), demo: false });
  });

  it('answers 413 for a body over 64 KB', async () => {
    const res = await call({
      method: 'POST',
      path: '/demo-accounts',
      rawBody: JSON.stringify({ nickname: 'x'.repeat(70_000) }),
    });
    expect(res.status).toBe(413);
  });

  it('answers 400, not 500, for a body that is not UTF-8', async () => {
    const event = apiEvent({ method: 'POST', path: '/demo-accounts' });
    const res = await handler({
      ...event,
      body: Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'),
      isBase64Encoded: true,
    });
    expect(res.statusCode).toBe(400);
  });

  it('answers 404, not 500, for a path with broken percent-encoding', async () => {
    expect((await call({ method: 'GET', path: '/alarms/%E0%A4%A', token: ADMIN })).status).toBeLessThan(500);
  });
});
