// Waiting and pacing: one sleep, one bounded-concurrency loop, one way to cut work into request-sized batches.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Full-jitter exponential backoff: a random wait below min(cap, base × 2^attempt). */
export const backoffMs = (attempt: number, baseMs: number, capMs: number): number =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

/** `items` cut into consecutive batches of at most `size` (a request's limit: 25 writes, 10 messages). */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/**
 * Runs `work` on every item with at most `limit` in flight: enough requests at once to hide latency, few
 * enough not to trip over DynamoDB's per-partition limits, a service's request quota or the Lambda's sockets.
 * The first failure rejects the whole (the other workers still finish their items).
 */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
