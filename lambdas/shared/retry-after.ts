/** A Retry-After longer than this is not honoured in full: the message would sit invisible too long. */
export const MAX_RETRY_AFTER_SECONDS = 3_600;

/** Retry-After as whole seconds from `now` (epoch ms): either delta-seconds or an HTTP date; capped. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number,
  maxSeconds: number = MAX_RETRY_AFTER_SECONDS,
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : Math.ceil((Date.parse(trimmed) - now) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(maxSeconds, Math.max(0, seconds));
}
