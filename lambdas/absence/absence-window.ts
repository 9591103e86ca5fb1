// Which weeks a run at `at` looks at: those whose endsAt lies in [at - 2 days, at], both ends included.
const DAY_MS = 86_400_000;
export const WINDOW_DAYS = 2;

export interface Window {
  readonly from: number;
  readonly to: number;
}

export const windowEndingAt = (at: number): Window => ({ from: at - WINDOW_DAYS * DAY_MS, to: at });

export const inWindow = (window: Window, endsAt: number): boolean => endsAt >= window.from && endsAt <= window.to;

/** The UTC day of an instant, the week-end index's bucket ('2026-11-22'). */
export const dayBucket = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

/** The day buckets a window touches: three at most for a two-day window. */
export function dayBucketsOf(window: Window): string[] {
  const buckets: string[] = [];
  for (let t = Math.floor(window.from / DAY_MS) * DAY_MS; t <= window.to; t += DAY_MS) buckets.push(dayBucket(t));
  return buckets;
}
