// Idempotent creation through the router, on routes defined here (any route gets it by `idempotent: true`),
// with DynamoDB mocked by a small in-memory table that honours the conditions Powertools writes with.
import '../support/unit-env.ts';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { resolveAccountToken } from '../../lambdas/accounts/index.ts';
import { handler } from '../../lambdas/api/handler.ts';
import { routes } from '../../lambdas/api/routes.ts';
import { bearerAuthentication } from '../../lambdas/http/auth.ts';
import { IDEMPOTENCY_PK } from '../../lambdas/http/idempotency.ts';
import { defineRoute } from '../../lambdas/http/route.ts';
import { createRouter } from '../../lambdas/http/router.ts';
import { ConflictError, DependencyUnavailableError, RateLimitedError } from '../../lambdas/shared/errors.ts';
import { hashToken } from '../../lambdas/shared/tokens.ts';
import type { RouteKey } from '../../lib/definitions.ts';
import { apiEvent, type RequestSpec } from '../support/api-event.ts';

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);

const ALICE = { accountId: '01JAAAAAAAAAAAAAAAAAAAAAAA', token: 'sbt_alice' };
const BOB = { accountId: '01JBBBBBBBBBBBBBBBBBBBBBBB', token: 'sbt_bob' };

// ---- An in-memory table for the four commands Powertools sends ----------------------------------------

type Item = Record<string, AttributeValue>;
const table = new Map<string, Item>();
const keyOf = (key: Item | undefined) => `${key?.pk?.S}|${key?.sk?.S}`;
const num = (value: AttributeValue | undefined) => Number(value?.N ?? Number.NaN);

/** Powertools' condition: no record, an expired one, or one in progress past its in-progress expiry. */
function mayPut(existing: Item | undefined, now: number): boolean {
  if (!existing) return true;
  if (num(existing.ttl) < now / 1000) return true;
  return existing.status?.S === 'INPROGRESS' && num(existing.in_progress_expiration) < now;
}

function installTable(): void {
  table.clear();
  ddb.on(PutItemCommand).callsFake((input: PutItemCommand['input']) => {
    const item = input.Item ?? {};
    const existing = table.get(keyOf(item));
    if (!mayPut(existing, Date.now())) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: existing,
      });
    }
    table.set(keyOf(item), item);
    return {};
  });
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommand['input']) => {
    const item: Item = { ...(table.get(keyOf(input.Key)) ?? input.Key) };
    for (const assignment of (input.UpdateExpression ?? '').replace(/^SET /, '').split(', ')) {
      const [name = '', value = ''] = assignment.split(' = ');
      const attribute = input.ExpressionAttributeNames?.[name] ?? name;
      const set = input.ExpressionAttributeValues?.[value];
      if (set) item[attribute] = set;
    }
    table.set(keyOf(input.Key), item);
    return {};
  });
  ddb.on(GetItemCommand).callsFake((input: GetItemCommand['input']) => ({ Item: table.get(keyOf(input.Key)) }));
  ddb.on(DeleteItemCommand).callsFake((input: DeleteItemCommand['input']) => {
    table.delete(keyOf(input.Key));
    return {};
  });
}

// ---- Routes defined here ------------------------------------------------------------------------------

let created: { route: string; name: string; by: string }[] = [];
/** What the next run of a widget route does instead of creating. */
let nextFailure: 'conflict' | 'unavailable' | 'throttled' | 'crash' | undefined;
/** Names that no longer validate (as a fireAt that has passed). */
const closedNames = new Set<string>();
/** A gate that holds the next run until it is opened. */
let gate: { opened: Promise<void>; open: () => void } | undefined;

function holdNextRun() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  gate = { opened, open };
  return open;
}

const widgetBody = z.strictObject({
  name: z.string().refine((name) => !closedNames.has(name), 'is closed'),
  tags: z.record(z.string(), z.string()).optional(),
});

function creatingRoute(key: string, auth: 'account' | 'none') {
  return defineRoute({
    key: key as RouteKey,
    auth,
    idempotent: true,
    summary: 'Create a widget',
    body: widgetBody,
    responses: { 201: { description: 'Created' } },
    handle: async ({ caller, body, sourceIp }) => {
      const held = gate;
      gate = undefined;
      if (held) await held.opened;
      const failure = nextFailure;
      nextFailure = undefined;
      if (failure === 'conflict') throw new ConflictError('Too many widgets', 'WIDGET_LIMIT_REACHED');
      if (failure === 'unavailable') throw new DependencyUnavailableError('The widget store is down');
      if (failure === 'throttled') throw new RateLimitedError('Slow down', 7);
      if (failure === 'crash') throw new Error('boom');
      const by = caller.kind === 'account' ? caller.accountId : sourceIp;
      created.push({ route: key, name: body.name, by });
      const id = `w${created.length}`;
      return {
        status: 201,
        headers: { location: `/widgets/${id}` },
        body: { id, name: body.name, secret: `secret-of-${id}` },
      };
    },
  });
}

const router = createRouter(
  [
    ...routes,
    creatingRoute('POST /widgets', 'account'),
    creatingRoute('POST /gadgets', 'account'),
    creatingRoute('POST /public-widgets', 'none'),
    defineRoute({
      key: 'POST /plain-widgets' as RouteKey,
      auth: 'account',
      summary: 'Create a widget, no key taken',
      body: widgetBody,
      responses: { 201: { description: 'Created' } },
      handle: async ({ body }) => {
        created.push({ route: 'POST /plain-widgets', name: body.name, by: '' });
        return { status: 201, body: { id: `w${created.length}` } };
      },
    }),
  ],
  bearerAuthentication(resolveAccountToken),
);

const lambdaContext = (remainingMs = 10_000) =>
  ({ getRemainingTimeInMillis: () => remainingMs, awsRequestId: 'unit' }) as unknown as Context;

async function call(spec: RequestSpec & { key?: string }, context = lambdaContext()) {
  const headers = { ...spec.headers, ...(spec.key === undefined ? {} : { 'idempotency-key': spec.key }) };
  const res = await router(apiEvent({ ...spec, headers }), context);
  return {
    status: res.statusCode ?? 0,
    headers: (res.headers ?? {}) as Record<string, string>,
    raw: res.body ?? '',
    body: res.body ? JSON.parse(res.body) : undefined,
  };
}

const widget = (key: string | undefined, body: unknown = { name: 'first' }, who = ALICE) =>
  call({ method: 'POST', path: '/widgets', token: who.token, body, ...(key === undefined ? {} : { key }) });

beforeEach(() => {
  ddb.reset();
  doc.reset();
  installTable();
  created = [];
  nextFailure = undefined;
  closedNames.clear();
  gate = undefined;
  doc.on(GetCommand).resolves({});
  for (const who of [ALICE, BOB]) {
    doc
      .on(GetCommand, { Key: { pk: `TOKEN#${hashToken(who.token)}`, sk: 'TOKEN' } })
      .resolves({ Item: { accountId: who.accountId, demo: false } });
  }
});

describe('a creating POST with an Idempotency-Key', () => {
  it('creates once and answers every retry with the first answer, marked as replayed', async () => {
    const first = await widget('key-1');
    const second = await widget('key-1');
    const third = await widget('key-1');

    expect(created).toHaveLength(1);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    for (const retry of [second, third]) {
      expect(retry.status).toBe(201);
      expect(retry.raw).toBe(first.raw);
      expect(retry.headers.location).toBe(first.headers.location);
      expect(retry.headers['idempotent-replayed']).toBe('true');
    }
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body, and creates nothing', async () => {
    await widget('key-1', { name: 'first' });
    const other = await widget('key-1', { name: 'second' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(created).toHaveLength(1);
  });

  it('takes a body with its fields in another order as the same request', async () => {
    const first = await widget('key-1', { name: 'n', tags: { a: '1', b: '2' } });
    const again = await widget('key-1', { tags: { b: '2', a: '1' }, name: 'n' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(created).toHaveLength(1);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE to a retry that arrives while the first is still being handled', async () => {
    const open = holdNextRun();
    const first = widget('key-1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const overlapping = await widget('key-1');
    open();
    expect(overlapping.status).toBe(409);
    expect(overlapping.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect((await first).status).toBe(201);
    expect((await widget('key-1')).headers['idempotent-replayed']).toBe('true');
    expect(created).toHaveLength(1);
  });

  it('lets an in-progress record expire with the function: a crashed first attempt blocks a retry only until its timeout', async () => {
    const before = Date.now();
    const open = holdNextRun();
    const first = widget('key-1', { name: 'first' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const put = ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
    const expiresAt = num(put?.Item?.in_progress_expiration);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 10_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 10_000);
    open();
    await first;

    // A first attempt whose function died (the record stays INPROGRESS) with 1 ms left.
    holdNextRun();
    void call(
      { method: 'POST', path: '/widgets', token: ALICE.token, body: { name: 'x' }, key: 'key-2' },
      lambdaContext(1),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const retry = await widget('key-2', { name: 'x' });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does not keep a 5xx: the retry runs anew and creates', async () => {
    nextFailure = 'unavailable';
    const failed = await widget('key-1');
    expect(failed.status).toBe(503);
    const retry = await widget('key-1');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(created).toHaveLength(1);
  });

  it('does not keep an unexpected error (500) either', async () => {
    nextFailure = 'crash';
    expect((await widget('key-1')).status).toBe(500);
    expect((await widget('key-1')).status).toBe(201);
    expect(created).toHaveLength(1);
  });

  it('does not keep a 429: after Retry-After the retry runs anew', async () => {
    nextFailure = 'throttled';
    const throttled = await widget('key-1');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');
    expect((await widget('key-1')).status).toBe(201);
  });

  it('keeps a 4xx answer and replays it, without running the route again', async () => {
    nextFailure = 'conflict';
    const refused = await widget('key-1');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('WIDGET_LIMIT_REACHED');
    const retry = await widget('key-1');
    expect(retry.status).toBe(409);
    expect(retry.raw).toBe(refused.raw);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(created).toHaveLength(0);
  });

  it('replays the first answer to a retry whose body no longer validates, and nothing to a new key', async () => {
    const first = await widget('key-1', { name: 'soon' });
    closedNames.add('soon');
    const retry = await widget('key-1', { name: 'soon' });
    expect(retry.status).toBe(201);
    expect(retry.raw).toBe(first.raw);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await widget('key-2', { name: 'soon' })).status).toBe(400);
    expect((await widget(undefined, { name: 'soon' })).status).toBe(400);
    expect(created).toHaveLength(1);
  });

  it('answers a malformed key with a 400 on the header and creates nothing', async () => {
    for (const key of ['', 'x'.repeat(256), 'clé', 'tab\there']) {
      const res = await widget(key);
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.body.error.details).toEqual([
        { in: 'header', field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' },
      ]);
    }
    expect(created).toHaveLength(0);
    expect((await widget('x'.repeat(255))).status).toBe(201);
    expect((await widget(' !"#$%&\'()*+,-./0-9:;<=>?@A-Z[\\]^_`a-z{|}~')).status).toBe(201);
  });

  it('creates anew on every POST without a key', async () => {
    await widget(undefined);
    await widget(undefined);
    expect(created).toHaveLength(2);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('ignores the header on a route that is not marked idempotent', async () => {
    const spec = { method: 'POST', path: '/plain-widgets', token: ALICE.token, body: { name: 'n' }, key: 'key-1' };
    await call(spec);
    await call(spec);
    expect(created).toHaveLength(2);
  });
});

describe('whose answer a key reaches', () => {
  it('keeps keys per account: another account with the same key gets its own widget', async () => {
    const alice = await widget('shared-key', { name: 'n' }, ALICE);
    const bob = await widget('shared-key', { name: 'n' }, BOB);
    expect(bob.status).toBe(201);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    expect(bob.body.id).not.toBe(alice.body.id);
    expect(created.map((c) => c.by)).toEqual([ALICE.accountId, BOB.accountId]);
  });

  it('keeps keys per client address on a route without authentication', async () => {
    const from = (sourceIp: string) =>
      call({ method: 'POST', path: '/public-widgets', body: { name: 'n' }, sourceIp, key: 'k' });
    const a = await from('203.0.113.1');
    const again = await from('203.0.113.1');
    const b = await from('198.51.100.2');
    expect(again.raw).toBe(a.raw);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(created.map((c) => c.by)).toEqual(['203.0.113.1', '198.51.100.2']);
  });

  it('keeps keys per route: the same key on another route creates there', async () => {
    await widget('key-1');
    const gadget = await call({
      method: 'POST',
      path: '/gadgets',
      token: ALICE.token,
      body: { name: 'first' },
      key: 'key-1',
    });
    expect(gadget.status).toBe(201);
    expect(gadget.headers['idempotent-replayed']).toBeUndefined();
    expect(created.map((c) => c.route)).toEqual(['POST /widgets', 'POST /gadgets']);
  });
});

describe('the stored record', () => {
  it('lives in the single table under pk IDEMPOTENCY, expires after 24 h by TTL, and holds neither the key nor the answer in clear', async () => {
    const res = await widget('my-secret-key-123');
    expect(res.body.secret).toBe('secret-of-w1');
    const [item] = [...table.values()];
    expect(item?.pk?.S).toBe(IDEMPOTENCY_PK);
    expect(item?.sk?.S).toMatch(/^ANSWER#[A-Za-z0-9+/]{43}=$/);
    expect(item?.status?.S).toBe('COMPLETED');
    expect(Math.abs(num(item?.ttl) - (Date.now() / 1000 + 86_400))).toBeLessThan(5);
    const stored = JSON.stringify(item);
    expect(stored).not.toContain('my-secret-key-123');
    expect(stored).not.toContain('secret-of-w1');
    expect(stored).not.toContain('"first"');
  });

  it('costs a replay one DynamoDB request, and a first answer two', async () => {
    await widget('key-1');
    expect(ddb.calls()).toHaveLength(2);
    ddb.resetHistory();
    await widget('key-1');
    expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual(['PutItemCommand']);
  });

  it('answers 503 and creates nothing when the table cannot record the request', async () => {
    ddb.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    const res = await widget('key-1');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(created).toHaveLength(0);
  });

  it('still answers what was created when the record cannot be completed afterwards', async () => {
    ddb.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    const res = await widget('key-1');
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('w1');
  });
});

describe('the product routes', () => {
  const creating = [
    'POST /demo-accounts',
    'POST /accounts',
    'POST /alarms',
    'POST /jobs',
    'POST /studies',
    'POST /studies/{studyId}/participants',
    'POST /studies/{studyId}/weeks',
    'POST /admin/absence-runs',
  ];

  it('take an Idempotency-Key on every creating POST of the contract, and on no other route', () => {
    expect(
      routes
        .filter((r) => r.idempotent)
        .map((r) => r.key)
        .sort(),
    ).toEqual([...creating].sort());
  });

  it('document the header, the replay marker and the 409 and 422 answers in OpenAPI', async () => {
    const res = await handler(apiEvent({ method: 'GET', path: '/openapi.json' }));
    const doc = JSON.parse(res.body ?? '{}');
    for (const key of creating) {
      const [method = '', path = ''] = key.split(' ');
      const operation = doc.paths[path][method.toLowerCase()];
      expect(operation.parameters, key).toContainEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
      );
      expect(operation.responses['409'].description, key).toContain('IDEMPOTENCY_KEY_IN_USE');
      expect(operation.responses['422'].description, key).toContain('IDEMPOTENCY_KEY_REUSED');
      const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'))?.[1] as {
        headers?: object;
      };
      expect(success.headers, key).toHaveProperty('idempotent-replayed');
    }
    const list = doc.paths['/alarms'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).not.toContain('Idempotency-Key');
  });

  it('replay a demo account to the same address, token included, and give another address its own', async () => {
    const demo = (sourceIp: string, key: string) =>
      handler(
        apiEvent({ method: 'POST', path: '/demo-accounts', body: {}, sourceIp, headers: { 'idempotency-key': key } }),
      );
    const { TransactWriteCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { SchedulerClient, CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
    const scheduler = mockClient(SchedulerClient);
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    doc.on(UpdateCommand).resolves({ Attributes: { count: 1 } });
    doc.on(TransactWriteCommand).resolves({});

    const first = await demo('203.0.113.9', 'signup-1');
    const again = await demo('203.0.113.9', 'signup-1');
    const elsewhere = await demo('198.51.100.9', 'signup-1');
    scheduler.restore();

    expect(first.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(JSON.parse(again.body ?? '{}').token).toMatch(/^sbt_/);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(JSON.parse(elsewhere.body ?? '{}').accountId).not.toBe(JSON.parse(first.body ?? '{}').accountId);
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });
});
