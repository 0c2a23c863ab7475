/**
 * Holds (보존 중지) through the API, on SQLite and PostgreSQL: only the chief sets and releases them, always with a
 * reason, each audited in the same transaction; they show on the recording; a deleted recording cannot be held; the
 * release of the last hold of a recording past due hands it back to retention; the dashboard shows retention's state.
 */
import type { MikroORM } from '@mikro-orm/core';
import { AuditEvent, Recording, RecordingHold } from '../../infra/db/entities';
import { appendAuditEvent } from '../../infra/audit/audit-log';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { loggedIn, seedCalls, startTestApi, type SeededCalls, type TestApi } from '../support/api';

describe.each(availableDrivers())('holds on %s', (driver) => {
  let database: TestDatabase;
  let orm: MikroORM;
  let calls: SeededCalls;
  let api: TestApi;
  const handedBack: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    orm = database.orm;
    calls = await seedCalls(orm);
    api = await startTestApi(orm, { afterHoldReleased: async (recording) => void handedBack.push(recording.id) });
  });
  afterAll(async () => {
    await api?.close();
    await database?.dispose();
  });

  const auditOf = (action: string, targetId: string) => orm.em.fork().find(AuditEvent, { action, targetId });

  test('the chief sets a hold with a reason: audited, and shown on the recording', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const set = await chief.json('POST', `/api/recordings/${calls.staffCall.id}/holds`, { json: { reason: '열람 신청 검토 중' } });
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ reason: '열람 신청 검토 중', setBy: 'choi.chief', disclosureRequestId: null });
    const [event] = await auditOf('recording.hold_set', calls.staffCall.id);
    expect(event).toMatchObject({ actor: 'choi.chief', role: 'chief', reason: '열람 신청 검토 중' });
    const { body } = await chief.json('GET', `/api/recordings/${calls.staffCall.id}`);
    expect(body).toMatchObject({ holds: [{ id: set.body.id, reason: '열람 신청 검토 중' }] });
    const page = await (await chief.request('GET', `/recordings/${calls.staffCall.id}`)).text();
    expect(page).toContain('보존 중지');
    expect(page).toContain('열람 신청 검토 중');
  });

  test('no one else may set or release a hold; without a reason nothing changes', async () => {
    for (const role of ['deputy', 'operator', 'dept_head', 'staff', 'auditor', 'records'] as const) {
      const client = await loggedIn(api.url, role);
      const refused = await client.json('POST', `/api/recordings/${calls.headCall.id}/holds`, { json: { reason: '사유' } });
      expect([role, refused.status]).toEqual([role, 403]);
    }
    const chief = await loggedIn(api.url, 'chief');
    expect((await chief.json('POST', `/api/recordings/${calls.headCall.id}/holds`, { json: {} })).status).toBe(400);
    expect((await chief.json('POST', `/api/recordings/${calls.headCall.id}/holds`, { json: { reason: ' ' } })).status).toBe(400);
    expect(await orm.em.fork().count(RecordingHold, { recording: calls.headCall.id })).toBe(0);
  });

  test('a deleted recording cannot be held; an unknown one is not found', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const deleted = await chief.json('POST', `/api/recordings/${calls.deletedCall.id}/holds`, { json: { reason: '사유 있음' } });
    expect(deleted).toMatchObject({ status: 410, body: { code: 'RECORDING_DELETED' } });
    const unknown = await chief.json('POST', '/api/recordings/00000000-0000-4000-8000-000000000000/holds', { json: { reason: '사유 있음' } });
    expect(unknown.status).toBe(404);
  });

  test("a probe with another recording's hold id is not found, and audited as a refusal with who asked", async () => {
    const chief = await loggedIn(api.url, 'chief');
    const set = await chief.json<{ id: string }>('POST', `/api/recordings/${calls.headCall.id}/holds`, { json: { reason: '다른 녹취의 보존 중지' } });
    const probe = await chief.json('POST', `/api/recordings/${calls.itCall.id}/holds/${set.body.id}/release`, { json: { reason: '엿보기' } });
    expect(probe).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const [refusal] = await orm.em.fork().find(AuditEvent, { action: 'request.refused', detail: { $like: `%${probe.body.requestId as string}%` } });
    expect(refusal).toMatchObject({
      actor: 'choi.chief',
      role: 'chief',
      targetId: `POST /api/recordings/${calls.itCall.id}/holds/${set.body.id}/release`,
      reason: expect.stringMatching(/^NOT_FOUND: /),
    });
    // A logged-in user's address that does not exist is a probe too; an anonymous scanner's is only counted.
    const staff = await loggedIn(api.url, 'staff');
    const missing = await staff.json('GET', '/api/recordings-admin/export-all');
    expect(missing.status).toBe(404);
    expect(await orm.em.fork().count(AuditEvent, { action: 'request.refused', detail: { $like: `%${missing.body.requestId as string}%` } })).toBe(1);
    const scanner = await fetch(`${api.url}/wp-login.php`);
    expect(scanner.status).toBe(404);
    expect(await orm.em.fork().count(AuditEvent, { detail: { $like: `%${scanner.headers.get('x-request-id') as string}%` } })).toBe(0);
    // Released again, so the retention counts of the tests below see only their own holds.
    expect((await chief.json('POST', `/api/recordings/${calls.headCall.id}/holds/${set.body.id}/release`, { json: { reason: '시험 끝' } })).status).toBe(200);
  });

  test('releasing: with a reason, audited once; the last hold of a recording past due hands it back to retention', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const em = orm.em.fork();
    const past = await em.findOneOrFail(Recording, calls.itCall.id);
    past.retentionDueAt = new Date(Date.now() - 60_000);
    await em.flush();
    const first = (await chief.json('POST', `/api/recordings/${past.id}/holds`, { json: { reason: '감사 자료' } })).body as { id: string };
    const second = (await chief.json('POST', `/api/recordings/${past.id}/holds`, { json: { reason: '소송 대비' } })).body as { id: string };

    const release = (holdId: string, reason?: string) =>
      chief.json('POST', `/api/recordings/${past.id}/holds/${holdId}/release`, { json: reason === undefined ? {} : { reason } });
    expect((await release(first.id)).status).toBe(400);
    expect((await release(first.id, '감사 종료')).status).toBe(200);
    expect(handedBack).toEqual([]);
    expect((await release(first.id, '다시')).body).toMatchObject({ code: 'HOLD_ALREADY_RELEASED' });
    expect((await release(second.id, '소송 없음')).status).toBe(200);
    expect(handedBack).toEqual([past.id]);
    const releases = await auditOf('recording.hold_released', past.id);
    expect(releases.map((event) => event.reason).sort()).toEqual(['감사 종료', '소송 없음']);
    const { body } = await chief.json('GET', `/api/recordings/${past.id}`);
    expect(body).toMatchObject({ holds: [] });
  });

  test("the dashboard shows retention: the last run's report, the next due time, anything overdue", async () => {
    const em = orm.em.fork();
    await em.transactional((tx) =>
      appendAuditEvent(tx, {
        actor: 'system:retention',
        role: 'system',
        sourceAddress: 'worker',
        action: 'retention.run_reported',
        targetType: 'retention_run',
        targetId: `retention-2026-10-01/run-${driver}`,
        reason: '삭제 보고',
        detail: { day: '2026-10-01', asOf: new Date().toISOString(), deleted: 1234, digest: 'x', held: 0 },
      }),
    );
    const operator = await loggedIn(api.url, 'operator');
    const dashboard = await (await operator.request('GET', '/')).text();
    expect(dashboard).toContain('보존기간 삭제');
    expect(dashboard).toContain('1,234건');
    // The IT call above is past due, its holds released: overdue once the hour has passed.
    const overdue = await em.findOneOrFail(Recording, calls.itCall.id);
    overdue.retentionDueAt = new Date(Date.now() - 2 * 3_600_000);
    await em.flush();
    const later = await (await operator.request('GET', '/')).text();
    expect(later.slice(later.indexOf('보존기간 삭제'), later.indexOf('보존기간 삭제') + 600)).toContain('삭제 지연 1건');
    // Staff do not see the card.
    const staff = await loggedIn(api.url, 'staff');
    expect(await (await staff.request('GET', '/')).text()).not.toContain('보존기간 삭제');
  });
});
