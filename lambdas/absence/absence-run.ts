// The absence batch. A run finds the weeks that ended in its window and fans out one message per week;
// each chunk message handles one page of a week's participants. Every absentee is marked and penalised
// in one conditional transaction, so runs may overlap, repeat, crash and be redelivered freely.
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ENV } from '../../lib/definitions.ts';
import { sqs } from '../shared/clients.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { DependencyUnavailableError, NotFoundError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { toIso } from '../shared/time.ts';
import { windowEndingAt } from './absence-window.ts';
import type { AbsenceChunkMessage, AbsenceRunMessage } from './messages.ts';
import {
  type AbsenceRun,
  attendanceRows,
  deleteRun,
  failRun,
  findRun,
  findStudy,
  finishRunIfComplete,
  insertRun,
  markAbsent,
  participantsPage,
  planRun,
  recordChunk,
  weeksEndingIn,
} from './study-store.ts';

const queueUrl = lazy(() => requireEnv(ENV.absenceQueueUrl));

/** Participants per chunk: 500 transactions stay far inside the function's timeout. */
export const CHUNK_SIZE = 500;
/** Transactions in flight at once within a chunk. */
const PARALLEL_MARKS = 10;

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

async function sendChunks(messages: AbsenceChunkMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((m, n) => ({ Id: String(n), MessageBody: JSON.stringify(m) }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl(), Entries: entries }));
    if (out.Failed && out.Failed.length > 0) throw new Error(`${out.Failed.length} chunk messages were not sent`);
  }
}

/** Starts (or, on redelivery, re-fans) a run. Chunks are recorded once, so re-sending them is harmless. */
export async function startAbsenceRun(message: AbsenceRunMessage, sentAt: number, now: number): Promise<string> {
  const at = runInstant(message, sentAt);
  // A redelivered nightly message names the same fire time, so it joins the same run.
  const runId = message.runId ?? `nightly-${toIso(at)}`;
  if (!message.runId) await insertRun(newRun(runId, at, message.trigger, now));
  const run = await findRun(runId);
  if (!run) throw new Error(`Run ${runId} has no record`);
  if (run.status !== 'RUNNING') return runId;
  const weeks = await weeksEndingIn(windowEndingAt(at));
  await planRun(runId, weeks.length, toIso(now));
  await sendChunks(weeks.map((w) => ({ kind: 'absence-chunk', runId, studyId: w.studyId, week: w.week, chunk: 0 })));
  logger.info('Absence run fanned out', { runId, weeks: weeks.length });
  return runId;
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Marks the still-pending participants of one page of one week; returns what this run changed there. */
export async function markAbsenteesOfChunk(message: AbsenceChunkMessage, now: number): Promise<number> {
  const { runId, studyId, week } = message;
  const study = await findStudy(studyId);
  const page = study ? await participantsPage(studyId, CHUNK_SIZE, message.cursor) : { accountIds: [] as string[] };
  let changed = 0;
  if (study?.autoAttendance) {
    const rows = await attendanceRows(studyId, week, page.accountIds);
    // Marked by this very run before a crash: still this run's change, so it still counts.
    changed += page.accountIds.filter((id) => rows.get(id)?.status === 'ABSENCE' && rows.get(id)?.runId === runId).length;
    const pending = page.accountIds.filter((id) => !rows.has(id));
    await inParallel(pending, PARALLEL_MARKS, async (accountId) => {
      const marked = await markAbsent({ studyId, week, accountId, penalty: study.absencePenalty, runId, at: toIso(now) });
      if (marked) changed++;
    });
  }
  const next = 'next' in page ? page.next : undefined;
  if (next) await sendChunks([{ ...message, chunk: message.chunk + 1, cursor: next }]);
  const counted = await recordChunk({ runId, chunkId: `${studyId}#${week}#${message.chunk}`, absences: changed, morePages: next !== undefined });
  await finishRunIfComplete(runId, toIso(now));
  return counted ? changed : 0;
}

export async function failAbsenceRun(runId: string, now: number): Promise<void> {
  await failRun(runId, toIso(now));
}
