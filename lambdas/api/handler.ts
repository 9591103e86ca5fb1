// The API function, the HTTP edge: API Gateway HTTP API (payload 2.0) in, JSON out. It composes every
// capability's routes and tells the HTTP kernel how account tokens are resolved.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { resolveAccountToken } from '../accounts/index.ts';
import { bearerAuthentication } from '../http/auth.ts';
import { createRouter } from '../http/router.ts';
import { logger } from '../shared/logger.ts';
import { withMetrics } from '../shared/metrics.ts';
import { routes } from './routes.ts';

const route = createRouter(routes, bearerAuthentication(resolveAccountToken));

export const handler = withMetrics(async (event: APIGatewayProxyEventV2, context?: Context) => {
  if (context) logger.addContext(context);
  // Request ids only: never headers, which carry bearer tokens.
  logger.appendKeys({ requestId: event.requestContext?.requestId, routeKey: event.routeKey });
  try {
    return await route(event, context);
  } finally {
    logger.removeKeys(['requestId', 'routeKey']);
  }
});
