// API Gateway HTTP API in front of the API function: each HTTP request becomes an APIGatewayProxyEventV2
// (payload format 2.0) and the function's answer becomes the HTTP response, as API Gateway maps them.
// Listens on 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_BODY_BYTES, ROUTES } from '../../lib/definitions.ts';
import { type AnyHandler, invokeWithTimeout, LOCAL_ACCOUNT_ID, type LocalFunction } from '../lambda/context.ts';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.ts';

export interface ApiGatewayOptions {
  readonly handler: AnyHandler;
  readonly function: LocalFunction;
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface ApiGateway {
  /** http://127.0.0.1:<port>, no trailing slash. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export const LOCAL_API_ID = 'local';
/** API Gateway's own payload limit; beyond it the connection is cut rather than read to the end. */
const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

type ErrorCode = 'PAYLOAD_TOO_LARGE' | 'INTERNAL' | 'MALFORMED_REQUEST' | 'HEADERS_TOO_LARGE';

export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message, details: [] } });
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<ApiGateway> {
  const routes = (options.routes ?? ROUTES).map(parseRoute);
  const log = options.log ?? (() => {});
  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      log(`[api] ${req.method} ${req.url} failed in the adapter: ${String(error)}`);
      if (!res.headersSent) sendJson(res, 500, errorBody('INTERNAL', 'Internal Server Error'));
      else res.destroy();
    });
  });
  // Keep-alive clients (fetch) must not hold a stop open; closeServer cuts idle connections.
  server.keepAliveTimeout = 5000;
  // Bytes that are not HTTP (say, a body sent without Content-Length) get a 4xx in the contract's shape,
  // not Node's bare "400 Bad Request", as API Gateway never lets such a request reach the function either.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = errorBody(
      tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
      tooLarge ? 'The request headers are too large' : 'The request is not valid HTTP',
    );
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(11).toString('base64');
    res.setHeader('apigw-requestid', requestId);
    const body = await readBody(req);
    if (body === 'too-large') {
      sendJson(res, 413, errorBody('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const event = toApiGatewayEvent(req, body, { requestId, routes, localPort: port });
    let answer: unknown;
    try {
      answer = await invokeWithTimeout(options.function, options.handler, event);
    } catch (error) {
      log(
        `[api] ${event.routeKey} ${event.rawPath}: the function failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      sendJson(res, 500, errorBody('INTERNAL', 'Internal Server Error'));
      return;
    }
    const response = toHttpResponse(answer);
    if (!response) {
      log(`[api] ${event.routeKey} ${event.rawPath}: the function answered a malformed response`);
      sendJson(res, 500, errorBody('INTERNAL', 'Internal Server Error'));
      return;
    }
    res.statusCode = response.statusCode;
    for (const [name, value] of response.headers) res.appendHeader(name, value);
    res.end(response.body);
  }

  const port = await listenOnLoopback(server, options.port);
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    stop: () => closeServer(server),
  };
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(body);
}

/** The body, or 'too-large' once it passes MAX_BODY_BYTES (the rest is read and dropped, so the client sees the 413). */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > API_GATEWAY_MAX_BODY_BYTES) {
    req.resume();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > API_GATEWAY_MAX_BODY_BYTES) {
      // A client that keeps sending past API Gateway's own limit is cut off.
      req.socket.destroy();
      return 'too-large';
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks);
}

// ---- Routes ---------------------------------------------------------------------------------------------

interface ParsedRoute {
  readonly key: string;
  readonly method: string;
  /** Literal segments as strings, `{name}` segments as { param: name }. */
  readonly segments: readonly (string | { readonly param: string })[];
}

export function parseRoute(key: string): ParsedRoute {
  const [method, path] = key.split(' ');
  if (!method || !path?.startsWith('/')) throw new Error(`Route "${key}" is not "<METHOD> /path"`);
  const segments = path
    .split('/')
    .slice(1)
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment)?.[1];
      return param ? { param } : segment;
    });
  return { key, method, segments };
}

export interface RouteMatch {
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
}

/**
 * API Gateway's choice: the route whose method matches and whose path matches segment by segment, a
 * literal segment beating a `{param}` one; `$default` when none does.
 */
export function matchRoute(method: string, path: string, routes: readonly ParsedRoute[]): RouteMatch {
  const parts = path.split('/').slice(1);
  let best: { route: ParsedRoute; params: Record<string, string>; rank: string } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let rank = '';
    let matches = true;
    route.segments.forEach((segment, i) => {
      const part = parts[i] ?? '';
      if (typeof segment === 'string') {
        if (segment !== part) matches = false;
        rank += '0';
      } else {
        if (part === '') matches = false;
        params[segment.param] = part;
        rank += '1';
      }
    });
    if (route.method === 'ANY') rank += '1';
    if (matches && (!best || rank < best.rank)) best = { route, params, rank };
  }
  if (!best) return { routeKey: '$default' };
  return Object.keys(best.params).length > 0
    ? { routeKey: best.route.key, pathParameters: best.params }
    : { routeKey: best.route.key };
}

// ---- Request -> event -----------------------------------------------------------------------------------

interface EventContext {
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
