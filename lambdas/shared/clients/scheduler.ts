// The Scheduler client, created once per container, with retries fitted to CreateSchedule's throttling.
// Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables.
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';

/** Attempts of a throttled Scheduler call, the first included. */
export const SCHEDULER_THROTTLED_MAX_ATTEMPTS = 10;
/** No throttled call is retried once this long has passed since its first attempt. */
export const SCHEDULER_THROTTLED_BUDGET_MS = 5_000;
/** Attempts of a Scheduler call that fails any other retryable way (5xx, network): the SDK's default. */
export const SCHEDULER_OTHER_MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 1_000;

type Token = Parameters<AdaptiveRetryStrategy['recordSuccess']>[0];
type ErrorInfo = Parameters<AdaptiveRetryStrategy['refreshRetryTokenForRetry']>[1];

/**
 * The Scheduler client's retries. CreateSchedule is throttled per account and Region (250 TPS in the
 * smaller Regions), so a burst of alarm creations meets ThrottlingException. With the SDK's default
 * (3 attempts) such an alarm falls back to queue hops: it still fires, but costs up to 96 hops a day.
 * Here a throttled call gets up to 10 attempts, and adaptive mode's client-side rate limiter slows this
 * client's sending after a throttle instead of letting every request retry into the same wall (which
 * also drains the SDK's retry quota, after which nothing is retried at all).
 * Two bounds keep the API inside its 10 s timeout, where a timed-out creation would leave an alarm with no
 * trigger until the sweeper: backoff is full jitter from 200 ms doubling up to 1 s (the SDK's own
 * throttling backoff doubles from 1 s, so four throttles in a row could wait 15 s), and no throttled call
 * is retried 5 s after its first attempt (then it falls back to hops). Every other error keeps the SDK's
 * 3 attempts: when the Scheduler is down the API must fall back at once (10 attempts at 5xx with the
 * SDK's backoff take ~13 s on average).
 */
export class SchedulerRetryStrategy extends AdaptiveRetryStrategy {
  private readonly firstAttemptAt = new WeakMap<object, number>();

  constructor() {
    super(SCHEDULER_THROTTLED_MAX_ATTEMPTS, {
      maxAttempts: SCHEDULER_THROTTLED_MAX_ATTEMPTS,
      backoff: {
        computeNextBackoffDelay: (retries: number) =>
          Math.floor(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retries)),
        // The SDK would pick its own base per error type; this backoff is the same for all.
        setDelayBase: () => {},
      },
    });
  }

  override async acquireInitialRetryToken(
    scope: string,
  ): ReturnType<AdaptiveRetryStrategy['acquireInitialRetryToken']> {
    const token = await super.acquireInitialRetryToken(scope);
    this.firstAttemptAt.set(token, Date.now());
    return token;
  }

  override async refreshRetryTokenForRetry(
    token: Token,
    errorInfo: ErrorInfo,
  ): ReturnType<AdaptiveRetryStrategy['refreshRetryTokenForRetry']> {
    const startedAt = this.firstAttemptAt.get(token) ?? Date.now();
    const giveUp =
      errorInfo.errorType === 'THROTTLING'
        ? Date.now() - startedAt >= SCHEDULER_THROTTLED_BUDGET_MS
        : token.getRetryCount() + 1 >= SCHEDULER_OTHER_MAX_ATTEMPTS;
    // Refusing the token is how a retry strategy stops: the SDK then throws the call's last error.
    if (giveUp) throw new Error('No retry token available');
    const next = await super.refreshRetryTokenForRetry(token, errorInfo);
    this.firstAttemptAt.set(next, startedAt);
    return next;
  }
}

export const scheduler = new SchedulerClient({
  maxAttempts: SCHEDULER_THROTTLED_MAX_ATTEMPTS,
  retryStrategy: new SchedulerRetryStrategy(),
});
