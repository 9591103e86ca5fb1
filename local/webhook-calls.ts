// `npm start` prints each webhook call like a push: the job consumer logs every call as one structured
// line ("Webhook call"), and this turns those lines on the process's stdout into one readable line each.
// Nothing here is in the handlers: they log the same line in AWS.

/** The readable form of a "Webhook call" log line, or undefined for any other line. */
export function formatWebhookCall(line: string): string | undefined {
  if (!line.includes('"Webhook call"')) return undefined;
  let parsed: { message?: string; webhookCall?: Record<string, unknown> };
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const call = parsed.webhookCall;
  if (parsed.message !== 'Webhook call' || !call) return undefined;
  const time = String(call.at ?? '').slice(11, 23);
  const answer = call.status === undefined ? String(call.reason ?? call.outcome) : String(call.status);
  return `${time} job ${String(call.jobId)} run ${String(call.runAt)} call ${String(call.attempt)} to ${String(call.url)}: ${answer} (${String(call.durationMs)} ms)`;
}

/** Rewrites "Webhook call" lines written to stdout from now on; other output passes as is. */
export function printWebhookCallsReadably(): void {
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') {
      const pretty = formatWebhookCall(chunk.trimEnd());
      if (pretty !== undefined) return write(`${pretty}\n`, ...rest);
    }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
}
