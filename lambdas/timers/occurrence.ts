// What happens when a timer's message arrives, for every kind: held until due, claimed (only the
// occurrence the message names, at its version), the kind's action, then the occurrence recorded and the
// timer moved on in one transaction, and the next occurrence armed. The action says `done(...)` or
// `retryLater(...)`; the retry budget is the queue's maxReceiveCount, after which the occurrence is
// FAILED and the record still fails, into the DLQ (and its alarm).
import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../shared/clients/sqs.ts';
import { logger } from '../shared/logger.ts';
import { nextOccurrence } from '../shared/recurrence.ts';
import { RetryLaterError } from '../shared/sqs-batch.ts';
import { toIso } from '../shared/time.ts';
import { armOccurrence } from './arming.ts';
import { backoffSeconds } from './backoff.ts';
import { holdUntilDue, MAX_DELAY_SECONDS } from './hold.ts';
import { queueUrlOf, type TimerKind, type TimerMessage } from './kind.ts';
import { claimOccurrence, completeOccurrence, type OccurrenceEnd, releaseClaim } from './occurrence-claims.ts';
import { getTimer, type TimerState } from './timer-items.ts';

export type ActionResult =
  | { readonly kind: 'done'; readonly end: OccurrenceEnd }
  | {
      readonly kind: 'retry-later';
      /** What the occurrence's record says if this was the last attempt (e.g. HTTP_503, UNREACHABLE). */
      readonly reason: string;
      readonly retryAfterSeconds?: number;
      /** The kind's own attributes of the record, if this was the last attempt. */
      readonly fields?: Readonly<Record<string, unknown>>;
    };

/** The occurrence is over with `status` (and `reason`, record `fields`; `endsTimer` stops a recurring one). */
export const done = (status: string, options: Omit<OccurrenceEnd, 'status'> = {}): ActionResult => ({
  kind: 'done',
  end: { status, ...options },
});

/** Try again later: after `retryAfterSeconds` if given, else exponential backoff with full jitter. */
export const retryLater = (
  reason: string,
  options: { retryAfterSeconds?: number; fields?: Readonly<Record<string, unknown>> } = {},
): ActionResult => ({ kind: 'retry-later', reason, ...options });

export interface Occurrence {
  /** The timer as claimed (the kind's own attributes in `item`). */
  readonly timer: TimerState;
  /** ISO: the occurrence. */
  readonly dueAt: string;
  /** 1 for the first call of this occurrence. */
  readonly attempt: number;
}

export type TimerAction = (occurrence: Occurrence) => Promise<ActionResult>;

export interface OccurrenceHooks {
  /**
   * Called once an occurrence's record is written (metrics): after `done`, and when the retry budget is
   * spent, which ends in a thrown RetryLaterError the caller never sees a report of.
   */
  readonly onRecorded?: (report: OccurrenceReport) => void;
}

export interface Delivery {
  /** How many times SQS has handed out this message, this time included. */
  readonly receiveCount: number;
  readonly receiptHandle: string;
}

export type OccurrenceOutcome =
  | 'absent'
  | 'not-pending'
  | 'stale'
  | 'held'
  | 'done'
  | 'lost-claim'
  | 'duplicate-dropped';

export interface OccurrenceReport {
  readonly outcome: OccurrenceOutcome;
  /** The occurrence's status, when it was recorded. */
  readonly status?: string;
  readonly reason?: string;
  /** This attempt's number (1 = the first call). */
  readonly attempt?: number;
  /** How late this attempt's action began, ms after dueAt. */
  readonly startLagMs?: number;
  /** The timer's status after it (PENDING when a recurring one goes on). */
  readonly timerStatus?: string;
  /** The next occurrence armed, ISO. */
  readonly nextDueAt?: string;
}

function dropReason(timer: TimerState | undefined, message: TimerMessage): OccurrenceOutcome | undefined {
  if (!timer) return 'absent';
  if (timer.status !== 'PENDING') return 'not-pending';
  if (timer.version !== message.version || timer.dueAt !== message.dueAt) return 'stale';
  return undefined;
}

/** Hands this record back to SQS after `seconds`, and fails it so only this record returns. */
async function comeBackIn(kind: TimerKind, delivery: Delivery, seconds: number): Promise<never> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrlOf(kind),
      ReceiptHandle: delivery.receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
  throw new RetryLaterError(`Retry in ${seconds} s`);
}

/** The next occurrence of a recurring timer after this one: the first after max(this one, now). */
export function followingDueAt(timer: TimerState, dueAt: string, now: number): string | undefined {
  if (!timer.repeat) return undefined;
  const next = nextOccurrence(timer.repeat, Math.max(Date.parse(dueAt), now));
  return next === undefined ? undefined : toIso(next);
}

async function finish(
  kind: TimerKind,
  claimed: TimerState,
  attemptId: string,
  end: OccurrenceEnd,
): Promise<Pick<OccurrenceReport, 'timerStatus' | 'nextDueAt'> | undefined> {
  const finishedAt = Date.now();
  const dueAt = claimed.dueAt as string;
  const completion = await completeOccurrence(
    kind,
    claimed,
    attemptId,
    end,
    finishedAt,
    followingDueAt(claimed, dueAt, finishedAt),
  );
  if (!completion) return undefined;
  const { next } = completion;
  if (next?.dueAt) {
    try {
      await armOccurrence(
        kind,
        { accountId: next.accountId, id: next.id, version: next.version, dueAt: next.dueAt },
        { how: 'create', now: Date.now(), whenSchedulerFails: 'queue' },
      );
    } catch (error) {
      // The due index holds the next occurrence: the sweeper re-drives it, late.
      logger.error('Could not arm the next occurrence; the sweeper will re-drive it', { id: next.id, error });
    }
  }
  return { timerStatus: completion.timerStatus, ...(next?.dueAt ? { nextDueAt: next.dueAt } : {}) };
}

/**
 * Carries out the occurrence a message names, if it is still the timer's current one. Returns what
 * happened; throws RetryLaterError (visibility already set) when the record must come back, and when
 * the retry budget is spent (the occurrence is then recorded FAILED; the record goes to the DLQ).
 */
export async function runDueOccurrence(
  kind: TimerKind,
  message: TimerMessage,
  delivery: Delivery,
  action: TimerAction,
  hooks: OccurrenceHooks = {},
): Promise<OccurrenceReport> {
  const dueAt = Date.parse(message.dueAt);
  // Only a copy that will hop again (due beyond SQS's longest delay: the Scheduler was down) is read
  // first, so a cancelled timer stops hopping; every other copy is held or claimed without a read.
  if (dueAt - Date.now() > MAX_DELAY_SECONDS * 1000) {
    const drop = dropReason(await getTimer(kind, message.accountId, message.id), message);
    if (drop) return { outcome: drop };
  }
  if ((await holdUntilDue({ dueAt, queueUrl: queueUrlOf(kind), message })) === 'held') return { outcome: 'held' };

  const attemptId = randomUUID();
  const claimedAt = Date.now();
  const claimed = await claimOccurrence(kind, message, attemptId, claimedAt);
  if (!claimed) {
    const current = await getTimer(kind, message.accountId, message.id);
    const drop = dropReason(current, message);
    if (drop) return { outcome: drop };
    // Another attempt holds it (a duplicate delivery). Come back once its claim has run out, to finish
    // should it have died; unless this copy has used its receives: the holder's own message will do.
    if (delivery.receiveCount >= kind.queue.maxReceives) return { outcome: 'duplicate-dropped' };
    const waitMs = Math.max(0, (current?.claimedUntil ?? claimedAt) - claimedAt);
    return comeBackIn(kind, delivery, Math.ceil(waitMs / 1000) + 1);
  }

  const startedAt = Date.now();
  const attempt = claimed.attempts;
  const result = await action({ timer: claimed, dueAt: message.dueAt, attempt });
  const base = { attempt, startLagMs: startedAt - dueAt };

  if (result.kind === 'done') {
    const finished = await finish(kind, claimed, attemptId, result.end);
    if (!finished) {
      logger.warn('The claim ran out before the outcome was recorded', { id: message.id, status: result.end.status });
      return { outcome: 'lost-claim', ...base };
    }
    const report: OccurrenceReport = {
      outcome: 'done',
      status: result.end.status,
      ...(result.end.reason === undefined ? {} : { reason: result.end.reason }),
      ...base,
      ...finished,
    };
    hooks.onRecorded?.(report);
    return report;
  }

  if (delivery.receiveCount >= kind.queue.maxReceives) {
    // Budget spent: the occurrence says so, and the record still fails so the message lands in the DLQ.
    const end = { status: 'FAILED', reason: result.reason, ...(result.fields ? { fields: result.fields } : {}) };
    const finished = await finish(kind, claimed, attemptId, end);
    logger.error('Occurrence failed: its whole retry budget was spent', {
      id: message.id,
      dueAt: message.dueAt,
      reason: result.reason,
      recorded: finished !== undefined,
    });
    if (finished)
      hooks.onRecorded?.({ outcome: 'done', status: 'FAILED', reason: result.reason, ...base, ...finished });
    throw new RetryLaterError('Retry budget spent');
  }
  const seconds = result.retryAfterSeconds ?? backoffSeconds(delivery.receiveCount);
  await releaseClaim(kind, claimed, attemptId, Date.now() + seconds * 1000);
  logger.warn('Occurrence to be tried again', { id: message.id, reason: result.reason, retryInSeconds: seconds });
  return comeBackIn(kind, delivery, seconds);
}
