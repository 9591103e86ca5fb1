// What a route of the HTTP API is: its key, who may call it, the schemas of its input, and its use case.
import type { z } from 'zod';
import type { RouteKey } from '../../lib/definitions.ts';

export type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'admin' }
  | { readonly kind: 'account'; readonly accountId: string; readonly demo: boolean };

export type AccountCaller = Extract<Caller, { kind: 'account' }>;

export interface HttpResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type CallerOf<A extends RouteAuth> = A extends 'account'
  ? AccountCaller
  : A extends 'admin'
    ? Extract<Caller, { kind: 'admin' }>
    : Caller;

export type RouteAuth = 'none' | 'account' | 'admin';

export interface RouteContext<A extends RouteAuth, P, Q, B> {
  readonly caller: CallerOf<A>;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly sourceIp: string;
  readonly requestId: string;
  /** Request time (epoch ms): one clock reading per request. */
  readonly now: number;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface Route<A extends RouteAuth = RouteAuth, P = unknown, Q = unknown, B = unknown> {
  readonly key: RouteKey;
  readonly auth: A;
  readonly summary: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /**
   * A creating POST: it accepts an `Idempotency-Key`, and a retry with the same key gets the first answer
   * instead of creating again (idempotency.ts). Applied after authentication and validation.
   */
  readonly idempotent?: boolean;
  readonly handle: (ctx: RouteContext<A, P, Q, B>) => Promise<HttpResult>;
}

/** Identity function that lets TypeScript infer a route's input types from its schemas. */
export function defineRoute<A extends RouteAuth, P = undefined, Q = undefined, B = undefined>(
  route: Route<A, P, Q, B>,
): Route {
  return route as unknown as Route;
}
