// Idempotent creation: a POST retried with the same Idempotency-Key gets the first answer again instead of
// creating a second time. Powertools' idempotency utility keeps one record per caller, route and key in the
// single table; the router applies it to every route marked `idempotent`, after authentication and validation.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { JSONValue } from '@aws-lambda-powertools/commons/types';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyPersistenceLayerError,
  IdempotencyRecordStatus,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { FUNCTIONS, type RouteKey, TABLE } from '../../lib/definitions.ts';
import { dynamoDb } from '../shared/clients/dynamo.ts';
import { AppError, answering, ConflictError, DependencyUnavailableError, type ErrorDetail } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { tableName } from '../shared/table.ts';
import { errorToResponse, toResponse } from './http.ts';
import type { Caller, HttpResult } from './route.ts';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** How long a key keeps its answer. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const PRINTABLE_ASCII = new RegExp(`^[\\x20-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`);

/** Every record shares this partition; the sort key is `ANSWER#<sha256 of caller, route and key>`. */
export const IDEMPOTENCY_PK = 'IDEMPOTENCY';
const KEY_PREFIX = 'ANSWER';

export class IdempotencyKeyInUseError extends ConflictError {
  constructor() {
    super('A request with this Idempotency-Key is still being handled; retry in a moment', 'IDEMPOTENCY_KEY_IN_USE');
  }
}

export class IdempotencyKeyReusedError extends answering(422, 'IDEMPOTENCY_KEY_REUSED') {
  constructor() {
    super('This Idempotency-Key was used with a different request; a new request needs a new key');
  }
}

/** An answer as API Gateway gets it, and as it is stored (with its body sealed). */
export interface Answer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One request that carries a key: who sent it, where, and what must be the same on a retry. */
export interface IdempotentRequest {
  readonly route: RouteKey;
  readonly caller: Caller;
  readonly sourceIp: string;
  readonly key: string;
  /** The request as sent (path parameters, query, JSON body): a retry must match it. */
  readonly payload: unknown;
}

/** The key of an idempotent route's request, undefined without one; a malformed key is a detail of the 400. */
export function idempotencyKeyOf(
  headers: Readonly<Record<string, string | undefined>>,
  details: ErrorDetail[],
): string | undefined {
  const key = headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) return undefined;
  if (PRINTABLE_ASCII.test(key)) return key;
  details.push({
    in: 'header',
    field: 'Idempotency-Key',
    message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
  });
  return undefined;
}

/** Keys are the caller's own: an account's, the admin's, or (unauthenticated routes) the client address's. */
function callerScope({ caller, sourceIp }: IdempotentRequest): string {
  if (caller.kind === 'account') return `account:${caller.accountId}`;
  if (caller.kind === 'admin') return 'admin';
  return `ip:${sourceIp}`;
}

/** What Powertools hashes: `scope` names the record, `payload` is compared on a retry. */
const eventOf = (request: IdempotentRequest): JSONValue => ({
  scope: { caller: callerScope(request), route: request.route, key: request.key },
  payload: request.payload as JSONValue,
});

const persistenceStore = new DynamoDBPersistenceLayer({
  tableName,
  keyAttr: TABLE.partitionKey,
  sortKeyAttr: TABLE.sortKey,
  staticPkValue: IDEMPOTENCY_PK,
  // Epoch seconds, the table's TTL attribute: DynamoDB deletes records after their 24 h.
  expiryAttr: TABLE.ttlAttribute,
  awsSdkV3Client: dynamoDb,
});

/** A config per request: the Lambda context (for the in-progress expiry) is the request's own. */
function configFor(context: Pick<Context, 'getRemainingTimeInMillis'>): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: 'scope',
    payloadValidationJmesPath: 'payload',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_WINDOW_SECONDS,
    hashFunction: 'sha256',
    lambdaContext: context as Context,
    responseHook: (response) => {
      const answer = response as unknown as Answer;
      return { ...answer, headers: { ...answer.headers, [REPLAYED_HEADER]: 'true' } };
    },
  });
}

/** Without a Lambda context (a direct call), the function's own timeout bounds the in-progress record. */
function contextOf(context: Context | undefined): Pick<Context, 'getRemainingTimeInMillis'> {
  if (context) return context;
  const deadline = Date.now() + FUNCTIONS.api.timeoutSeconds * 1000;
  return { getRemainingTimeInMillis: () => Math.max(1, deadline - Date.now()) };
}

/**
 * Answers worth keeping: successes and the client's own errors. A 5xx (a dependency failed; nothing was
 * created) and a 429 (come back later) are not stored, so the retry runs anew.
 */
const isKept = (status: number): boolean => status < 500 && status !== 429;

/** An answer that must reach the client but not the store. */
class UnkeptAnswer extends Error {
  constructor(readonly answer: Answer) {
    super(`Answer ${answer.statusCode} is not kept`);
  }
}

function asAnswer(response: ReturnType<typeof toResponse>): Answer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
  return { statusCode: response.statusCode ?? 200, headers, body: response.body ?? '' };
}

/** Runs the route; a kept error answer is returned (and stored), anything else is thrown (and not stored). */
async function answerOf(handle: () => Promise<HttpResult>, requestId: string): Promise<Answer> {
  let answer: Answer;
  try {
    answer = asAnswer(toResponse(await handle()));
  } catch (error) {
    if (!(error instanceof AppError) || !isKept(error.status)) throw error;
    answer = asAnswer(errorToResponse(error, requestId));
  }
  if (!isKept(answer.statusCode)) throw new UnkeptAnswer(answer);
  return answer;
}

// ---- Sealing ---------------------------------------------------------------------------------------------
// Answers can carry secrets (a new account's token), and tokens are stored only as hashes. So a stored body
// is encrypted (AES-256-GCM) under a key derived from the Idempotency-Key itself, which is stored only as a
// SHA-256 hash: the table alone cannot reveal an answer; the client that holds the key can have it again.

const SEAL_VERSION = 'v1';

function sealingKey(request: IdempotentRequest): Buffer {
  return Buffer.from(
    hkdfSync('sha256', request.key, `${callerScope(request)} ${request.route}`, 'idempotent-answer', 32),
  );
}

function seal(answer: Answer, key: Buffer): Answer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(answer.body, 'utf8'), cipher.final()]);
  const parts = [iv, sealed, cipher.getAuthTag()].map((b) => b.toString('base64url'));
  return { ...answer, body: [SEAL_VERSION, ...parts].join('.') };
}

function unseal(answer: Answer, key: Buffer): Answer {
  const [version, iv = '', sealed = '', tag = ''] = answer.body.split('.');
  if (version !== SEAL_VERSION) throw new Error(`Stored answer sealed as "${version}"`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const body = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  return { ...answer, body };
}

// ---- The two entry points of the router ------------------------------------------------------------------

/**
 * The first answer for this caller, route and key: the route runs once; a retry gets its answer again (with
 * `idempotent-replayed: true`), a retry while it runs is 409, the same key with another request is 422.
 */
export async function answerOnce(
  request: IdempotentRequest,
  context: Context | undefined,
  handle: () => Promise<HttpResult>,
  requestId: string,
): Promise<Answer> {
  const key = sealingKey(request);
  let fresh: Answer | undefined;
  const once = makeIdempotent(
    async (_event: JSONValue) => {
      fresh = await answerOf(handle, requestId);
      return seal(fresh, key) as unknown as Record<string, unknown>;
    },
    { persistenceStore, config: configFor(contextOf(context)), keyPrefix: KEY_PREFIX },
  );
  try {
    const stored = (await once(eventOf(request))) as unknown as Answer;
    return fresh ?? unseal(stored, key);
  } catch (error) {
    if (error instanceof UnkeptAnswer) return error.answer;
    if (error instanceof IdempotencyAlreadyInProgressError) throw new IdempotencyKeyInUseError();
    if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReusedError();
    if (error instanceof IdempotencyPersistenceLayerError) {
      // The route ran and its effect stands; only the record of it could not be completed. The client gets
      // the answer; a retry finds the record in progress (409) until the function's timeout, then runs anew.
      if (fresh) {
        logger.warn('Idempotency record not completed', { route: request.route, error });
        return fresh;
      }
      logger.error('Idempotency store unavailable', { route: request.route, error });
      throw new DependencyUnavailableError('The request could not be recorded; nothing was created; retry');
    }
    throw error;
  }
}

/**
 * For a retry that no longer validates (say, a fireAt that has passed since the first attempt): the first
 * answer if one is stored for the same request, else undefined and the 400 stands. Nothing is written.
 */
export async function storedAnswer(request: IdempotentRequest): Promise<Answer | undefined> {
  const config = configFor(contextOf(undefined));
  persistenceStore.configure({ config, keyPrefix: KEY_PREFIX });
  try {
    const record = await persistenceStore.getRecord(eventOf(request));
    if (record.getStatus() !== IdempotencyRecordStatus.COMPLETED) return undefined;
    const stored = config.responseHook?.(record.getResponse() ?? {}, record) as unknown as Answer;
    return unseal(stored, sealingKey(request));
  } catch (error) {
    if (error instanceof IdempotencyItemNotFoundError || error instanceof IdempotencyValidationError) return undefined;
    logger.warn('Could not look up a stored answer; the validation error stands', { route: request.route, error });
    return undefined;
  }
}

// ---- OpenAPI ---------------------------------------------------------------------------------------------

interface OperationDoc {
  readonly parameters: unknown[];
  readonly responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
}

/** Adds the header, the replay marker on successes, and the 409 and 422 answers to an idempotent route's operation. */
export function documentIdempotency(operation: OperationDoc, errorContent: unknown): void {
  operation.parameters.push({
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: `Makes a retry safe: the same caller sending the same key again within ${IDEMPOTENCY_WINDOW_SECONDS / 3600} h creates nothing and gets the first answer (same status and body, plus \`${REPLAYED_HEADER}: true\`); 5xx and 429 answers are not kept. Use a new random key (a UUID) per new request.`,
    schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: '^[\\x20-\\x7E]+$' },
  });
  for (const [status, response] of Object.entries(operation.responses)) {
    if (!status.startsWith('2')) continue;
    response.headers = {
      ...response.headers,
      [REPLAYED_HEADER]: {
        description:
          'Present (`true`) when this is the stored answer to an earlier request with the same Idempotency-Key',
        schema: { type: 'string', enum: ['true'] },
      },
    };
  }
  const errors = {
    '409': 'IDEMPOTENCY_KEY_IN_USE: a request with this Idempotency-Key is still being handled; retry in a moment',
    '422': 'IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was used with a different request',
  };
  for (const [status, description] of Object.entries(errors)) {
    const existing = operation.responses[status];
    operation.responses[status] = existing
      ? { ...existing, description: `${existing.description}; or ${description}` }
      : { description, ...(errorContent as object) };
  }
}
