/**
 * 월간 접근기록 점검 (안전성 확보조치 기준 제8조) on the time-skipping Temporal test server over a real database: the
 * month's report is made from the audit chain — playbacks and exports with their reasons, refusals, access after
 * hours and on a public holiday, one user reading many recordings in a day, and nothing of the system's own or of
 * another month — the chief is given the task, reminded after the working days, a deputy cannot sign it, the chief
 * does, and a second run for the same month (a schedule's catch-up) adds nothing.
 */
import ExcelJS from 'exceljs';
import { previousMonthIn } from '../../domain/korean-time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { appendAuditEvents, type AuditInput } from '../../infra/audit/audit-log';
import { AccessReview, AuditEvent, GeneratedDocument, Notification } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import {
  accessReviewSignOff,
  accessReviewStatus,
  accessReviewStep,
  accessReviewWorkflow,
  type AccessReviewWorkflowStatus,
} from '../../workflows/access-review';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { STEP_REFUSED } from '../../workflows/human-steps';
import { testActivityDeps } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { bundleWorkflows, createTimeSkippingEnvironment, historyRecorder, queryWhen, runWithWorker } from '../support/temporal';

const TASK_QUEUE = 'access-review-test';
const INPUT = { month: '2026-10', readsPerDayLimit: 20, refusalsPerDayLimit: 10, reminderWorkingDays: 2 };

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let calendar: LegalCalendar;
let workflowBundle: WorkflowBundleWithSourceMap;
let deps: ReturnType<typeof testActivityDeps>;

beforeAll(async () => {
  [calendar, workflowBundle, db] = await Promise.all([loadLegalCalendar('Asia/Seoul'), bundleWorkflows(), createTestDatabase('sqlite')]);
  deps = testActivityDeps(db.orm, calendar);
});
afterAll(async () => db?.dispose());
beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
});
const recorder = historyRecorder('access-review');
afterEach(async () => {
  if (env) await recorder.keep(env.client);
  await env?.teardown();
});

const withWorker = (body: () => Promise<void>) => runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps }, body);
const em = () => db.orm.em.fork();
const kst = (local: string) => new Date(`${local}+09:00`);
const entry = (at: string, actor: string, role: string, action: string, targetId: string, reason = ''): AuditInput => ({
  at: kst(at),
  actor,
  role,
  sourceAddress: '10.0.0.7',
  action,
  targetType: action.startsWith('recording') ? 'recording' : 'route',
  targetId,
  reason,
});

async function seedOctober(): Promise<void> {
  const entries: AuditInput[] = [
    // One operator opening 25 different recordings on one working day: more than the limit of 20.
    ...Array.from({ length: 25 }, (_, index) =>
      entry(`2026-10-14T10:${String(index).padStart(2, '0')}:00`, 'lee.operator', 'operator', 'recording.read', `rec-${index}`),
    ),
    // An official reading their call at 22:30, and exporting it on 한글날 (a public holiday).
    entry('2026-10-15T22:30:00', 'jung.staff', 'staff', 'recording.read', 'rec-staff'),
    entry('2026-10-09T11:00:00', 'jung.staff', 'staff', 'recording.exported_by_party', 'rec-staff', '민원 분쟁 증빙'),
    entry('2026-10-20T10:00:00', 'kim.head', 'dept_head', 'request.refused', 'GET /api/recordings/rec-staff', 'NOT_PARTY: 통화 당사자가 아닙니다.'),
    // The capture appliance's summaries of failed logins from an address: probes, counted by the failures they stand for.
    {
      ...entry('2026-10-22T02:10:00', 'system:capture', 'system', 'rtsp.auth_failures', '10.9.9.9', 'RTSP 장치 인증 실패 반복: 차단함'),
      detail: { failures: 4800, blocked: true },
    },
    { ...entry('2026-10-22T02:15:00', 'system:capture', 'system', 'capture_control.unauthorized', '10.9.9.9', '제어 토큰 불일치'), detail: { failures: 3 } },
    // A known control client beyond its scope: one refusal each.
    entry('2026-10-22T02:20:00', 'capture-client:pbx', 'system', 'capture_control.refused', 'POST /recordings/<recording id>/viewing', '권한 밖 요청'),
    // The system's own night work is not access, and another month is not this report's.
    entry('2026-10-21T03:00:00', 'system:retention', 'system', 'recording.deleted', 'rec-old', '보존 기간 경과'),
    entry('2026-11-02T10:00:00', 'lee.operator', 'operator', 'recording.read', 'rec-november'),
  ];
  await em().transactional((tx) => appendAuditEvents(tx, entries));
}

async function sheetRows(documentId: string): Promise<Record<string, string[]>> {
  const document = await em().findOneOrFail(GeneratedDocument, documentId, { populate: ['wrappedKey'] });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(deps.documents.get(document.id, document.wrappedKey) as unknown as ArrayBuffer);
  const rows: Record<string, string[]> = {};
  workbook.eachSheet((sheet) => {
    rows[sheet.name] = [];
    sheet.eachRow((row) => rows[sheet.name]!.push((row.values as unknown[]).slice(1).join(' | ')));
  });
  return rows;
}

test("October's report lists playbacks with reasons, refusals, after-hours and holiday access and a user reading many recordings; the chief signs it off", async () => {
  await seedOctober();
  await withWorker(async () => {
    const handle = await env.client.workflow.start(accessReviewWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: 'monthly-access-review-2026-11-01',
      args: [INPUT],
    });
    recorder.track(handle.workflowId);
    const waiting = await queryWhen<AccessReviewWorkflowStatus>(handle, accessReviewStatus, (status) => status.awaiting === 'chief');
    expect(waiting).toMatchObject({ month: '2026-10', state: 'awaiting_sign_off', remindersSent: 0 });

    const review = await em().findOneOrFail(AccessReview, { month: '2026-10' });
    expect(review.summary).toMatchObject({ users: 3, entries: 28, releases: 1, refusals: 1, deviceAuthFailures: 4804, afterHours: 2, anomalies: 1 });
    const rows = await sheetRows(review.reportDocumentId);
    expect(Object.keys(rows)).toEqual(['요약', '재생·내보내기', '거부', '장치 인증 실패', '업무시간 외', '이상 징후']);
    expect(rows['장치 인증 실패']!.slice(1)).toEqual([
      expect.stringMatching(
        /2026\. 10\. 22\. 02:10 \| system:capture \| system \| 10\.0\.0\.7 \| RTSP 장치 인증 실패 \(요약\) \| route 10\.9\.9\.9 \| .* \| 4800$/,
      ),
      expect.stringMatching(/제어 API 인증 실패 \(요약\) .* \| 3$/),
      expect.stringMatching(/capture-client:pbx .* 제어 API 권한 밖 요청 .* \| 1$/),
    ]);
    expect(rows['요약']![0]).toContain('2026년 10월 접근기록 점검 보고서');
    expect(rows['재생·내보내기']!.slice(1)).toEqual([
      expect.stringMatching(/2026\. 10\. 9\. 11:00 \| jung\.staff \| staff \| .*당사자 내보내기 \| recording rec-staff \| 민원 분쟁 증빙/),
    ]);
    expect(rows['거부']!.slice(1)).toEqual([expect.stringContaining('NOT_PARTY')]);
    expect(rows['업무시간 외']!.slice(1)).toEqual([expect.stringContaining('2026. 10. 9. 11:00'), expect.stringContaining('2026. 10. 15. 22:30')]);
    expect(rows['이상 징후']!.slice(1)).toEqual(['2026-10-14 | lee.operator | 하루에 녹취 25건 조회 (기준 20건 초과)']);
    expect(JSON.stringify(rows)).not.toContain('system:retention');
    expect(JSON.stringify(rows)).not.toContain('rec-november');

    // The chief's task, on the dashboard; a deputy cannot sign it.
    const task = await em().findOneOrFail(Notification, { recipient: 'chief', relatedType: 'access_review', relatedId: review.id });
    expect(task.subject).toBe('[점검] 2026년 10월 접근기록 점검');
    await handle.signal(accessReviewSignOff, { actor: { username: 'park.deputy', role: 'deputy' }, decision: 'approve', comment: '' });
    const refused = await queryWhen<AccessReviewWorkflowStatus>(handle, accessReviewStatus, (status) => status.refusals.length === 1);
    expect(refused.refusals[0]!.reason).toBe('지금은 관리부서의 장 (과장) 차례입니다.');

    // Left waiting, the chief is reminded after two working days.
    await env.sleep('5 days');
    const reminded = await queryWhen<AccessReviewWorkflowStatus>(handle, accessReviewStatus, (status) => status.remindersSent > 0);
    expect(reminded.state).toBe('awaiting_sign_off');
    expect(await em().count(Notification, { recipient: 'chief', relatedId: review.id, subject: '[알림] 2026년 10월 접근기록 점검 대기' })).toBeGreaterThan(0);

    // As the pages send it now, an Update: the deputy refused at once with why, the chief accepted.
    const refusedStep = await handle
      .executeUpdate(accessReviewStep, { args: [{ user: { username: 'park.deputy', roles: ['deputy'] }, comment: '' }] })
      .catch((error: unknown) => error);
    expect(refusedStep).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refusedStep as WorkflowUpdateFailedError).cause).toMatchObject({ type: STEP_REFUSED, message: '지금은 관리부서의 장 (과장) 차례입니다.' });
    const accepted = await handle.executeUpdate(accessReviewStep, {
      args: [{ user: { username: 'choi.chief', roles: ['chief'] }, comment: '이상 징후 1건: 담당자 면담, 업무상 조회 확인' }],
    });
    expect(accepted).toEqual({ actingAs: 'chief' });
    const done = await handle.result();
    expect(done).toMatchObject({ state: 'signed_off', signedOff: { actor: 'choi.chief', comment: '이상 징후 1건: 담당자 면담, 업무상 조회 확인' } });
    expect(await em().findOneOrFail(AccessReview, review.id)).toMatchObject({ status: 'signed_off', signedOffBy: 'choi.chief' });
    expect(await em().count(AuditEvent, { action: 'access_review.signed_off', targetId: review.id, actor: 'choi.chief' })).toBe(1);

    // A second run for October (a catch-up, a manual trigger) finds the review made and ends.
    const again = await env.client.workflow.execute(accessReviewWorkflow, { taskQueue: TASK_QUEUE, workflowId: 'monthly-access-review-again', args: [INPUT] });
    expect(again.reviewedBy).toBe('monthly-access-review-2026-11-01');
    expect(await em().count(AccessReview, { month: '2026-10' })).toBe(1);
    expect(await em().count(Notification, { relatedId: review.id, subject: { $like: '[점검]%' } })).toBe(1);
  });
});

test('a run reviews the month before its start, in Seoul', () => {
  expect(previousMonthIn(new Date('2026-12-01T00:00:00Z'), 'Asia/Seoul')).toBe('2026-11');
  // 2027-01-01 00:30 in Seoul is still 2026-12-31 in UTC.
  expect(previousMonthIn(new Date('2026-12-31T15:30:00Z'), 'Asia/Seoul')).toBe('2026-12');
  expect(previousMonthIn(new Date('2027-01-01T00:00:00Z'), 'Asia/Seoul')).toBe('2026-12');
});
