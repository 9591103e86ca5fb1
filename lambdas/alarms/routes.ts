// Placeholder until the capability lands: every route answers 501.
import type { RouteKey } from '../../lib/definitions.ts';
import { defineRoute, type Route } from '../api/route.ts';
import { AppError } from '../shared/errors.ts';

class NotImplementedError extends AppError {
  readonly status = 501;
  readonly code = 'NOT_IMPLEMENTED';
}

const keys: RouteKey[] = ['POST /alarms', 'GET /alarms', 'GET /alarms/{alarmId}', 'PATCH /alarms/{alarmId}', 'DELETE /alarms/{alarmId}'];

export const alarmRoutes: Route[] = keys.map((key) =>
  defineRoute({
    key,
    auth: 'account',
    summary: 'Not implemented yet',
    responses: {},
    handle: async () => {
      throw new NotImplementedError('Not implemented yet');
    },
  }),
);
