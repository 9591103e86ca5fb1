// The HTTP API: every route, and unknown ones too, goes to the one API function, which answers with its own
// 404/405 error bodies; throttling and access logs on its only stage.
import { RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { API_THROTTLE, ROUTES } from './definitions.ts';
import { type HouseFunction, LOG_RETENTION } from './house-function.ts';

/** Stage throttling of the HTTP API (requests per second, steady and burst); defaults in API_THROTTLE. */
export const API_RATE_LIMIT_CONTEXT = 'apiThrottleRateLimit';
export const API_BURST_LIMIT_CONTEXT = 'apiThrottleBurstLimit';

function positiveIntegerContext(scope: Construct, name: string, fallback: number): number {
  const raw: unknown = scope.node.tryGetContext(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`Context ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** The stage throttling, from context (`cdk deploy -c apiThrottleRateLimit=500`), today's values by default. */
export function apiThrottle(scope: Construct): { rateLimit: number; burstLimit: number } {
  return {
    rateLimit: positiveIntegerContext(scope, API_RATE_LIMIT_CONTEXT, API_THROTTLE.rateLimit),
    burstLimit: positiveIntegerContext(scope, API_BURST_LIMIT_CONTEXT, API_THROTTLE.burstLimit),
  };
}

export function makeHttpApi(scope: Stack, apiFunction: HouseFunction): { api: HttpApi; stage: HttpStage } {
  const integration = new HttpLambdaIntegration('ApiIntegration', apiFunction, {
    // Every route goes to the same function: one invoke permission for the API instead of one per route.
    scopePermissionToRoute: false,
  });
  // Unknown paths and verbs reach the function too, which answers with its own 404/405 error body.
  const api = new HttpApi(scope, 'HttpApi', { defaultIntegration: integration, createDefaultStage: false });
  const accessLogs = new LogGroup(scope, 'HttpApiAccessLogs', {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stage = api.addStage('DefaultStage', {
    autoDeploy: true,
    throttle: apiThrottle(scope),
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogs),
      // HTTP API context variables only (the REST API's standard fields include ones HTTP APIs lack), and
      // nothing from headers, so bearer tokens never reach the logs.
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          path: '$context.path',
          status: '$context.status',
          protocol: '$context.protocol',
          responseLength: '$context.responseLength',
          latencyMs: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      ),
    },
  });
  const authReason =
    'The API function authenticates every request itself (account or admin bearer token, stored as hashes); routes such as POST /demo-accounts and GET /health are public by design.';
  for (const route of ROUTES) {
    const [method, path] = route.split(' ');
    const httpMethod = Object.values(HttpMethod).find((m) => m === method);
    if (!httpMethod || !path) throw new Error(`Route "${route}" is not "<METHOD> <path>"`);
    for (const httpRoute of api.addRoutes({ path, methods: [httpMethod], integration })) {
      Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: authReason });
    }
  }
  const defaultRoute = api.node.tryFindChild('DefaultRoute');
  if (defaultRoute) Validations.of(defaultRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: authReason });
  return { api, stage };
}
