// Recurring alarms and conditions through the API handler: fireAt or repeat, the condition URL under
// the deployed stack's rules, pause, resume, rule changes and the occurrences list.
import '../support/unit-env.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, DeleteScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextOccurrence } from '../../lambdas/shared/recurrence.ts';
import { DEFAULTS, ENV } from '../../lib/definitions.ts';
import { ACCOUNT, DEMO_TOKEN, HOUR, TOKEN } from '../support/api-callers.ts';
import { callApi as call, db, givenApiCallers, scheduler } from '../support/api-mocks.ts';

const ALARM = '01JBBBBBBBBBBBBBBBBBBBBBBB';
const ALARM_KEY = { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` };
const DAILY = { cron: '0 21 * * *', timezone: 'Asia/Seoul' };

const push = { title: 'Today’s question', body: 'What made you laugh today?', deviceToken: 'fcm-device-1' };

function storedRecurring(overrides: Record<string, unknown> = {}) {
  const next = new Date(nextOccurrence(DAILY, Date.now()) as number).toISOString();
  return {
    dueAt: next,
    duePk: `ALARM#${next.slice(0, 13)}`,
    ...ALARM_KEY,
    alarmId: ALARM,
    accountId: ACCOUNT,
    status: 'PENDING',
    repeat: DAILY,
    fireAt: new Date(nextOccurrence(DAILY, Date.now()) as number).toISOString(),
    ...push,
    data: {},
    createdAt: new Date().toISOString(),
    version: 3,
    ...overrides,
  };
}

const putItem = () => db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item;
const profileUpdate = () => db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Update;
const fields = (res: { body: { error: { details: { field: string }[] } } }) =>
  res.body.error.details.map((d) => d.field).sort();

beforeEach(() => {
  delete process.env[ENV.outboundAllowLocal];
  givenApiCallers(new Date(Date.now() + 2 * 24 * HOUR).toISOString());
  db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: 'SIGNING_SECRET' } }).resolves({
    Item: { signingSecret: 'whsec_test' },
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('creating a recurring alarm', () => {
  it('answers 201 with its rule and next occurrence, and arms that occurrence', async () => {
    const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: { ...push, repeat: DAILY } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const first = new Date(nextOccurrence(DAILY, Date.now()) as number).toISOString();
    expect(res.body).toMatchObject({ status: 'PENDING', repeat: DAILY, nextFireAt: first });
    expect(res.body).not.toHaveProperty('fireAt');
    expect(first.slice(11, 16)).toBe('12:00'); // 21:00 in Seoul
    expect(putItem()).toMatchObject({ repeat: DAILY, fireAt: first, dueAt: first, version: 1 });
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, { Name: `alarm-${res.body.alarmId}` });
  });

  it('takes UTC when the rule names no time zone', async () => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: { ...push, repeat: { cron: '*/5 * * * *' } },
    });
    expect(res.status).toBe(201);
    expect(res.body.repeat).toEqual({ cron: '*/5 * * * *', timezone: 'UTC' });
  });

  it.each([
    ['both fireAt and repeat', { fireAt: new Date(Date.now() + HOUR).toISOString(), repeat: DAILY }],
    ['neither fireAt nor repeat', {}],
  ])('is a 400 naming fireAt and repeat with %s, and writes nothing', async (_name, when) => {
    const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: { ...push, ...when } });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['fireAt', 'repeat']);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('counts against a demo account’s cap of pending alarms like a one-off alarm', async () => {
    const res = await call({ method: 'POST', path: '/alarms', token: DEMO_TOKEN, body: { ...push, repeat: DAILY } });
    expect(res.status).toBe(201);
    expect(profileUpdate()?.ExpressionAttributeValues).toMatchObject({
      ':cap': DEFAULTS.maxPendingAlarmsPerDemoAccount,
    });
  });

  it('counts occurrenceAt in the 4,096 bytes FCM allows: a push that fits once does not fit recurring', async () => {
    // Sized to fit exactly as a one-off alarm: the recurring one carries occurrenceAt too.
    const base = { ...push, title: 't', body: '' };
    const oneOffBytes = JSON.stringify({
      notification: { title: 't', body: '' },
      data: { pad: '', alarmId: '0'.repeat(26) },
    }).length;
    const pad = 'x'.repeat(4096 - oneOffBytes);
    const oneOff = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: { ...base, data: { pad }, fireAt: new Date(Date.now() + HOUR).toISOString() },
    });
    expect(oneOff.status).toBe(201);
    const recurring = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: { ...base, data: { pad }, repeat: DAILY },
    });
    expect(recurring.status).toBe(400);
    expect(fields(recurring)).toEqual(['body', 'data', 'title']);
  });
});

describe('a condition URL, under the deployed stack’s rules (OUTBOUND_ALLOW_LOCAL unset)', () => {
  it.each([
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://127.0.0.1/hook',
    'https://localhost/hook',
    'http://hooks.example.com/condition',
    'https://user:pw@hooks.example.com/condition',
    `https://hooks.example.com/${'a'.repeat(2048)}`,
  ])('refuses %s with a 400 naming condition.url, and writes nothing', async (url) => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: TOKEN,
      body: { ...push, repeat: DAILY, condition: { url } },
    });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['condition.url']);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('is taken on a one-off or recurring alarm of an account with a signing secret, and shown in the view', async () => {
    const condition = { url: 'https://hooks.example.com/still-unanswered' };
    for (const when of [{ repeat: DAILY }, { fireAt: new Date(Date.now() + HOUR).toISOString() }]) {
      const res = await call({ method: 'POST', path: '/alarms', token: TOKEN, body: { ...push, ...when, condition } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.condition).toEqual(condition);
    }
  });

  it('is a 409 NO_SIGNING_SECRET on an account without a secret, and writes nothing', async () => {
    const res = await call({
      method: 'POST',
      path: '/alarms',
      token: DEMO_TOKEN,
      body: { ...push, repeat: DAILY, condition: { url: 'https://hooks.example.com/c' } },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('NO_SIGNING_SECRET');
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});

describe('changing a recurring alarm', () => {
  const patch = (body: unknown) => call({ method: 'PATCH', path: `/alarms/${ALARM}`, token: TOKEN, body });
  const stored = (overrides: Record<string, unknown> = {}) =>
    db.on(GetCommand, { Key: ALARM_KEY }).resolves({ Item: storedRecurring(overrides) });

  it('pauses: PAUSED, no nextFireAt, its schedule deleted and its due entry removed, version bumped', async () => {
    stored();
    db.on(UpdateCommand).callsFake(() => ({
      Attributes: storedRecurring({ status: 'PAUSED', version: 4, duePk: undefined, dueAt: undefined }),
    }));
    const res = await patch({ paused: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe('PAUSED');
    expect(res.body).not.toHaveProperty('nextFireAt');
    const update = db.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.UpdateExpression).toMatch(/REMOVE .*#duePk, #dueAt/);
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':paused': 'PAUSED', ':v': 3, ':next': 4 });
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { Name: `alarm-${ALARM}` });
  });

  it('resumes with the first occurrence after now (missed ones are not sent) and arms it', async () => {
    stored({ status: 'PAUSED', fireAt: '2020-01-01T12:00:00.000Z' });
    db.on(UpdateCommand).callsFake((input) => ({
      Attributes: storedRecurring({
        status: 'PENDING',
        fireAt: input.ExpressionAttributeValues[':fireAt'],
        version: 4,
      }),
    }));
    const res = await patch({ paused: false });
    expect(res.status).toBe(200);
    const next = new Date(nextOccurrence(DAILY, Date.now()) as number).toISOString();
    expect(res.body).toMatchObject({ status: 'PENDING', nextFireAt: next });
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':expected': 'PAUSED',
      ':pending': 'PENDING',
      ':dueAt': next,
    });
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, { Name: `alarm-${ALARM}` });
  });

  it('takes a new rule from the next occurrence on, moving its schedule', async () => {
    // Far from a half hour, so the occurrence the answer names and the one expected below are the same.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-02T10:10:00.000Z'));
    stored();
    const hourly = { cron: '30 * * * *', timezone: 'Europe/Berlin' };
    db.on(UpdateCommand).callsFake((input) => ({
      Attributes: storedRecurring({
        repeat: input.ExpressionAttributeValues[':repeat'],
        dueAt: input.ExpressionAttributeValues[':dueAt'],
        version: 4,
      }),
    }));
    const res = await patch({ repeat: hourly });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      repeat: hourly,
      nextFireAt: new Date(nextOccurrence(hourly, Date.now()) as number).toISOString(),
    });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, { Name: `alarm-${ALARM}` });
  });

  it('is a 400 for fireAt on a recurring alarm, and for repeat or paused on a one-off one', async () => {
    stored();
    const fireAt = new Date(Date.now() + HOUR).toISOString();
    expect(fields(await patch({ fireAt }))).toEqual(['fireAt']);
    stored({ repeat: undefined, fireAt });
    const onOneOff = [await patch({ paused: true }), await patch({ repeat: DAILY })];
    expect(onOneOff.map((r) => r.status)).toEqual([400, 400]);
    expect(onOneOff.map(fields)).toEqual([['paused'], ['repeat']]);
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
  });

  it.each(['CANCELLED', 'FAILED', 'SENT'])('is a 409 ALARM_NOT_PENDING for a %s recurring alarm', async (status) => {
    stored({ status });
    const res = await patch({ paused: false });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ALARM_NOT_PENDING');
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('is a 409 while an occurrence is being sent (a change in its last moment waits for the next)', async () => {
    stored({ claimedUntil: Date.now() + 20_000 });
    const res = await patch({ repeat: { cron: '15 * * * *' } });
    expect(res.status).toBe(409);
  });

  it('answers 409 ALARM_CHANGED when it changed between the read and the write', async () => {
    stored();
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const res = await patch({ paused: true });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ALARM_CHANGED');
  });

  it('cancels a PAUSED alarm', async () => {
    stored({ status: 'PAUSED' });
    const res = await call({ method: 'DELETE', path: `/alarms/${ALARM}`, token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CANCELLED');
    const cancel = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Update;
    expect(cancel?.ExpressionAttributeValues).toMatchObject({ ':expected': 'PAUSED', ':cancelled': 'CANCELLED' });
  });
});

describe('the occurrences of an alarm', () => {
  const list = (query?: Record<string, string>) =>
    call({ method: 'GET', path: `/alarms/${ALARM}/occurrences`, token: TOKEN, ...(query ? { query } : {}) });

  it('reads a recurring alarm’s records newest first, and pages them with a cursor', async () => {
    db.on(GetCommand, { Key: ALARM_KEY }).resolves({ Item: storedRecurring() });
    const records = ['2026-12-03', '2026-12-02', '2026-12-01'].map((day, i) => ({
      pk: ALARM_KEY.pk,
      sk: `ALARM_OCC#${ALARM}#${day}T12:00:00.000Z`,
      dueAt: `${day}T12:00:00.000Z`,
      status: i === 1 ? 'SKIPPED' : 'SENT',
      attempts: 1,
      finishedAt: `${day}T12:00:00.120Z`,
      ...(i === 1 ? { reason: 'CONDITION_FALSE' } : {}),
    }));
    db.on(QueryCommand).resolves({ Items: records });
    const first = await list({ limit: '2' });
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      { fireAt: '2026-12-03T12:00:00.000Z', status: 'SENT', sentAt: '2026-12-03T12:00:00.120Z' },
      { fireAt: '2026-12-02T12:00:00.000Z', status: 'SKIPPED', reason: 'CONDITION_FALSE' },
    ]);
    const query = db.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query).toMatchObject({ ScanIndexForward: false, Limit: 3 });
    expect(query?.ExpressionAttributeValues).toMatchObject({ ':prefix': `ALARM_OCC#${ALARM}#` });

    db.on(QueryCommand).resolves({ Items: records.slice(2) });
    const second = await list({ limit: '2', cursor: first.body.nextCursor });
    expect(second.body.items).toHaveLength(1);
    expect(second.body).not.toHaveProperty('nextCursor');
    expect(db.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: ALARM_KEY.pk,
      sk: `ALARM_OCC#${ALARM}#2026-12-02T12:00:00.000Z`,
    });
  });

  it('refuses a cursor of another alarm’s records', async () => {
    db.on(GetCommand, { Key: ALARM_KEY }).resolves({ Item: storedRecurring() });
    const other = Buffer.from(
      JSON.stringify({ pk: ALARM_KEY.pk, sk: 'ALARM_OCC#01JCCCCCCCCCCCCCCCCCCCCCCC#2026-12-02T12:00:00.000Z' }),
    ).toString('base64url');
    const res = await list({ cursor: other });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['cursor']);
  });

  it('shows a one-off alarm’s single fire once it has happened, and nothing before', async () => {
    const fireAt = '2026-12-01T09:00:00.000Z';
    db.on(GetCommand, { Key: ALARM_KEY }).resolves({
      Item: storedRecurring({ repeat: undefined, fireAt, status: 'SKIPPED', failureReason: 'CONDITION_FALSE' }),
    });
    expect((await list()).body).toEqual({ items: [{ fireAt, status: 'SKIPPED', reason: 'CONDITION_FALSE' }] });
    db.on(GetCommand, { Key: ALARM_KEY }).resolves({ Item: storedRecurring({ repeat: undefined, fireAt }) });
    expect((await list()).body).toEqual({ items: [] });
    expect(db).not.toHaveReceivedCommand(QueryCommand);
  });

  it('is 404 for an alarm of another account', async () => {
    const res = await list();
    expect(res.status).toBe(404);
  });
});
