// Least privilege, read from the synthesized policies: who may do what to which resource.
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENV,
  FUNCTIONS,
  ONE_OFF_SCHEDULE_TARGETS,
  QUEUES,
  type QueueKey,
  RECURRING_SCHEDULES,
  SCHEDULE_GROUPS,
} from '../../lib/definitions.ts';
import { SCHEDULE_ACTIONS, XRAY_WRITE_ACTIONS } from '../../lib/house-function.ts';
import type { SchedulingStack } from '../../lib/scheduling-stack.ts';
import {
  actionsOf,
  arnOf,
  type FunctionKey,
  logicalId,
  propertiesOf,
  resourcesOf,
  resourcesOfStatement,
  type Statement,
  statementsOfRole,
  synthesize,
  TEST_ENV,
} from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;

beforeAll(() => {
  ({ template, stack } = synthesize({ bundle: false }));
});

const functionKeys = Object.keys(FUNCTIONS) as FunctionKey[];
const roleOf = (key: FunctionKey) => logicalId(stack.functions[key].role);
const statementsOf = (key: FunctionKey) => statementsOfRole(template, roleOf(key));
const allows = (statements: Statement[], action: string) =>
  statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
const resourcesAllowed = (statements: Statement[], action: string) =>
  allows(statements, action).flatMap(resourcesOfStatement);
const sameSet = (a: unknown[], b: unknown[]) =>
  expect(new Set(a.map((x) => JSON.stringify(x)))).toEqual(new Set(b.map((x) => JSON.stringify(x))));

/** The resource string of `arn:...:schedule/<group name>/*`, the way the template spells it. */
const schedulesOfGroup = (group: 'demoAccounts' | 'alarms' | 'jobs' | 'recurring') => {
  const name = resourcesOf(template, 'AWS::Scheduler::ScheduleGroup')[logicalId(stack.scheduleGroups[group])]
    ?.Properties.Name;
  return {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, `:scheduler:${TEST_ENV.region}:${TEST_ENV.account}:schedule/${name}/*`],
    ],
  };
};

describe('the scheduler role', () => {
  const scheduledQueues = (): QueueKey[] => [
    ...new Set<QueueKey>([
      ...(Object.keys(ONE_OFF_SCHEDULE_TARGETS) as QueueKey[]),
      ...Object.values(RECURRING_SCHEDULES).map((s) => s.queue),
    ]),
  ];

  it('should only send messages, to the queues schedules target and the schedule-delivery DLQ', () => {
    const statements = statementsOfRole(template, logicalId(stack.schedulerRole));
    expect(statements.map(actionsOf)).toEqual([['sqs:SendMessage']]);
    sameSet(resourcesOfStatement(statements[0] as Statement), [
      ...scheduledQueues().map((key) => arnOf(logicalId(stack.queues[key].queue))),
      arnOf(logicalId(stack.scheduleDeliveryDlq)),
    ]);
    expect(scheduledQueues().sort()).toEqual((Object.keys(QUEUES) as QueueKey[]).sort());
  });

  it("should be assumable only by EventBridge Scheduler, for this account's schedule groups", () => {
    const role = resourcesOf(template, 'AWS::IAM::Role')[logicalId(stack.schedulerRole)]?.Properties;
    expect(role?.ManagedPolicyArns).toBeUndefined();
    expect(role?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': TEST_ENV.account },
            ArnEquals: { 'aws:SourceArn': Object.values(stack.scheduleGroups).map((group) => arnOf(logicalId(group))) },
          },
        },
      ],
    });
  });

  it('should let only the scheduler role send to the schedule-delivery DLQ', () => {
    const dlq = JSON.stringify(arnOf(logicalId(stack.scheduleDeliveryDlq)));
    const senders = Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter(([, { Properties }]) =>
        allows((Properties.PolicyDocument as { Statement: Statement[] }).Statement, 'sqs:SendMessage').some((s) =>
          resourcesOfStatement(s).some((r) => JSON.stringify(r) === dlq),
        ),
      )
      .flatMap(([, { Properties }]) => (Properties.Roles as { Ref: string }[]).map((r) => r.Ref));
    expect(senders).toEqual([logicalId(stack.schedulerRole)]);
  });
});

describe('the functions', () => {
  it('should let the API function manage schedules only in the demo-account, alarm and job groups', () => {
    const statements = statementsOf('api');
    for (const action of SCHEDULE_ACTIONS.manage) {
      sameSet(resourcesAllowed(statements, action), [
        schedulesOfGroup('alarms'),
        schedulesOfGroup('demoAccounts'),
        schedulesOfGroup('jobs'),
      ]);
    }
    const schedulerActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('scheduler:'));
    expect(new Set(schedulerActions)).toEqual(new Set(SCHEDULE_ACTIONS.manage));
  });

  it('should let the API function pass only the scheduler role, and only to EventBridge Scheduler', () => {
    const passRole = allows(statementsOf('api'), 'iam:PassRole');
    expect(passRole).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: arnOf(logicalId(stack.schedulerRole)),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it('should let no function but the API and the two timer consumers pass any role', () => {
    for (const key of functionKeys.filter((k) => k !== 'api' && k !== 'sendDueAlarm' && k !== 'runDueJob'))
      expect(allows(statementsOf(key), 'iam:PassRole')).toEqual([]);
  });

  it('should let the push consumer manage schedules only in the alarm group (arming the next occurrence), passing only the scheduler role', () => {
    const statements = statementsOf('sendDueAlarm');
    for (const action of SCHEDULE_ACTIONS.manage) {
      sameSet(resourcesAllowed(statements, action), [schedulesOfGroup('alarms')]);
    }
    const schedulerActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('scheduler:'));
    expect(new Set(schedulerActions)).toEqual(new Set(SCHEDULE_ACTIONS.manage));
    expect(allows(statements, 'iam:PassRole')).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: arnOf(logicalId(stack.schedulerRole)),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it("should let the job consumer manage schedules only in the job group, to arm a recurring job's next run", () => {
    const statements = statementsOf('runDueJob');
    for (const action of SCHEDULE_ACTIONS.manage) {
      sameSet(resourcesAllowed(statements, action), [schedulesOfGroup('jobs')]);
    }
    expect(allows(statements, 'iam:PassRole')).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: arnOf(logicalId(stack.schedulerRole)),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it('should let the job consumer send to and change visibility on the jobs queue only, and read no secret', () => {
    const statements = statementsOf('runDueJob');
    const jobsQueue = arnOf(logicalId(stack.queues.jobs.queue));
    sameSet(resourcesAllowed(statements, 'sqs:SendMessage'), [jobsQueue]);
    sameSet(resourcesAllowed(statements, 'sqs:ChangeMessageVisibility'), [jobsQueue]);
    expect(resourcesAllowed(statements, 'secretsmanager:GetSecretValue')).toEqual([]);
  });

  it('should let the expiry function only delete schedules, in the demo-account, alarm and job groups', () => {
    const statements = statementsOf('expireDemoAccount');
    const schedulerActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('scheduler:'));
    expect(schedulerActions).toEqual([...SCHEDULE_ACTIONS.delete]);
    sameSet(resourcesAllowed(statements, 'scheduler:DeleteSchedule'), [
      schedulesOfGroup('alarms'),
      schedulesOfGroup('demoAccounts'),
      schedulesOfGroup('jobs'),
    ]);
  });

  it.each(['markAbsentees', 'sweep'] as const)(
    'should keep the %s function away from the scheduler entirely',
    (key) => {
      const actions = statementsOf(key).flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('scheduler:') || a.startsWith('iam:'))).toEqual([]);
    },
  );

  it('should let no function touch the recurring schedule group', () => {
    const recurring = JSON.stringify(schedulesOfGroup('recurring'));
    for (const key of functionKeys) {
      expect(JSON.stringify(statementsOf(key))).not.toContain(recurring);
    }
  });

  it.each(functionKeys)(
    'should grant the %s function Resource "*" only for the X-Ray writes, which have no resource-level permissions',
    (key) => {
      const wildcard = statementsOf(key).filter((s) => resourcesOfStatement(s).includes('*'));
      expect(wildcard.flatMap(actionsOf).sort()).toEqual([...XRAY_WRITE_ACTIONS].sort());
      expect(
        statementsOf(key)
          .flatMap(actionsOf)
          .filter((a) => a.includes('*')),
      ).toEqual([]);
    },
  );

  it.each(functionKeys)('should give the %s function a role of its own, with no managed policy', (key) => {
    const role = resourcesOf(template, 'AWS::IAM::Role')[roleOf(key)]?.Properties;
    expect(role?.ManagedPolicyArns).toBeUndefined();
    const others = functionKeys.filter((k) => k !== key).map(roleOf);
    expect(others).not.toContain(roleOf(key));
  });

  it('should give the sweeper read-only access to the table, and the others read-write', () => {
    const table = JSON.stringify(arnOf(logicalId(stack.table)));
    const touchesTable = (s: Statement) => resourcesOfStatement(s).some((r) => JSON.stringify(r).includes(table));
    const tableActions = (key: FunctionKey) => new Set(statementsOf(key).filter(touchesTable).flatMap(actionsOf));
    expect(tableActions('sweep')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query']));
    for (const key of functionKeys.filter((k) => k !== 'sweep')) {
      expect(tableActions(key)).toContain('dynamodb:PutItem');
      expect(tableActions(key)).not.toContain('dynamodb:Scan');
    }
  });

  it('should let only the timer consumers send conditional PartiQL updates, and no function PartiQL insert, delete or select', () => {
    const partiql = (key: FunctionKey) =>
      statementsOf(key)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:PartiQL'));
    for (const key of functionKeys)
      expect(partiql(key), key).toEqual(
        key === 'sendDueAlarm' || key === 'runDueJob' ? ['dynamodb:PartiQLUpdate'] : [],
      );
  });

  it("should let the API function keep Idempotency-Key records in the table (Powertools' four item calls) and no more", () => {
    const table = JSON.stringify(arnOf(logicalId(stack.table)));
    const tableStatements = statementsOf('api').filter((s) =>
      resourcesOfStatement(s).some((r) => JSON.stringify(r).includes(table)),
    );
    const actions = new Set(tableStatements.flatMap(actionsOf));
    for (const action of ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      expect(actions).toContain(action);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DescribeTable');
  });

  it('should let each function read only the secret it is bound to', () => {
    const secretReaders = (key: FunctionKey) => resourcesAllowed(statementsOf(key), 'secretsmanager:GetSecretValue');
    expect(secretReaders('api')).toEqual([{ Ref: logicalId(stack.adminTokenSecret) }]);
    expect(secretReaders('sendDueAlarm')).toEqual([{ Ref: logicalId(stack.fcmCredentialsSecret) }]);
    for (const key of ['expireDemoAccount', 'markAbsentees', 'sweep', 'runDueJob'] as const)
      expect(secretReaders(key)).toEqual([]);
  });

  it('should let functions send only to the queues they hold timers on, re-drive into or fan out on', () => {
    const sendsTo = (key: FunctionKey) => resourcesAllowed(statementsOf(key), 'sqs:SendMessage');
    const queueArn = (key: QueueKey) => arnOf(logicalId(stack.queues[key].queue));
    sameSet(sendsTo('api'), [queueArn('absence'), queueArn('alarmPush'), queueArn('accountExpiry'), queueArn('jobs')]);
    sameSet(sendsTo('markAbsentees'), [queueArn('absence')]);
    sameSet(sendsTo('sweep'), [queueArn('accountExpiry'), queueArn('alarmPush'), queueArn('jobs')]);
    sameSet(sendsTo('runDueJob'), [queueArn('jobs')]);
    sameSet(sendsTo('sendDueAlarm'), [queueArn('alarmPush')]);
    sameSet(sendsTo('expireDemoAccount'), [queueArn('accountExpiry')]);
  });

  it.each(functionKeys)(
    'should let the %s function use every table, queue URL, schedule group and secret it is told about',
    (key) => {
      const statements = statementsOf(key);
      const env = (
        propertiesOf(template, 'AWS::Lambda::Function', logicalId(stack.functions[key])).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      const queueIds = new Set(Object.keys(resourcesOf(template, 'AWS::SQS::Queue')));
      const may = (actions: readonly string[], resource: unknown) =>
        actions.some((action) =>
          resourcesAllowed(statements, action).some((r) => JSON.stringify(r) === JSON.stringify(resource)),
        );
      for (const [name, value] of Object.entries(env)) {
        const ref = (value as { Ref?: string }).Ref;
        if (name === ENV.tableName) expect(may(['dynamodb:GetItem'], arnOf(logicalId(stack.table))), name).toBe(true);
        else if (ref && queueIds.has(ref))
          expect(may(['sqs:SendMessage', 'sqs:ChangeMessageVisibility'], arnOf(ref)), name).toBe(true);
        else if (name.endsWith('_SECRET_ARN')) expect(may(['secretsmanager:GetSecretValue'], value), name).toBe(true);
      }
      for (const group of ['demoAccounts', 'alarms'] as const) {
        if (SCHEDULE_GROUPS[group].env in env) {
          expect(may(['scheduler:DeleteSchedule'], schedulesOfGroup(group)), SCHEDULE_GROUPS[group].env).toBe(true);
        }
      }
    },
  );

  it('should let the push function change the visibility of its own queue messages, for backoff', () => {
    sameSet(resourcesAllowed(statementsOf('sendDueAlarm'), 'sqs:ChangeMessageVisibility'), [
      arnOf(logicalId(stack.queues.alarmPush.queue)),
    ]);
  });
});
