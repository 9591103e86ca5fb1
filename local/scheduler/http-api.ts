// The Scheduler API over HTTP, in the REST-JSON protocol of @aws-sdk/client-scheduler: routes, query
// parameters, JSON shapes and error headers as its serializers expect them.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.ts';
import type { ScheduleFiring } from './firing.ts';
import {
  conflict,
  DEFAULT_GROUP,
  type GroupRecord,
  notFound,
  type ScheduleRecord,
  SchedulerApiError,
  validateName,
  validateScheduleBody,
  validationError,
} from './model.ts';
import type { ScheduleStore } from './store.ts';

export interface ApiDependencies {
  readonly store: ScheduleStore;
  readonly firing: ScheduleFiring;
  readonly faults: FaultInjector;
  readonly clock: () => number;
  readonly log: (line: string) => void;
}

interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** The resource name in the path (/schedules/{Name}), decoded. */
  readonly name?: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
}

type Operation = (request: ApiRequest, deps: ApiDependencies) => unknown;

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_REMEMBERED_TOKENS = 10_000;
/** Timestamps travel as epoch seconds in this protocol. */
const seconds = (epochMs: number | undefined) => (epochMs === undefined ? undefined : epochMs / 1000);

/** Answers a ClientToken retry of a mutating call with the first call's answer, as AWS does. */
class IdempotencyTokens {
  private readonly answers = new Map<string, { fingerprint: string; answer: unknown }>();

  lookup(key: string, fingerprint: string): { answer: unknown } | undefined {
    const known = this.answers.get(key);
    if (!known) return undefined;
    if (known.fingerprint !== fingerprint) throw conflict('The ClientToken was already used with a different request.');
    return { answer: known.answer };
  }

  remember(key: string, fingerprint: string, answer: unknown): void {
    this.answers.set(key, { fingerprint, answer });
    // A Map iterates in insertion order: the first key is the oldest.
    if (this.answers.size > MAX_REMEMBERED_TOKENS) this.answers.delete(this.answers.keys().next().value as string);
  }
}

function groupName(query: URLSearchParams): string {
  return validateName(query.get('groupName') ?? DEFAULT_GROUP, 'groupName');
}

function requireName(request: ApiRequest): string {
  return validateName(request.name ?? '', 'name');
}

function maxResults(query: URLSearchParams): number {
  const raw = query.get('MaxResults');
  if (raw === null) return 100;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100)
    throw validationError('MaxResults must be between 1 and 100.');
  return value;
}

/** One page of `items` after NextToken, which is the opaque key of the last item of the previous page. */
function page<T>(items: readonly T[], keyOf: (item: T) => string, query: URLSearchParams) {
  const limit = maxResults(query);
  const token = query.get('NextToken');
  let start = 0;
  if (token) {
    const after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after) throw validationError('Invalid NextToken.');
    start = items.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + limit);
  const last = slice[slice.length - 1];
  const more = start + limit < items.length && last !== undefined;
  return { slice, NextToken: more ? Buffer.from(keyOf(last), 'utf8').toString('base64url') : undefined };
}

function scheduleView(schedule: ScheduleRecord) {
  return {
    Arn: schedule.arn,
    GroupName: schedule.group,
    Name: schedule.name,
    ScheduleExpression: schedule.expression,
    ScheduleExpressionTimezone: schedule.timezone,
    StartDate: seconds(schedule.startDate),
    EndDate: seconds(schedule.endDate),
    Description: schedule.description,
    State: schedule.state,
    KmsKeyArn: schedule.kmsKeyArn,
    CreationDate: seconds(schedule.creationDate),
    LastModificationDate: seconds(schedule.lastModificationDate),
    Target: schedule.target,
    FlexibleTimeWindow: schedule.flexibleTimeWindow,
    ActionAfterCompletion: schedule.actionAfterCompletion,
  };
}

function groupView(group: GroupRecord) {
  return {
    Arn: group.arn,
    Name: group.name,
    State: 'ACTIVE',
    CreationDate: seconds(group.creationDate),
    LastModificationDate: seconds(group.lastModificationDate),
  };
}

function existingGroup(store: ScheduleStore, name: string): GroupRecord {
  const group = store.getGroup(name);
  if (!group) throw notFound(`Schedule group ${name} does not exist.`);
  return group;
}

function existingSchedule(store: ScheduleStore, group: string, name: string): ScheduleRecord {
  const schedule = store.getSchedule(group, name);
  if (!schedule) throw notFound(`Schedule ${name} does not exist.`);
  return schedule;
}

const createSchedule: Operation = (request, { store, firing, clock }) => {
  const name = requireName(request);
  const { group, definition } = validateScheduleBody(request.body);
  existingGroup(store, group);
  if (store.getSchedule(group, name)) throw conflict(`Schedule ${name} already exists.`);
  const now = clock();
  const schedule: ScheduleRecord = {
    ...definition,
    name,
    group,
    arn: store.scheduleArn(group, name),
    creationDate: now,
    lastModificationDate: now,
  };
  store.putSchedule(schedule);
  firing.arm(schedule);
  return { ScheduleArn: schedule.arn };
};

const updateSchedule: Operation = (request, { store, firing, clock }) => {
  const name = requireName(request);
  const { group, definition } = validateScheduleBody(request.body);
  const existing = existingSchedule(store, group, name);
  // An update replaces the whole definition; what has fired stays fired.
  const schedule: ScheduleRecord = {
    ...definition,
    name,
    group,
    arn: existing.arn,
    creationDate: existing.creationDate,
    lastModificationDate: Math.max(clock(), existing.lastModificationDate + 1),
    lastFireTime: existing.lastFireTime,
  };
  store.putSchedule(schedule);
  firing.arm(schedule);
  return { ScheduleArn: schedule.arn };
};

const getSchedule: Operation = (request, { store }) =>
  scheduleView(existingSchedule(store, groupName(request.query), requireName(request)));

const deleteSchedule: Operation = (request, { store, firing }) => {
  const group = groupName(request.query);
  const name = requireName(request);
  existingSchedule(store, group, name);
  store.deleteSchedule(group, name);
  firing.disarm({ group, name });
  return {};
};

const listSchedules: Operation = ({ query }, { store }) => {
  const group = query.get('ScheduleGroup') ?? undefined;
  const prefix = query.get('NamePrefix') ?? '';
  const state = query.get('State');
  if (state !== null && state !== 'ENABLED' && state !== 'DISABLED') {
    throw validationError('State must be ENABLED or DISABLED.');
  }
  const matching = store
    .listSchedules(group)
    .filter((schedule) => schedule.name.startsWith(prefix) && (state === null || schedule.state === state));
  const { slice, NextToken } = page(matching, (schedule) => `${schedule.group}\u0000${schedule.name}`, query);
  return {
    Schedules: slice.map((schedule) => ({
      Arn: schedule.arn,
      Name: schedule.name,
      GroupName: schedule.group,
      State: schedule.state,
      CreationDate: seconds(schedule.creationDate),
      LastModificationDate: seconds(schedule.lastModificationDate),
      Target: { Arn: schedule.target.Arn },
    })),
    NextToken,
  };
};

const createScheduleGroup: Operation = (request, { store, clock }) => {
  const name = requireName(request);
  if (store.getGroup(name)) throw conflict(`Schedule group ${name} already exists.`);
  const now = clock();
  const group: GroupRecord = { name, arn: store.groupArn(name), creationDate: now, lastModificationDate: now };
  store.putGroup(group);
  return { ScheduleGroupArn: group.arn };
};

const getScheduleGroup: Operation = (request, { store }) => groupView(existingGroup(store, requireName(request)));

const deleteScheduleGroup: Operation = (request, { store, firing }) => {
  const name = requireName(request);
  if (name === DEFAULT_GROUP) throw validationError('The default schedule group cannot be deleted.');
  existingGroup(store, name);
  for (const schedule of store.deleteGroup(name)) firing.disarm(schedule);
  return {};
};

const listScheduleGroups: Operation = ({ query }, { store }) => {
  const prefix = query.get('NamePrefix') ?? '';
  const matching = store.listGroups().filter((group) => group.name.startsWith(prefix));
  const { slice, NextToken } = page(matching, (group) => group.name, query);
  return { ScheduleGroups: slice.map(groupView), NextToken };
};

const ROUTES: Readonly<Record<string, Operation>> = {
  'POST /schedules/{Name}': createSchedule,
  'GET /schedules/{Name}': getSchedule,
  'PUT /schedules/{Name}': updateSchedule,
  'DELETE /schedules/{Name}': deleteSchedule,
  'GET /schedules': listSchedules,
  'POST /schedule-groups/{Name}': createScheduleGroup,
  'GET /schedule-groups/{Name}': getScheduleGroup,
  'DELETE /schedule-groups/{Name}': deleteScheduleGroup,
  'GET /schedule-groups': listScheduleGroups,
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw validationError('Request body too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw validationError('The request body is not a JSON object.');
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** The node:http request listener of the Scheduler API. */
export function createApiListener(deps: ApiDependencies): (req: IncomingMessage, res: ServerResponse) => void {
  const tokens = new IdempotencyTokens();

  async function answer(req: IncomingMessage): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://scheduler.local');
    const [, collection, encodedName, extra] = url.pathname.split('/');
    const method = req.method ?? 'GET';
    const routeKey = `${method} /${collection ?? ''}${encodedName === undefined ? '' : '/{Name}'}`;
    const operation = extra === undefined ? ROUTES[routeKey] : undefined;
    if (!operation)
      throw new SchedulerApiError(404, 'UnknownOperationException', `No operation ${method} ${url.pathname}.`);
    const body = await readBody(req);
    const fault = deps.faults.apiCallFault();
    if (fault) throw fault;
    let name: string | undefined;
    try {
      name = encodedName === undefined ? undefined : decodeURIComponent(encodedName);
    } catch {
      throw validationError('The name in the path is not validly encoded.');
    }
    const request: ApiRequest = { method, path: url.pathname, name, query: url.searchParams, body };

    const token = method === 'GET' ? null : (body['ClientToken'] ?? url.searchParams.get('clientToken'));
    if (typeof token !== 'string') return operation(request, deps);
    const key = `${method} ${url.pathname} ${token}`;
    const { ClientToken: _ignored, ...rest } = body;
    const query = [...url.searchParams].filter(([param]) => param !== 'clientToken');
    const fingerprint = JSON.stringify([rest, query]);
    const known = tokens.lookup(key, fingerprint);
    if (known) return known.answer;
    const result = operation(request, deps);
    tokens.remember(key, fingerprint, result);
    return result;
  }

  return (req, res) => {
    answer(req).then(
      (result) => send(res, 200, result ?? {}),
      (error: unknown) => {
        if (error instanceof SchedulerApiError) {
          send(res, error.status, { Message: error.message }, { 'x-amzn-errortype': error.type });
          return;
        }
        deps.log(`scheduler: ${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : String(error)}`);
        send(res, 500, { Message: 'Internal error.' }, { 'x-amzn-errortype': 'InternalServerException' });
      },
    );
  };
}
