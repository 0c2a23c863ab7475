/**
 * 월간 접근기록 점검 through the real API and pages, with the workflow on the time-skipping server started as its
 * Schedule starts it: the managing department and auditors list and read the month (audited), download the report
 * (audited), officials cannot; only the chief records it done, from the page, with the dashboard's task linking there.
 */
import ExcelJS from 'exceljs';
import { AccessReview, AuditEvent } from '../../infra/db/entities';
import { accessReviewStatus, accessReviewWorkflow, type AccessReviewWorkflowStatus } from '../../workflows/access-review';
import { loggedIn, type TestClient } from '../support/api';
import { queryWhen } from '../support/temporal';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

let stack: WorkflowStack;
let chief: TestClient;
beforeAll(async () => {
  stack = await startWorkflowStack('sqlite');
  chief = await loggedIn(stack.api.url, 'chief');
}, 60_000);
afterAll(async () => stack?.close());

test('the month is read and downloaded by the managing department and auditors, and signed off by the chief only', async () => {
  // Something to report: the chief's own reads this month.
  const recording = stack.calls.staffCall.id;
  await chief.json('GET', `/api/recordings/${recording}`);
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit' }).format(new Date());
  const handle = await stack.env.client.workflow.start(accessReviewWorkflow, {
    taskQueue: stack.taskQueue,
    workflowId: `monthly-access-review-api-${month}`,
    args: [{ month, readsPerDayLimit: 20, refusalsPerDayLimit: 10, reminderWorkingDays: 2 }],
  });
  await queryWhen<AccessReviewWorkflowStatus>(handle, accessReviewStatus, (status) => status.awaiting === 'chief');
  const review = await stack.database.orm.em.fork().findOneOrFail(AccessReview, { month });

  // The chief's dashboard task links to the review; the list and the page show it.
  expect(await (await chief.request('GET', '/')).text()).toContain(`href="/access-reviews/${review.id}"`);
  const list = await chief.json<{ id: string; month: string; status: string }[]>('GET', '/api/access-reviews');
  expect(list.body).toEqual([expect.objectContaining({ id: review.id, month, status: 'awaiting_sign_off' })]);
  const page = await (await chief.request('GET', `/access-reviews/${review.id}`)).text();
  expect(page).toContain('점검 완료 기록');
  expect(page).toContain('data-process-model="/api/process-models/access-review"');

  // An auditor reads it and its report, without the sign-off form; officials are refused.
  const auditor = await loggedIn(stack.api.url, 'auditor');
  expect(await (await auditor.request('GET', `/access-reviews/${review.id}`)).text()).not.toContain('점검 완료 기록');
  const report = await auditor.request('GET', `/api/access-reviews/${review.id}/report`);
  expect(report.headers.get('cache-control')).toBe('no-store');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await report.arrayBuffer());
  expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['요약', '재생·내보내기', '거부', '장치 인증 실패', '업무시간 외', '이상 징후']);
  expect(await stack.database.orm.em.fork().count(AuditEvent, { action: 'access_review.report_downloaded', targetId: review.id, actor: 'han.auditor' })).toBe(
    1,
  );
  const staff = await loggedIn(stack.api.url, 'staff');
  expect((await staff.json('GET', `/api/access-reviews/${review.id}`)).status).toBe(403);
  const deputy = await loggedIn(stack.api.url, 'deputy');
  expect((await deputy.json('POST', `/api/access-reviews/${review.id}/sign-off`, { json: { comment: '' } })).status).toBe(403);

  // The chief records it done from the page; again is refused in Korean.
  const signed = await chief.request('POST', `/access-reviews/${review.id}/sign-off`, { form: { comment: '특이사항 없음' } });
  expect(signed.status).toBe(303);
  await queryWhen<AccessReviewWorkflowStatus>(handle, accessReviewStatus, (status) => status.state === 'signed_off');
  expect(await stack.database.orm.em.fork().findOneOrFail(AccessReview, review.id)).toMatchObject({
    status: 'signed_off',
    signedOffBy: 'choi.chief',
    comment: '특이사항 없음',
  });
  const again = await chief.json<{ code: string; message: string }>('POST', `/api/access-reviews/${review.id}/sign-off`, { json: { comment: '' } });
  expect(again).toMatchObject({ status: 409, body: { code: 'ACTION_REFUSED', message: '이미 점검이 끝났습니다.' } });
}, 120_000);
