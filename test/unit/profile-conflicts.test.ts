// In AWS a transaction on an account's profile can meet the absence batch's score transaction on the
// same item and be cancelled with TransactionConflict. The API retries it, and answers 409 if it keeps
// losing: never a 500.
import '../support/unit-env.ts';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { CONFLICT_ATTEMPTS } from '../../lambdas/shared/dynamo/conditional.ts';
import { hashToken } from '../../lambdas/shared/tokens.ts';
import { DEMO_TOKEN, HOUR } from '../support/api-callers.ts';
import { callApi as call, db, givenApiCallers, scheduler } from '../support/api-mocks.ts';
import { cancelled } from '../support/sdk-errors.ts';

const conflict = () => cancelled(['None', 'TransactionConflict'], 'Transaction cancelled');

const alarm = () => ({
  fireAt: new Date(Date.now() + HOUR).toISOString(),
  title: 'Stand up',
  body: 'Daily meeting',
  deviceToken: 'fcm-device-token-1',
});

beforeEach(() => {
  givenApiCallers(new Date(Date.now() + 2 * HOUR).toISOString(), {
    nickname: 'guest',
    score: 100,
    tokenHash: hashToken(DEMO_TOKEN),
  });
});

describe('a write on an account profile that races the absence batch', () => {
  it('books a demo account alarm after retrying a transaction that lost a conflict', async () => {
    db.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: alarm() });
    expect(res.status).toBe(201);
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it('answers 409 WRITE_CONFLICT, not 500, when the alarm transaction loses every attempt', async () => {
    db.on(TransactWriteCommand).rejects(conflict());
    const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: alarm() });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('WRITE_CONFLICT');
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, CONFLICT_ATTEMPTS);
    expect(scheduler).not.toHaveReceivedCommand(CreateScheduleCommand);
  });

  it('deletes the account after retrying the profile-and-token transaction', async () => {
    db.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    const res = await call({ method: 'DELETE', path: '/accounts/me', token: DEMO_TOKEN });
    expect(res.status).toBe(204);
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it('replaces the signing secret after retrying, and answers 409 if it never wins', async () => {
    db.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    expect((await call({ method: 'POST', path: '/accounts/me/signing-secret', token: DEMO_TOKEN })).status).toBe(201);
    db.on(TransactWriteCommand).rejects(conflict());
    const lost = await call({ method: 'POST', path: '/accounts/me/signing-secret', token: DEMO_TOKEN });
    expect(lost.status).toBe(409);
    expect(lost.body.error.code).toBe('WRITE_CONFLICT');
  });
});
