/**
 * Hostile input gets a clear error and changes nothing: malformed, oversized and mistyped bodies,
 * path traversal, and SQL / LDAP / HTML injection in every search field. Also the headers every answer
 * carries (strict CSP, no caching, no framing).
 */
import type { MikroORM } from '@mikro-orm/core';
import { AuditEvent, LoginThrottle, Recording, UserSession } from '../../infra/db/entities';
import { DEMO_PASSWORD } from '../../infra/directory/development-directory';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { loggedIn, seedCalls, startTestApi, TestClient, type TestApi } from '../support/api';

const SEARCH_FIELDS = ['from', 'to', 'extension', 'department', 'otherParty', 'mode', 'cursor', 'limit'] as const;
const INJECTIONS = [
  "' OR 1=1 --",
  "1'; DROP TABLE recording; --",
  '%',
  '_',
  '*)(uid=*',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../etc/passwd',
];

for (const driver of availableDrivers()) {
  describe(`hostile input (${driver})`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let api: TestApi;
    let operator: TestClient;

    beforeAll(async () => {
      database = await createTestDatabase(driver);
      orm = database.orm;
      await seedCalls(orm);
      api = await startTestApi(orm);
      operator = await loggedIn(api.url, 'operator');
    });
    afterAll(async () => {
      await api?.close();
      await database?.dispose();
    });

    /** What an attack could have changed: rows, and audit entries other than refusals and searches. */
    const state = async () => {
      const em = orm.em.fork();
      return {
        recordings: await em.count(Recording),
        sessions: await em.count(UserSession),
        throttles: await em.count(LoginThrottle),
        changes: await em.count(AuditEvent, { action: { $nin: ['request.refused', 'recording.search'] } }),
      };
    };

    test.each(SEARCH_FIELDS)('every injection in the search field %s is refused with INVALID_INPUT or matches nothing', async (field) => {
      const before = await state();
      for (const attack of INJECTIONS) {
        const api = await operator.json<{ code?: string; message?: string; items?: unknown[] }>(
          'GET',
          `/api/recordings?${new URLSearchParams({ [field]: attack }).toString()}`,
        );
        if (api.status === 200) {
          // Only a value the field legitimately allows (a department code may hold "_") gets here, and
          // it is compared as-is, never as a pattern: it matches nothing.
          expect(api.body.items).toEqual([]);
          continue;
        }
        expect(api).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT' } });
        expect(api.body.message).toMatch(/입력값이 올바르지 않습니다/);
        const page = await operator.request('GET', `/recordings?${new URLSearchParams({ [field]: attack }).toString()}`);
        expect(page.status).toBe(400);
        const html = await page.text();
        expect(html).not.toContain('<script>alert');
        expect(html).not.toContain('<img src=x');
      }
      expect(await state()).toEqual(before);
    });

    test('an unknown search parameter or a repeated one is refused, not ignored', async () => {
      expect((await operator.json('GET', '/api/recordings?extensionx=1')).body).toMatchObject({ code: 'INVALID_INPUT' });
      expect((await operator.json('GET', '/api/recordings?extension=1&extension=2')).body).toMatchObject({ code: 'INVALID_INPUT' });
    });

    test('HTML typed into the login form comes back as text, never as markup', async () => {
      const client = new TestClient(api.url);
      const page = await client.request('GET', '/login');
      const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
      const response = await client.request('POST', '/login', {
        form: { _csrf: token, username: 'lee.operator', password: 'wrong', next: '"><script>alert(1)</script>' },
      });
      const html = await response.text();
      expect(response.status).toBe(401);
      expect(html).toContain('사용자 이름 또는 비밀번호가 올바르지 않습니다');
      expect(html).not.toContain('<script>alert');
    });

    test('login sends users only to local pages afterwards', async () => {
      for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
        const client = new TestClient(api.url);
        const page = await client.request('GET', '/login');
        const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
        const response = await client.request('POST', '/login', { form: { _csrf: token, username: 'choi.chief', password: DEMO_PASSWORD, next } });
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe('/');
      }
    });

    test('malformed, oversized, mistyped and non-object bodies', async () => {
      const client = new TestClient(api.url);
      client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
      const before = await state();
      const malformed = await client.json('POST', '/api/session', { body: '{"username": "choi.chief", ', headers: { 'content-type': 'application/json' } });
      expect(malformed).toMatchObject({ status: 400, body: { code: 'MALFORMED_BODY' } });
      const huge = await client.json('POST', '/api/session', { json: { username: 'choi.chief', password: 'x'.repeat(100_000) } });
      expect(huge).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });
      const text = await client.json('POST', '/api/session', { body: 'username=choi.chief', headers: { 'content-type': 'text/plain' } });
      expect(text).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
      const form = await client.json('POST', '/api/session', { form: { username: 'choi.chief', password: DEMO_PASSWORD } });
      expect(form).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
      const array = await client.json('POST', '/api/session', { json: [{ username: 'choi.chief' }] });
      expect(array).toMatchObject({ status: 400, body: { code: 'MALFORMED_BODY' } });
      const extra = await client.json('POST', '/api/session', { json: { username: 'choi.chief', password: DEMO_PASSWORD, roles: ['chief'] } });
      expect(extra).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT' } });
      const proto = await client.json('POST', '/api/session', {
        body: '{"__proto__": {"admin": true}, "username": "choi.chief"}',
        headers: { 'content-type': 'application/json' },
      });
      expect(proto.status).toBe(400);
      expect(await state()).toEqual(before);
    });

    test('path traversal reaches no file outside the fixed asset list', async () => {
      for (const path of [
        '/assets/..%2f..%2fpackage.json',
        '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
        '/assets/app.css%00.json',
        '/../package.json',
        '/assets/....//package.json',
        '/api/recordings/..%2f..%2fhealth',
      ]) {
        const response = await operator.request('GET', path);
        expect([400, 404]).toContain(response.status);
        expect(await response.text()).not.toContain('"dependencies"');
      }
      expect((await operator.request('GET', '/assets/app.css')).status).toBe(200);
    });

    test('a recording id that is not an id is refused before any query', async () => {
      for (const id of ["1' OR '1'='1", '*', '..']) {
        const response = await operator.json<{ code: string }>('GET', `/api/recordings/${encodeURIComponent(id)}`);
        // `..` is resolved away by the URL itself and lands on no route.
        expect(response.body.code).toBe(id === '..' ? 'NOT_FOUND' : 'INVALID_INPUT');
      }
    });

    test('every answer carries a strict CSP and no-store, and can not be framed', async () => {
      for (const path of ['/login', '/api/session', '/api/recordings', '/nowhere']) {
        const response = await operator.request('GET', path);
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-powered-by')).toBeNull();
        expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    test('an unknown address answers 404 in Korean: JSON for the API, a page for people', async () => {
      expect(await operator.json('GET', '/api/nowhere')).toMatchObject({
        status: 404,
        body: { code: 'NOT_FOUND', message: expect.stringMatching(/찾을 수 없습니다/) },
      });
      const page = await operator.request('GET', '/nowhere');
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('찾을 수 없음');
    });
  });
}
