/**
 * Holds (보존 중지) through the API, on SQLite and PostgreSQL: only the chief decides and releases them — a decision
 * always with its legal basis, the requesting document, an end within HOLD_MAX_PERIOD and another person to review
 * it — each audited in the same transaction; they show on the recording and to the reviewer; they end by themselves;
 * a case's hold ends only with its case; a deleted recording cannot be held; the release of the last hold of a
 * recording past due hands it back to retention; the dashboard shows retention's state.
 */
import type { MikroORM } from '@mikro-orm/core';
import { createHoldActivities } from '../../activities/holds';
import { addDays, type LegalCalendar } from '../../domain/legal-period';
import { Attachment, AuditEvent, holdInForce, Recording, RecordingHold } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import { holdDecision, koreanDateIn } from '../support/holds';
import { appendAuditEvent } from '../../infra/audit/audit-log';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { loggedIn, SAMPLE_FILES, seedCalls, startTestApi, type SeededCalls, type TestApi } from '../support/api';

describe.each(availableDrivers())('holds on %s', (driver) => {
  let database: TestDatabase;
  let orm: MikroORM;
  let calls: SeededCalls;
  let api: TestApi;
  let calendar: LegalCalendar;
  const handedBack: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    orm = database.orm;
    calls = await seedCalls(orm);
    calendar = await loadLegalCalendar('Asia/Seoul');
    api = await startTestApi(orm, { afterHoldReleased: async (recording) => void handedBack.push(recording.id) });
  });
  afterAll(async () => {
    await api?.close();
    await database?.dispose();
  });

  const auditOf = (action: string, targetId: string) => orm.em.fork().find(AuditEvent, { action, targetId });

  test('the chief decides a hold with its basis, document, end and reviewer: audited, shown, the reviewer told', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const endsOn = koreanDateIn(20);
    const set = await chief.json('POST', `/api/recordings/${calls.staffCall.id}/holds`, holdDecision({ reason: '수사 협조 요청', endsOn }));
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({
      reason: '수사 협조 요청',
      setBy: 'choi.chief',
      disclosureRequestId: null,
      legalBasis: '형사소송법 제106조',
      reviewer: 'park.deputy',
      endsAt: calendar.startOfDay(addDays(endsOn, 1)).toISOString(),
      basisDocument: { fileName: expect.stringMatching(/^보존중지근거_.+\.pdf$/), originalName: '보전요청공문.pdf' },
    });
    const [event] = await auditOf('recording.hold_set', calls.staffCall.id);
    expect(event).toMatchObject({ actor: 'choi.chief', role: 'chief', reason: '수사 협조 요청' });
    expect(JSON.parse(event?.detail ?? '{}')).toMatchObject({ legalBasis: '형사소송법 제106조', reviewer: 'park.deputy', endsAt: set.body.endsAt });
    const { body } = await chief.json('GET', `/api/recordings/${calls.staffCall.id}`);
    expect(body).toMatchObject({ holds: [{ id: set.body.id, legalBasis: '형사소송법 제106조' }] });
    const page = await (await chief.request('GET', `/recordings/${calls.staffCall.id}`)).text();
    expect(page).toContain('형사소송법 제106조');
    expect(page).toContain('park.deputy');
    // The document is there for the reviewer and the auditors, never for the official on the call.
    const documentPath = `/api/recordings/${calls.staffCall.id}/holds/${set.body.id as string}/document`;
    const deputy = await loggedIn(api.url, 'deputy');
    const document = await deputy.request('GET', documentPath);
    expect(document.status).toBe(200);
    expect(Buffer.from(await document.arrayBuffer()).equals(SAMPLE_FILES.pdf)).toBe(true);
    expect((await (await loggedIn(api.url, 'staff')).request('GET', documentPath)).status).toBe(403);
    // The reviewer reads the decision on their dashboard.
    const dashboard = await (await deputy.request('GET', '/')).text();
    expect(dashboard).toContain('[검토 요청] 보존 중지 설정');
  });

  test('a decision without its basis, document, a valid end or another reviewer is refused, and nothing changes', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const path = `/api/recordings/${calls.headCall.id}/holds`;
    const refusals = [
      [holdDecision({ legalBasis: '' }), 'INVALID_INPUT'],
      [holdDecision({ legalBasis: '관련 법령에 따라' }), 'INVALID_INPUT'],
      [holdDecision({}, false), 'HOLD_DOCUMENT_MISSING'],
      [holdDecision({ endsOn: koreanDateIn(-1) }), 'HOLD_END_PAST'],
      [holdDecision({ endsOn: koreanDateIn(200) }), 'HOLD_TOO_LONG'],
      [holdDecision({ reviewer: 'choi.chief' }), 'HOLD_REVIEWER_INVALID'],
      [holdDecision({ reviewer: 'jung.staff' }), 'HOLD_REVIEWER_INVALID'],
      [{ json: { reason: '사유만 있는 보존 중지' } }, 'UNSUPPORTED_MEDIA_TYPE'],
    ] as const;
    for (const [request, code] of refusals) {
      const refused = await chief.json('POST', path, request);
      expect([code, refused.status, refused.body.code]).toEqual([code, code === 'UNSUPPORTED_MEDIA_TYPE' ? 415 : 400, code]);
    }
    expect(await orm.em.fork().count(RecordingHold, { recording: calls.headCall.id })).toBe(0);
    expect(await orm.em.fork().count(Attachment, { ownerType: 'recording_hold' })).toBe(1);
  });

  test('no one else may decide or release a hold', async () => {
    for (const role of ['deputy', 'operator', 'dept_head', 'staff', 'auditor', 'records'] as const) {
      const client = await loggedIn(api.url, role);
      const refused = await client.json('POST', `/api/recordings/${calls.headCall.id}/holds`, holdDecision());
      expect([role, refused.status]).toEqual([role, 403]);
    }
    expect(await orm.em.fork().count(RecordingHold, { recording: calls.headCall.id })).toBe(0);
  });

  test('a deleted recording cannot be held; an unknown one is not found', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const deleted = await chief.json('POST', `/api/recordings/${calls.deletedCall.id}/holds`, holdDecision());
    expect(deleted).toMatchObject({ status: 410, body: { code: 'RECORDING_DELETED' } });
    const unknown = await chief.json('POST', '/api/recordings/00000000-0000-4000-8000-000000000000/holds', holdDecision());
    expect(unknown.status).toBe(404);
  });

  test("a probe with another recording's hold id is not found, and audited as a refusal with who asked", async () => {
    const chief = await loggedIn(api.url, 'chief');
    const set = await chief.json<{ id: string }>('POST', `/api/recordings/${calls.headCall.id}/holds`, holdDecision({ reason: '다른 녹취의 보존 중지' }));
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
    const first = (await chief.json('POST', `/api/recordings/${past.id}/holds`, holdDecision({ reason: '감사 자료' }))).body as { id: string };
    const second = (await chief.json('POST', `/api/recordings/${past.id}/holds`, holdDecision({ reason: '소송 대비' }))).body as { id: string };

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

  test('keeping longer is a new decision that replaces the old one; the recording is never unheld in between', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const first = (await chief.json<{ id: string }>('POST', `/api/recordings/${calls.staffCall.id}/holds`, holdDecision({ reason: '1차 보전' }))).body;
    const extended = await chief.json(
      'POST',
      `/api/recordings/${calls.staffCall.id}/holds/${first.id}/extend`,
      holdDecision({
        reason: '재판 계속 중',
        legalBasis: '민사소송법 제344조',
        endsOn: koreanDateIn(80),
      }),
    );
    expect(extended).toMatchObject({ status: 201, body: { extendsHoldId: first.id, legalBasis: '민사소송법 제344조' } });
    const old = await orm.em.fork().findOneOrFail(RecordingHold, first.id);
    expect(old.releasedAt).toBeDefined();
    expect(old.releaseReason).toBe(`연장 결정으로 대체 (${extended.body.id as string})`);
    expect(await auditOf('recording.hold_extended', calls.staffCall.id)).toHaveLength(1);
    // Without its own document the extension is refused like a first decision.
    const bare = await chief.json('POST', `/api/recordings/${calls.staffCall.id}/holds/${extended.body.id as string}/extend`, holdDecision({}, false));
    expect(bare.body).toMatchObject({ code: 'HOLD_DOCUMENT_MISSING' });
  });

  test("a disclosure case's hold ends only with its case: the chief can neither release nor extend it", async () => {
    const em = orm.em.fork();
    const recording = await em.findOneOrFail(Recording, calls.headCall.id);
    const caseHold = new RecordingHold(recording, '녹취정보 제공 신청 2026-0001', 'system:disclosureWorkflow');
    caseHold.disclosureRequestId = '00000000-0000-4000-8000-0000000000aa';
    await em.persist(caseHold).flush();
    const chief = await loggedIn(api.url, 'chief');
    const release = await chief.json('POST', `/api/recordings/${recording.id}/holds/${caseHold.id}/release`, { json: { reason: '정리' } });
    expect(release).toMatchObject({ status: 409, body: { code: 'HOLD_OWNED_BY_CASE' } });
    const extend = await chief.json('POST', `/api/recordings/${recording.id}/holds/${caseHold.id}/extend`, holdDecision());
    expect(extend).toMatchObject({ status: 409, body: { code: 'HOLD_OWNED_BY_CASE' } });
    expect((await orm.em.fork().findOneOrFail(RecordingHold, caseHold.id)).releasedAt ?? undefined).toBeUndefined();
    const page = await (await chief.request('GET', `/recordings/${recording.id}`)).text();
    expect(page).toContain('신청이 끝날 때 풀림');
  });

  test('a hold ends by itself: past its end it keeps nothing, and the sweep marks it expired and tells the reviewer', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const em = orm.em.fork();
    const recording = await em.findOneOrFail(Recording, calls.itCall.id);
    const set = (await chief.json<{ id: string; endsAt: string }>('POST', `/api/recordings/${recording.id}/holds`, holdDecision({ reason: '만료 시험' }))).body;
    const afterEnd = new Date(Date.parse(set.endsAt) + 60_000);
    expect(await orm.em.fork().count(RecordingHold, { recording: recording.id, ...holdInForce(new Date()) })).toBe(1);
    expect(await orm.em.fork().count(RecordingHold, { recording: recording.id, ...holdInForce(afterEnd) })).toBe(0);
    const holds = createHoldActivities({ orm });
    expect(await holds.expireHolds({ asOf: afterEnd.toISOString() })).toMatchObject({ expired: expect.any(Number) });
    const expired = await orm.em.fork().findOneOrFail(RecordingHold, set.id);
    expect(expired).toMatchObject({ releasedAt: new Date(set.endsAt), releasedBy: 'system:retention', releaseReason: '정한 기간 만료' });
    expect(await auditOf('recording.hold_expired', recording.id)).toEqual([expect.objectContaining({ reason: '보존 중지 기간 만료' })]);
    expect(await holds.expireHolds({ asOf: afterEnd.toISOString() })).toEqual({ expired: 0 });
    const deputy = await loggedIn(api.url, 'deputy');
    expect(await (await deputy.request('GET', '/')).text()).toContain('[알림] 보존 중지 기간 만료');
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
