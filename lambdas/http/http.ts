// Decoding API Gateway events, validating their parts, and the one error-to-HTTP mapper.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { MAX_BODY_BYTES } from '../../lib/definitions.ts';
import {
  AppError,
  type ErrorDetail,
  MalformedRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationError,
} from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import type { HttpResult } from './route.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function toResponse(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: result.status,
    headers: { ...(result.body === undefined ? {} : JSON_HEADERS), ...result.headers },
    body: result.body === undefined ? '' : JSON.stringify(result.body),
  };
}

/** The one place an error becomes an HTTP answer. Unknown errors are logged and never leak details. */
export function errorToResponse(error: unknown, requestId: string): APIGatewayProxyStructuredResultV2 {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error instanceof RateLimitedError) headers['retry-after'] = String(error.retryAfterSeconds);
    if (error instanceof MethodNotAllowedError) headers.allow = error.allowed.join(', ');
    if (error.status >= 500) logger.error('Dependency failure', { error, requestId });
    return toResponse({
      status: error.status,
      headers,
      body: { error: { code: error.code, message: error.message, details: error.details } },
    });
  }
  logger.error('Unhandled error', { error, requestId });
  return toResponse({
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'Internal error; it has been logged', details: [] } },
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The request body as JSON, or undefined when there is none. */
export function parseJsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new MalformedRequestError('The body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedRequestError('The body is not valid JSON');
  }
}

export function zodDetails(where: string, error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    in: where,
    field: issue.path.map(String).join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(root)'),
    message: issue.message,
  }));
}

/** Validates one part of the request; collects details so every bad field is named at once. */
export function check<T>(
  where: string,
  schema: z.ZodType<T> | undefined,
  value: unknown,
  details: ErrorDetail[],
): T | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  details.push(...zodDetails(where, result.error));
  return undefined;
}

export function throwIfInvalid(details: ErrorDetail[]): void {
  if (details.length > 0) throw new ValidationError('The request has invalid fields', details);
}
