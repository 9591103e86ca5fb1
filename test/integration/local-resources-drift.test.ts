// The local cloud creates the same resources the CDK stack deploys: both come from lib/definitions.ts, and
// this test proves neither side has wandered off (keys, indexes, TTL, queues and redrive, schedule groups,
// recurring schedules, consumers, routes and the handlers' environment).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetScheduleCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, FUNCTIONS, QUEUES, type QueueKey, ROUTES, SCHEDULE_GROUPS, TABLE } from '../../lib/definitions.ts';
import { SchedulingStack } from '../../lib/scheduling-stack.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

let cloud: LocalCloud;
let stack: SchedulingStack;
let template: Template;
let sqs: SQSClient;
let scheduler: SchedulerClient;

beforeAll(async () => {
  const cloudStarted = startLocalCloud({ port: 0 });
  const context = (
    JSON.parse(readFileSync(join(import.meta.dirname, '../../cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;
  // Bundling the functions is irrelevant to the resources compared here, and slow.
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  stack = new SchedulingStack(app, 'Test');
  template = Template.fromStack(stack);
  cloud = await cloudStarted;
  sqs = new SQSClient({});
  scheduler = new SchedulerClient({});
});

afterAll(async () => {
  await cloud?.stop();
});

function logicalId(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!element || !CfnElement.isCfnElement(element))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).resolve(Stack.of(element).getLogicalId(element)) as string;
}

const resources = (type: string) => template.findResources(type) as Record<string, Resource>;

function deployed(construct: IConstruct, type: string): Record<string, unknown> {
  const resource = resources(type)[logicalId(construct)];
  if (!resource) throw new Error(`${construct.node.path} is not a ${type} in the template`);
  return resource.Properties;
}

const getAttArn = (value: unknown): string | undefined =>
  (value as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];

async function localQueueAttributes(url: string): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return out.Attributes ?? {};
}

const queueKeys = Object.keys(QUEUES) as QueueKey[];

describe('the local table', () => {
  it('has the deployed key schema, attribute types and both GSIs with their keys and projection', async () => {
    const table = deployed(stack.table, 'AWS::DynamoDB::Table');
    const { Table: local } = await new DynamoDBClient({}).send(
      new DescribeTableCommand({ TableName: cloud.tableName }),
    );
    expect(local?.KeySchema).toEqual(table.KeySchema);
    const byName = <T extends { AttributeName?: string }>(list: T[] = []) =>
      [...list].sort((a, b) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''));
    expect(byName(local?.AttributeDefinitions)).toEqual(
      byName(table.AttributeDefinitions as { AttributeName: string }[]),
    );

    type Gsi = { IndexName?: string; KeySchema?: unknown; Projection?: { ProjectionType?: string } };
    const shape = (list: Gsi[] = []) =>
      list
        .map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, ProjectionType: g.Projection?.ProjectionType }))
        .sort((a, b) => (a.IndexName ?? '').localeCompare(b.IndexName ?? ''));
    const deployedIndexes = shape(table.GlobalSecondaryIndexes as Gsi[]);
    expect(deployedIndexes.map((g) => g.IndexName)).toEqual(
      Object.values(TABLE.indexes)
        .map((i) => i.name)
        .sort(),
    );
    expect(shape(local?.GlobalSecondaryIndexes)).toEqual(deployedIndexes);
  });

  it('has TTL on the deployed attribute', async () => {
    const table = deployed(stack.table, 'AWS::DynamoDB::Table');
    const ttl = await new DynamoDBClient({}).send(new DescribeTimeToLiveCommand({ TableName: cloud.tableName }));
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TABLE.ttlAttribute, Enabled: true });
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: TABLE.ttlAttribute, TimeToLiveStatus: 'ENABLED' });
  });
});

describe('the local queues', () => {
  it.each(queueKeys)('%s has the deployed visibility timeout, retention and redrive to its own DLQ', async (key) => {
    const { queue, deadLetterQueue } = stack.queues[key];
    const deployedQueue = deployed(queue, 'AWS::SQS::Queue');
    const deployedRedrive = deployedQueue.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
    expect(getAttArn(deployedRedrive.deadLetterTargetArn)).toBe(logicalId(deadLetterQueue));

    const local = await localQueueAttributes(cloud.queueUrls[key]);
    const localDlq = await localQueueAttributes(cloud.dlqUrls[key]);
    expect(Number(local.VisibilityTimeout)).toBe(deployedQueue.VisibilityTimeout);
    expect(Number(local.MessageRetentionPeriod)).toBe(deployedQueue.MessageRetentionPeriod);
    const localRedrive = JSON.parse(local.RedrivePolicy ?? '{}') as {
      deadLetterTargetArn: string;
      maxReceiveCount: number;
    };
    expect(Number(localRedrive.maxReceiveCount)).toBe(deployedRedrive.maxReceiveCount);
    expect(localRedrive.deadLetterTargetArn).toBe(localDlq.QueueArn);
    expect(Number(localDlq.MessageRetentionPeriod)).toBe(
      deployed(deadLetterQueue, 'AWS::SQS::Queue').MessageRetentionPeriod,
    );
  });

  it('include the Scheduler delivery DLQ, and no queue the stack lacks', async () => {
    expect(await localQueueAttributes(cloud.scheduleDlqUrl)).toHaveProperty('QueueArn');
    const localCount = queueKeys.length * 2 + 1;
    expect(Object.keys(resources('AWS::SQS::Queue'))).toHaveLength(localCount);
  });
});

describe('the local Scheduler', () => {
  it('has a group for each deployed schedule group', async () => {
    const out = await scheduler.send(new ListScheduleGroupsCommand({}));
    const local = (out.ScheduleGroups ?? []).map((g) => g.Name).filter((name) => name !== 'default');
    const deployedGroups = Object.values(stack.scheduleGroups).map((g) => logicalId(g));
    expect(Object.keys(resources('AWS::Scheduler::ScheduleGroup')).sort()).toEqual(deployedGroups.sort());
    expect(local.sort()).toEqual(
      Object.values(SCHEDULE_GROUPS)
        .map((g) => g.id)
        .sort(),
    );
  });

  it('has the deployed recurring schedules: expression, time zone, target queue, input, retry policy and DLQ', async () => {
    const queueOfLogicalId = Object.fromEntries(queueKeys.map((key) => [logicalId(stack.queues[key].queue), key]));
    const recurringGroup = stack.scheduleGroups.recurring;
    const recurringGroupName = deployed(recurringGroup, 'AWS::Scheduler::ScheduleGroup').Name ?? {
      Ref: logicalId(recurringGroup),
    };
    const deployedSchedules = Object.values(resources('AWS::Scheduler::Schedule')).map(({ Properties: p }) => {
      const target = p.Target as {
        Arn: unknown;
        Input: string;
        RetryPolicy: unknown;
        DeadLetterConfig: { Arn: unknown };
      };
      expect(p.GroupName).toEqual(recurringGroupName);
      return {
        expression: p.ScheduleExpression,
        timezone: p.ScheduleExpressionTimezone,
        queue: queueOfLogicalId[getAttArn(target.Arn) ?? ''],
        input: target.Input,
        retryPolicy: target.RetryPolicy,
        deadLetter: getAttArn(target.DeadLetterConfig.Arn) === logicalId(stack.scheduleDeliveryDlq),
      };
    });

    const queueOfArn = Object.fromEntries(queueKeys.map((key) => [cloud.queueArns[key], key]));
    const scheduleDlqArn = (await localQueueAttributes(cloud.scheduleDlqUrl)).QueueArn;
    const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: SCHEDULE_GROUPS.recurring.id }));
    const localSchedules = await Promise.all(
      (listed.Schedules ?? []).map(async ({ Name }) => {
        const s = await scheduler.send(new GetScheduleCommand({ Name, GroupName: SCHEDULE_GROUPS.recurring.id }));
        return {
          expression: s.ScheduleExpression,
          timezone: s.ScheduleExpressionTimezone,
          queue: queueOfArn[s.Target?.Arn ?? ''],
          input: s.Target?.Input,
          retryPolicy: s.Target?.RetryPolicy,
          deadLetter: s.Target?.DeadLetterConfig?.Arn === scheduleDlqArn,
        };
      }),
    );
    const order = (list: { expression: unknown }[]) =>
      [...list].sort((a, b) => String(a.expression).localeCompare(String(b.expression)));
    expect(deployedSchedules.length).toBeGreaterThan(0);
    expect(order(localSchedules)).toEqual(order(deployedSchedules));
  });
});

describe('the local consumers and API', () => {
  it('poll the queues the deployed event source mappings read, with the same batch size', () => {
    const functionOfLogicalId = Object.fromEntries(
      Object.entries(stack.functions).map(([key, fn]) => [logicalId(fn), FUNCTIONS[key as keyof typeof FUNCTIONS].id]),
    );
    const queueArnOfLogicalId = Object.fromEntries(
      queueKeys.map((key) => [logicalId(stack.queues[key].queue), cloud.queueArns[key]]),
    );
    const deployedMappings = Object.values(resources('AWS::Lambda::EventSourceMapping')).map(({ Properties: p }) => ({
      functionName: functionOfLogicalId[(p.FunctionName as { Ref: string }).Ref],
      queueArn: queueArnOfLogicalId[getAttArn(p.EventSourceArn) ?? ''],
      batchSize: p.BatchSize,
      reportsItemFailures: (p.FunctionResponseTypes as string[] | undefined)?.includes('ReportBatchItemFailures'),
    }));
    const localMappings = Object.values(cloud.eventSourceMappings).map((m) => ({
      functionName: m.functionName,
      queueArn: m.queueArn,
      batchSize: m.batchSize,
      reportsItemFailures: true,
    }));
    const order = (list: { functionName?: string }[]) =>
      [...list].sort((a, b) => String(a.functionName).localeCompare(String(b.functionName)));
    expect(order(localMappings)).toEqual(order(deployedMappings));
  });

  it('routes exactly the deployed route keys, everything else to $default', () => {
    const deployedRoutes = Object.values(resources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(deployedRoutes.sort()).toEqual([...ROUTES, '$default'].sort());
  });

  it('gives the handlers every environment variable the stack gives the functions (secrets by their local stand-ins)', () => {
    // In AWS two values come from Secrets Manager; locally the value itself is in the environment.
    const localEquivalent: Record<string, string> = {
      [ENV.adminTokenSecretArn]: ENV.adminToken,
      [ENV.fcmCredentialsSecretArn]: ENV.fcmCredentialsFile,
    };
    const productVariables = new Set<string>(Object.values(ENV));
    const deployedNames = new Set<string>();
    for (const { Properties } of Object.values(resources('AWS::Lambda::Function'))) {
      const variables =
        (Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      for (const name of Object.keys(variables))
        if (productVariables.has(name)) deployedNames.add(localEquivalent[name] ?? name);
    }
    // Locally all handlers share one process, so each sees the union; none may lack one it has in AWS.
    const localNames = new Set(Object.keys(cloud.env));
    expect(deployedNames.size).toBeGreaterThan(0);
    expect([...deployedNames].filter((name) => !localNames.has(name))).toEqual([]);
  });
});
