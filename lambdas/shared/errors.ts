// Typed errors of the product. Use cases throw these; one mapper (http.ts) turns them into responses.

export interface ErrorDetail {
  /** Where the bad value is: 'body', 'path', 'query' or 'header'. */
  readonly in: string;
  /** Dot path of the field, e.g. 'fireAt' or 'data.key'. */
  readonly field: string;
  readonly message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: readonly ErrorDetail[];
  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The base of an error class that answers with `status` and `code`: `extends answering(404, 'NOT_FOUND')`. */
export function answering(status: number, code: string) {
  return class extends AppError {
    readonly status = status;
    readonly code = code;
  };
}

export class ValidationError extends answering(400, 'VALIDATION_FAILED') {}
export class MalformedRequestError extends answering(400, 'MALFORMED_REQUEST') {}
export class UnauthorizedError extends answering(401, 'UNAUTHORIZED') {
  constructor(message = 'A valid bearer token is required') {
    super(message);
  }
}
export class ForbiddenError extends answering(403, 'FORBIDDEN') {}
export class NotFoundError extends answering(404, 'NOT_FOUND') {}
export class MethodNotAllowedError extends answering(405, 'METHOD_NOT_ALLOWED') {
  constructor(readonly allowed: readonly string[]) {
    super(`Allowed methods: ${allowed.join(', ')}`);
  }
}
/** `code` says which conflict (ALREADY_INVITED, WRITE_CONFLICT, …). */
export class ConflictError extends AppError {
  readonly status = 409;
  constructor(
    message: string,
    readonly code = 'CONFLICT',
  ) {
    super(message);
  }
}
export class PayloadTooLargeError extends answering(413, 'PAYLOAD_TOO_LARGE') {}
export class RateLimitedError extends answering(429, 'RATE_LIMITED') {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** A dependency (the Scheduler, Secrets Manager) failed; the request may be retried. Never caused by input. */
export class DependencyUnavailableError extends answering(503, 'DEPENDENCY_UNAVAILABLE') {}
