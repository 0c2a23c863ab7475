/**
 * Every route × every role (and no login): only the roles the rules allow get through. The expected
 * table is written out here, independently of the route declarations, so a new route that is not
 * added here — or a declaration that widens access — fails this suite.
 */
import type { MikroORM } from '@mikro-orm/core';
import { type RoleId } from '../../domain/roles';
import { ROLES } from '../../api/access';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { auditOf, loggedIn, SAMPLE_FILES, seedCalls, startTestApi, TestClient, type SeededCalls, type TestApi } from '../support/api';

type Who = RoleId | 'anonymous';
const EVERYONE: readonly Who[] = [...ROLES, 'anonymous'];
const LOGGED_IN: readonly Who[] = ROLES;
const RECORDING_READERS: readonly Who[] = ['chief', 'deputy', 'operator', 'staff', 'dept_head'];
/** For one call: the managing department, and the official who was a party to it (jung.staff). */
const PARTY_OR_MANAGING: readonly Who[] = ['chief', 'deputy', 'operator', 'staff'];
const HOLDER_READERS: readonly Who[] = ['chief', 'deputy', 'operator', 'auditor'];
/** The party's own export (R5): only the official on the call, whatever their role — not the managing department. */
const PARTY_ONLY: readonly Who[] = ['staff'];
/** Holds outside the disclosure lifecycle (issue 6). */
const CHIEF_ONLY: readonly Who[] = ['chief'];
/** Full-recording applications (Art. 6): the managing department and auditors read all, a department head their own. */
const APPLICATION_READERS: readonly Who[] = ['chief', 'deputy', 'operator', 'auditor', 'dept_head'];
const DEPARTMENT_HEAD: readonly Who[] = ['dept_head'];
const MANAGING: readonly Who[] = ['chief', 'deputy', 'operator'];
const OPERATOR: readonly Who[] = ['operator'];

const EXPECTED: Record<string, readonly Who[]> = {
  'GET /health': EVERYONE,
  'GET /ready': EVERYONE,
  // Not by role but by caller: this host, or the METRICS_TOKEN_FILE token (test/api/monitoring.test.ts); the suite calls from 127.0.0.1.
  'GET /metrics': EVERYONE,
  'GET /api/openapi.json': EVERYONE,
  'GET /api/session': EVERYONE,
  'POST /api/session': EVERYONE,
  'DELETE /api/session': LOGGED_IN,
  'GET /api/recordings': RECORDING_READERS,
  'GET /api/recordings/:id': PARTY_OR_MANAGING,
  'POST /api/recordings/:id/export': PARTY_ONLY,
  'POST /api/recordings/:id/holds': CHIEF_ONLY,
  'POST /api/recordings/:id/holds/:holdId/release': CHIEF_ONLY,
  'POST /api/recordings/:id/holds/:holdId/extend': CHIEF_ONLY,
  // A hold's requesting document: the managing department and the auditors who review holds.
  'GET /api/recordings/:id/holds/:holdId/document': HOLDER_READERS,
  'GET /api/access-holders': HOLDER_READERS,
  // Art. 7: calls recorded without notice evidence, for the managing department and auditors.
  'GET /api/compliance-exceptions': HOLDER_READERS,
  // Issue 19: calls the appliance keeps but could not register, for the managing department.
  'GET /api/unregistered-recordings': MANAGING,
  'GET /unregistered-recordings': MANAGING,
  // A case's timeline (audit log and workflow history), for the managing department and auditors.
  'GET /api/cases/:caseType/:id/timeline': HOLDER_READERS,
  'GET /cases/:caseType/:id/timeline': HOLDER_READERS,
  'GET /cases/:caseType/:id/timeline.xlsx': HOLDER_READERS,
  // The monthly access review: the managing department and auditors read it, the chief signs it off.
  'GET /api/access-reviews': HOLDER_READERS,
  'GET /api/access-reviews/:id': HOLDER_READERS,
  'GET /api/access-reviews/:id/report': HOLDER_READERS,
  'POST /api/access-reviews/:id/sign-off': CHIEF_ONLY,
  'GET /access-reviews': HOLDER_READERS,
  'GET /access-reviews/:id': HOLDER_READERS,
  'POST /access-reviews/:id/sign-off': CHIEF_ONLY,
  // Login locks: only the chief lists them and lifts one.
  'GET /api/login-locks': CHIEF_ONLY,
  'POST /api/login-locks/:username/unlock': CHIEF_ONLY,
  'GET /login-locks': CHIEF_ONLY,
  'POST /login-locks/:username/unlock': CHIEF_ONLY,
  'GET /api/extensions': APPLICATION_READERS,
  'POST /api/full-recording-applications': DEPARTMENT_HEAD,
  'GET /api/full-recording-applications': APPLICATION_READERS,
  'GET /api/full-recording-applications/:id': APPLICATION_READERS,
  'POST /api/full-recording-applications/:id/sign-off': MANAGING,
  'POST /api/full-recording-applications/:id/revoke': ['chief', 'dept_head'],
  'POST /api/full-recording-applications/:id/renew': DEPARTMENT_HEAD,
  'POST /api/full-recording-applications/:id/evidence': DEPARTMENT_HEAD,
  'GET /api/full-recording-applications/:id/evidence/:attachmentId': APPLICATION_READERS,
  // Art. 9: the managing department works the cases; auditors read them, never their files.
  'POST /api/disclosure-requests': OPERATOR,
  // A party official files their own: the example is jung.staff's extension, which is not the department head's.
  'POST /api/my/disclosure-requests': PARTY_ONLY,
  'GET /api/my/disclosure-requests': ['staff', 'dept_head'],
  // Letters to recipients without e-mail, printed and posted by the operator.
  'GET /api/letters-to-post': OPERATOR,
  'POST /api/letters-to-post/:id/posted': OPERATOR,
  'GET /api/disclosure-requests': HOLDER_READERS,
  'GET /api/disclosure-requests/:id': HOLDER_READERS,
  'GET /api/disclosure-requests/:id/matches': MANAGING,
  'POST /api/disclosure-requests/:id/recordings': OPERATOR,
  'POST /api/disclosure-requests/:id/submit': OPERATOR,
  'POST /api/disclosure-requests/:id/sign-off': MANAGING,
  'POST /api/disclosure-requests/:id/withdraw': ['operator', 'chief'],
  'POST /api/disclosure-requests/:id/attachments': OPERATOR,
  'GET /api/disclosure-requests/:id/attachments/:attachmentId': MANAGING,
  'GET /api/disclosure-requests/:id/documents/:documentId': MANAGING,
  'POST /api/disclosure-requests/:id/handover': OPERATOR,
  'POST /api/disclosure-requests/:id/package': OPERATOR,
  'GET /api/disclosure-requests/:id/package': MANAGING,
  'POST /api/disclosure-requests/:id/destruction-report': OPERATOR,
  'GET /api/disclosure-requests/:id/recordings/:recordingId/audio': MANAGING,
  // Recipients check a package against the published key without an account.
  'GET /api/disclosure-packages/public-key': EVERYONE,
  'POST /api/disclosure-packages/verify': HOLDER_READERS,
  // Form 4: the records officer's export, and the managing department's and auditors'.
  'GET /api/ledger': [...HOLDER_READERS, 'records'],
  'GET /assets/:name': EVERYONE,
  // The process diagrams: the rules drawn, nothing of a case; the viewer is a published library.
  'GET /api/process-models/:lifecycle': [...HOLDER_READERS, 'dept_head'],
  'GET /vendor/bpmn-js/:version/:name': EVERYONE,
  'GET /login': EVERYONE,
  'POST /login': EVERYONE,
  'POST /logout': LOGGED_IN,
  'GET /': LOGGED_IN,
  'POST /letters/:id/posted': OPERATOR,
  'GET /recordings': RECORDING_READERS,
  'GET /recordings/:id': PARTY_OR_MANAGING,
  'POST /recordings/:id/export': PARTY_ONLY,
  'POST /recordings/:id/holds': CHIEF_ONLY,
  'POST /recordings/:id/holds/:holdId/release': CHIEF_ONLY,
  'GET /access-holders': HOLDER_READERS,
  // The announcement the managing department hands to the PBX.
  'GET /notice': MANAGING,
  'GET /notice/announcement.wav': MANAGING,
  'GET /full-recording': APPLICATION_READERS,
  'GET /full-recording/new': DEPARTMENT_HEAD,
  'POST /full-recording': DEPARTMENT_HEAD,
  'POST /full-recording/preview': DEPARTMENT_HEAD,
  'GET /full-recording/:id': APPLICATION_READERS,
  'GET /full-recording/:id/document': APPLICATION_READERS,
  'POST /full-recording/:id/sign-off': MANAGING,
  'POST /full-recording/:id/revoke': ['chief', 'dept_head'],
  'POST /full-recording/:id/renew': DEPARTMENT_HEAD,
  'POST /full-recording/:id/evidence': DEPARTMENT_HEAD,
  // Art. 9 in the UI: as the matching API routes; auditors read the cases and take no step.
  'GET /disclosure': HOLDER_READERS,
  'GET /disclosure/new': OPERATOR,
  'GET /my/disclosure': ['staff', 'dept_head'],
  'POST /my/disclosure': PARTY_ONLY,
  'POST /disclosure': OPERATOR,
  'GET /disclosure/:id': HOLDER_READERS,
  'POST /disclosure/:id/recordings': OPERATOR,
  'POST /disclosure/:id/submit': OPERATOR,
  'POST /disclosure/:id/sign-off': MANAGING,
  'POST /disclosure/:id/withdraw': ['operator', 'chief'],
  'POST /disclosure/:id/attachments': OPERATOR,
  'POST /disclosure/:id/handover': OPERATOR,
  'POST /disclosure/:id/package': OPERATOR,
  'POST /disclosure/:id/destruction-report': OPERATOR,
};

const REFUSAL_CODES = ['AUTHENTICATION_REQUIRED', 'FORBIDDEN', 'NOT_PARTY', 'NOT_OWN_DEPARTMENT'];

for (const driver of availableDrivers()) {
  describe(`route × role (${driver})`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let api: TestApi;
    let calls: SeededCalls;

    beforeAll(async () => {
      database = await createTestDatabase(driver);
      orm = database.orm;
      calls = await seedCalls(orm);
      api = await startTestApi(orm);
    });
    afterAll(async () => {
      await api?.close();
      await database?.dispose();
    });

    test('every mounted route is declared, and every declared route is in the expected table', () => {
      const declared = api.server.routes.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort();
      expect(declared).toEqual(Object.keys(EXPECTED).sort());
      // Routes registered on express directly, outside the table, would escape the access checks.
      const stack = (api.server.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
      const mounted = stack
        .filter((layer) => layer.route)
        .flatMap((layer) => Object.keys(layer.route!.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`))
        .sort();
      expect(mounted).toEqual(declared);
    });

    test('each role reaches exactly the routes the rules give it', async () => {
      const mismatches: string[] = [];
      for (const route of api.server.routes) {
        const key = `${route.method.toUpperCase()} ${route.path}`;
        for (const who of EVERYONE) {
          const client = who === 'anonymous' ? new TestClient(api.url) : await loggedIn(api.url, who);
          if (who === 'anonymous' && route.method !== 'get') {
            client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
          }
          const params: Record<string, string> = { id: calls.staffCall.id, ...route.example?.params };
          const path = route.path.replace(/:([a-z]+)/g, (_match, name: string) => params[name] as string);
          const query = route.example?.query ? `?${new URLSearchParams(route.example.query).toString()}` : '';
          const body = route.example?.body;
          const response = await client.request(
            route.method.toUpperCase(),
            path + query,
            route.upload
              ? {
                  multipart: {
                    fields: body as Record<string, string | string[]> | undefined,
                    files: [{ field: route.upload.field, name: 'evidence.pdf', type: 'application/pdf', content: SAMPLE_FILES.pdf }],
                  },
                }
              : route.kind === 'api'
                ? { json: body }
                : { form: body as Record<string, string> | undefined },
          );
          const text = await response.text();
          const refused =
            (response.status === 303 && (response.headers.get('location') ?? '').startsWith('/login?next=')) ||
            ([401, 403].includes(response.status) && REFUSAL_CODES.some((code) => text.includes(code)));
          const allowed = EXPECTED[key]?.includes(who) ?? false;
          if (refused === allowed) mismatches.push(`${key} as ${who}: ${response.status} ${text.slice(0, 120)}`);
        }
      }
      expect(mismatches).toEqual([]);
    });

    test("a party sees their own call and is refused another official's, and the refusal is audited", async () => {
      const head = await loggedIn(api.url, 'dept_head');
      expect((await head.json('GET', `/api/recordings/${calls.headCall.id}`)).status).toBe(200);
      const refused = await head.json('GET', `/api/recordings/${calls.staffCall.id}`);
      expect(refused).toMatchObject({ status: 403, body: { code: 'NOT_PARTY' } });
      expect(refused.body.message).toMatch(/당사자/);

      const audit = await auditOf(orm, refused.body.requestId as string);
      expect(audit).toMatchObject({
        actor: 'kim.head',
        role: 'dept_head',
        sourceAddress: expect.stringMatching(/127\.0\.0\.1/),
        targetType: 'route',
        targetId: `GET /api/recordings/${calls.staffCall.id}`,
        reason: expect.stringContaining('NOT_PARTY'),
      });
    });

    test('a refused role is audited with who, role, address, target and reason', async () => {
      const records = await loggedIn(api.url, 'records');
      const refused = await records.json('GET', '/api/recordings');
      expect(refused.body).toMatchObject({ code: 'FORBIDDEN' });
      expect(await auditOf(orm, refused.body.requestId as string)).toMatchObject({
        actor: 'yoon.records',
        action: 'request.refused',
        role: 'records',
        targetId: 'GET /api/recordings',
        reason: expect.stringContaining('FORBIDDEN'),
      });
    });
  });
}
