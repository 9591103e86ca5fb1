import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_THROTTLE, ROUTES } from '../../lib/definitions.ts';
import { API_BURST_LIMIT_CONTEXT, API_RATE_LIMIT_CONTEXT, type SchedulingStack } from '../../lib/scheduling-stack.ts';
import { arnOf, logicalId, refOf, resourcesOf, synthesize, TEST_ENV } from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;

beforeAll(() => {
  ({ template, stack } = synthesize({ bundle: false }));
});

const routes = () => Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
const integrations = () => resourcesOf(template, 'AWS::ApiGatewayV2::Integration');

/** The function ARN behind a route's `integrations/<id>` target. */
const functionBehind = (target: unknown): unknown => {
  const [, parts] = (target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'];
  return integrations()[parts[1].Ref]?.Properties.IntegrationUri;
};

describe('the HTTP API', () => {
  it('should be one HTTP API with one stage', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  it.each(ROUTES)('should route %s to the API function', (route) => {
    const found = routes().filter((r) => r.RouteKey === route);
    expect(found).toHaveLength(1);
    expect(found[0]?.ApiId).toEqual(refOf(logicalId(stack.api)));
    expect(functionBehind(found[0]?.Target)).toEqual(arnOf(logicalId(stack.functions.api)));
  });

  it('should send unknown paths and verbs to the API function through $default, so it answers 404/405 itself', () => {
    const found = routes().filter((r) => r.RouteKey === '$default');
    expect(found).toHaveLength(1);
    expect(functionBehind(found[0]?.Target)).toEqual(arnOf(logicalId(stack.functions.api)));
    expect(routes()).toHaveLength(ROUTES.length + 1);
  });

  it('should pass requests to the function in payload format 2.0', () => {
    for (const integration of Object.values(integrations())) {
      expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
  });

  it('should take the stage throttling from context when given', () => {
    const { template: tuned } = synthesize({
      bundle: false,
      context: { [API_RATE_LIMIT_CONTEXT]: 500, [API_BURST_LIMIT_CONTEXT]: '1000' },
    });
    tuned.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });

  it('should refuse a stage throttling context that is not a positive whole number', () => {
    expect(() => synthesize({ bundle: false, context: { [API_RATE_LIMIT_CONTEXT]: 'fast' } })).toThrow(
      /apiThrottleRateLimit must be a positive integer/,
    );
  });

  it('should throttle the default stage as API_THROTTLE says and deploy changes automatically', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: API_THROTTLE.burstLimit,
      },
    });
  });

  it('should write access logs without any request header, so bearer tokens never reach them', () => {
    const [stage] = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual(expect.objectContaining({ 'Fn::GetAtt': [expect.any(String), 'Arn'] }));
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(settings.Format).not.toMatch(/header|authorization/i);
  });

  it('should let API Gateway invoke the API function from this API only', () => {
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).map((p) => p.Properties);
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(logicalId(stack.functions.api)),
        Principal: 'apigateway.amazonaws.com',
        SourceArn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:execute-api:${TEST_ENV.region}:${TEST_ENV.account}:`,
              refOf(logicalId(stack.api)),
              '/*/*/*',
            ],
          ],
        },
      },
    ]);
  });
});
