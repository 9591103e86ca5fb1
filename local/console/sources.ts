// What the console reads, and only through the public AWS APIs, as any outside tool would: the Scheduler's
// ListSchedules/GetSchedule, SQS's ListQueues/GetQueueAttributes, and the table by Scan. The FCM stand-in
// is the exception: it is part of the local cloud, not an AWS service, so its pushes are read in process.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

export interface Endpoints {
  readonly region: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly scheduler: string;
  readonly tableName: string;
}

export interface ScheduleRecord {
  readonly group: string;
  readonly name: string;
  readonly state: string;
  readonly expression: string;
  readonly timezone: string;
  readonly targetArn: string;
  readonly startDate?: number;
  readonly endDate?: number;
  /** For rate(): AWS counts from the start date, else from the creation time. */
  readonly creationDate: number;
}

export interface QueueRecord {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** The DLQ's ARN, from the queue's RedrivePolicy. */
  readonly deadLetterTargetArn?: string;
}

export type TableItem = Record<string, unknown> & { readonly pk: string; readonly sk: string };

/** A webhook call as the console shows it. Jobs record their runs in DynamoDB; see webhookCallsOf. */
export interface WebhookCall {
  readonly time: string;
  readonly jobId: string;
  readonly url: string;
  readonly status: string;
  readonly attempt: number;
  readonly lagMs?: number;
}

/** At most this many table items per refresh (a local table; a bigger one would be read by index). */
const MAX_SCAN_ITEMS = 20_000;

export class Sources {
  readonly scheduler: SchedulerClient;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBDocumentClient;
  private readonly tableName: string;
  /** GetSchedule answers, kept while the schedule's LastModificationDate stays the same. */
  private readonly scheduleCache = new Map<string, { modified: number; record: ScheduleRecord }>();

  constructor(endpoints: Endpoints) {
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const common = { region: endpoints.region, credentials, maxAttempts: 2 };
    this.scheduler = new SchedulerClient({ ...common, endpoint: endpoints.scheduler });
    this.sqs = new SQSClient({ ...common, endpoint: endpoints.sqs });
    this.dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }));
    this.tableName = endpoints.tableName;
  }

  async schedules(): Promise<ScheduleRecord[]> {
    const summaries: { group: string; name: string; modified: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.scheduler.send(new ListSchedulesCommand({ MaxResults: 100, NextToken: token }));
      for (const s of page.Schedules ?? []) {
        if (s.Name && s.GroupName)
          summaries.push({ group: s.GroupName, name: s.Name, modified: s.LastModificationDate?.getTime() ?? 0 });
      }
      token = page.NextToken;
    } while (token);

    const seen = new Set<string>();
    const records = await inBatches(summaries, 16, async ({ group, name, modified }) => {
      const key = `${group}/${name}`;
      seen.add(key);
      const cached = this.scheduleCache.get(key);
      if (cached && cached.modified === modified) return cached.record;
      try {
        const s = await this.scheduler.send(new GetScheduleCommand({ GroupName: group, Name: name }));
        const record: ScheduleRecord = {
          group,
          name,
          state: s.State ?? 'ENABLED',
          expression: s.ScheduleExpression ?? '',
          timezone: s.ScheduleExpressionTimezone ?? 'UTC',
          targetArn: s.Target?.Arn ?? '',
          ...(s.StartDate ? { startDate: s.StartDate.getTime() } : {}),
          ...(s.EndDate ? { endDate: s.EndDate.getTime() } : {}),
          creationDate: s.CreationDate?.getTime() ?? modified,
        };
        this.scheduleCache.set(key, { modified, record });
        return record;
      } catch (error) {
        // Fired and deleted itself between the list and the get.
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    });
    for (const key of this.scheduleCache.keys()) if (!seen.has(key)) this.scheduleCache.delete(key);
    return records.filter((r): r is ScheduleRecord => r !== undefined);
  }

  async queues(): Promise<QueueRecord[]> {
    const urls: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: token }));
      urls.push(...(page.QueueUrls ?? []));
      token = page.NextToken;
    } while (token);
    const queues = await inBatches(urls, 16, async (url) => {
      const { Attributes: a = {} } = await this.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      );
      const redrive = a.RedrivePolicy ? (JSON.parse(a.RedrivePolicy) as { deadLetterTargetArn?: string }) : {};
      const arn = a.QueueArn ?? '';
      return {
        name: arn.split(':').pop() ?? url.split('/').pop() ?? url,
        url,
        arn,
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
        ...(redrive.deadLetterTargetArn ? { deadLetterTargetArn: redrive.deadLetterTargetArn } : {}),
      };
    });
    return queues.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Accounts, alarms, absence runs and job runs: the items the console shows, by their key shapes. */
  async tableItems(): Promise<TableItem[]> {
    const items: TableItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression:
            'sk = :profile OR begins_with(sk, :alarm) OR sk = :run OR begins_with(pk, :job) OR begins_with(sk, :job) OR begins_with(sk, :jobRun)',
          ExpressionAttributeValues: {
            ':profile': 'PROFILE',
            ':alarm': 'ALARM#',
            ':run': 'RUN',
            ':job': 'JOB#',
            ':jobRun': 'JOBRUN#',
          },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as TableItem[]));
      start = page.LastEvaluatedKey;
    } while (start && items.length < MAX_SCAN_ITEMS);
    return items;
  }

  destroy(): void {
    this.scheduler.destroy();
    this.sqs.destroy();
    this.dynamo.destroy();
  }
}

/**
 * The webhook calls made, from the job runs the jobs capability records in the table (`JOBRUN#<jobId>#<runAt>`,
 * one per run, after its last call): the one place that learns their item shape. Newest first.
 */
export function webhookCallsOf(items: readonly TableItem[]): WebhookCall[] {
  const urls = new Map<string, string>();
  for (const item of items) if (item.sk.startsWith('JOB#')) urls.set(String(item.jobId), String(item.url));
  return items
    .filter((item) => item.sk.startsWith('JOBRUN#'))
    .map((item) => {
      const jobId = String(item.jobId);
      const runAt = String(item.dueAt);
      const finishedAt = typeof item.finishedAt === 'string' ? item.finishedAt : runAt;
      const answer = typeof item.httpStatus === 'number' ? ` ${item.httpStatus}` : '';
      return {
        time: finishedAt,
        jobId,
        url: urls.get(jobId) ?? '',
        status: `${String(item.status)}${answer}${typeof item.reason === 'string' ? ` ${item.reason}` : ''}`,
        attempt: Number(item.attempts ?? 1),
        lagMs: Date.parse(finishedAt) - Date.parse(runAt),
      };
    })
    .sort((a, b) => b.time.localeCompare(a.time));
}

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}
