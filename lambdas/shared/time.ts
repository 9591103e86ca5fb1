/** ISO-8601 in UTC with milliseconds, the API's answer format. */
export const toIso = (epochMs: number): string => new Date(epochMs).toISOString();

/** Epoch seconds, the unit of DynamoDB TTL. */
export const toEpochSeconds = (epochMs: number): number => Math.floor(epochMs / 1000);

/** Hour bucket of the due index, e.g. '2026-11-22T09'. Small enough to query, large enough to spread writes. */
export const hourBucket = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 13);
