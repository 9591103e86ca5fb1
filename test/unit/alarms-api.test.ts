// The alarm routes through the API handler: validation, ownership, paging, and what happens when the
// Scheduler (or the queue as well) is unavailable.
import '../support/unit-env.ts';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseAlarmsOf } from '../../lambdas/alarms/on-account-deleted.ts';
import { DependencyUnavailableError } from '../../lambdas/shared/errors.ts';
import { newId } from '../../lambdas/shared/ids.ts';
import { ARM_LEAD_MS } from '../../lambdas/timers/hold.ts';
import { DEFAULTS } from '../../lib/definitions.ts';
import { ACCOUNT, DEMO, DEMO_TOKEN, HOUR, TOKEN } from '../support/api-callers.ts';
import { callApi as call, db, givenApiCallers, scheduler, sqs } from '../support/api-mocks.ts';
import { cancelled } from '../support/sdk-errors.ts';
import { UNIT_ENV } from '../support/unit-env.ts';

/** The at() of a schedule armed a minute and a margin ahead of dueAt (lambdas/timers/). */
const atLeadOf = (dueAt: number) =>
  `at(${new Date(Math.floor((dueAt - ARM_LEAD_MS) / 1000) * 1000).toISOString().slice(0, 19)})`;

const ALARM = '01JBBBBBBBBBBBBBBBBBBBBBBB';
const schedulerDown = () => new InternalServerException({ message: 'down', Message: 'down', $metadata: {} });

const valid = (overrides: Record<string, unknown> = {}) => ({
  fireAt: new Date(Date.now() + HOUR).toISOString(),
  title: 'Stand up',
  body: 'Daily meeting in room 4',
  deviceToken: 'fcm-device-token-1',
  data: { room: '4' },
  ...overrides,
});

/** An alarm item as the version before the timer core stored it (no `counted`, no `attempts`). */
function storedAlarm(overrides: Record<string, unknown> = {}) {
  const fireAt = String(overrides.fireAt ?? new Date(Date.now() + HOUR).toISOString());
  const due =
    (overrides.status ?? 'PENDING') === 'PENDING' ? { duePk: `ALARM#${fireAt.slice(0, 13)}`, dueAt: fireAt } : {};
  return {
    pk: `ACCOUNT#${ACCOUNT}`,
    sk: `ALARM#${ALARM}`,
    alarmId: ALARM,
    accountId: ACCOUNT,
    status: 'PENDING',
    fireAt,
    title: 'Stand up',
    body: 'Daily meeting',
    data: {},
    deviceToken: 'device-1',
    createdAt: new Date().toISOString(),
    version: 1,
    ...due,
    ...overrides,
  };
}

const putItem = () => db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item;
const profileUpdate = () => db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Update;
const nothingWritten = () => {
  expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  expect(db).not.toHaveReceivedCommand(UpdateCommand);
  expect(scheduler).not.toHaveReceivedAnyCommand();
};

beforeEach(() => {
  givenApiCallers(new Date(Date.now() + 2 * HOUR).toISOString(), {
    expiresAt: '2099-01-01T00:00:00.000Z',
    nickname: 'guest',
    score: 100,
    createdAt: 'x',
  });
});

describe('creating an alarm', () => {
  it('answers 201 with the alarm in UTC, without its device token, and schedules its message', async () => {
    const fireAt = new Date(Math.ceil((Date.now() + HOUR) / 1000) * 1000);
    const local = `${new Date(fireAt.getTime() + 9 * HOUR).toISOString().slice(0, 19)}+09:00`;
    const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid({ fireAt: local }) });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      alarmId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      status: 'PENDING',
      fireAt: fireAt.toISOString(),
      title: 'Stand up',
      body: 'Daily meeting in room 4',
      data: { room: '4' },
      createdAt: expect.stringMatching(/Z$/),
    });
    expect(res.headers.location).toBe(`/alarms/${res.body.alarmId}`);
    const item = putItem();
    expect(item).toMatchObject({
      pk: `ACCOUNT#${ACCOUNT}`,
      sk: `ALARM#${res.body.alarmId}`,
      deviceToken: 'fcm-device-token-1',
      version: 1,
      duePk: `ALARM#${fireAt.toISOString().slice(0, 13)}`,
      dueAt: fireAt.toISOString(),
    });
    expect(item).not.toHaveProperty('ttl');
    // A permanent account's alarms are not counted (the counter is the demo cap): the profile is only checked.
    const profile = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1];
    expect(profile?.Update).toBeUndefined();
    expect(profile?.ConditionCheck?.ConditionExpression).toBe('attribute_exists(pk)');
    expect(item).toMatchObject({ countedOnProfile: false });
    const schedule = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(schedule).toMatchObject({
      GroupName: 'alarms',
      Name: `alarm-${res.body.alarmId}`,
      ScheduleExpression: atLeadOf(fireAt.getTime()),
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: UNIT_ENV.ALARM_PUSH_QUEUE_ARN },
    });
    expect(JSON.parse(schedule?.Target?.Input ?? '{}')).toEqual({
      kind: 'send-due-alarm',
      accountId: ACCOUNT,
      id: res.body.alarmId,
      version: 1,
      dueAt: res.body.fireAt,
    });
  });

  it('names every bad field at once and writes nothing', async () => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: {
        fireAt: new Date(Date.now() - 1000).toISOString(),
        title: '',
        body: 'x'.repeat(2001),
        deviceToken: '',
        data: { n: 1 },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['fireAt', 'title', 'body', 'deviceToken', 'data.n']));
    nothingWritten();
  });

  it.each([
    ['more than 365 days ahead', new Date(Date.now() + 366 * 24 * HOUR).toISOString()],
    ['without an offset', new Date(Date.now() + HOUR).toISOString().slice(0, 19)],
    ['not a date', 'tomorrow at nine'],
    ['an impossible date', '2030-02-30T09:00:00Z'],
  ])('refuses a fireAt %s', async (_case, fireAt) => {
    const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid({ fireAt }) });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['fireAt']);
    nothingWritten();
  });

  it('counts characters, not UTF-16 units: 200 emoji make a valid title, 201 letters do not', async () => {
    expect(
      (await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid({ title: '⏰'.repeat(200) }) })).status,
    ).toBe(201);
    expect(
      (await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid({ title: 'x'.repeat(201) }) })).status,
    ).toBe(400);
    expect((await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid({ title: '   ' }) })).status).toBe(
      400,
    );
  });

  it('takes data up to 4 KB of JSON on its own but not a byte more', async () => {
    const value = (n: number) => 'v'.repeat(n - JSON.stringify({ k: '' }).length);
    const tooBig = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: valid({ body: '', data: { k: value(4097) } }),
    });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.details[0].field).toBe('data');
    nothingWritten();
  });

  // FCM's limit covers notification plus data as sent, with the alarmId (26 characters) we add.
  const fcmBytesUsed = JSON.stringify({
    notification: { title: 'Stand up', body: '' },
    data: { k: '', alarmId: ALARM },
  }).length;
  const filling = (n: number) => 'v'.repeat(n - fcmBytesUsed);

  it('takes a push that fills the 4,096 bytes FCM allows, alarmId included', async () => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: valid({ body: '', data: { k: filling(4096) } }),
    });
    expect(res.status).toBe(201);
  });

  it('refuses a push one byte over what FCM allows, naming title, body and data', async () => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: valid({ body: '', data: { k: filling(4097) } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['title', 'body', 'data']);
    expect(res.body.error.details[0].message).toContain('4097-byte push; FCM takes at most 4096');
    nothingWritten();
  });

  it('refuses, at the contract limits (200-character title, 2,000-character body), data that would overflow FCM', async () => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: valid({ title: 'é'.repeat(200), body: 'ü'.repeat(2000), data: { note: 'x'.repeat(1000) } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['title', 'body', 'data']);
  });

  it.each(['alarmId', 'occurrenceAt', 'from', 'google.sent_time', 'gcm.notification', ''])(
    'refuses the reserved data key "%s"',
    async (key) => {
      const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid({ data: { [key]: 'x' } }) });
      expect(res.status).toBe(400);
      nothingWritten();
    },
  );

  it('refuses unknown fields and a device token with spaces or over 4,096 characters', async () => {
    for (const body of [
      valid({ repeat: 'daily' }),
      valid({ deviceToken: 'a b' }),
      valid({ deviceToken: 'x'.repeat(4097) }),
    ]) {
      expect((await call({ method: 'POST', path: '/alarms', token: TOKEN, body })).status).toBe(400);
    }
    nothingWritten();
  });

  it('needs an account token', async () => {
    expect((await call({ method: 'POST', path: '/alarms', body: valid() })).status).toBe(401);
    expect((await call({ method: 'POST', path: '/alarms', token: UNIT_ENV.ADMIN_TOKEN, body: valid() })).status).toBe(
      403,
    );
  });

  describe('for a demo account', () => {
    it('caps its pending alarms in the same transaction and lets the alarm expire with the account', async () => {
      const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: valid() });
      expect(res.status).toBe(201);
      expect(putItem()?.ttl).toBe(Date.parse('2099-01-01T00:00:00.000Z') / 1000);
      expect(profileUpdate()?.ConditionExpression).toContain('#pending < :cap');
      expect(profileUpdate()?.ExpressionAttributeValues?.[':cap']).toBe(DEFAULTS.maxPendingAlarmsPerDemoAccount);
    });

    it('answers 409 ALARM_LIMIT_REACHED at the cap, and schedules nothing', async () => {
      db.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
      const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: valid() });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('ALARM_LIMIT_REACHED');
      expect(scheduler).not.toHaveReceivedAnyCommand();
    });

    it('refuses a fireAt after the account expires, when the alarm would be gone already', async () => {
      db.on(GetCommand, { Key: { pk: `ACCOUNT#${DEMO}`, sk: 'PROFILE' } }).resolves({
        Item: { accountId: DEMO, demo: true, expiresAt: new Date(Date.now() + 30 * 60_000).toISOString() },
      });
      const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: valid() });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ in: 'body', field: 'fireAt' });
      expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    });
  });

  it('still answers 201 when the Scheduler is unavailable: the message waits on the push queue instead', async () => {
    scheduler.on(CreateScheduleCommand).rejects(schedulerDown());
    const fireAt = Date.now() + 10 * 60_000;
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: valid({ fireAt: new Date(fireAt).toISOString() }),
    });
    expect(res.status).toBe(201);
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.QueueUrl).toBe(UNIT_ENV.ALARM_PUSH_QUEUE_URL);
    expect(sent?.DelaySeconds).toBeGreaterThanOrEqual(598);
    expect(sent?.DelaySeconds).toBeLessThanOrEqual(600);
    expect(JSON.parse(sent?.MessageBody ?? '{}')).toEqual({
      kind: 'send-due-alarm',
      accountId: ACCOUNT,
      id: res.body.alarmId,
      version: 1,
      dueAt: res.body.fireAt,
    });
  });

  it('waits at most 15 minutes per hop on the queue, however far fireAt is', async () => {
    scheduler.on(CreateScheduleCommand).rejects(schedulerDown());
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: valid({ fireAt: new Date(Date.now() + 48 * HOUR).toISOString() }),
    });
    expect(res.status).toBe(201);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { DelaySeconds: 900 });
  });

  it('answers 503 and takes the alarm back when neither the Scheduler nor the queue take it', async () => {
    scheduler.on(CreateScheduleCommand).rejects(schedulerDown());
    sqs.on(SendMessageCommand).rejects(new Error('queue down'));
    const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: valid() });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    const undo = db.commandCalls(DeleteCommand)[0]?.args[0].input;
    expect(undo?.Key).toEqual({ pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${putItem()?.alarmId}` });
  });

  it('answers 503 and takes a demo account’s alarm back with its count', async () => {
    scheduler.on(CreateScheduleCommand).rejects(schedulerDown());
    sqs.on(SendMessageCommand).rejects(new Error('queue down'));
    const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: valid() });
    expect(res.status).toBe(503);
    const undo = db.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? [];
    expect(undo[0]?.Delete?.Key).toEqual({ pk: `ACCOUNT#${DEMO}`, sk: `ALARM#${putItem()?.alarmId}` });
    expect(undo[1]?.Update?.UpdateExpression).toContain('#pending - :one');
  });
});

describe('one alarm by id', () => {
  it('is answered to its owner, without the device token', async () => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` } }).resolves({
      Item: storedAlarm({ status: 'SENT', sentAt: '2026-11-22T09:00:00.120Z', claimedBy: 'x' }),
    });
    const res = await call({ method: 'GET', path: `/alarms/${ALARM}`, token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ alarmId: ALARM, status: 'SENT', sentAt: '2026-11-22T09:00:00.120Z' });
    expect(Object.keys(res.body).sort()).toEqual([
      'alarmId',
      'body',
      'createdAt',
      'data',
      'fireAt',
      'sentAt',
      'status',
      'title',
    ]);
  });

  it.each([
    ['GET', undefined],
    ['PATCH', { fireAt: new Date(Date.now() + HOUR).toISOString() }],
    ['DELETE', undefined],
  ])('is 404 to %s for another account (its key holds the caller, so it is simply absent)', async (method, body) => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${DEMO}`, sk: `ALARM#${ALARM}` } }).resolves({
      Item: storedAlarm({ accountId: DEMO }),
    });
    const res = await call({ method, path: `/alarms/${ALARM}`, token: TOKEN, ...(body ? { body } : {}) });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(scheduler).not.toHaveReceivedAnyCommand();
  });

  it('is 404 for an id that cannot be one, without a lookup', async () => {
    for (const id of ['nope', '..%2F..', 'x'.repeat(300), ALARM.toLowerCase()]) {
      expect((await call({ method: 'GET', path: `/alarms/${id}`, token: TOKEN })).status).toBe(404);
    }
    const lookups = db.commandCalls(GetCommand).filter((c) => String(c.args[0].input.Key?.sk).startsWith('ALARM#'));
    expect(lookups).toHaveLength(0);
  });
});

describe('rescheduling', () => {
  beforeEach(() => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` } }).resolves({ Item: storedAlarm() });
  });

  it('answers 200 with the new fireAt and moves the schedule', async () => {
    const fireAt = new Date(Math.ceil((Date.now() + 2 * HOUR) / 1000) * 1000).toISOString();
    db.on(UpdateCommand).resolves({ Attributes: storedAlarm({ fireAt, version: 2 }) });
    const res = await call({ method: 'PATCH', path: `/alarms/${ALARM}`, token: TOKEN, body: { fireAt } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'PENDING', fireAt });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `alarm-${ALARM}`,
      ScheduleExpression: atLeadOf(Date.parse(fireAt)),
    });
  });

  it('validates the new fireAt like creation does', async () => {
    const res = await call({
      method: 'PATCH',
      path: `/alarms/${ALARM}`,
      token: TOKEN,
      body: { fireAt: '2000-01-01T00:00:00Z', title: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['fireAt', 'title']);
    nothingWritten();
  });

  it('answers 503 and restores the previous time when neither the Scheduler nor the queue take the new one', async () => {
    const before = storedAlarm();
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` } }).resolves({ Item: before });
    const fireAt = new Date(Date.now() + 2 * HOUR).toISOString();
    db.on(UpdateCommand).resolves({ Attributes: storedAlarm({ fireAt, version: 2 }) });
    scheduler.on(UpdateScheduleCommand).rejects(schedulerDown());
    sqs.on(SendMessageCommand).rejects(new Error('queue down'));
    const res = await call({ method: 'PATCH', path: `/alarms/${ALARM}`, token: TOKEN, body: { fireAt } });
    expect(res.status).toBe(503);
    // Back to the version its old schedule's message names, only if the move is still the latest change.
    const revert = db.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(revert?.ExpressionAttributeValues).toMatchObject({ ':previousVersion': 1, ':changedVersion': 2 });
    const names = Object.entries(revert?.ExpressionAttributeNames ?? {}).filter(([ref]) => ref.startsWith('#r'));
    const restored = Object.fromEntries(
      names.map(([ref, name]) => [name, revert?.ExpressionAttributeValues?.[`:${ref.slice(1)}`]]),
    );
    expect(restored).toEqual({ duePk: before.duePk, dueAt: before.fireAt, fireAt: before.fireAt });
  });
});

describe('cancelling', () => {
  it('answers 200 CANCELLED even when the schedule cannot be deleted (its stale message is dropped)', async () => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` } }).resolves({ Item: storedAlarm() });
    scheduler.on(DeleteScheduleCommand).rejects(schedulerDown());
    const res = await call({ method: 'DELETE', path: `/alarms/${ALARM}`, token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CANCELLED');
  });

  it('answers 409 for an alarm cancelled already', async () => {
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` } }).resolves({
      Item: storedAlarm({ status: 'CANCELLED' }),
    });
    const res = await call({ method: 'DELETE', path: `/alarms/${ALARM}`, token: TOKEN });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ALARM_NOT_PENDING');
  });
});

describe('listing alarms', () => {
  const items = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const alarmId = newId(Date.now() - i * 1000);
      return storedAlarm({ alarmId, sk: `ALARM#${alarmId}` });
    });

  it('reads newest first, 20 by default, and gives no cursor on the last page', async () => {
    db.on(QueryCommand).resolves({ Items: items(3) });
    const res = await call({ method: 'GET', path: '/alarms', token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(3);
    expect(res.body).not.toHaveProperty('nextCursor');
    expect(res.body.items[0]).not.toHaveProperty('deviceToken');
    expect(db).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':pk': `ACCOUNT#${ACCOUNT}`, ':prefix': 'ALARM#' },
      ScanIndexForward: false,
      Limit: 21,
    });
  });

  it('hands out a cursor when more follow, and continues after the last alarm it returned', async () => {
    const all = items(3);
    db.on(QueryCommand).resolves({ Items: all });
    const first = await call({ method: 'GET', path: '/alarms', token: TOKEN, query: { limit: '2' } });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    await call({ method: 'GET', path: '/alarms', token: TOKEN, query: { limit: '2', cursor: first.body.nextCursor } });
    const second = db.commandCalls(QueryCommand)[1]?.args[0].input;
    expect(second?.ExclusiveStartKey).toEqual({ pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${all[1]?.alarmId}` });
  });

  it.each(['0', '101', 'ten', '-1', '1.5', ''])('answers 400 for limit=%s', async (limit) => {
    const res = await call({ method: 'GET', path: '/alarms', token: TOKEN, query: { limit } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('limit');
  });

  const b64 = (value: unknown) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  it.each([
    ['garbage', '%%%not-base64%%%'],
    ['not JSON', b64('{"pk":')],
    ['another account', b64({ pk: `ACCOUNT#${DEMO}`, sk: `ALARM#${ALARM}` })],
    ['another kind of item', b64({ pk: `ACCOUNT#${ACCOUNT}`, sk: 'PROFILE' })],
    ['an extra key', b64({ pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}`, duePk: 'x' })],
    ['a JSON array', b64([1, 2])],
    ['a huge value', 'A'.repeat(5000)],
  ])('answers 400, never 500, for a tampered cursor (%s)', async (_case, cursor) => {
    const res = await call({ method: 'GET', path: '/alarms', token: TOKEN, query: { cursor } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ in: 'query', field: 'cursor', message: expect.any(String) }]);
    expect(db).not.toHaveReceivedCommand(QueryCommand);
  });
});

describe('the OpenAPI document', () => {
  it('describes the alarm body from the same schema that validates it', async () => {
    const { body } = await call({ method: 'GET', path: '/openapi.json' });
    const schema = body.paths['/alarms'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['title', 'body', 'deviceToken']));
    // Exactly one of the two, checked by the same schema (a 400 otherwise).
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['fireAt', 'repeat', 'condition']));
    expect(body.paths['/alarms/{alarmId}'].patch.responses['409']).toBeDefined();
    expect(body.paths['/alarms/{alarmId}/occurrences'].get.responses['200']).toBeDefined();
  });
});

describe('deleting an account', () => {
  const owned = [
    {
      pk: `ACCOUNT#${ACCOUNT}`,
      sk: 'ALARM#01JP0000000000000000000001',
      alarmId: '01JP0000000000000000000001',
      status: 'PENDING',
    },
    {
      pk: `ACCOUNT#${ACCOUNT}`,
      sk: 'ALARM#01JS0000000000000000000002',
      alarmId: '01JS0000000000000000000002',
      status: 'SENT',
    },
    { pk: `ACCOUNT#${ACCOUNT}`, sk: 'MEMBER_OF#S1' },
  ];

  it('deletes the schedules of its pending alarms, and only those', async () => {
    await releaseAlarmsOf(ACCOUNT, owned);
    expect(scheduler).toHaveReceivedCommandTimes(DeleteScheduleCommand, 1);
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, {
      GroupName: 'alarms',
      Name: 'alarm-01JP0000000000000000000001',
    });
  });

  it('fails as retryable when the Scheduler does, so the deletion is tried again whole', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(schedulerDown());
    await expect(releaseAlarmsOf(ACCOUNT, owned)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
