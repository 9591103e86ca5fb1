// The absence batch. A run finds the weeks that ended in its window and fans out one message per week;
// each chunk message handles one page of a week's participants. Every absentee is marked and penalised
// in one conditional transaction, so runs may overlap, repeat, crash and be redelivered freely.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ENV, QUEUES } from '../../lib/definitions.ts';
import { inParallel } from '../shared/async.ts';
import { sqs } from '../shared/clients/sqs.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { DependencyUnavailableError, NotFoundError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { METRICS, MetricUnit, metrics } from '../shared/metrics.ts';
import { sendMessages } from '../shared/send-messages.ts';
import { toIso } from '../shared/time.ts';
import { windowEndingAt } from './absence-window.ts';
import type { AbsenceChunkMessage, AbsenceMessage, AbsenceRunMessage } from './messages.ts';
import {
  type AbsenceRun,
  closeChunk,
  deleteRun,
  failRun,
  findRun,
  finishRunIfComplete,
  insertRun,
  openChunk,
  planRun,
} from './run-store.ts';
import { findStudy, type Participant, participantsBetween, participantsPage } from './study-store.ts';
import { attendanceRows, findWeek, markAbsent, weeksEndingIn } from './week-store.ts';

const queueUrl = lazy(() => requireEnv(ENV.absenceQueueUrl));

/** Participants per chunk: 500 transactions stay far inside the function's timeout. */
export const CHUNK_SIZE = 500;
/** Transactions in flight at once within a chunk. */
const PARALLEL_MARKS = 10;
/** SendMessageBatch calls in flight at once while fanning out (10 messages each). */
const PARALLEL_SENDS = 10;

function newRun(runId: string, at: number, trigger: string, now: number): AbsenceRun {
  return {
    runId,
    status: 'RUNNING',
    at: toIso(at),
    trigger,
    weeks: 0,
    absences: 0,
    planned: false,
    expectedChunks: 0,
    doneChunks: 0,
    createdAt: toIso(now),
  };
}

/** `POST /admin/absence-runs`: the run record first, then the same message the nightly schedule sends. */
export async function requestAbsenceRun(input: { at: number; now: number }): Promise<AbsenceRun> {
  const run = newRun(newId(input.now), input.at, 'api', input.now);
  await insertRun(run);
  const message: AbsenceRunMessage = { kind: 'absence-run', trigger: 'api', runId: run.runId, at: run.at };
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: JSON.stringify(message) }));
  } catch (error) {
    logger.error('Could not queue the absence run', { runId: run.runId, error });
    await deleteRun(run.runId);
    throw new DependencyUnavailableError('The batch queue is unavailable right now; try again shortly');
  }
  return run;
}

export async function getAbsenceRun(runId: string): Promise<AbsenceRun> {
  const run = await findRun(runId);
  if (!run) throw new NotFoundError('No such run');
  return run;
}

/** The run's instant: the schedule's fire time when the Scheduler filled it in, else when it was sent. */
export function runInstant(message: AbsenceRunMessage, sentAt: number): number {
  const parsed = message.at ? Date.parse(message.at) : Number.NaN;
  return Number.isNaN(parsed) ? sentAt : parsed;
}

const sendChunks = (messages: AbsenceChunkMessage[]): Promise<void> =>
  // Failing the whole message re-sends every chunk; chunks are recorded once, so that is harmless.
  sendMessages(queueUrl(), messages, PARALLEL_SENDS);

/** The API names its run; a nightly run is named after its fire time, so every delivery joins the same run. */
export const runIdOf = (message: AbsenceRunMessage, sentAt: number): string =>
  message.runId ?? `nightly-${toIso(runInstant(message, sentAt))}`;

/** Starts (or, on redelivery, re-fans) a run. Chunks are recorded once, so re-sending them is harmless. */
export async function startAbsenceRun(message: AbsenceRunMessage, sentAt: number, now: number): Promise<string> {
  const at = runInstant(message, sentAt);
  const runId = runIdOf(message, sentAt);
  if (!message.runId) await insertRun(newRun(runId, at, message.trigger, now));
  const run = await findRun(runId);
  if (!run) throw new Error(`Run ${runId} has no record`);
  if (run.status !== 'RUNNING') return runId;
  // Only weeks that existed when the run began: a redelivery then finds exactly the weeks it planned.
  const weeks = await weeksEndingIn(windowEndingAt(at), run.createdAt);
  await planRun(runId, weeks.length, toIso(now));
  await sendChunks(weeks.map((w) => ({ kind: 'absence-chunk', runId, studyId: w.studyId, week: w.week, chunk: 0 })));
  logger.info('Absence run fanned out', { runId, weeks: weeks.length });
  return runId;
}

/**
 * Marks the still-pending participants of one page of one week; returns what this run changed there.
 * The next page of a big week is sent before this page is marked, so the pages of one week are worked
 * on side by side rather than one after the other.
 */
export async function markAbsenteesOfChunk(message: AbsenceChunkMessage, now: number): Promise<number> {
  const { runId, studyId, week } = message;
  const chunkId = `${studyId}#${week}#${message.chunk}`;
  // A study (or week) deleted since the run began has nothing left to mark; its chunk is still recorded.
  const [study, found] = await Promise.all([findStudy(studyId), findWeek(studyId, week)]);
  const judged = study?.autoAttendance && found ? { study, week: found } : undefined;
  const page = judged
    ? await participantsPage(studyId, CHUNK_SIZE, message.cursor)
    : { participants: [] as Participant[] };
  const opened = await openChunk({ runId, chunkId, next: 'next' in page ? page.next : undefined, now: toIso(now) });
  if (opened.state === 'DONE') {
    // Redelivered after it was counted: its next page was sent before, only the run may still need finishing.
    await finishRunIfComplete(runId, toIso(now));
    return 0;
  }
  // Sent on every delivery until the chunk is DONE: a crash right after opening must not lose the page.
  if (opened.next) await sendChunks([{ ...message, chunk: message.chunk + 1, cursor: opened.next }]);
  // A redelivery keeps to the page as first bounded, so no participant falls between two pages.
  const participants = opened.opened
    ? page.participants
    : judged
      ? await participantsBetween(studyId, CHUNK_SIZE, message.cursor, opened.next)
      : [];
  let changed = 0;
  if (judged) {
    const { endsAt } = judged.week;
    const accountIds = participants.map((p) => p.accountId);
    const rows = await attendanceRows(studyId, week, accountIds);
    // Marked by this very run before a crash: still this run's change, so it still counts.
    changed += accountIds.filter((id) => rows.get(id)?.status === 'ABSENCE' && rows.get(id)?.runId === runId).length;
    // Who joined after the week ended is not judged for it. The transaction checks that again on the
    // membership itself, which may have changed since this page was read.
    const pending = participants.filter(
      (p) => !rows.has(p.accountId) && p.joinedAt !== undefined && p.joinedAt < endsAt,
    );
    await inParallel(pending, PARALLEL_MARKS, async ({ accountId }) => {
      const marked = await markAbsent({
        studyId,
        week,
        endsAt,
        accountId,
        penalty: judged.study.absencePenalty,
        runId,
        at: toIso(now),
      });
      if (marked) changed++;
    });
  }
  const counted = await closeChunk({ runId, chunkId, absences: changed });
  await finishRunIfComplete(runId, toIso(now));
  return counted ? changed : 0;
}

export async function failAbsenceRun(runId: string, now: number): Promise<void> {
  await failRun(runId, toIso(now));
}

/**
 * One message of the absence queue: a run starts, or a chunk is marked. `sentAt` is when the message
 * was first sent (the same on every redelivery); on the last attempt before the DLQ a failure is written
 * on the run, so nobody waits for it to finish.
 */
export async function handleAbsenceMessage(
  message: AbsenceMessage,
  delivery: { sentAt: number; receiveCount: number; now: number },
): Promise<void> {
  const { sentAt, receiveCount, now } = delivery;
  try {
    if (message.kind === 'absence-run') {
      await startAbsenceRun(message, sentAt, now);
      metrics.addMetric(METRICS.absenceRunsStarted, MetricUnit.Count, 1);
    } else {
      const marked = await markAbsenteesOfChunk(message, now);
      metrics.addMetric(METRICS.absencesMarked, MetricUnit.Count, marked);
    }
  } catch (error) {
    if (receiveCount >= QUEUES.absence.maxReceiveCount) {
      await failAbsenceRun(message.kind === 'absence-run' ? runIdOf(message, sentAt) : message.runId, now);
    }
    throw error;
  }
}
