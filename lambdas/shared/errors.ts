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

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'VALIDATION_FAILED';
}
export class MalformedRequestError extends AppError {
  readonly status = 400;
  readonly code = 'MALFORMED_REQUEST';
}
export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = 'UNAUTHORIZED';
  constructor(message = 'A valid bearer token is required') {
    super(message);
  }
}
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = 'FORBIDDEN';
}
export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'NOT_FOUND';
}
export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(readonly allowed: readonly string[]) {
    super(`Allowed methods: ${allowed.join(', ')}`);
  }
}
export class ConflictError extends AppError {
  readonly status = 409;
  readonly code: string;
  constructor(message: string, code = 'CONFLICT') {
    super(message);
    this.code = code;
  }
}
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'PAYLOAD_TOO_LARGE';
}
export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** A dependency (the Scheduler, Secrets Manager) failed; the request may be retried. Never caused by input. */
export class DependencyUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'DEPENDENCY_UNAVAILABLE';
}
