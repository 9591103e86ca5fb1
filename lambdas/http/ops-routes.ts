import * as z from 'zod';
import { defineRoute, type Route } from './route.ts';

/** Routes about the API itself; the OpenAPI route documents every route, itself included. */
export function opsRoutes(document: () => unknown): Route[] {
  return [
    defineRoute({
      key: 'GET /health',
      auth: 'none',
      summary: 'Liveness',
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
      handle: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      key: 'GET /openapi.json',
      auth: 'none',
      summary: 'This OpenAPI 3.1 document',
      responses: { 200: { description: 'The document' } },
      handle: async () => ({ status: 200, body: document() }),
    }),
  ];
}
