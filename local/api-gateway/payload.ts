// Payload format 2.0 as API Gateway maps it: an HTTP request to an APIGatewayProxyEventV2, and the
// function's answer back to an HTTP response.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../lambda/context.ts';
import { LOOPBACK } from '../net.ts';
import { matchRoute, type ParsedRoute } from './routes.ts';

export const LOCAL_API_ID = 'local';

export interface EventContext {
  readonly requestId: string;
  readonly routes: readonly ParsedRoute[];
  readonly localPort: number;
  readonly now?: Date;
}

/** HTTP API hands the function the percent-decoded path; a malformed escape is left as sent. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function decodeQueryComponent(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}

/** The client's address as API Gateway sees it: the TCP peer, never a header the client wrote. */
function socketIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `22/Nov/2026:10:00:00 +0000`, API Gateway's requestContext.time. */
function requestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}

function traceId(now: Date): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bodyField(body: Buffer): Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'> {
  if (body.length === 0) return { isBase64Encoded: false };
  try {
    return { body: utf8.decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

export function toApiGatewayEvent(req: IncomingMessage, body: Buffer, ctx: EventContext): APIGatewayProxyEventV2 {
  const now = ctx.now ?? new Date();
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPathEncoded = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1);
  const rawPath = decodePath(rawPathEncoded);
  const method = (req.method ?? 'GET').toUpperCase();
  const sourceIp = socketIp(req);

  // Duplicate headers are joined with commas; cookies move to their own field.
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  // API Gateway appends the peer it saw to whatever X-Forwarded-For the client sent.
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] = String(ctx.localPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= traceId(now);

  const queryStringParameters: Record<string, string> = {};
  if (rawQueryString) {
    for (const pair of rawQueryString.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = decodeQueryComponent(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decodeQueryComponent(pair.slice(eq + 1));
      queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
    }
  }

  const match = matchRoute(method, rawPath, ctx.routes);
  const domainName = (headers.host ?? `${LOOPBACK}:${ctx.localPort}`).replace(/:\d+$/, '');
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: ctx.requestId,
      routeKey: match.routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
    ...bodyField(body),
  };
}

// ---- Answer -> response ---------------------------------------------------------------------------------

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: [string, string][];
  readonly body: Buffer;
}

/**
 * API Gateway's reading of a payload 2.0 answer: an object with `statusCode` is a structured response;
 * anything else that is valid JSON is a 200 `application/json` whose body is the answer (a string as is).
 * undefined when the answer is malformed (API Gateway then answers 500).
 */
export function toHttpResponse(answer: unknown): HttpResponse | undefined {
  if (answer === null || typeof answer !== 'object' || !('statusCode' in answer)) {
    const body = typeof answer === 'string' ? answer : JSON.stringify(answer ?? null);
    return { statusCode: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const structured = answer as {
    statusCode: unknown;
    headers?: unknown;
    cookies?: unknown;
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  const { statusCode } = structured;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return undefined;
  const headers: [string, string][] = [];
  if (structured.headers !== undefined && structured.headers !== null) {
    if (typeof structured.headers !== 'object') return undefined;
    for (const [name, value] of Object.entries(structured.headers)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) return undefined;
      headers.push([name.toLowerCase(), String(value)]);
    }
  }
  if (structured.cookies !== undefined && structured.cookies !== null) {
    if (!Array.isArray(structured.cookies)) return undefined;
    for (const cookie of structured.cookies) headers.push(['set-cookie', String(cookie)]);
  }
  const rawBody = structured.body ?? '';
  if (typeof rawBody !== 'string') return undefined;
  const body = structured.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody);
  return { statusCode, headers, body };
}
