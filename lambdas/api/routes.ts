// Every route of the API, gathered from the capabilities.
import { studyRoutes } from '../absence/routes.ts';
import { accountDeletionRoutes } from '../account-deletion/routes.ts';
import { accountRoutes } from '../accounts/routes.ts';
import { alarmRoutes } from '../alarms/routes.ts';
import { buildOpenApi } from '../http/openapi.ts';
import { opsRoutes } from '../http/ops-routes.ts';
import type { Route } from '../http/route.ts';
import { jobRoutes } from '../jobs/routes.ts';

const capabilityRoutes: Route[] = [
  ...accountRoutes,
  ...accountDeletionRoutes,
  ...alarmRoutes,
  ...jobRoutes,
  ...studyRoutes,
];
// Built on the first GET /openapi.json, not at cold start: turning every schema into JSON Schema is a
// good part of the API's import, and almost no request asks for the document.
let document: unknown;
export const routes: Route[] = [...opsRoutes(() => (document ??= buildOpenApi(routes))), ...capabilityRoutes];
