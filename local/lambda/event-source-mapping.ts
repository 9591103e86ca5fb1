// Lambda's SQS event source mapping, in process: long-polls a queue, hands the handler a real SQSEvent and
// settles the batch as Lambda does with ReportBatchItemFailures.
//  - the handler answers: every record not listed in batchItemFailures is deleted; listed ones stay
//    in flight with whatever visibility they have (the handler may have changed it);
//  - the handler throws, times out or answers with an unknown itemIdentifier: nothing is deleted, and
//    the visibility timeout and the queue's redrive policy do the rest.
// Failure tests can make the function die halfway through a batch (`faults.crashMidBatch`).
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { sleep } from '../net.ts';
import { type AnyHandler, invokeWithTimeout, type LocalFunction } from './context.ts';

export interface EventSourceMappingOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly function: LocalFunction;
  readonly handler: AnyHandler;
  /** MaxNumberOfMessages of each receive, 1 to 10. */
  readonly batchSize: number;
  /** Concurrent pollers at least, each with at most one batch in its handler at a time (default 2). */
  readonly pollers?: number;
  /**
   * Concurrent pollers at most (default: `pollers`). As Lambda's do, pollers follow the backlog: a receive
   * that comes back full starts another poller, up to this; one that comes back empty ends its poller,
   * down to `pollers`.
   */
  readonly maxPollers?: number;
  /** Long-poll wait of each receive, 0 to 20 s. */
  readonly waitTimeSeconds?: number;
  readonly log?: (line: string) => void;
}

export interface BatchOutcome {
  readonly functionName: string;
  readonly messageIds: readonly string[];
  readonly deleted: readonly string[];
  /** Why the whole batch was left to be redelivered, when it was. */
  readonly error?: string;
}

export interface CrashMidBatchOptions {
  /** Only batches of at least this many records crash (default 1); smaller ones run normally and do not count. */
  readonly minRecords?: number;
  /**
   * After the crash, make the batch's records visible again in this many seconds instead of waiting out
   * the queue's visibility timeout (what Lambda does), so a test need not wait a minute for the redelivery.
   */
  readonly redeliverAfterSeconds?: number;
}

/** Fault injection for failure tests; driven from code only. */
export interface EventSourceMappingFaults {
  /**
   * The next `times` batches: the handler runs on the first half of the records only (rounded up, so at
   * least one), then the invocation dies as if the process had crashed: whatever the handler answered is
   * lost, nothing is deleted, and the whole batch returns to the queue, the handled half included.
   */
  crashMidBatch(times: number, options?: CrashMidBatchOptions): void;
  /** Batches crashed so far. */
  readonly crashes: number;
}

export interface EventSourceMapping {
  readonly functionName: string;
  readonly queueArn: string;
  readonly batchSize: number;
  /** Pollers running now (between `pollers` and `maxPollers`). */
  readonly pollers: number;
  /** The batches handed to the handler so far (the latest 1,000), newest last. */
  readonly batches: readonly BatchOutcome[];
  readonly faults: EventSourceMappingFaults;
  /** Stops receiving, then waits (briefly) for batches already in their handler. */
  stop(): Promise<void>;
}

/** How long a stop waits for batches in flight before leaving them to the visibility timeout. */
const STOP_GRACE_MS = 2000;
const RECEIVE_ERROR_BACKOFF_MS = 1000;
/** `batches` is for tests and debugging; a long `npm start` keeps only the latest. */
const MAX_REMEMBERED_BATCHES = 1000;

export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const stopping = new AbortController();
  let quiet = false;
  // A batch still running after the stop would only report on services already shut down.
  const log = (line: string) => {
    if (!quiet) options.log?.(line);
  };
  const batches: BatchOutcome[] = [];
  const remember = (outcome: BatchOutcome) => {
    batches.push(outcome);
    if (batches.length > MAX_REMEMBERED_BATCHES) batches.shift();
  };
  const inFlight = new Set<Promise<void>>();
  const name = options.function.name;
  let crashPlan: { left: number; minRecords: number; redeliverAfterSeconds?: number } | undefined;
  let crashes = 0;
  /** Whether this batch is one the armed crash fault takes. */
  const takeCrash = (size: number): { redeliverAfterSeconds?: number } | undefined => {
    if (!crashPlan || crashPlan.left <= 0 || size < crashPlan.minRecords) return undefined;
    crashPlan.left--;
    crashes++;
    return crashPlan.redeliverAfterSeconds === undefined
      ? {}
      : { redeliverAfterSeconds: crashPlan.redeliverAfterSeconds };
  };

  const minPollers = options.pollers ?? 2;
  const maxPollers = Math.max(minPollers, options.maxPollers ?? minPollers);
  const pollers = new Set<Promise<void>>();
  const startPoller = () => {
    const poller = poll().finally(() => pollers.delete(poller));
    pollers.add(poller);
  };

  async function poll(): Promise<void> {
    let reportedReceiveError = false;
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        const out = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        messages = out.Messages ?? [];
        reportedReceiveError = false;
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (!reportedReceiveError) log(`[${name}] cannot receive from ${options.queueArn}: ${describe(error)}`);
        reportedReceiveError = true;
        await sleep(RECEIVE_ERROR_BACKOFF_MS, stopping.signal);
        continue;
      }
      if (messages.length === 0) {
        if (pollers.size > minPollers) return;
        continue;
      }
      if (messages.length >= options.batchSize && pollers.size < maxPollers) startPoller();
      const settled = invokeAndSettle(messages);
      inFlight.add(settled);
      await settled;
      inFlight.delete(settled);
    }
  }

  async function invokeAndSettle(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, options.queueArn, options.function.region)) };
    const messageIds = event.Records.map((r) => r.messageId);
    const crash = takeCrash(messageIds.length);
    if (crash) return crashMidway(event, crash.redeliverAfterSeconds);
    let failed: Set<string>;
    try {
      const answer = await invokeWithTimeout(options.function, options.handler, event);
      failed = failedMessageIds(answer, new Set(messageIds));
    } catch (error) {
      const reason = describe(error);
      log(`[${name}] batch of ${messageIds.length} failed, all will be redelivered: ${reason}`);
      remember({ functionName: name, messageIds, deleted: [], error: reason });
      return;
    }
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    const deleted = await deleteMessages(done);
    remember({ functionName: name, messageIds, deleted });
  }

  async function crashMidway(event: SQSEvent, redeliverAfterSeconds: number | undefined): Promise<void> {
    const messageIds = event.Records.map((r) => r.messageId);
    const handled = Math.ceil(event.Records.length / 2);
    try {
      await invokeWithTimeout(options.function, options.handler, { Records: event.Records.slice(0, handled) });
    } catch {
      // The process dies right after anyway: its own failure changes nothing.
    }
    const reason = `injected crash after ${handled} of ${messageIds.length} records`;
    log(`[${name}] batch of ${messageIds.length} failed, all will be redelivered: ${reason}`);
    remember({ functionName: name, messageIds, deleted: [], error: reason });
    if (redeliverAfterSeconds === undefined) return;
    try {
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: event.Records.map((r, i) => ({
            Id: String(i),
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: redeliverAfterSeconds,
          })),
        }),
      );
    } catch (error) {
      log(`[${name}] could not shorten the redelivery of a crashed batch: ${describe(error)}`);
    }
  }

  async function deleteMessages(records: SQSRecord[]): Promise<string[]> {
    if (records.length === 0) return [];
    try {
      const out = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const failure of out.Failed ?? []) {
        const record = records[Number(failure.Id)];
        log(`[${name}] could not delete ${record?.messageId}: ${failure.Code} ${failure.Message ?? ''}`);
      }
      const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
      return records.filter((_, i) => !failedIds.has(String(i))).map((r) => r.messageId);
    } catch (error) {
      log(`[${name}] could not delete ${records.length} handled messages: ${describe(error)}`);
      return [];
    }
  }

  for (let i = 0; i < minPollers; i++) startPoller();
  let stopped: Promise<void> | undefined;
  return {
    functionName: name,
    queueArn: options.queueArn,
    batchSize: options.batchSize,
    get pollers() {
      return pollers.size;
    },
    batches,
    faults: {
      crashMidBatch(times, crashOptions = {}) {
        if (!Number.isInteger(times) || times < 0) throw new RangeError('times must be a whole number >= 0');
        crashPlan = {
          left: times,
          minRecords: crashOptions.minRecords ?? 1,
          ...(crashOptions.redeliverAfterSeconds === undefined
            ? {}
            : { redeliverAfterSeconds: crashOptions.redeliverAfterSeconds }),
        };
      },
      get crashes() {
        return crashes;
      },
    },
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await Promise.race([Promise.allSettled([...pollers]), sleep(STOP_GRACE_MS)]);
        if (inFlight.size > 0)
          log(`[${name}] stopped with ${inFlight.size} batch(es) unfinished; they will be redelivered`);
        quiet = true;
      })();
      return stopped;
    },
  };
}

/**
 * The message ids to leave on the queue, from a handler's answer (Lambda's rules): no answer, or no
 * `batchItemFailures`, or an empty list, is full success; an entry that is not the id of a record of
 * the batch fails the whole batch.
 */
export function failedMessageIds(answer: unknown, batch: ReadonlySet<string>): Set<string> {
  if (answer === null || typeof answer !== 'object') return new Set();
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new Error('batchItemFailures is not a list');
  const failed = new Set<string>();
  for (const failure of failures) {
    const id: unknown =
      failure !== null && typeof failure === 'object'
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || !batch.has(id)) {
      throw new Error(`batchItemFailures names ${JSON.stringify(id)}, which is not a message of this batch`);
    }
    failed.add(id);
  }
  return failed;
}

export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...attributes,
    } as SQSRecordAttributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SQS API attributes (`StringValue`, bytes) in Lambda's event shape (`stringValue`, base64). */
function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
