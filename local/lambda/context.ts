// The Lambda `Context` a handler receives, for in-process invocations.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LocalFunction {
  /** The function's name (its definition id). */
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly region: string;
  readonly accountId: string;
}

export const LOCAL_ACCOUNT_ID = '000000000000';

export function lambdaContext(fn: LocalFunction, startedAt = Date.now()): Context {
  const deadline = startedAt + fn.timeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported: return a value or throw');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${fn.accountId}:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Lambda's own timeout error message, so a log reads like the real thing. */
export class LambdaTimeoutError extends Error {
  constructor(fn: LocalFunction) {
    super(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: handlers of every event type are invoked alike
export type AnyHandler = (event: any, context: Context) => unknown;

/** Invokes a handler as Lambda does: its answer, or a rejection when it throws or overruns its timeout. */
export async function invokeWithTimeout(fn: LocalFunction, handler: AnyHandler, event: unknown): Promise<unknown> {
  const context = lambdaContext(fn);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(fn)), context.getRemainingTimeInMillis());
  });
  try {
    // A synchronous throw becomes a rejection, like an async one.
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
