// API Gateway HTTP API in front of the API function: each HTTP request becomes an APIGatewayProxyEventV2
// (payload format 2.0) and the function's answer becomes the HTTP response, as API Gateway maps them.
// Listens on 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { MAX_BODY_BYTES, ROUTES } from '../../lib/definitions.ts';
import { type AnyHandler, invokeWithTimeout, type LocalFunction } from '../lambda/context.ts';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.ts';
import { LOCAL_API_ID, toApiGatewayEvent, toHttpResponse } from './payload.ts';
import { matchRoute, parseRoute } from './routes.ts';

export { LOCAL_API_ID, matchRoute, parseRoute, toApiGatewayEvent, toHttpResponse };

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
