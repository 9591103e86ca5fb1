/** Retries of an occurrence: exponential backoff with full jitter, in whole seconds (at least 1). */
export const RETRY_BASE_SECONDS = 2;
export const RETRY_CAP_SECONDS = 300;

/** Attempt 1 waits up to 2 s, then up to 4, 8... capped at 300 s. */
export function backoffSeconds(receiveCount: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, receiveCount - 1));
  return Math.max(1, Math.ceil(random() * ceiling));
}
