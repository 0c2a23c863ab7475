/** The dashboard: one page with a card of each lifecycle the user may see. */
import { decide, type Principal } from '../access';
import { readDisclosureOverview } from '../disclosure-overview';
import { readFullRecordingOverview } from '../full-recording-steps';
import { checkHealth } from '../health';
import { readInAppNotifications, readLettersToPost } from '../notifications';
import { anyRole, APPLICATION_READERS, COMPLIANCE_READERS, DISCLOSURE_HANDLERS, DISCLOSURE_OPERATOR, HEALTH_READERS, MANAGING_DEPARTMENT } from '../policy';
import { readRetentionOverview } from '../retention-overview';
import { defineRoute, type RouteSpec } from '../routes';
import { disclosureCard } from '../ui/disclosure-pages';
import { fullRecordingCard } from '../ui/full-recording-pages';
import { complianceCard } from '../ui/notice-pages';
import { dashboardPage, lettersCard } from '../ui/pages';
import type { RouteDeps } from './deps';
import { disclosureDepsOf } from './disclosure';
import { fullRecordingDepsOf } from './full-recording';
import { readCompliance } from './notice';
import { framer, sendPage } from './page';

export function dashboardRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const fullRecordingDeps = fullRecordingDepsOf(deps);
  const disclosureDeps = disclosureDepsOf(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/',
      kind: 'page',
      access: anyRole,
      summary: '대시보드',
      async handle({ res, principal, em, audit }) {
        const user = principal as Principal;
        const operations = user.roles.some((role) => HEALTH_READERS.includes(role));
        const health = operations ? await checkHealth(deps.health) : undefined;
        const retention = operations ? await readRetentionOverview(em) : undefined;
        const applications = decide(APPLICATION_READERS, user);
        const fullRecording = applications.allowed
          ? fullRecordingCard(
              await readFullRecordingOverview(fullRecordingDeps, em, user, applications.scope === 'everything' ? 'everything' : 'ownDepartment'),
              deps.timeZone,
            )
          : undefined;
        const compliance = decide(COMPLIANCE_READERS, user).allowed
          ? complianceCard(await readCompliance({ em, audit }, { days: deps.searchRangeDays }), deps.timeZone, decide(MANAGING_DEPARTMENT, user).allowed)
          : undefined;
        const disclosure = decide(DISCLOSURE_HANDLERS, user).allowed ? disclosureCard(await readDisclosureOverview(disclosureDeps, em, user)) : undefined;
        const notifications = await readInAppNotifications(em, user);
        const letters = decide(DISCLOSURE_OPERATOR, user).allowed ? lettersCard(await readLettersToPost(em), frame(res, '/'), deps.timeZone) : undefined;
        sendPage(
          res,
          dashboardPage(frame(res, '/'), user.roles, health, deps.timeZone, { notifications, letters, retention, fullRecording, disclosure, compliance }),
        );
      },
    }),
  ];
}
