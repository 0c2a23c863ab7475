/**
 * Recording search as its users meet it: the managing department finds any call by date, extension,
 * department, part of the other party's number and mode; an official finds only their own calls;
 * every search is an audit entry naming what was shown. On SQLite and PostgreSQL.
 */
import type { MikroORM } from '@mikro-orm/core';
import { AuditEvent, Recording } from '../../infra/db/entities';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { loggedIn, seedCalls, startTestApi, type SeededCalls, type TestApi, type TestClient } from '../support/api';

interface Page {
  items: { id: string; extension: string; otherPartyNumber: string | null; deletedAt: string | null; department: { code: string } }[];
  nextCursor: string | null;
  scope: string;
  from: string;
  to: string;
}

for (const driver of availableDrivers()) {
  describe(`recording search (${driver})`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let api: TestApi;
    let calls: SeededCalls;
    let operator: TestClient;

    beforeAll(async () => {
      database = await createTestDatabase(driver);
      orm = database.orm;
      calls = await seedCalls(orm);
      api = await startTestApi(orm);
      operator = await loggedIn(api.url, 'operator');
    });
    afterAll(async () => {
      await api?.close();
      await database?.dispose();
    });

    const ids = (page: Page) => page.items.map((item) => item.id).sort();
    const search = async (client: TestClient, query: Record<string, string> = {}) => {
      const result = await client.json<Page>('GET', `/api/recordings?${new URLSearchParams(query).toString()}`);
      expect(result.status).toBe(200);
      return result.body;
    };

    test('the managing department sees every call of the storage period, newest first, deleted ones as tombstones', async () => {
      const page = await search(operator);
      expect(page.scope).toBe('everything');
      expect(page.items.map((item) => item.id)).toEqual([calls.staffCall.id, calls.headCall.id, calls.itCall.id, calls.deletedCall.id]);
      const tombstone = page.items[3];
      expect(tombstone).toMatchObject({ otherPartyNumber: null, deletedAt: expect.any(String) });
      expect(JSON.stringify(page)).not.toMatch(/wrappedKey|storageKey|audio/i);
    });

    test('filters: extension, department, part of the number with or without hyphens, mode', async () => {
      expect(ids(await search(operator, { extension: '02-2680-1200' }))).toEqual([calls.headCall.id]);
      expect(ids(await search(operator, { department: 'welfare' }))).toEqual([calls.staffCall.id, calls.headCall.id, calls.deletedCall.id].sort());
      expect(ids(await search(operator, { otherParty: '5555-12' }))).toEqual([calls.staffCall.id]);
      expect(ids(await search(operator, { otherParty: '555512' }))).toEqual([calls.staffCall.id]);
      expect(ids(await search(operator, { mode: 'full' }))).toEqual([calls.headCall.id]);
      expect(ids(await search(operator, { department: 'it', mode: 'full' }))).toEqual([]);
    });

    test('a date range covers whole days in Seoul time: 23:59 and 00:01 fall on their own days', async () => {
      const em = orm.em.fork();
      const extension = await em.findOneOrFail('Extension', { number: '02-2680-2114' });
      const late = new Recording(
        'call-2359',
        extension as never,
        new Date('2026-11-20T14:59:00Z'),
        'outbound',
        'selective',
        'PCMA',
        new Date('2026-12-21T15:00:00Z'),
      );
      const early = new Recording(
        'call-0001',
        extension as never,
        new Date('2026-11-20T15:01:00Z'),
        'outbound',
        'selective',
        'PCMA',
        new Date('2026-12-22T15:00:00Z'),
      );
      em.persist([late, early]);
      await em.flush();
      expect(ids(await search(operator, { from: '2026-11-20', to: '2026-11-20' }))).toEqual([late.id]);
      expect(ids(await search(operator, { from: '2026-11-21', to: '2026-11-21' }))).toEqual([early.id]);
    });

    test('paging by cursor walks every result once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await search(operator, { limit: '1', ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual((await search(operator)).items.map((item) => item.id));
      expect(new Set(seen).size).toBe(seen.length);
    });

    test('an official sees only calls on their own extension, whatever they filter by', async () => {
      const staff = await loggedIn(api.url, 'staff');
      const own = await search(staff);
      expect(own.scope).toBe('ownCalls');
      expect(ids(own)).toEqual([calls.staffCall.id, calls.deletedCall.id].sort());
      expect(ids(await search(staff, { extension: '02-2680-1200' }))).toEqual([]);
      expect(ids(await search(staff, { department: 'it' }))).toEqual([]);
      const head = await loggedIn(api.url, 'dept_head');
      expect(ids(await search(head, { department: 'welfare' }))).toEqual([calls.headCall.id]);
    });

    test('each search is audited with the user, role, address, the query and the ids shown', async () => {
      const staff = await loggedIn(api.url, 'staff');
      const response = await staff.request('GET', '/api/recordings?otherParty=1234');
      const page = (await response.json()) as Page;
      const requestId = response.headers.get('x-request-id') as string;
      const [event] = await orm.em.fork().find(AuditEvent, { detail: { $like: `%${requestId}%` } });
      expect(event).toMatchObject({ actor: 'jung.staff', role: 'staff', action: 'recording.search', sourceAddress: expect.stringMatching(/127\.0\.0\.1/) });
      const detail = JSON.parse((event as AuditEvent).detail) as { query: Record<string, unknown>; resultIds: string[]; scope: string };
      expect(detail).toMatchObject({ query: { otherParty: '1234' }, scope: 'ownCalls', resultIds: page.items.map((item) => item.id) });
    });

    test('a single call: the managing department and its party may read it; reading is audited', async () => {
      const staff = await loggedIn(api.url, 'staff');
      const response = await staff.request('GET', `/api/recordings/${calls.staffCall.id}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: calls.staffCall.id, extension: '02-2680-1234', otherPartyNumber: '010-5555-1234' });
      const requestId = response.headers.get('x-request-id') as string;
      expect(await orm.em.fork().count(AuditEvent, { action: 'recording.read', targetId: calls.staffCall.id, detail: { $like: `%${requestId}%` } })).toBe(1);
      const missing = await operator.json('GET', '/api/recordings/00000000-0000-4000-8000-000000000000');
      expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    });

    test('bad ranges get a clear Korean answer', async () => {
      const reversed = await operator.json('GET', '/api/recordings?from=2026-11-20&to=2026-11-01');
      expect(reversed).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT' } });
      expect(reversed.body.message).toMatch(/시작일이 종료일보다 늦습니다/);
      const long = await operator.json('GET', '/api/recordings?from=2024-01-01&to=2026-11-01');
      expect(long.body.message).toMatch(/366일/);
      const impossible = await operator.json('GET', '/api/recordings?from=2026-02-30');
      expect(impossible.body.message).toMatch(/없는 날짜/);
    });
  });
}
