// The local API Gateway and SQS event source mapping read requests and answers by AWS's rules.
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/definitions.ts';
import { matchRoute, parseRoute, toHttpResponse } from '../../local/api-gateway/api-gateway.ts';
import { failedMessageIds } from '../../local/lambda/event-source-mapping.ts';

describe('route matching', () => {
  const routes = ROUTES.map(parseRoute);

  it('names every {param} segment of the matched route', () => {
    expect(matchRoute('POST', '/studies/s1/weeks/3/attendance', routes)).toEqual({
      routeKey: 'POST /studies/{studyId}/weeks/{week}/attendance',
      pathParameters: { studyId: 's1', week: '3' },
    });
  });

  it('prefers a literal segment over a {param} one, whatever the order of the routes', () => {
    const both = ['GET /things/{id}', 'GET /things/mine'].map(parseRoute);
    expect(matchRoute('GET', '/things/mine', both).routeKey).toBe('GET /things/mine');
    expect(matchRoute('GET', '/things/mine', [...both].reverse()).routeKey).toBe('GET /things/mine');
    expect(matchRoute('GET', '/things/other', both)).toEqual({
      routeKey: 'GET /things/{id}',
      pathParameters: { id: 'other' },
    });
  });

  it('falls back to $default for another verb, an empty segment or a trailing slash', () => {
    expect(matchRoute('PUT', '/alarms', routes)).toEqual({ routeKey: '$default' });
    expect(matchRoute('GET', '/alarms/', routes)).toEqual({ routeKey: '$default' });
    expect(matchRoute('GET', '/alarms/a/b', routes)).toEqual({ routeKey: '$default' });
  });
});

describe("reading the API function's answer", () => {
  it('takes a structured answer as it is, with cookies as separate Set-Cookie headers', () => {
    const response = toHttpResponse({
      statusCode: 201,
      headers: { Location: '/x', 'X-N': 2 },
      cookies: ['a=1'],
      body: '{}',
    });
    expect(response).toEqual({
      statusCode: 201,
      headers: [
        ['location', '/x'],
        ['x-n', '2'],
        ['set-cookie', 'a=1'],
      ],
      body: Buffer.from('{}'),
    });
  });

  it('takes anything without a statusCode as a 200 JSON body', () => {
    expect(toHttpResponse({ ok: true })).toEqual({
      statusCode: 200,
      headers: [['content-type', 'application/json']],
      body: Buffer.from('{"ok":true}'),
    });
    expect(toHttpResponse('hi')?.body.toString()).toBe('hi');
    expect(toHttpResponse(undefined)?.body.toString()).toBe('null');
  });

  it('refuses a malformed status, header or body (API Gateway answers 500)', () => {
    expect(toHttpResponse({ statusCode: 99 })).toBeUndefined();
    expect(toHttpResponse({ statusCode: 200, headers: { a: { nested: true } } })).toBeUndefined();
    expect(toHttpResponse({ statusCode: 200, body: { not: 'a string' } })).toBeUndefined();
  });
});

describe('reading a consumer’s batch answer (ReportBatchItemFailures)', () => {
  const batch = new Set(['m1', 'm2']);

  it('counts no answer, no list or an empty list as full success', () => {
    expect(failedMessageIds(undefined, batch)).toEqual(new Set());
    expect(failedMessageIds({}, batch)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: null }, batch)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [] }, batch)).toEqual(new Set());
  });

  it('keeps exactly the listed messages', () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, batch)).toEqual(new Set(['m2']));
  });

  it('fails the whole batch for an identifier that is empty or not in the batch', () => {
    expect(() => failedMessageIds({ batchItemFailures: [{ itemIdentifier: '' }] }, batch)).toThrow(
      /not a message of this batch/,
    );
    expect(() => failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'm9' }] }, batch)).toThrow(
      /not a message of this batch/,
    );
    expect(() => failedMessageIds({ batchItemFailures: [{}] }, batch)).toThrow();
  });
});
