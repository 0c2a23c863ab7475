/**
 * Every route of the system, API and UI, with who may call it. Each file of this folder declares one lifecycle's
 * routes; this concatenates them into the one list of route specs that the server mounts (api/routes.ts wires every
 * route through the same chain) and the OpenAPI document describes. Adding a route means adding it to one of these
 * files, with a grant from api/policy.ts; the route×role test walks this list and the express router, so a route
 * added anywhere else fails.
 */
import type { RouteSpec } from '../routes';
import { accessRoutes } from './access-rights';
import { dashboardRoutes } from './dashboard';
import type { RouteDeps } from './deps';
import { disclosureRoutes } from './disclosure';
import { disclosurePageRoutes } from './disclosure-pages';
import { fullRecordingRoutes } from './full-recording';
import { ledgerRoutes } from './ledger';
import { letterRoutes } from './letters';
import { loginLockRoutes } from './login-locks';
import { monitoringRoutes } from './monitoring';
import { noticeRoutes } from './notice';
import { ownRequestRoutes } from './own-requests';
import { processViewRoutes } from './process-views';
import { recordingRoutes } from './recordings';
import { siteRoutes } from './site';
import { timelineRoutes } from './timeline';
import { unregisteredRecordingRoutes } from './unregistered-recordings';

export type { RouteDeps, SiteFacts } from './deps';
export { frameFor } from './page';

export function createRoutes(deps: RouteDeps): RouteSpec[] {
  const routes: RouteSpec[] = [
    ...siteRoutes(deps, () => routes),
    ...dashboardRoutes(deps),
    ...recordingRoutes(deps),
    ...fullRecordingRoutes(deps),
    ...disclosureRoutes(deps),
    ...disclosurePageRoutes(deps),
    ...ownRequestRoutes(deps),
    ...letterRoutes(),
    ...ledgerRoutes(deps),
    ...accessRoutes(deps),
    ...loginLockRoutes(deps),
    ...noticeRoutes(deps),
    ...monitoringRoutes(deps),
    ...processViewRoutes(),
    ...timelineRoutes(deps),
    ...unregisteredRecordingRoutes(deps),
  ];
  return routes;
}
