/**
 * R4 on the real time-skipping Temporal test server, with a real capture appliance holding real encrypted files and
 * a real database: a recording day's workflow sleeps until the day's storage period has ended (a Seoul day boundary
 * between 23:59 and 00:01 decides which run deletes a call), deletes in batches, skips held recordings until the
 * hold is released, and reports each run in the audit chain. The hourly sweep finds what a finishing run missed.
 * (A worker killed mid-batch and Temporal itself killed and restarted: test/workflow/retention-crash.test.ts.)
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { Attachment, AuditEvent, Recording, RecordingHold } from '../../infra/db/entities';
import { addDays } from '../../domain/legal-period';
import { startRetentionDay } from '../../infra/temporal/retention';
import {
  RETENTION_SWEEP_SCHEDULE_ID,
  retentionDayStatus,
  retentionSweepWorkflow,
  retentionWorkflowId,
  type RetentionDayStatus,
} from '../../workflows/retention';
import { testActivityDeps } from '../support/activities';
import { decidedHold, sealedPackage } from '../support/holds';
import { createRetentionFixture, type RetentionFixture } from '../support/retention';
import { bundleWorkflows, createTimeSkippingEnvironment, runWithWorker, historyRecorder } from '../support/temporal';

const TASK_QUEUE = 'retention-test';
const MINUTE = 60_000;

let env: TestWorkflowEnvironment;
let fixture: RetentionFixture;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [fixture, workflowBundle] = await Promise.all([
    // The test server's clock runs weeks ahead of the wall clock; the appliance's own refusal of a file that is not
    // due yet is proven against the wall clock in test/capture/appliance.test.ts.
    createRetentionFixture({ clock: () => new Date(8.64e15) }),
    bundleWorkflows(),
  ]);
}, 60_000);

afterAll(async () => fixture?.close());

// A fresh test server per test: each starts at today's date, whatever the previous test skipped to.
beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
});
const recorder = historyRecorder('retention');
afterEach(async () => {
  if (env) await recorder.keep(env.client);
  await env?.teardown();
});

const withWorker = (body: () => Promise<void>) =>
  runWithWorker(
    env.nativeConnection,
    { taskQueue: TASK_QUEUE, workflowBundle, deps: testActivityDeps(fixture.db.orm, fixture.calendar, { capture: fixture.capture }) },
    body,
  );

const record = (startedAt: Date) => fixture.record(startedAt);
const at = (day: string, hours: number, minutes: number) => fixture.at(day, hours, minutes);
const expectDeleted = (recording: Recording) => fixture.expectDeleted(recording);
const expectKept = (recording: Recording) => fixture.expectKept(recording);

test("23:59 and 00:01 KST fall on two days: each call is deleted by its own day's run, once its 30 days have ended", async () => {
  const today = fixture.calendar.localDate(new Date(await env.currentTimeMs()));
  const beforeMidnight = await record(at(today, 23, 59));
  const afterMidnight = await record(at(addDays(today, 1), 0, 1));
  expect(beforeMidnight.retentionDueAt).toEqual(fixture.calendar.startOfDay(addDays(today, 31)));
  expect(afterMidnight.retentionDueAt).toEqual(fixture.calendar.startOfDay(addDays(today, 32)));

  await withWorker(async () => {
    const started = await startRetentionDay(env.client, TASK_QUEUE, fixture.calendar, beforeMidnight);
    const first = env.client.workflow.getHandle(started.workflowId);
    const second = env.client.workflow.getHandle((await startRetentionDay(env.client, TASK_QUEUE, fixture.calendar, afterMidnight)).workflowId);
    expect([first.workflowId, second.workflowId]).toEqual([`retention-${today}`, `retention-${addDays(today, 1)}`]);
    recorder.track(first.workflowId);
    recorder.track(second.workflowId);
    // Another registration on the same day (or a retried one) reuses the day's running workflow.
    expect(await startRetentionDay(env.client, TASK_QUEUE, fixture.calendar, beforeMidnight)).toEqual(started);

    // One minute before the first day's storage period ends, nothing is deleted.
    await env.sleep(beforeMidnight.retentionDueAt.getTime() - (await env.currentTimeMs()) - MINUTE);
    expect(await first.query(retentionDayStatus)).toMatchObject({ state: 'waiting', deleted: 0 });
    await expectKept(beforeMidnight);

    const firstRun: RetentionDayStatus = await first.result();
    expect(firstRun).toMatchObject({ day: today, state: 'done', deleted: 1, held: 0 });
    expect(Date.parse(firstRun.startedDeletingAt as string)).toBeGreaterThanOrEqual(beforeMidnight.retentionDueAt.getTime());
    // Within an hour of due (R4): here, at once.
    expect(Date.parse(firstRun.startedDeletingAt as string) - beforeMidnight.retentionDueAt.getTime()).toBeLessThan(60 * MINUTE);
    await expectDeleted(beforeMidnight);

    // The call two minutes later belongs to the next day: its run deletes it, a day later.
    const secondRun: RetentionDayStatus = await second.result();
    expect(secondRun).toMatchObject({ day: addDays(today, 1), state: 'done', deleted: 1 });
    expect(Date.parse(secondRun.startedDeletingAt as string)).toBeGreaterThanOrEqual(afterMidnight.retentionDueAt.getTime());
    await expectDeleted(afterMidnight);
  });
  const reports = await fixture.db.orm.em.fork().find(AuditEvent, { action: 'retention.run_reported' }, { orderBy: { seq: 'asc' } });
  expect(reports.map((report) => JSON.parse(report.detail) as unknown)).toEqual([
    expect.objectContaining({ day: today, deleted: 1, held: 0, digest: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    expect.objectContaining({ day: addDays(today, 1), deleted: 1, held: 0 }),
  ]);
  expect((await verifyAuditChain(fixture.db.orm.em.fork())).ok).toBe(true);
});

test('a held recording outlives its due date; released, the day is started again and it is deleted at once', async () => {
  // Days of its own, apart from the other tests' recordings in the same database.
  const today = addDays(fixture.calendar.localDate(new Date(await env.currentTimeMs())), 5);
  const held = await record(at(today, 10, 0));
  const free = await record(at(today, 11, 0));
  const em = fixture.db.orm.em.fork();
  const hold = new RecordingHold(em.getReference(Recording, held.id), '열람 신청 2026-0007', 'lee.operator');
  em.persist(hold);
  await em.flush();

  await withWorker(async () => {
    const handle = env.client.workflow.getHandle((await startRetentionDay(env.client, TASK_QUEUE, fixture.calendar, held)).workflowId);
    expect(await handle.result()).toMatchObject({ state: 'done', deleted: 1, held: 1 });
    await expectKept(held);
    await expectDeleted(free);

    hold.releasedAt = new Date(await env.currentTimeMs());
    hold.releasedBy = 'system:disclosure';
    await em.flush();
    const restarted = await startRetentionDay(env.client, TASK_QUEUE, fixture.calendar, held);
    const again = env.client.workflow.getHandle(restarted.workflowId, restarted.runId);
    expect(await again.result()).toMatchObject({ state: 'done', deleted: 1, held: 0 });
    await expectDeleted(held);
  });
});

test("the hourly sweep deletes a recording registered while its day's run was finishing, and leaves held ones alone", async () => {
  const now = await env.currentTimeMs();
  const day = fixture.calendar.localDate(new Date(now - 45 * 86_400_000));
  const heldDay = addDays(day, 1);
  await withWorker(async () => {
    const first = await record(at(day, 9, 0));
    const run = env.client.workflow.getHandle((await startRetentionDay(env.client, TASK_QUEUE, fixture.calendar, first)).workflowId);
    expect(await run.result()).toMatchObject({ state: 'done', deleted: 1 });
    // Registered after the run's last batch: its start joined the finishing run, so nothing else would delete it.
    const late = await record(at(day, 9, 30));
    const held = await record(at(heldDay, 14, 0));
    const em = fixture.db.orm.em.fork();
    em.persist(new RecordingHold(em.getReference(Recording, held.id), '열람 신청 2026-0011', 'lee.operator'));
    await em.flush();

    const sweep = await env.client.workflow.execute(retentionSweepWorkflow, { taskQueue: TASK_QUEUE, workflowId: `${RETENTION_SWEEP_SCHEDULE_ID}-test` });
    expect(sweep).toMatchObject({ started: [day], alreadyRunning: [] });
    recorder.track(`${RETENTION_SWEEP_SCHEDULE_ID}-test`);
    expect(await env.client.workflow.getHandle(retentionWorkflowId(day)).result()).toMatchObject({ state: 'done', deleted: 1 });
    await expectDeleted(late);
    await expectKept(held);

    // Nothing deletable is left: the next hour's sweep starts no run.
    const next = await env.client.workflow.execute(retentionSweepWorkflow, { taskQueue: TASK_QUEUE, workflowId: `${RETENTION_SWEEP_SCHEDULE_ID}-test-2` });
    expect(next).toMatchObject({ started: [], alreadyRunning: [] });
  });
});

test('a decided hold keeps its recording only until its end, and a package only until its Form 3 deadline: one sweep after, both are gone', async () => {
  const now = await env.currentTimeMs();
  const day = fixture.calendar.localDate(new Date(now - 50 * 86_400_000));
  const kept = await record(at(day, 15, 0));
  const em = fixture.db.orm.em.fork();
  const hold = decidedHold(em, kept.id, new Date(now + 2 * 3_600_000));
  const deps = testActivityDeps(fixture.db.orm, fixture.calendar, { capture: fixture.capture });
  const packageRow = sealedPackage(em, deps.documents, '2026-0099', new Date(now + 3 * 3_600_000));
  await em.flush();

  await runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps }, async () => {
    const before = await env.client.workflow.execute(retentionSweepWorkflow, { taskQueue: TASK_QUEUE, workflowId: `${RETENTION_SWEEP_SCHEDULE_ID}-hold-1` });
    expect(before).toMatchObject({ started: [], holdsExpired: 0, packagesDestroyed: 0 });
    await expectKept(kept);

    await env.sleep(4 * 3_600_000);
    const after = await env.client.workflow.execute(retentionSweepWorkflow, { taskQueue: TASK_QUEUE, workflowId: `${RETENTION_SWEEP_SCHEDULE_ID}-hold-2` });
    recorder.track(`${RETENTION_SWEEP_SCHEDULE_ID}-hold-2`);
    expect(after).toMatchObject({ started: [day], holdsExpired: 1, packagesDestroyed: 1 });
    expect(await env.client.workflow.getHandle(retentionWorkflowId(day)).result()).toMatchObject({ state: 'done', deleted: 1 });
    await expectDeleted(kept);
  });
  const fresh = fixture.db.orm.em.fork();
  expect(await fresh.findOneOrFail(RecordingHold, hold.id)).toMatchObject({ releasedBy: 'system:retention', releaseReason: '정한 기간 만료' });
  const destroyed = await fresh.findOneOrFail(Attachment, packageRow.id, { populate: ['wrappedKey'] });
  expect(destroyed).toMatchObject({ wrappedKey: null, destructionReason: '파기 결과 회신 기한 도래로 제공 파일 파기' });
  expect(deps.documents.list()).not.toContain(packageRow.id);
  // The tombstone keeps the recording day, not when the official spoke nor for how long.
  const tombstone = await fresh.findOneOrFail(Recording, kept.id);
  expect(tombstone).toMatchObject({ startedAt: fixture.calendar.startOfDay(day), endedAt: null, durationMs: null, otherPartyNumber: null });
});
