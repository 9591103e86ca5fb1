// What a capability tells the timer core about its timers: where they live, which queue and schedule
// group carry them, what their message is called. Everything else (arming, holding, claiming, history,
// retries, the sweeper's query) is the core's, the same for every kind; only the action differs.

import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { type EnvName, ONE_OFF_SCHEDULE_TARGETS, QUEUES } from '../../lib/definitions.ts';
import { requireEnv } from '../shared/config.ts';

/** Attribute the time an occurrence (and a one-off timer) was done goes in, for every kind. */
export const FINISHED_AT = 'finishedAt';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface TimerKind {
  /** `kind` of its messages, e.g. 'run-due-job'. */
  readonly messageKind: string;
  /** `type` attribute of its items, e.g. 'job'; its history items are `<type>-occurrence`. */
  readonly itemType: string;
  /** Attribute that holds the timer's id in its item (and its history items), e.g. 'jobId'. */
  readonly idAttribute: string;
  /** Sort-key prefix of the timer in its owner's partition: `<prefix><id>`, e.g. 'JOB#'. */
  readonly itemPrefix: string;
  /**
   * Sort-key prefix of its occurrence history: `<prefix><id>#<dueAt ISO>`, e.g. 'JOBRUN#'. Not starting
   * with `itemPrefix`, so listing the timers never meets their history.
   */
  readonly historyPrefix: string;
  /** Due-index bucket prefix: `<prefix>#<UTC hour of dueAt>`, e.g. 'JOB'. */
  readonly duePrefix: string;
  /** Its work queue: the variables with the URL and the ARN, and its maxReceiveCount (the retry budget). */
  readonly queue: { readonly urlEnv: EnvName; readonly arnEnv: EnvName; readonly maxReceives: number };
  /** Variable with the name of the schedule group its one-off schedules live in. */
  readonly scheduleGroupEnv: EnvName;
  /** Schedule name prefix: one schedule per timer, `<prefix><id>`, re-armed for each occurrence. */
  readonly schedulePrefix: string;
  /** How long one attempt's claim holds (ms): at least the consumer function's timeout. */
  readonly claimMs: number;
  /**
   * The owner's profile in the core's transactions (only accounts knows its keys): `exists` fails unless
   * the account is there; `count` counts one more PENDING or PAUSED timer of this kind, failing at `cap`
   * (the demo cap); `uncount` one less.
   */
  readonly profile: {
    readonly exists: (accountId: string) => TransactItem;
    readonly count: (accountId: string, cap: number) => TransactItem;
    readonly uncount: (accountId: string) => TransactItem;
  };
  /** Status of a recurring timer whose rule has no occurrence left (past `until`), e.g. 'SUCCEEDED'. */
  readonly completedStatus: string;
  /**
   * Where a one-off timer's single occurrence is recorded: 'history' (a record beside it, like every
   * recurring occurrence: jobs list their runs' attempts and httpStatus) or 'timer' (status, finish time
   * and reason on the timer item itself: one write, no transaction, for a herd of one-off alarms).
   */
  readonly oneOffRecord: 'history' | 'timer';
  /**
   * Whether an item written before the core's layout counts on the profile, when it has no `counted`
   * attribute (e.g. one-off alarms stored with `countedOnProfile`). Absent: such an item is not counted.
   */
  readonly legacyCounted?: (item: Readonly<Record<string, unknown>>) => boolean;
}

/**
 * The message that names one occurrence of a timer: sent by its one-off schedule, by the core straight
 * to the queue (due too near, Scheduler down, held early arrivals), and by the sweeper. The consumer acts
 * only if the timer is PENDING, at that version and with that dueAt.
 */
export const timerMessage = z.object({
  kind: z.string().check(z.minLength(1)),
  accountId: z.string().check(z.minLength(1)),
  id: z.string().check(z.minLength(1)),
  version: z.int().check(z.minimum(1)),
  /** ISO, UTC, milliseconds: the occurrence. */
  dueAt: z.iso.datetime(),
});
export type TimerMessage = z.infer<typeof timerMessage>;

/** An occurrence a message names. */
export interface OccurrenceRef {
  readonly accountId: string;
  readonly id: string;
  readonly version: number;
  /** ISO. */
  readonly dueAt: string;
}

export const messageOf = (kind: TimerKind, ref: OccurrenceRef): TimerMessage => ({
  kind: kind.messageKind,
  accountId: ref.accountId,
  id: ref.id,
  version: ref.version,
  dueAt: ref.dueAt,
});

/**
 * A kind's queue and schedule group as its group's definition names them (lib/definitions.ts): the
 * queue its schedules target, with its variables and retry budget, written once for stack and code.
 */
export function carriedBy(group: {
  readonly env: EnvName;
  readonly targetQueue: keyof typeof ONE_OFF_SCHEDULE_TARGETS;
}): Pick<TimerKind, 'queue' | 'scheduleGroupEnv'> {
  const queue = QUEUES[group.targetQueue];
  return {
    queue: {
      urlEnv: queue.urlEnv,
      arnEnv: ONE_OFF_SCHEDULE_TARGETS[group.targetQueue],
      maxReceives: queue.maxReceiveCount,
    },
    scheduleGroupEnv: group.env,
  };
}

/** The kind's queue URL (holding an early arrival, retries, re-drives): no ARN needed for those. */
export const queueUrlOf = (kind: TimerKind): string => requireEnv(kind.queue.urlEnv);
