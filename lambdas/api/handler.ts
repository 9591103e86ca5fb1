// The API function: API Gateway HTTP API (payload 2.0) in, JSON out.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createRouter } from './router.ts';
import { routes } from './routes.ts';

const route = createRouter(routes);

export const handler = (event: APIGatewayProxyEventV2) => route(event);
