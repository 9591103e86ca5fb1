// The local Scheduler through the real SchedulerClient, delivering into a real SQS emulator (fauxqs).
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  InternalServerException,
  ListScheduleGroupsCommand,
  paginateListSchedules,
  ResourceNotFoundException,
  SchedulerClient,
  SchedulerServiceException,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SchedulerEmulator, startSchedulerEmulator } from '../../local/scheduler/emulator.ts';

const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/scheduler`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const queueArn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

// fauxqs' startFauxqs() listens on 0.0.0.0; buildApp() lets the test bind 127.0.0.1 only. Queue URLs
// then carry the request's host (127.0.0.1:PORT), which resolves without a DNS override.
const sqsServer = buildApp({ logger: false });
let sqs: SQSClient;
let emulator: SchedulerEmulator;
let scheduler: SchedulerClient;
/** A client that does not retry, to see the errors the emulator answers with. */
let noRetry: SchedulerClient;

const schedulerClient = (endpoint: string, maxAttempts?: number) =>
  new SchedulerClient({ endpoint, region: 'us-east-1', credentials, ...(maxAttempts ? { maxAttempts } : {}) });

beforeAll(async () => {
  await sqsServer.listen({ port: 0, host: '127.0.0.1' });
  const { port } = sqsServer.server.address() as AddressInfo;
  sqs = new SQSClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials });
  emulator = await startSchedulerEmulator({ sqs, retryBaseDelayMs: 20, firingWindowSeconds: 0 });
  scheduler = schedulerClient(emulator.url);
  noRetry = schedulerClient(emulator.url, 1);
});

afterAll(async () => {
  await emulator?.stop();
  await sqsServer.close();
});

async function createQueue(name: string, attributes?: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`no URL for ${name}`);
  return QueueUrl;
}

/** An at() expression for `ms` from now, rounded up to the second as the Scheduler's format demands. */
function atIn(ms: number): { expression: string; fireAt: number } {
  const fireAt = Math.ceil((Date.now() + ms) / 1000) * 1000;
  return { expression: `at(${new Date(fireAt).toISOString().slice(0, 19)})`, fireAt };
}

function oneOff(
  name: string,
  queue: string,
  expression: string,
  input: string,
  overrides: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: expression,
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: queueArn(queue), RoleArn: ROLE_ARN, Input: input },
    ...overrides,
  };
}

async function receive(queueUrl: string, waitSeconds: number): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp', 'MessageGroupId'],
    }),
  );
  return Messages;
}

/** Long-polls until `count` messages arrived or `timeoutMs` passed. */
async function waitForMessages(queueUrl: string, count: number, timeoutMs: number): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  const messages: Message[] = [];
  while (messages.length < count && Date.now() < deadline) messages.push(...(await receive(queueUrl, 1)));
  return messages;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const firedFor = (name: string) => emulator.fired.filter((invocation) => invocation.name === name);

describe.concurrent('firing schedules into SQS', () => {
  it('delivers an at() two seconds ahead within a second of its time, with the exact input as body', async ({
    expect,
  }) => {
    const queue = await createQueue('at-ahead');
    const input = JSON.stringify({ alarmId: 'A1', title: 'Wake up ☀', note: 'exact body' });
    const { expression, fireAt } = atIn(2000);
    await scheduler.send(new CreateScheduleCommand(oneOff('at-ahead', 'at-ahead', expression, input)));

    const [message, ...others] = await waitForMessages(queue, 1, 5000);

    expect(message?.Body).toBe(input);
    expect(others).toEqual([]);
    const sentAt = Number(message?.Attributes?.SentTimestamp);
    expect(sentAt).toBeGreaterThanOrEqual(fireAt);
    expect(sentAt).toBeLessThan(fireAt + 1000);
  });

  it('fires an at() whose time has just passed at once', async ({ expect }) => {
    const queue = await createQueue('at-past');
    const createdAt = Date.now();
    const { expression } = atIn(-30_000);
    await scheduler.send(new CreateScheduleCommand(oneOff('at-past', 'at-past', expression, '{"late":true}')));

    const [message] = await waitForMessages(queue, 1, 3000);

    expect(message?.Body).toBe('{"late":true}');
    expect(Number(message?.Attributes?.SentTimestamp)).toBeLessThan(createdAt + 1000);
  });

  it('dead-letters an at() further back than MaximumEventAgeInSeconds instead of delivering it', async ({ expect }) => {
    const queue = await createQueue('at-expired');
    const dlq = await createQueue('at-expired-dlq');
    const { expression } = atIn(-5 * 60_000);
    await scheduler.send(
      new CreateScheduleCommand(
        oneOff('at-expired', 'at-expired', expression, '{"stale":true}', {
          Target: {
            Arn: queueArn('at-expired'),
            RoleArn: ROLE_ARN,
            Input: '{"stale":true}',
            RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 3 },
            DeadLetterConfig: { Arn: queueArn('at-expired-dlq') },
          },
        }),
      ),
    );

    const [dead] = await waitForMessages(dlq, 1, 3000);

    expect(dead?.Body).toBe('{"stale":true}');
    expect(dead?.MessageAttributes?.['ERROR_CODE']?.StringValue).toBe('MaximumEventAgeExceeded');
    expect(await receive(queue, 0)).toEqual([]);
  });

  it('never fires a schedule deleted before its time', async ({ expect }) => {
    const queue = await createQueue('deleted-early');
    const { expression, fireAt } = atIn(1000);
    await scheduler.send(new CreateScheduleCommand(oneOff('deleted-early', 'deleted-early', expression, '{}')));
    await scheduler.send(new DeleteScheduleCommand({ Name: 'deleted-early' }));

    await sleep(fireAt - Date.now() + 500);

    expect(await receive(queue, 0)).toEqual([]);
    expect(firedFor('deleted-early')).toEqual([]);
  });

  it('deletes a fired one-time schedule with ActionAfterCompletion DELETE, and keeps one with NONE', async ({
    expect,
  }) => {
    const queue = await createQueue('after-completion');
    const { expression, fireAt } = atIn(-1000);
    await scheduler.send(
      new CreateScheduleCommand(
        oneOff('delete-after', 'after-completion', expression, '"delete"', { ActionAfterCompletion: 'DELETE' }),
      ),
    );
    await scheduler.send(
      new CreateScheduleCommand(
        oneOff('keep-after', 'after-completion', expression, '"keep"', { ActionAfterCompletion: 'NONE' }),
      ),
    );

    const messages = await waitForMessages(queue, 2, 3000);

    expect(messages.map((message) => message.Body).sort()).toEqual(['"delete"', '"keep"']);
    await vi.waitFor(() => expect(firedFor('keep-after')).toHaveLength(1));
    await vi.waitFor(() =>
      expect(scheduler.send(new GetScheduleCommand({ Name: 'delete-after' }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      ),
    );
    const kept = await scheduler.send(new GetScheduleCommand({ Name: 'keep-after' }));
    expect(kept.State).toBe('ENABLED');
    const snapshot = emulator.schedules().find((schedule) => schedule.name === 'keep-after');
    expect(snapshot).toMatchObject({ lastFireTime: fireAt });
    expect(snapshot?.nextFireAt).toBeUndefined();
  });

  it('fires an updated schedule at its new time only', async ({ expect }) => {
    const queue = await createQueue('moved');
    const old = atIn(1000);
    await scheduler.send(new CreateScheduleCommand(oneOff('moved', 'moved', old.expression, '"old"')));
    const moved = atIn(2000);
    await scheduler.send(new UpdateScheduleCommand(oneOff('moved', 'moved', moved.expression, '"new"')));

    const messages = await waitForMessages(queue, 1, 5000);
    await sleep(300);
    messages.push(...(await receive(queue, 0)));

    expect(messages.map((message) => message.Body)).toEqual(['"new"']);
    expect(Number(messages[0]?.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(moved.fireAt);
    expect(firedFor('moved').map((invocation) => invocation.scheduledAt)).toEqual([moved.fireAt]);
  });

  it('holds a DISABLED schedule and fires it once enabled', async ({ expect }) => {
    const queue = await createQueue('held');
    const { expression } = atIn(-1000);
    const input = oneOff('held', 'held', expression, '"held"', { State: 'DISABLED' });
    await scheduler.send(new CreateScheduleCommand(input));

    await sleep(500);
    expect(await receive(queue, 0)).toEqual([]);

    await scheduler.send(new UpdateScheduleCommand({ ...input, State: 'ENABLED' }));
    const [message] = await waitForMessages(queue, 1, 3000);
    expect(message?.Body).toBe('"held"');
  });

  it('fires a rate() schedule at once and then waits for its interval', async ({ expect }) => {
    const queue = await createQueue('every-minute');
    const createdAt = Date.now();
    await scheduler.send(new CreateScheduleCommand(oneOff('every-minute', 'every-minute', 'rate(1 minute)', '"tick"')));

    const [message] = await waitForMessages(queue, 1, 3000);

    expect(message?.Body).toBe('"tick"');
    const next = emulator.schedules().find((schedule) => schedule.name === 'every-minute')?.nextFireAt ?? 0;
    expect(next - createdAt).toBeGreaterThan(59_000);
    expect(next - createdAt).toBeLessThan(61_000);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'every-minute' }));
  });

  it('passes the MessageGroupId of SqsParameters to a FIFO queue', async ({ expect }) => {
    const queue = await createQueue('orders.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const { expression } = atIn(-1000);
    await scheduler.send(
      new CreateScheduleCommand(
        oneOff('fifo', 'orders', expression, '"ordered"', {
          Target: {
            Arn: queueArn('orders.fifo'),
            RoleArn: ROLE_ARN,
            Input: '"ordered"',
            SqsParameters: { MessageGroupId: 'account-A1' },
          },
        }),
      ),
    );

    const [message] = await waitForMessages(queue, 1, 3000);

    expect(message?.Body).toBe('"ordered"');
    expect(message?.Attributes?.MessageGroupId).toBe('account-A1');
  });

  it('fires a cron() schedule at the wall-clock minute of its time zone, with its scheduled time filled in', async ({
    expect,
  }) => {
    // A clock 1.2 s before a minute boundary, so that the cron minute comes without waiting a minute.
    const boundary = Math.ceil((Date.now() + 60_000) / 60_000) * 60_000;
    const offset = boundary - (Date.now() + 1200);
    const shifted = await startSchedulerEmulator({ sqs, now: () => Date.now() + offset, firingWindowSeconds: 0 });
    const client = schedulerClient(shifted.url);
    try {
      const queue = await createQueue('seoul-cron');
      const seoul = new Date(boundary + 9 * 3600_000); // Asia/Seoul is UTC+9, without DST
      const input = '{"kind":"absence-run","at":"<aws.scheduler.scheduled-time>"}';
      await client.send(
        new CreateScheduleCommand(
          oneOff('seoul-cron', 'seoul-cron', `cron(${seoul.getUTCMinutes()} ${seoul.getUTCHours()} * * ? *)`, input, {
            ScheduleExpressionTimezone: 'Asia/Seoul',
          }),
        ),
      );

      const [message] = await waitForMessages(queue, 1, 4000);

      expect(JSON.parse(message?.Body ?? '{}')).toEqual({
        kind: 'absence-run',
        at: `${new Date(boundary).toISOString().slice(0, 19)}Z`,
      });
      expect(shifted.schedules()[0]?.nextFireAt).toBe(boundary + 24 * 3600_000);
    } finally {
      await shifted.stop();
    }
  });
});

describe('the Scheduler API', () => {
  it('answers a second schedule of the same name with ConflictException', async () => {
    const input = oneOff('twice', 'nowhere', 'rate(1 hour)', '{}', { State: 'DISABLED' });
    await scheduler.send(new CreateScheduleCommand(input));

    await expect(scheduler.send(new CreateScheduleCommand(input))).rejects.toBeInstanceOf(ConflictException);
  });

  it('lets a CreateSchedule retried with the same ClientToken succeed, once', async () => {
    const input = oneOff('retried', 'nowhere', 'rate(1 hour)', '{}', { State: 'DISABLED', ClientToken: 'token-1' });

    const first = await scheduler.send(new CreateScheduleCommand(input));
    const retried = await scheduler.send(new CreateScheduleCommand(input));

    expect(retried.ScheduleArn).toBe(first.ScheduleArn);
    expect(first.ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/retried`);
    await expect(
      scheduler.send(new CreateScheduleCommand({ ...input, ClientToken: 'token-2' })),
    ).rejects.toBeInstanceOf(ConflictException);
  });

  it('returns what was stored, with AWS defaults filled in', async () => {
    const startDate = new Date('2030-01-01T00:00:00Z');
    await scheduler.send(
      new CreateScheduleCommand(
        oneOff('stored', 'nowhere', 'cron(0 9 ? * MON-FRI *)', '{"a":1}', {
          ScheduleExpressionTimezone: 'Asia/Seoul',
          StartDate: startDate,
          Description: 'weekday mornings',
        }),
      ),
    );

    const stored = await scheduler.send(new GetScheduleCommand({ Name: 'stored', GroupName: 'default' }));

    expect(stored).toMatchObject({
      Name: 'stored',
      GroupName: 'default',
      ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      StartDate: startDate,
      Description: 'weekday mornings',
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: queueArn('nowhere'),
        RoleArn: ROLE_ARN,
        Input: '{"a":1}',
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
    });
    expect(stored.CreationDate).toBeInstanceOf(Date);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'stored' }));
  });

  it.each([
    ['a cron with both day fields set', { ScheduleExpression: 'cron(0 0 1 * MON *)' }],
    ['an at() with a malformed date', { ScheduleExpression: 'at(2025-13-01T00:00:00)' }],
    ['an unknown time zone', { ScheduleExpressionTimezone: 'Europe/Atlantis' }],
    ['a target without RoleArn', { Target: { Arn: queueArn('nowhere') } }],
    [
      'a target that is not an SQS queue',
      { Target: { Arn: 'arn:aws:lambda:us-east-1:0:function:f', RoleArn: ROLE_ARN } },
    ],
    ['a name with a slash', { Name: 'alarms/1' }],
    [
      'a retry policy above 185 attempts',
      { Target: { Arn: queueArn('q'), RoleArn: ROLE_ARN, RetryPolicy: { MaximumRetryAttempts: 186 } } },
    ],
  ] as const)('rejects %s with ValidationException', async (_, change) => {
    const input = { ...oneOff('invalid', 'nowhere', 'rate(1 hour)', '{}'), ...change } as CreateScheduleCommandInput;

    await expect(scheduler.send(new CreateScheduleCommand(input))).rejects.toBeInstanceOf(ValidationException);
  });

  it('answers a missing schedule or group with ResourceNotFoundException', async () => {
    await expect(scheduler.send(new GetScheduleCommand({ Name: 'absent' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      scheduler.send(new UpdateScheduleCommand(oneOff('absent', 'nowhere', 'rate(1 hour)', '{}'))),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(scheduler.send(new DeleteScheduleCommand({ Name: 'absent' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      scheduler.send(new CreateScheduleCommand(oneOff('x', 'nowhere', 'rate(1 hour)', '{}', { GroupName: 'nogroup' }))),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists schedules by group, name prefix and state, page by page', async () => {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'listing' }));
    for (const [name, state] of [
      ['alarm-1', 'ENABLED'],
      ['alarm-2', 'DISABLED'],
      ['alarm-3', 'ENABLED'],
      ['alarm-4', 'ENABLED'],
      ['demo-1', 'ENABLED'],
    ] as const) {
      await scheduler.send(
        new CreateScheduleCommand(
          oneOff(name, 'nowhere', 'rate(1 day)', '{}', {
            GroupName: 'listing',
            State: state,
            StartDate: new Date('2099-01-01'),
          }),
        ),
      );
    }

    const pages: string[][] = [];
    for await (const page of paginateListSchedules(
      { client: scheduler, pageSize: 2 },
      { GroupName: 'listing', NamePrefix: 'alarm-', State: 'ENABLED' },
    )) {
      pages.push((page.Schedules ?? []).map((schedule) => schedule.Name ?? ''));
    }

    expect(pages).toEqual([['alarm-1', 'alarm-3'], ['alarm-4']]);
  });

  it('deletes a schedule group together with its schedules', async () => {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'doomed' }));
    await scheduler.send(
      new CreateScheduleCommand(oneOff('inside', 'nowhere', 'rate(1 hour)', '{}', { GroupName: 'doomed' })),
    );
    expect((await scheduler.send(new GetScheduleGroupCommand({ Name: 'doomed' }))).State).toBe('ACTIVE');
    await expect(scheduler.send(new CreateScheduleGroupCommand({ Name: 'doomed' }))).rejects.toBeInstanceOf(
      ConflictException,
    );

    await scheduler.send(new DeleteScheduleGroupCommand({ Name: 'doomed' }));

    await expect(
      scheduler.send(new GetScheduleCommand({ Name: 'inside', GroupName: 'doomed' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const { ScheduleGroups = [] } = await scheduler.send(new ListScheduleGroupsCommand({}));
    expect(ScheduleGroups.map((group) => group.Name)).not.toContain('doomed');
    expect(ScheduleGroups.map((group) => group.Name)).toContain('default');
    expect(emulator.schedules().some((schedule) => schedule.group === 'doomed')).toBe(false);
  });
});

describe('injected faults', () => {
  it('retries failing deliveries MaximumRetryAttempts times, then puts the input in the DLQ', async () => {
    const queue = await createQueue('refused');
    const dlq = await createQueue('refused-dlq');
    emulator.faults.failDeliveries(true);
    try {
      const { expression } = atIn(-1000);
      const created = await scheduler.send(
        new CreateScheduleCommand({
          ...oneOff('refused', 'refused', expression, '{"alarmId":"A9"}'),
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: queueArn('refused'),
            RoleArn: ROLE_ARN,
            Input: '{"alarmId":"A9"}',
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: queueArn('refused-dlq') },
          },
        }),
      );

      const [dead] = await waitForMessages(dlq, 1, 3000);

      expect(dead?.Body).toBe('{"alarmId":"A9"}');
      const attribute = (name: string) => dead?.MessageAttributes?.[name]?.StringValue;
      expect(attribute('RETRY_ATTEMPTS')).toBe('3');
      expect(attribute('SCHEDULE_ARN')).toBe(created.ScheduleArn);
      expect(attribute('TARGET_ARN')).toBe(queueArn('refused'));
      expect(attribute('ERROR_CODE')).toBeTruthy();
      expect(attribute('ERROR_MESSAGE')).toBeTruthy();
      expect(attribute('EXECUTION_ID')).toBe(firedFor('refused')[0]?.executionId);
      expect(firedFor('refused')).toMatchObject([{ ok: false, attempts: 4 }]);
      expect(await receive(queue, 0)).toEqual([]);
      // DELETE applies after the last failed retry too.
      await vi.waitFor(() =>
        expect(scheduler.send(new GetScheduleCommand({ Name: 'refused' }))).rejects.toBeInstanceOf(
          ResourceNotFoundException,
        ),
      );
    } finally {
      emulator.faults.failDeliveries(false);
    }
  });

  it('delivers on a retry when the target recovers before the retries run out', async () => {
    const queue = await createQueue('flaky');
    emulator.faults.failDeliveries(true);
    const { expression } = atIn(-1000);
    await scheduler.send(new CreateScheduleCommand(oneOff('flaky', 'flaky', expression, '"eventually"')));
    // The first attempts (at once, then 20 and 40 ms later) fail.
    await sleep(100);
    emulator.faults.failDeliveries(false);

    const [message] = await waitForMessages(queue, 1, 5000);

    expect(message?.Body).toBe('"eventually"');
    expect(firedFor('flaky')).toMatchObject([{ ok: true }]);
    expect(firedFor('flaky')[0]?.attempts).toBeGreaterThan(1);
  });

  it('answers every call with a retryable 503 while unavailable', async () => {
    emulator.faults.unavailable(true);
    try {
      const failure = await noRetry.send(new GetScheduleCommand({ Name: 'twice' })).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(SchedulerServiceException);
      expect(failure).toMatchObject({
        name: 'ServiceUnavailableException',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      });
    } finally {
      emulator.faults.unavailable(false);
    }
    await expect(noRetry.send(new GetScheduleCommand({ Name: 'twice' }))).resolves.toMatchObject({ Name: 'twice' });
  });

  it('fails the next calls as InternalServerException, then answers normally', async () => {
    emulator.faults.failNextCalls(1);

    await expect(noRetry.send(new GetScheduleCommand({ Name: 'twice' }))).rejects.toBeInstanceOf(
      InternalServerException,
    );
    await expect(noRetry.send(new GetScheduleCommand({ Name: 'twice' }))).resolves.toMatchObject({ Name: 'twice' });
  });

  it('throttles calls above the set rate with ThrottlingException', async () => {
    emulator.faults.throttle(1);
    try {
      await noRetry.send(new GetScheduleCommand({ Name: 'twice' }));

      await expect(noRetry.send(new GetScheduleCommand({ Name: 'twice' }))).rejects.toBeInstanceOf(ThrottlingException);
    } finally {
      emulator.faults.throttle(null);
    }
  });

  it('lets the SDK retry its way through throttling and unavailability on its own', async () => {
    emulator.faults.failNextCalls(2, 'throttling');
    const throttled = await scheduler.send(new GetScheduleCommand({ Name: 'twice' }));
    expect(throttled.$metadata.attempts).toBe(3);

    emulator.faults.failNextCalls(1, 'unavailable');
    const unavailable = await scheduler.send(new GetScheduleCommand({ Name: 'twice' }));
    expect(unavailable.$metadata.attempts).toBe(2);
  });
});

describe('persistence across restarts', () => {
  it('keeps schedules in its data file and fires a one-time schedule missed while it was down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scheduler-emulator-'));
    const dataFile = join(dir, 'schedules.json');
    const queue = await createQueue('missed');
    try {
      const before = await startSchedulerEmulator({ sqs, dataFile, firingWindowSeconds: 0 });
      const client = schedulerClient(before.url);
      await client.send(new CreateScheduleGroupCommand({ Name: 'kept' }));
      const { expression, fireAt } = atIn(1000);
      await client.send(
        new CreateScheduleCommand(oneOff('missed', 'missed', expression, '"late"', { GroupName: 'kept' })),
      );
      await client.send(
        new CreateScheduleCommand(oneOff('nightly', 'missed', 'cron(0 0 * * ? *)', '"night"', { GroupName: 'kept' })),
      );
      await before.stop();

      await sleep(fireAt - Date.now() + 200);
      const after = await startSchedulerEmulator({ sqs, dataFile, firingWindowSeconds: 0 });
      try {
        const [message] = await waitForMessages(queue, 1, 3000);

        expect(message?.Body).toBe('"late"');
        const nightly = await schedulerClient(after.url).send(
          new GetScheduleCommand({ Name: 'nightly', GroupName: 'kept' }),
        );
        expect(nightly.ScheduleExpression).toBe('cron(0 0 * * ? *)');
        expect(after.fired).toMatchObject([{ name: 'missed', group: 'kept', ok: true, scheduledAt: fireAt }]);
      } finally {
        await after.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
