/**
 * 전수 녹취 신청 (Art. 6) through the real API with real logins, its workflow on the time-skipping Temporal server and
 * a real capture appliance: the department head applies for an extension of their own department (bad input, another
 * department's extension and an extension already applied for are refused in Korean and write nothing); the
 * managing department signs off in order (a step out of turn is refused and signals nothing); once the appliance
 * confirms, a call ffmpeg pushes on the extension is recorded without a button (one without the announcement flagged),
 * where before approval it left nothing; it goes back to selective when the head revokes.
 */
import { Client, Connection } from '@temporalio/client';
import type { ApplicationDetail, ApplicationView } from '../../api/full-recording';
import { AuditEvent, FullRecordingApplication, Notification } from '../../infra/db/entities';
import { FullRecordingWorkflows } from '../../infra/temporal/full-recording';
import { loggedIn, seedCalls, startTestApi, type SeededCalls, type TestApi, type TestClient } from '../support/api';
import type { TestAppliance } from '../support/appliance';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { freePort } from '../support/ports';
import { eventually } from '../support/eventually';

describe.each(availableDrivers())('full-recording applications through the API (%s)', (driver) => {
  let stack: WorkflowStack;
  let database: TestDatabase;
  let calls: SeededCalls;
  let capture: TestAppliance;
  let api: TestApi;
  let head: TestClient;
  let today: string;

  beforeAll(async () => {
    stack = await startWorkflowStack(driver);
    ({ database, calls, capture, api } = stack);
    head = await loggedIn(api.url, 'dept_head');
    today = stack.calendar.localDate(new Date(await stack.env.currentTimeMs()));
  }, 60_000);
  afterAll(async () => stack?.close());

  const applications = () => database.orm.em.fork().count(FullRecordingApplication, {});
  const detailOf = async (client: TestClient, id: string) => (await client.json<ApplicationDetail>('GET', `/api/full-recording-applications/${id}`)).body;
  /** The workflow acts asynchronously after a signal: waits until the detail shows what the step leads to. */
  async function detailWhen(id: string, check: (detail: ApplicationDetail) => boolean): Promise<ApplicationDetail> {
    const chief = await loggedIn(api.url, 'chief');
    let last: ApplicationDetail | undefined;
    return eventually(
      async () => {
        last = await detailOf(chief, id);
        return check(last) && last;
      },
      { within: '15s', every: 100, what: `application ${id} reaching the step waited for` },
    ).catch((error: Error) => {
      throw new Error(`never reached: ${JSON.stringify(last)}`, { cause: error });
    });
  }
  const modeOf = async (number: string) => (await capture.clients.worker.extensionMode(number)).mode;

  test('bad applications are refused in Korean and write nothing', async () => {
    const valid = {
      extensions: [calls.staffExtension.number],
      ground: 'malicious_complaints',
      reason: '폭언 민원이 반복되어 전수 녹취가 필요합니다',
      periodFrom: today,
      periodTo: null,
    };
    const before = await applications();
    const attempts = await Promise.all([
      head.json('POST', '/api/full-recording-applications', { json: { ...valid, ground: 'because' } }),
      head.json('POST', '/api/full-recording-applications', { json: { ...valid, reason: '짧음' } }),
      head.json('POST', '/api/full-recording-applications', { json: { ...valid, extensions: ['1234'] } }),
      head.json('POST', '/api/full-recording-applications', { json: { ...valid, periodFrom: '2020-01-01' } }),
      head.json('POST', '/api/full-recording-applications', { json: { ...valid, periodTo: '2020-01-01' } }),
      head.json('POST', '/api/full-recording-applications', { json: { ...valid, extensions: [calls.itExtension.number] } }),
    ]);
    expect(attempts.map(({ status, body }) => [status, body.code])).toEqual([
      [400, 'INVALID_INPUT'],
      [400, 'INVALID_INPUT'],
      [400, 'INVALID_INPUT'],
      [400, 'INVALID_PERIOD'],
      [400, 'INVALID_PERIOD'],
      [403, 'EXTENSION_NOT_IN_DEPARTMENT'],
    ]);
    for (const { body } of attempts) expect(body.message).toMatch(/[가-힣]/);
    expect(await applications()).toBe(before);
    // Staff cannot apply at all.
    const staff = await loggedIn(api.url, 'staff');
    expect((await staff.json('POST', '/api/full-recording-applications', { json: valid })).body).toMatchObject({ code: 'FORBIDDEN' });
  });

  test('apply, sign off in order, recorded in full once the appliance confirms, revoked back to selective', async () => {
    const number = calls.staffExtension.number;
    const applied = await head.json<ApplicationView>('POST', '/api/full-recording-applications', {
      json: { extensions: [number], ground: 'interest_related_complaints', reason: '인허가 관련 분쟁 민원 대응을 위해', periodFrom: today, periodTo: null },
    });
    expect(applied.status).toBe(201);
    const id = applied.body.id;
    expect(applied.body).toMatchObject({ status: 'under_review', applicant: 'kim.head', extensions: [number], department: { code: 'welfare' } });

    // A second application for the same extension while this one is open.
    const again = await head.json('POST', '/api/full-recording-applications', {
      json: { extensions: [number], ground: 'other', reason: '같은 내선을 다시 신청합니다', periodFrom: today, periodTo: null },
    });
    expect(again).toMatchObject({ status: 409, body: { code: 'EXTENSION_ALREADY_APPLIED' } });

    // Before approval the extension is selective: the same call without its record button leaves no recording.
    expect(await capture.pushWithFfmpeg({ callId: `e2e-selective-${driver}`, extension: number, notice: 'announcement:played' })).toBeUndefined();

    const chief = await loggedIn(api.url, 'chief');
    const early = await chief.json('POST', `/api/full-recording-applications/${id}/sign-off`, { json: { decision: 'approve', comment: '' } });
    expect(early).toMatchObject({ status: 409, body: { code: 'ACTION_REFUSED', message: expect.stringContaining('차례') } });
    // The same refusal from the page is shown there, and audited as the API's is.
    const earlyPage = await chief.request('POST', `/full-recording/${id}/sign-off`, { form: { decision: 'approve', comment: '' } });
    expect(earlyPage.status).toBe(409);
    expect(await earlyPage.text()).toContain('차례');
    expect(
      await database.orm.em.fork().count(AuditEvent, { action: 'request.refused', actor: 'choi.chief', targetId: `POST /full-recording/${id}/sign-off` }),
    ).toBe(1);
    const rejectWithoutReason = await (
      await loggedIn(api.url, 'operator')
    ).json('POST', `/api/full-recording-applications/${id}/sign-off`, { json: { decision: 'reject' } });
    expect(rejectWithoutReason).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT', message: expect.stringContaining('반려 사유') } });

    for (const role of ['operator', 'deputy', 'chief'] as const) {
      const signer = await loggedIn(api.url, role);
      expect(
        (await signer.json('POST', `/api/full-recording-applications/${id}/sign-off`, { json: { decision: 'approve', comment: `${role} 확인` } })).status,
      ).toBe(202);
      await detailWhen(id, (detail) => detail.workflow?.signOffs.some((signOff) => signOff.role === role) ?? false);
    }
    const active = await detailWhen(id, (detail) => detail.status === 'active');
    expect(active.appliedAt).not.toBeNull();
    expect(active.workflow).toMatchObject({ awaiting: null, lastApplyError: null, refusals: [] });
    expect(await modeOf(number)).toBe('full');
    // The PBX's call on the switched extension is recorded from its start without any button (R1); one without the
    // announcement's evidence is recorded too, and flagged (R3).
    const announced = await capture.pushWithFfmpeg({ callId: `e2e-full-${driver}`, extension: number, notice: 'announcement:played' });
    expect(announced).toMatchObject({ mode: 'full', durationMs: expect.any(Number) });
    expect(announced?.complianceException ?? null).toBeNull();
    expect(announced?.durationMs).toBeGreaterThan(800);
    const unannounced = await capture.pushWithFfmpeg({ callId: `e2e-full-silent-${driver}`, extension: number });
    expect(unannounced).toMatchObject({ mode: 'full', complianceException: 'notice_missing' });
    const extensions = await head.json<{ number: string; mode: string; fullRecordingSince: string | null }[]>('GET', '/api/extensions');
    expect(extensions.body.find((extension) => extension.number === number)).toMatchObject({ mode: 'full', fullRecordingSince: expect.any(String) });
    // The department head sees only their department's extensions.
    expect(new Set(extensions.body.map((extension) => extension.number))).not.toContain(calls.itExtension.number);

    expect((await head.json('POST', `/api/full-recording-applications/${id}/revoke`, { json: { reason: '민원이 해소됨' } })).status).toBe(202);
    const revoked = await detailWhen(id, (detail) => detail.status === 'revoked');
    expect(await modeOf(number)).toBe('selective');
    expect(revoked.history.map((step) => [step.action, step.actor])).toEqual([
      ['full_recording.applied', 'kim.head'],
      ['full_recording.signed_off', 'lee.operator'],
      ['full_recording.signed_off', 'park.deputy'],
      ['full_recording.approved', 'choi.chief'],
      ['full_recording.switched_to_full', 'system:fullRecordingWorkflow'],
      ['full_recording.revoked', 'kim.head'],
    ]);
    // A refused step out of turn signalled nothing: the workflow saw no refusal.
    expect(revoked.workflow?.refusals).toEqual([]);
    expect(await database.orm.em.fork().count(AuditEvent, { action: 'full_recording.read', targetId: id })).toBeGreaterThan(0);
  }, 60_000);

  // Last: it stops the appliance.
  test('the dashboard: the inbox of the role whose turn it is, and an approval the appliance has not confirmed', async () => {
    const number = calls.headExtension.number;
    const applied = await head.json<ApplicationView>('POST', '/api/full-recording-applications', {
      json: { extensions: [number], ground: 'other', reason: '과장 지시로 부서장 내선 전수 녹취 시험', periodFrom: today, periodTo: null },
    });
    const id = applied.body.id;
    const dashboard = async (role: 'operator' | 'deputy' | 'chief' | 'dept_head') => (await (await loggedIn(api.url, role)).request('GET', '/')).text();
    await detailWhen(id, (detail) => detail.workflow?.awaiting === 'operator');
    expect(await dashboard('operator')).toContain('내 결재 대기 1건');
    expect(await dashboard('deputy')).toContain('내 결재 대기 없음');
    // Left waiting past APPROVAL_REMINDER_WORKING_DAYS (2; a weekend may fall in between): the operator is reminded on
    // the dashboard, with a link to the application; nobody else is.
    await stack.env.sleep('5 days');
    await eventually(() => database.orm.em.fork().count(Notification, { relatedId: id }), { within: '15s', every: 100, what: 'the reminder notification' });
    const reminded = await dashboard('operator');
    expect(reminded).toContain('[알림] 전수 녹취 신청 검토·승인 대기');
    expect(reminded).toMatch(new RegExp(`<a href="/full-recording/${id}">\\[알림\\] 전수 녹취 신청 검토·승인 대기`));
    for (const role of ['deputy', 'dept_head'] as const) expect(await dashboard(role)).toContain('최근 30일 동안 받은 알림이 없습니다');

    await capture.appliance.stop();
    for (const role of ['operator', 'deputy', 'chief'] as const) {
      await (await loggedIn(api.url, role)).json('POST', `/api/full-recording-applications/${id}/sign-off`, { json: { decision: 'approve', comment: '' } });
      await detailWhen(id, (detail) => detail.workflow?.signOffs.some((signOff) => signOff.role === role) ?? false);
    }
    const waiting = await detailWhen(id, (detail) => detail.status === 'approved' && detail.workflow?.lastApplyError !== null);
    expect(waiting.appliedAt).toBeNull();
    const page = await dashboard('chief');
    expect(page).toContain('승인되었으나 녹취 장치에 적용되지 않은 신청 1건');
    expect(page).toContain(`/full-recording/${id}`);
    // The applying head sees the same on the application's page.
    const detailPage = await (await head.request('GET', `/full-recording/${id}`)).text();
    expect(detailPage).toContain('승인되었으나 녹취 장치에 아직 적용되지 않았습니다');
  }, 60_000);
});

describe('full-recording applications with Temporal unreachable', () => {
  let database: TestDatabase;
  let calls: SeededCalls;
  let api: TestApi;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    calls = await seedCalls(database.orm);
    // Nothing listens there: the start of the workflow fails as it would with the Temporal server down.
    client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: '1s' }) });
    api = await startTestApi(database.orm, { fullRecordingWorkflows: new FullRecordingWorkflows(client, 'unreachable') });
  });
  afterAll(async () => {
    await api?.close();
    await client?.connection.close();
    await database?.dispose();
  });

  test('the application is answered 503 in Korean, closed with the reason on record, and does not block the extension', async () => {
    const head = await loggedIn(api.url, 'dept_head');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date());
    const body = { extensions: [calls.staffExtension.number], ground: 'other', reason: '업무 흐름 서버가 멈춘 동안의 신청', periodFrom: today, periodTo: null };
    const answer = await head.json('POST', '/api/full-recording-applications', { json: body });
    expect(answer).toMatchObject({ status: 503, body: { code: 'WORKFLOWS_UNAVAILABLE', message: expect.stringContaining('다시 신청') } });
    const [row] = await database.orm.em.fork().find(FullRecordingApplication, {});
    expect(row).toMatchObject({ status: 'rejected', decisionReason: expect.stringContaining('시스템 오류'), endedAt: expect.any(Date) });
    expect(await database.orm.em.fork().count(AuditEvent, { action: 'full_recording.not_started', targetId: row?.id })).toBe(1);
    // Not left open: a new application for the same extension is not refused as taken.
    expect((await head.json('POST', '/api/full-recording-applications', { json: body })).body).toMatchObject({ code: 'WORKFLOWS_UNAVAILABLE' });
  }, 60_000);
});
