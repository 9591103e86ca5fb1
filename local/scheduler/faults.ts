// Fault injection for failure tests: an unavailable or throttling Scheduler API, and targets that
// refuse deliveries. Driven from code (tests, the local cloud), never over HTTP.
import { SchedulerApiError } from './model.ts';

/** How an injected API failure looks to the SDK. */
export type ApiFaultKind = 'internal' | 'unavailable' | 'throttling';

export interface SchedulerFaults {
  /** While on, every API call answers 503 (the SDK retries it as a transient server error). */
  unavailable(on: boolean): void;
  /** The next `count` API calls fail; `internal` (default) is a 500 InternalServerException. */
  failNextCalls(count: number, kind?: ApiFaultKind): void;
  /** Token bucket of `callsPerSecond` (burst as large); calls above it get a 429 ThrottlingException. `null` lifts it. */
  throttle(callsPerSecond: number | null): void;
  /** While on, every delivery to a target fails as if SQS refused it, so retries and the DLQ run. */
  failDeliveries(on: boolean): void;
}

export function apiFault(kind: ApiFaultKind): SchedulerApiError {
  switch (kind) {
    case 'internal':
      return new SchedulerApiError(500, 'InternalServerException', 'Unexpected error (injected fault).');
    case 'unavailable':
      // Not a modeled Scheduler error: the SDK raises SchedulerServiceException named like this, $fault 'server'.
      return new SchedulerApiError(503, 'ServiceUnavailableException', 'Service unavailable (injected fault).');
    case 'throttling':
      return new SchedulerApiError(429, 'ThrottlingException', 'Rate exceeded.');
  }
}

/** The fault state the API and the delivery consult; `faults` is what callers drive. */
export class FaultInjector {
  private unavailableOn = false;
  private pendingFailures: ApiFaultKind[] = [];
  private bucket: { rate: number; tokens: number; refilledAt: number } | undefined;
  private deliveriesFail = false;

  constructor(private readonly clock: () => number) {}

  readonly faults: SchedulerFaults = {
    unavailable: (on) => {
      this.unavailableOn = on;
    },
    failNextCalls: (count, kind = 'internal') => {
      this.pendingFailures = Array.from({ length: count }, () => kind);
    },
    throttle: (callsPerSecond) => {
      if (callsPerSecond !== null && !(callsPerSecond > 0)) throw new RangeError('callsPerSecond must be > 0');
      this.bucket =
        callsPerSecond === null
          ? undefined
          : { rate: callsPerSecond, tokens: callsPerSecond, refilledAt: this.clock() };
    },
    failDeliveries: (on) => {
      this.deliveriesFail = on;
    },
  };

  /** The error an API call must answer with instead of running, if any. */
  apiCallFault(): SchedulerApiError | undefined {
    if (this.unavailableOn) return apiFault('unavailable');
    const next = this.pendingFailures.shift();
    if (next) return apiFault(next);
    if (this.bucket) {
      const now = this.clock();
      const bucket = this.bucket;
      bucket.tokens = Math.min(bucket.rate, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rate);
      bucket.refilledAt = now;
      if (bucket.tokens < 1) return apiFault('throttling');
      bucket.tokens -= 1;
    }
    return undefined;
  }

  get deliveriesFailing(): boolean {
    return this.deliveriesFail;
  }
}
