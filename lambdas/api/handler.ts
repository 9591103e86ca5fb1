// The API function: API Gateway HTTP API (payload 2.0) in, JSON out.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../shared/logger.ts';
import { withMetrics } from '../shared/metrics.ts';
import { createRouter } from './router.ts';
import { routes } from './routes.ts';

const route = createRouter(routes);

export const handler = withMetrics(async (event: APIGatewayProxyEventV2, context?: Context) => {
  if (context) logger.addContext(context);
  // Request ids only: never headers, which carry bearer tokens.
  logger.appendKeys({ requestId: event.requestContext?.requestId, routeKey: event.routeKey });
  try {
    return await route(event);
  } finally {
    logger.removeKeys(['requestId', 'routeKey']);
  }
});
