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
let document: unknown;
export const routes: Route[] = [...opsRoutes(() => document), ...capabilityRoutes];
document = buildOpenApi(routes);
