/**
 * The Form 3 deadline lifecycle on the real time-skipping Temporal test server: 30 days are slept as
 * 30 days of server time, and the reminders, the overdue notice and the escalation land on the days
 * the Civil Act rules say.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { Notification } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import { deadlineMet, deadlineRemindersWorkflow, deadlineStatus, type DeadlineRemindersInput } from '../../workflows/deadline-reminders';
import { testActivityDeps } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { bundleWorkflows, createTimeSkippingEnvironment, runWithWorker } from '../support/temporal';

const DAY_MS = 86_400_000;
const TASK_QUEUE = 'deadline-test';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let calendar: LegalCalendar;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [db, calendar, workflowBundle] = await Promise.all([createTestDatabase('sqlite'), loadLegalCalendar('Asia/Seoul'), bundleWorkflows()]);
});

// A fresh test server per test: each starts at today's date, whatever the previous test skipped to.
beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
});
afterEach(async () => env?.teardown());

const withWorker = (body: () => Promise<void>) =>
  runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps: testActivityDeps(db.orm, calendar) }, body);

afterAll(async () => db?.dispose());

const form3Deadline = (caseId: string, startedAt: Date): DeadlineRemindersInput => ({
  caseType: 'DisclosureRequest',
  caseId,
  title: `관리번호 ${caseId} 파기 결과 회신서 제출`,
  startedAt: startedAt.toISOString(),
  period: '30d',
  reminderDaysBefore: [7, 1],
  escalationAfterDays: 3,
  repeatEveryDays: 7,
  recipient: { channel: 'email', address: 'recipient@example.test' },
  escalateTo: { channel: 'in_app', address: 'chief' },
});

async function notificationsOf(caseId: string): Promise<Notification[]> {
  return db.orm.em.fork().find(Notification, { relatedId: caseId }, { orderBy: { triggeredAt: 'asc' } });
}

test('an unmet Form 3 deadline: reminders 7 and 1 days before, overdue notice, then escalation to the chief', async () => {
  const receivedAt = new Date(await env.currentTimeMs());
  const expected = calendar.deadline(receivedAt, { amount: 30, unit: 'day' });
  const handle = await env.client.workflow.start(deadlineRemindersWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: 'form3-2026-0001',
    args: [form3Deadline('2026-0001', receivedAt)],
  });

  await withWorker(async () => {
    await env.sleep('2 days');
    const early = await handle.query(deadlineStatus);
    expect(early.state).toBe('waiting');
    expect(early.plan?.lastDay).toBe(expected.lastDay);
    expect(await notificationsOf('2026-0001')).toEqual([]);

    // Sleep through the whole legal period and just past the escalation, as server time.
    const escalateAt = Date.parse(early.plan!.escalateAt);
    expect(escalateAt).toBeGreaterThanOrEqual(expected.endsAt.getTime() + 3 * DAY_MS - DAY_MS);
    await env.sleep(escalateAt + 3_600_000 - (await env.currentTimeMs()));
    const late = await handle.query(deadlineStatus);
    expect(late).toMatchObject({ state: 'escalated', remindersSent: [7, 1], overdueNoticeSent: true, escalated: true, repeatedReminders: 0 });
    // Still not met: the recipient again a week after the escalation, at the same hour, and not before.
    const repeatAt = escalateAt + 7 * DAY_MS;
    await env.sleep(repeatAt - 60_000 - (await env.currentTimeMs()));
    expect((await handle.query(deadlineStatus)).repeatedReminders).toBe(0);
    await env.sleep(2 * 60_000);
    expect((await handle.query(deadlineStatus)).repeatedReminders).toBe(1);

    await handle.signal(deadlineMet, { actor: 'lee.operator', at: new Date(await env.currentTimeMs()).toISOString() });
    expect(await handle.result()).toMatchObject({ state: 'met', escalated: true });
  });

  const sent = await notificationsOf('2026-0001');
  expect(sent.map((n) => n.idempotencyKey)).toEqual([
    'form3-2026-0001:reminder-7',
    'form3-2026-0001:reminder-1',
    'form3-2026-0001:overdue',
    'form3-2026-0001:escalation',
    'form3-2026-0001:overdue-repeat-1',
  ]);
  const [seven, one, overdue, escalation, repeated] = sent as [Notification, Notification, Notification, Notification, Notification];
  expect(repeated).toMatchObject({ recipient: 'recipient@example.test', subject: expect.stringContaining('[재독촉]') });
  expect(Math.abs(repeated.triggeredAt.getTime() - escalation.triggeredAt.getTime() - 7 * DAY_MS)).toBeLessThan(60_000);
  // Reminders at 09:00 in Seoul, 7 and 1 days before the last day; the overdue notice once it has ended.
  const at9 = (day: string) => new Date(`${day}T09:00:00+09:00`).getTime();
  const lastDayMs = Date.parse(`${expected.lastDay}T00:00:00Z`);
  const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  expect(seven.triggeredAt.getTime()).toBeGreaterThanOrEqual(at9(isoDay(lastDayMs - 7 * DAY_MS)));
  expect(seven.triggeredAt.getTime()).toBeLessThan(at9(isoDay(lastDayMs - 7 * DAY_MS)) + 60_000);
  expect(one.triggeredAt.getTime()).toBeGreaterThanOrEqual(at9(isoDay(lastDayMs - DAY_MS)));
  expect(overdue.triggeredAt.getTime()).toBeGreaterThanOrEqual(expected.endsAt.getTime());
  expect(overdue.triggeredAt.getTime() - receivedAt.getTime()).toBeGreaterThanOrEqual(30 * DAY_MS);
  expect(escalation.recipient).toBe('chief');
  expect(escalation.subject).toBe('[보고] 관리번호 2026-0001 파기 결과 회신서 제출 기한 경과 미제출');
  expect(seven.body).toContain(`${expected.lastDay.slice(0, 4)}. ${Number(expected.lastDay.slice(5, 7))}.`);
});

test('a report recorded in time stops the reminders: nothing is sent', async () => {
  const receivedAt = new Date(await env.currentTimeMs());
  const handle = await env.client.workflow.start(deadlineRemindersWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: 'form3-2026-0002',
    args: [form3Deadline('2026-0002', receivedAt)],
  });
  await withWorker(async () => {
    await env.sleep('10 days');
    await handle.signal(deadlineMet, { actor: 'lee.operator', at: new Date(await env.currentTimeMs()).toISOString() });
    expect(await handle.result()).toMatchObject({ state: 'met', remindersSent: [], escalated: false });
  });
  expect(await notificationsOf('2026-0002')).toEqual([]);
});

test('a retried notification activity does not queue the same message twice', async () => {
  const { queueNotification } = createActivities(testActivityDeps(db.orm, calendar));
  const input = {
    idempotencyKey: 'form3-2026-0003:reminder-7',
    channel: 'email' as const,
    recipient: 'recipient@example.test',
    subject: '[안내] 기한이 7일 남았습니다',
    body: '본문',
    relatedType: 'DisclosureRequest',
    relatedId: '2026-0003',
    triggeredAt: new Date().toISOString(),
    actor: 'system:deadlineRemindersWorkflow',
  };
  const [first, second] = await Promise.all([queueNotification(input), queueNotification(input)]);
  expect(first.id).toBe(second.id);
  expect(await notificationsOf('2026-0003')).toHaveLength(1);
});
