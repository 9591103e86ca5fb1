// The account's signing secret through the API handler, and how consumers read it.
import '../support/unit-env.ts';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteOwnAccount } from '../../lambdas/account-deletion/account-deletion.ts';
import { requireSigningSecret, signingSecretOf } from '../../lambdas/accounts/signing-secret.ts';
import { ConflictError } from '../../lambdas/shared/errors.ts';
import { ACCOUNT, DEMO, DEMO_TOKEN, TOKEN } from '../support/api-callers.ts';
import { callApi as call, db, givenApiCallers } from '../support/api-mocks.ts';
import { cancelled } from '../support/sdk-errors.ts';

const DEMO_EXPIRES_AT = '2099-01-01T00:00:00.000Z';

const secretPut = (n = 0) =>
  db.commandCalls(TransactWriteCommand)[n]?.args[0].input.TransactItems?.find((i) => i.Put)?.Put?.Item;

beforeEach(() => {
  givenApiCallers(DEMO_EXPIRES_AT, { nickname: 'g', score: 100, createdAt: 'x', tokenHash: 'hd' });
});

describe('POST /accounts/me/signing-secret', () => {
  it('answers 201 with a new secret, stored in the account’s partition on condition the account exists', async () => {
    const res = await call({ method: 'POST', path: '/accounts/me/signing-secret', token: TOKEN });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ signingSecret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) });
    expect(res.headers['cache-control']).toBe('no-store');
    const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.ConditionCheck).toMatchObject({
      Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'PROFILE' },
      ConditionExpression: 'attribute_exists(pk)',
    });
    expect(secretPut()).toMatchObject({
      pk: `ACCOUNT#${ACCOUNT}`,
      sk: 'SIGNING_SECRET',
      signingSecret: res.body.signingSecret,
    });
    expect(secretPut()).not.toHaveProperty('ttl');
  });

  it('takes an empty body or {}, and refuses any field', async () => {
    expect((await call({ method: 'POST', path: '/accounts/me/signing-secret', token: TOKEN, body: {} })).status).toBe(
      201,
    );
    const res = await call({
      method: 'POST',
      path: '/accounts/me/signing-secret',
      token: TOKEN,
      body: { secret: 'mine' },
    });
    expect(res.status).toBe(400);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('replaces the secret with a different one each time', async () => {
    const first = await call({ method: 'POST', path: '/accounts/me/signing-secret', token: TOKEN });
    const second = await call({ method: 'POST', path: '/accounts/me/signing-secret', token: TOKEN });
    expect(second.body.signingSecret).not.toBe(first.body.signingSecret);
    expect(secretPut(1)?.signingSecret).toBe(second.body.signingSecret);
  });

  it('gives a demo account’s secret the account’s expiry as TTL', async () => {
    const res = await call({ method: 'POST', path: '/accounts/me/signing-secret', token: DEMO_TOKEN });
    expect(res.status).toBe(201);
    expect(secretPut()).toMatchObject({ pk: `ACCOUNT#${DEMO}`, ttl: Date.parse(DEMO_EXPIRES_AT) / 1000 });
  });

  it('answers 404 when the account was deleted meanwhile, and 401 without a token', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    expect((await call({ method: 'POST', path: '/accounts/me/signing-secret', token: TOKEN })).status).toBe(404);
    expect((await call({ method: 'POST', path: '/accounts/me/signing-secret' })).status).toBe(401);
  });

  it('never shows the secret in the account view', async () => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'PROFILE' } }).resolves({
      Item: { accountId: ACCOUNT, demo: false, nickname: 'n', score: 100, createdAt: 'x', tokenHash: 'h' },
    });
    const res = await call({ method: 'GET', path: '/accounts/me', token: TOKEN });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['accountId', 'demo', 'nickname', 'score']);
  });

  it('is documented in the OpenAPI document', async () => {
    const res = await call({ method: 'GET', path: '/openapi.json' });
    expect(res.body.paths['/accounts/me/signing-secret'].post.responses['201']).toBeDefined();
  });
});

describe('signingSecretOf', () => {
  it('reads the current secret with a consistent read, so a replaced one stops signing at once', async () => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'SIGNING_SECRET' } }).resolves({
      Item: { signingSecret: 'whsec_current' },
    });
    await expect(signingSecretOf(ACCOUNT)).resolves.toBe('whsec_current');
    expect(db).toHaveReceivedCommandWith(GetCommand, {
      Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'SIGNING_SECRET' },
      ConsistentRead: true,
    });
  });

  it('is undefined for an account without one, and requiring it is a 409 NO_SIGNING_SECRET', async () => {
    await expect(signingSecretOf(ACCOUNT)).resolves.toBeUndefined();
    const error = await requireSigningSecret(ACCOUNT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'NO_SIGNING_SECRET' });
  });
});

describe('deleting the account', () => {
  it('deletes its signing secret with everything else in its partition', async () => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'PROFILE' } }).resolves({
      Item: { accountId: ACCOUNT, demo: false, nickname: 'n', score: 100, createdAt: 'x', tokenHash: 'h' },
    });
    db.on(QueryCommand).resolves({
      Items: [
        { pk: `ACCOUNT#${ACCOUNT}`, sk: 'PROFILE' },
        { pk: `ACCOUNT#${ACCOUNT}`, sk: 'SIGNING_SECRET', type: 'signing-secret', signingSecret: 'whsec_x' },
      ],
    });
    await deleteOwnAccount(ACCOUNT);
    expect(db).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'SIGNING_SECRET' } });
  });
});
