// Builds API Gateway HTTP API (payload 2.0) events for calling the API handler directly.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly token?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly sourceIp?: string;
}

export function apiEvent(spec: RequestSpec): APIGatewayProxyEventV2 {
  const rawBody = spec.rawBody ?? (spec.body === undefined ? undefined : JSON.stringify(spec.body));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...spec.headers };
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  const rawQueryString = new URLSearchParams(spec.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: spec.path,
    rawQueryString,
    headers,
    ...(spec.query ? { queryStringParameters: spec.query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'unit',
      domainName: 'unit.local',
      domainPrefix: 'unit',
      http: {
        method: spec.method,
        path: spec.path,
        protocol: 'HTTP/1.1',
        sourceIp: spec.sourceIp ?? '203.0.113.7',
        userAgent: 'vitest',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '22/Nov/2026:10:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(rawBody === undefined ? {} : { body: rawBody }),
    isBase64Encoded: false,
  };
}
