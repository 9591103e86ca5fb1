// The OpenAPI 3.1 document, generated from the same route definitions and schemas that validate requests.
import * as z from 'zod';
import { documentIdempotency } from './idempotency.ts';
import type { Route } from './route.ts';

const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('UPPER_SNAKE error code'),
    message: z.string(),
    details: z.array(z.object({ in: z.string(), field: z.string(), message: z.string() })),
  }),
});

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

function parameters(route: Route): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const shape = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(shape.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (shape.required ?? []).includes(name), schema: s });
    }
  }
  return out;
}

export function buildOpenApi(routes: readonly Route[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const [method = '', path = ''] = route.key.split(' ');
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(route.responses)) {
      responses[status] = doc.schema
        ? {
            description: doc.description,
            content: { 'application/json': { schema: jsonSchema(doc.schema, 'output') } },
          }
        : { description: doc.description };
    }
    const errors: Record<string, string> = { '400': 'Invalid input; details name each bad field' };
    if (route.auth !== 'none') {
      errors['401'] = 'Missing or invalid bearer token';
      errors['403'] = 'Not allowed';
    }
    const errorContent = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    for (const [status, description] of Object.entries(errors)) {
      responses[status] ??= { description, ...errorContent };
    }
    const operationParameters = parameters(route);
    if (route.idempotent) {
      documentIdempotency(
        {
          parameters: operationParameters,
          responses: responses as Parameters<typeof documentIdempotency>[0]['responses'],
        },
        errorContent,
      );
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = {
      summary: route.summary,
      operationId: `${method.toLowerCase()}${path
        .replace(/[{}]/g, '')
        .replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase())
        .replace(/[^A-Za-z0-9]/g, '')}`,
      ...(route.auth === 'none' ? { security: [] } : {}),
      parameters: operationParameters,
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Scheduling backend',
      version: '1.0.0',
      description: 'Demo accounts that expire, push alarms at a chosen time, and a nightly absence batch.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
