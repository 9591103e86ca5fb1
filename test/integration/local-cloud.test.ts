// The local cloud's stand-ins behave like the AWS services (and FCM) the handlers meet in production.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, MAX_BODY_BYTES, RECURRING_SCHEDULES, SCHEDULE_GROUPS, TABLE } from '../../lib/definitions.ts';
import { type ApiGateway, startApiGateway } from '../../local/api-gateway/api-gateway.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { FCM_ANSWERS, FCM_SCOPE, type FcmStandIn } from '../../local/fcm/fcm.ts';
import { type EventSourceMapping, startEventSourceMapping } from '../../local/lambda/event-source-mapping.ts';
import * as echo from '../fixtures/echo-api-handler.ts';
import { waitFor } from '../support/http.ts';

let cloud: LocalCloud;
let fcm: FcmStandIn;
let sqs: SQSClient;
let echoApi: ApiGateway;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  if (!cloud.fcm) throw new Error('the local cloud started without its FCM stand-in');
  fcm = cloud.fcm;
  sqs = new SQSClient({});
  echoApi = await startApiGateway({
    handler: echo.handler,
    function: { name: 'echo', timeoutSeconds: 5, memoryMb: 128, region: 'us-east-1', accountId: '000000000000' },
    port: 0,
  });
});

afterAll(async () => {
  await echoApi?.stop();
  await cloud?.stop();
});

// ---- helpers --------------------------------------------------------------------------------------------

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with exact control over headers (repeated ones stay repeated) and body bytes. */
function send(
  url: string,
  init: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
) {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    for (const [name, value] of Object.entries(init.headers ?? {})) req.setHeader(name, value);
    req.end(init.body);
  });
}

const echoed = async (path: string, init?: Parameters<typeof send>[1]): Promise<APIGatewayProxyEventV2> => {
  const res = await send(`${echoApi.url}${path}`, init);
  expect(res.status).toBe(200);
  return JSON.parse(res.body.toString('utf8')) as APIGatewayProxyEventV2;
};

/**
 * A queue of the local SQS that no consumer of the local cloud polls, with a DLQ after `maxReceiveCount`.
 * A visibility timeout of 0 makes a message that is not deleted visible again at once: redelivery without waiting.
 */
async function testQueue(name: string, maxReceiveCount: number, visibilityTimeoutSeconds = 0) {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  const arn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  return { url: queue.QueueUrl as string, arn: arn as string, dlqUrl: dlq.QueueUrl as string };
}

async function depth(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

const testFunction = {
  name: 'test-consumer',
  timeoutSeconds: 5,
  memoryMb: 128,
  region: 'us-east-1',
  accountId: '000000000000',
};

// ---- API Gateway ----------------------------------------------------------------------------------------

describe('the local API Gateway', () => {
  it('serves GET /health of the real API function with 200 {"status":"ok"}', async () => {
    const res = await fetch(`${cloud.apiUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('hands the function a payload 2.0 event with the matched route and its path parameters', async () => {
    const event = await echoed('/alarms/al%20123?limit=5&tag=a&tag=b', {
      headers: { 'user-agent': 'route-test', 'x-dup': ['one', 'two'] },
    });
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /alarms/{alarmId}',
      rawPath: '/alarms/al 123',
      rawQueryString: 'limit=5&tag=a&tag=b',
      queryStringParameters: { limit: '5', tag: 'a,b' },
      pathParameters: { alarmId: 'al 123' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        http: {
          method: 'GET',
          path: '/alarms/al 123',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'route-test',
        },
        routeKey: 'GET /alarms/{alarmId}',
        stage: '$default',
      },
    });
    expect(event.headers['x-dup']).toBe('one,two');
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5000);
  });

  it('uses $default for a path or verb no route names', async () => {
    expect((await echoed('/no/such/route')).routeKey).toBe('$default');
    expect((await echoed('/health', { method: 'DELETE' })).routeKey).toBe('$default');
  });

  it('takes sourceIp from the socket, not from an X-Forwarded-For header the client wrote', async () => {
    const event = await echoed('/health', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(event.requestContext.http.sourceIp).toBe('127.0.0.1');
    expect(event.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
  });

  it('moves cookies out of the headers into the cookies field', async () => {
    const event = await echoed('/health', { headers: { cookie: 'a=1; b=2' } });
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers.cookie).toBeUndefined();
  });

  it('passes a UTF-8 body as text and anything else as base64', async () => {
    const text = await echoed('/alarms', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"é"}',
    });
    expect(text).toMatchObject({ routeKey: 'POST /alarms', body: '{"title":"é"}', isBase64Encoded: false });
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const binary = await echoed('/alarms', { method: 'POST', body: bytes });
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body ?? '', 'base64')).toEqual(bytes);
  });

  it(`answers 413 PAYLOAD_TOO_LARGE to a body over ${MAX_BODY_BYTES} bytes without calling the function`, async () => {
    const before = echo.calls.length;
    const res = await send(`${echoApi.url}/alarms`, { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES + 1, 'a') });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString())).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), details: [] },
    });
    expect(echo.calls.length).toBe(before);
    // A body of exactly the limit is passed on.
    const atLimit = await send(`${echoApi.url}/alarms`, { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES, 'a') });
    expect(atLimit.status).toBe(200);
  });

  it('answers 413 on the real API too, in the contract error shape', async () => {
    const res = await fetch(`${cloud.apiUrl}/demo-accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nickname: 'x'.repeat(MAX_BODY_BYTES) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 500 INTERNAL in the contract shape when the function throws or answers nonsense', async () => {
    for (const path of ['/crash', '/malformed']) {
      const res = await send(`${echoApi.url}${path}`);
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body.toString())).toEqual({
        error: { code: 'INTERNAL', message: 'Internal Server Error', details: [] },
      });
    }
  });

  it('answers bytes that are not HTTP with a 400 in the contract shape, without calling the function', async () => {
    const before = echo.calls.length;
    const url = new URL(echoApi.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'MALFORMED_REQUEST', details: [] },
    });
    expect(echo.calls.length).toBe(before);
  });

  it('maps answers as API Gateway does: plain values as 200 JSON, cookies as Set-Cookie, base64 bodies as bytes', async () => {
    const plain = await send(`${echoApi.url}/plain-string`);
    expect(plain).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(plain.body.toString()).toBe('just text');
    const object = await send(`${echoApi.url}/plain-object`);
    expect(JSON.parse(object.body.toString())).toEqual({ greeting: 'hello' });
    const cookies = await send(`${echoApi.url}/cookies`);
    expect(cookies.status).toBe(204);
    expect(cookies.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(cookies.headers['x-answer']).toBe('42');
    const binary = await send(`${echoApi.url}/binary`);
    expect(binary.body).toEqual(Buffer.from([0x89, 0x50, 0xff]));
  });
});

// ---- Lambda event source mappings ---------------------------------------------------------------------

describe('the local SQS event source mapping', () => {
  let mapping: EventSourceMapping | undefined;
  afterAll(async () => mapping?.stop());

  it('hands the handler a real SQSEvent and redelivers only the records listed in batchItemFailures, at the visibility the handler set', async () => {
    // Left alone, a failed record would come back after 30 s; the handler asks for 0, as the push consumer
    // does for its backoff, and the mapping must leave that alone.
    const queue = await testQueue('partial-batch', 5, 30);
    const deliveries: SQSRecord[] = [];
    const contexts: Context[] = [];
    let failedOnce = false;
    const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
      deliveries.push(...event.Records);
      contexts.push(context);
      const victim = event.Records.find((r) => r.body === 'fail-me');
      if (victim && !failedOnce) {
        failedOnce = true;
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queue.url,
            ReceiptHandle: victim.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
        return { batchItemFailures: [{ itemIdentifier: victim.messageId }] };
      }
      return { batchItemFailures: [] };
    };
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'a', MessageBody: 'ok-1', MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } } },
          { Id: 'b', MessageBody: 'fail-me' },
          {
            Id: 'c',
            MessageBody: 'ok-2',
            MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) } },
          },
        ],
      }),
    );
    mapping = startEventSourceMapping({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      function: testFunction,
      handler,
      batchSize: 10,
      waitTimeSeconds: 1,
    });

    await waitFor(async () => (deliveries.filter((r) => r.body === 'fail-me').length >= 2 ? true : undefined), 8000);
    await waitFor(async () => ((await depth(queue.url)) === 0 ? true : undefined), 5000);
    await mapping.stop();

    const bodies = deliveries.map((r) => r.body).sort();
    expect(bodies).toEqual(['fail-me', 'fail-me', 'ok-1', 'ok-2']);
    const redelivered = deliveries.filter((r) => r.body === 'fail-me');
    expect(redelivered.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);

    const first = deliveries.find((r) => r.body === 'ok-1') as SQSRecord;
    expect(first).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      md5OfBody: createHash('md5').update('ok-1').digest('hex'),
      messageAttributes: {
        kind: { stringValue: 'test', dataType: 'String', stringListValues: [], binaryListValues: [] },
      },
    });
    expect(Number(first.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(first.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(
      Number(first.attributes.SentTimestamp),
    );
    const withBlob = deliveries.find((r) => r.body === 'ok-2') as SQSRecord;
    expect(withBlob.messageAttributes.blob).toMatchObject({
      binaryValue: Buffer.from([1, 2, 3]).toString('base64'),
      dataType: 'Binary',
    });
    expect(contexts[0]).toMatchObject({ functionName: 'test-consumer', awsRequestId: expect.any(String) });
    expect(contexts[0]?.getRemainingTimeInMillis()).toBeLessThanOrEqual(5000);
  });

  it('redelivers the whole batch when the handler throws, and moves it to the DLQ after maxReceiveCount', async () => {
    const queue = await testQueue('throwing-batch', 2);
    const batches: string[][] = [];
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two' },
        ],
      }),
    );
    const throwing = startEventSourceMapping({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      function: testFunction,
      handler: async (event: SQSEvent) => {
        batches.push(event.Records.map((r) => r.body).sort());
        throw new Error('consumer broken');
      },
      batchSize: 10,
      pollers: 1,
      waitTimeSeconds: 1,
    });
    try {
      const inDlq = await waitFor(async () => ((await depth(queue.dlqUrl)) === 2 ? 2 : undefined), 10_000);
      expect(inDlq).toBe(2);
    } finally {
      await throwing.stop();
    }
    expect(batches).toEqual([
      ['one', 'two'],
      ['one', 'two'],
    ]);
    expect(throwing.batches.every((b) => b.deleted.length === 0 && b.error?.includes('consumer broken'))).toBe(true);
    expect(await depth(queue.url)).toBe(0);
  });

  it('deletes nothing when the handler overruns its timeout', async () => {
    const queue = await testQueue('slow-batch', 5, 5);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    const slow = startEventSourceMapping({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      function: { ...testFunction, timeoutSeconds: 0.2 },
      handler: () => new Promise((resolve) => setTimeout(resolve, 1000)),
      batchSize: 1,
      pollers: 1,
      waitTimeSeconds: 1,
    });
    try {
      await waitFor(async () => (slow.batches.length > 0 ? true : undefined), 5000, 20);
    } finally {
      await slow.stop();
    }
    expect(slow.batches[0]).toMatchObject({
      deleted: [],
      error: expect.stringContaining('Task timed out after 0.20 seconds'),
    });
    expect(await depth(queue.url)).toBe(1);
  });
});

// ---- FCM ------------------------------------------------------------------------------------------------

describe('the local FCM stand-in', () => {
  const key = () =>
    JSON.parse(readFileSync(fcm.credentialsFile, 'utf8')) as {
      private_key: string;
      client_email: string;
      token_uri: string;
      project_id: string;
    };

  async function grant(privateKeyPem: string, overrides: { scope?: string; aud?: string } = {}) {
    const { client_email, token_uri } = key();
    const assertion = await new SignJWT({ scope: overrides.scope ?? FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(client_email)
      .setAudience(overrides.aud ?? token_uri)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(await importPKCS8(privateKeyPem, 'RS256'));
    return fetch(token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
  }

  const push = (token: string, deviceToken: string, project = key().project_id) =>
    fetch(`${fcm.baseUrl}/v1/projects/${project}/messages:send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          token: deviceToken,
          notification: { title: 'Wake up', body: 'It is time' },
          data: { alarmId: 'a1' },
        },
      }),
    });

  it('writes a service-account key whose token_uri and project_id point at itself', () => {
    expect(key()).toMatchObject({
      project_id: 'local-project',
      token_uri: `${fcm.baseUrl}/token`,
      client_email: fcm.clientEmail,
    });
    expect(cloud.env.FCM_CREDENTIALS_FILE).toBe(fcm.credentialsFile);
    expect(cloud.env.FCM_BASE_URL).toBe(fcm.baseUrl);
  });

  it('refuses a grant signed with another key, and a grant without the messaging scope', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const forged = await grant(stranger);
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: 'invalid_grant' });
    const unscoped = await grant(key().private_key, { scope: 'https://www.googleapis.com/auth/cloud-platform' });
    expect(unscoped.status).toBe(400);
  });

  it('issues a bearer token for a correctly signed grant, and accepts pushes only with it', async () => {
    const before = fcm.tokenRequests;
    const res = await grant(key().private_key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(body).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
    expect(fcm.tokenRequests).toBe(before + 1);

    const rejected = await push('not-a-token', 'device-aaaaaaaaaaaa-1');
    expect(rejected.status).toBe(401);
    expect(((await rejected.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
    expect((await push(body.access_token, 'device-aaaaaaaaaaaa-1', 'someone-elses-project')).status).toBe(403);

    const accepted = await push(body.access_token, 'device-aaaaaaaaaaaa-1');
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { name: string }).name).toMatch(/^projects\/local-project\/messages\/.+/);
    expect(fcm.received.at(-1)).toMatchObject({
      deviceToken: 'device-aaaaaaaaaaaa-1',
      title: 'Wake up',
      body: 'It is time',
      data: { alarmId: 'a1' },
    });
  });

  it('answers scripted FCM errors per device token, then serves it normally again; down() answers 503', async () => {
    const token = ((await (await grant(key().private_key)).json()) as { access_token: string }).access_token;
    fcm.respondWith('dead-device-token-xyz', [FCM_ANSWERS.unregistered(), FCM_ANSWERS.unavailable(7)]);
    const gone = await push(token, 'dead-device-token-xyz');
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({
      error: {
        code: 404,
        message: 'Requested entity was not found.',
        status: 'NOT_FOUND',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
      },
    });
    const busy = await push(token, 'dead-device-token-xyz');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    expect((await push(token, 'dead-device-token-xyz')).status).toBe(200);

    fcm.down(true);
    try {
      expect((await push(token, 'another-device-token')).status).toBe(503);
    } finally {
      fcm.down(false);
    }
    expect(fcm.sendRequests.filter((r) => r.deviceToken === 'dead-device-token-xyz').map((r) => r.status)).toEqual([
      404, 503, 200,
    ]);
  });
});

// ---- DynamoDB and Scheduler -----------------------------------------------------------------------------

describe('the local resources', () => {
  it('include the table with both GSIs and TTL enabled', async () => {
    const dynamo = new DynamoDBClient({});
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: cloud.tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ]);
    const indexes = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.KeySchema]));
    for (const index of Object.values(TABLE.indexes)) {
      expect(indexes[index.name]).toEqual([
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ]);
    }
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: cloud.tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: TABLE.ttlAttribute });
  });

  it('include the recurring schedules, targeting their queues', async () => {
    const scheduler = new SchedulerClient({});
    const out = await scheduler.send(new ListSchedulesCommand({ GroupName: SCHEDULE_GROUPS.recurring.id }));
    const byName = Object.fromEntries((out.Schedules ?? []).map((s) => [s.Name, s.Target?.Arn]));
    for (const schedule of Object.values(RECURRING_SCHEDULES)) {
      expect(byName[schedule.id]).toBe(cloud.queueArns[schedule.queue]);
    }
  });

  it('poll every consumer queue with its function', () => {
    const consumers = Object.entries(FUNCTIONS)
      .filter(([, f]) => 'queue' in f)
      .map(([key]) => key);
    expect(Object.keys(cloud.eventSourceMappings).sort()).toEqual(consumers.sort());
  });

  it('receive through the SDK clients the handlers use, pointed by AWS_ENDPOINT_URL_*', async () => {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.scheduleDlqUrl, WaitTimeSeconds: 0 }));
    expect(out.Messages ?? []).toEqual([]);
    expect(process.env.AWS_ENDPOINT_URL_SQS).toBe(cloud.sqsEndpoint);
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(cloud.dynamodbEndpoint);
    expect(process.env.AWS_ENDPOINT_URL_SCHEDULER).toBe(cloud.schedulerEndpoint);
  });

  it('are reachable exactly as printed: every endpoint and queue URL is http://127.0.0.1:<port>', async () => {
    for (const endpoint of [cloud.dynamodbEndpoint, cloud.sqsEndpoint, cloud.schedulerEndpoint]) {
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    for (const url of Object.values(cloud.queueUrls)) expect(url.startsWith(`${cloud.sqsEndpoint}/`)).toBe(true);
    // A client of another process would send to the queue URL's own host (the SDK's default): it answers.
    const res = await fetch(cloud.sqsEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { QueueUrls: string[] }).QueueUrls).toContain(cloud.queueUrls.alarmPush);
  });
});
