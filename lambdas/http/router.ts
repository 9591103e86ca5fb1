// Matches a request to one of ROUTES, then authenticates (as the edge says), validates and runs the route's use case.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ROUTES } from '../../lib/definitions.ts';
import { type ErrorDetail, MethodNotAllowedError, NotFoundError } from '../shared/errors.ts';
import type { Authenticate } from './auth.ts';
import { check, errorToResponse, parseJsonBody, throwIfInvalid, toResponse } from './http.ts';
import { answerOnce, type IdempotentRequest, idempotencyKeyOf, storedAnswer } from './idempotency.ts';
import type { Route } from './route.ts';

interface Compiled {
  readonly method: string;
  readonly segments: readonly string[];
  readonly route: Route;
}

function compile(routes: readonly Route[]): Compiled[] {
  return routes.map((route) => {
    const [method = '', path = ''] = route.key.split(' ');
    return { method, segments: path.split('/').slice(1), route };
  });
}

function matchPath(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = segments[i] ?? '';
    const part = parts[i] ?? '';
    if (pattern.startsWith('{')) {
      if (part === '') return undefined;
      params[pattern.slice(1, -1)] = part;
    } else if (pattern !== part) return undefined;
  }
  return params;
}

function splitPath(rawPath: string): string[] | undefined {
  const parts = rawPath.split('/').slice(1);
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

export function createRouter(routes: readonly Route[], authenticate: Authenticate) {
  const missing = ROUTES.filter((key) => !routes.some((r) => r.key === key));
  if (missing.length > 0) throw new Error(`Routes without a use case: ${missing.join(', ')}`);
  const compiled = compile(routes);

  return async function route(
    event: APIGatewayProxyEventV2,
    context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
      const parts = splitPath(event.rawPath ?? '/');
      if (!parts) throw new NotFoundError('No such route');
      const candidates = compiled
        .map((c) => ({ c, params: matchPath(c.segments, parts) }))
        .filter((m): m is { c: Compiled; params: Record<string, string> } => m.params !== undefined);
      if (candidates.length === 0) throw new NotFoundError('No such route');
      const hit = candidates.find((m) => m.c.method === method);
      if (!hit) throw new MethodNotAllowedError(candidates.map((m) => m.c.method));

      const { route } = hit.c;
      const now = Date.now();
      const headers = event.headers ?? {};
      const caller = await authenticate(route.auth, headers.authorization, now);
      const details: ErrorDetail[] = [];
      const idempotencyKey = route.idempotent ? idempotencyKeyOf(headers, details) : undefined;
      const params = check('path', route.params, hit.params, details);
      const query = check('query', route.query, event.queryStringParameters ?? {}, details);
      // No body at all means an empty object; a JSON `null` is a body, and a wrong one.
      const json = route.body ? parseJsonBody(event) : undefined;
      const body = route.body ? check('body', route.body, json === undefined ? {} : json, details) : undefined;
      const sourceIp = event.requestContext?.http?.sourceIp ?? '0.0.0.0';
      const once: IdempotentRequest | undefined =
        idempotencyKey === undefined
          ? undefined
          : {
              route: route.key,
              caller,
              sourceIp,
              key: idempotencyKey,
              payload: { params: hit.params, query: event.queryStringParameters ?? {}, body: json ?? {} },
            };
      if (details.length > 0 && once) {
        const replay = await storedAnswer(once);
        if (replay) return replay;
      }
      throwIfInvalid(details);
      const handle = () => route.handle({ caller, params, query, body, sourceIp, requestId, now } as never);
      if (once) return await answerOnce(once, context, handle, requestId);
      return toResponse(await handle());
    } catch (error) {
      return errorToResponse(error, requestId);
    }
  };
}
