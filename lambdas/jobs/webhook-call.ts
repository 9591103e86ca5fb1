// The action of a job's run: one signed POST of {"jobId","runAt","payload"} to its URL, with
// `idempotency-key: <jobId>:<runAt>` (the same on every retry of the run, so the receiver can drop
// duplicates). 2xx: SUCCEEDED; 408, 429, 5xx, timeouts and network errors: again later (Retry-After
// honoured); any other answer: FAILED at once. See README "Jobs in detail".
import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULTS } from '../../lib/definitions.ts';
import { signingSecretOf } from '../accounts/index.ts';
import { type OutboundOutcome, signedPost } from '../shared/outbound/signed-post.ts';
import { type ActionResult, done, type Occurrence, retryLater } from '../timers/occurrence.ts';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** `message` of the one log line each call makes, whatever the log level: what an operator (and `npm start`) reads. */
export const WEBHOOK_CALL_LOG = 'Webhook call';

// Its own level: every call is on record even where the handlers log only warnings.
const callLog = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'run-due-job', logLevel: 'INFO' });

export const idempotencyKeyOf = (jobId: string, runAt: string): string => `${jobId}:${runAt}`;

export interface WebhookCall {
  readonly jobId: string;
  readonly runAt: string;
  readonly url: string;
  readonly attempt: number;
  /** The answer's status, when there was one. */
  readonly status?: number;
  readonly outcome: OutboundOutcome['kind'];
  readonly reason?: string;
  readonly durationMs: number;
  /** ISO: when the call began. */
  readonly at: string;
}

function verdict(outcome: OutboundOutcome): ActionResult {
  switch (outcome.kind) {
    case 'success':
      return done('SUCCEEDED', { fields: { httpStatus: outcome.status } });
    case 'retryable':
      return retryLater(outcome.reason, {
        ...(outcome.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: outcome.retryAfterSeconds }),
        ...(outcome.status === undefined ? {} : { fields: { httpStatus: outcome.status } }),
      });
    case 'final':
      return done('FAILED', { reason: outcome.reason, fields: { httpStatus: outcome.status } });
    case 'refused':
      return done('FAILED', { reason: outcome.reason });
  }
}

/** Calls the job's URL for the run `occurrence` names; what the timer core should do next. */
export async function callWebhook(occurrence: Occurrence): Promise<ActionResult> {
  const { timer, dueAt: runAt, attempt } = occurrence;
  const url = String(timer.item.url);
  const secret = await signingSecretOf(timer.accountId);
  // A job is only created with a secret, and a secret is only ever replaced; an account being deleted has none.
  if (secret === undefined) return done('FAILED', { reason: 'NO_SIGNING_SECRET' });
  const at = new Date().toISOString();
  const outcome = await signedPost({
    url,
    body: { jobId: timer.id, runAt, payload: timer.item.payload ?? {} },
    secret,
    headers: { [IDEMPOTENCY_KEY_HEADER]: idempotencyKeyOf(timer.id, runAt) },
    timeoutMs: DEFAULTS.jobCallTimeoutMs,
    maxResponseBytes: DEFAULTS.outboundMaxResponseBytes,
  });
  const call: WebhookCall = {
    jobId: timer.id,
    runAt,
    url,
    attempt,
    ...('status' in outcome && outcome.status !== undefined ? { status: outcome.status } : {}),
    outcome: outcome.kind,
    ...('reason' in outcome ? { reason: outcome.reason } : {}),
    durationMs: outcome.durationMs,
    at,
  };
  callLog.info(WEBHOOK_CALL_LOG, { webhookCall: call });
  return verdict(outcome);
}
