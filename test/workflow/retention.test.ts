/**
 * R4 on the real time-skipping Temporal test server, with a real capture appliance holding real encrypted files and
 * a real database: a recording day's workflow sleeps until the day's storage period has ended (a Seoul day boundary
 * between 23:59 and 00:01 decides which run deletes a call), deletes in batches, skips held recordings until the
 * hold is released, and reports each run in the audit chain. The window a crash can leave — files destroyed, rows not
 * yet tombstoned — is reproduced and repaired by the retry.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { AuditEvent, Department, Extension, Recording, RecordingHold } from '../../infra/db/entities';
import { newDataKey } from '../../infra/crypto/envelope';
import { loadLegalCalendar } from '../../infra/holidays';
import { addDays, type LegalCalendar } from '../../infra/legal-period';
import { createLogger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import { startRetentionDay } from '../../infra/temporal/retention';
import { WORKFLOWS_PATH } from '../../infra/temporal/worker';
import { startAppliance, type Appliance } from '../../capture/appliance';
import { CaptureControlClient } from '../../capture/control-client';
import { CHUNK_AUDIO_BYTES } from '../../capture/recording-store';
import { retentionDayStatus, type RetentionDayStatus } from '../../workflows/retention';
import { testActivityDeps } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { freePort } from '../support/ports';
import { createTimeSkippingEnvironment } from '../support/temporal';

const TASK_QUEUE = 'retention-test';
const TOKEN = 'retention-suite-control-token-0123456789abcdef';
const MINUTE = 60_000;
const quietBundler = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let calendar: LegalCalendar;
let workflowBundle: WorkflowBundleWithSourceMap;
let dataDir: string;
let appliance: Appliance;
let capture: CaptureControlClient;
let extension: Extension;
let sequence = 0;

beforeAll(async () => {
  [db, calendar, workflowBundle] = await Promise.all([
    createTestDatabase('sqlite'),
    loadLegalCalendar('Asia/Seoul'),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundler }),
  ]);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'retention-'));
  const first = (await freePort()) & ~1;
  appliance = await startAppliance({
    dataDir,
    masterKey: newDataKey(),
    orm: db.orm,
    calendar,
    retentionPeriod: loadSettings({}).retentionPeriod,
    logger: createLogger({ component: 'retention-test' }, 'error'),
    rtsp: { host: '127.0.0.1', port: 0, rtpPorts: { first, last: first + 7 }, sessionTimeoutMs: 10_000, devices: new Map() },
    control: { port: await freePort(), token: TOKEN },
    // The test server's clock runs weeks ahead of the wall clock; the appliance's own refusal of a file that is not
    // due yet is proven against the wall clock in test/capture/appliance.test.ts.
    clock: () => new Date(8.64e15),
  });
  capture = new CaptureControlClient({ baseUrl: `http://127.0.0.1:${appliance.controlPort}`, token: TOKEN });
  const em = db.orm.em.fork();
  const welfare = new Department('welfare', '복지정책과', 'department');
  extension = new Extension('02-2680-1234', welfare);
  em.persist([welfare, extension]);
  await em.flush();
}, 60_000);

afterAll(async () => {
  await appliance?.stop();
  await db?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

// A fresh test server per test: each starts at today's date, whatever the previous test skipped to.
beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
});
afterEach(async () => env?.teardown());

async function withWorker(body: () => Promise<void>): Promise<void> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle,
    activities: createActivities(testActivityDeps(db.orm, calendar, { capture })),
  });
  await worker.runUntil(body);
}

/** A real recording: an encrypted file written by the appliance's store, registered as the appliance does. */
async function record(startedAt: Date): Promise<Recording> {
  sequence += 1;
  const callId = `ret-${sequence}`;
  const recordingId = crypto.randomUUID();
  const writer = await appliance.store.open({ recordingId, codec: 'PCMU', startedAt, metadata: { callId } });
  await writer.append(new Uint8Array(CHUNK_AUDIO_BYTES).fill(0x42));
  const finished = await writer.finish();
  const { recording } = await appliance.registrar.register({
    callId,
    extension: extension.number,
    otherParty: '010-1234-5678',
    direction: 'inbound',
    startedAt,
    notices: ['verbal:official'],
    codec: 'PCMU',
    storageKey: finished.storageKey,
    wrappedKey: finished.wrappedKey,
    sha256: finished.sha256,
    durationMs: finished.durationMs,
    sizeBytes: finished.sizeBytes,
    recovered: false,
  });
  await appliance.store.acknowledge(recordingId);
  return recording;
}

/** Seoul local time on a day, e.g. at(day, 23, 59). */
const at = (day: string, hours: number, minutes: number) => new Date(calendar.startOfDay(day).getTime() + (hours * 60 + minutes) * MINUTE);

async function reload(recording: Recording): Promise<Recording> {
  return db.orm.em.fork().findOneOrFail(Recording, recording.id, { populate: ['wrappedKey'] });
}

const fileOf = (storageKey: string) => path.join(dataDir, 'recordings', storageKey);

async function expectDeleted(recording: Recording): Promise<void> {
  const row = await reload(recording);
  expect(row.deletedAt).toBeInstanceOf(Date);
  // The tombstone keeps id, hash and times; the key, the other party and the file are gone.
  expect({ key: row.wrappedKey ?? null, other: row.otherPartyNumber ?? null, file: row.storageKey ?? null }).toEqual({ key: null, other: null, file: null });
  expect(row.sha256).toBe(recording.sha256);
  expect(existsSync(fileOf(recording.storageKey as string))).toBe(false);
  expect(await db.orm.em.fork().count(AuditEvent, { action: 'recording.deleted', targetId: recording.id })).toBe(1);
}

async function expectKept(recording: Recording): Promise<void> {
  const row = await reload(recording);
  expect(row.deletedAt ?? null).toBeNull();
  expect(row.wrappedKey).toBeTruthy();
  expect(existsSync(fileOf(recording.storageKey as string))).toBe(true);
}

test("23:59 and 00:01 KST fall on two days: each call is deleted by its own day's run, once its 30 days have ended", async () => {
  const today = calendar.localDate(new Date(await env.currentTimeMs()));
  const beforeMidnight = await record(at(today, 23, 59));
  const afterMidnight = await record(at(addDays(today, 1), 0, 1));
  expect(beforeMidnight.retentionDueAt).toEqual(calendar.startOfDay(addDays(today, 31)));
  expect(afterMidnight.retentionDueAt).toEqual(calendar.startOfDay(addDays(today, 32)));

  await withWorker(async () => {
    const started = await startRetentionDay(env.client, TASK_QUEUE, calendar, beforeMidnight);
    const first = env.client.workflow.getHandle(started.workflowId);
    const second = env.client.workflow.getHandle((await startRetentionDay(env.client, TASK_QUEUE, calendar, afterMidnight)).workflowId);
    expect([first.workflowId, second.workflowId]).toEqual([`retention-${today}`, `retention-${addDays(today, 1)}`]);
    // Another registration on the same day (or a retried one) reuses the day's running workflow.
    expect(await startRetentionDay(env.client, TASK_QUEUE, calendar, beforeMidnight)).toEqual(started);

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
  const reports = await db.orm.em.fork().find(AuditEvent, { action: 'retention.run_reported' }, { orderBy: { seq: 'asc' } });
  expect(reports.map((report) => JSON.parse(report.detail))).toEqual([
    expect.objectContaining({ day: today, deleted: 1, held: 0, digest: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    expect.objectContaining({ day: addDays(today, 1), deleted: 1, held: 0 }),
  ]);
  expect((await verifyAuditChain(db.orm.em.fork())).ok).toBe(true);
});

test('a held recording outlives its due date; released, the day is started again and it is deleted at once', async () => {
  // Days of its own, apart from the other tests' recordings in the same database.
  const today = addDays(calendar.localDate(new Date(await env.currentTimeMs())), 5);
  const held = await record(at(today, 10, 0));
  const free = await record(at(today, 11, 0));
  const em = db.orm.em.fork();
  const hold = new RecordingHold(em.getReference(Recording, held.id), '열람 신청 2026-0007', 'lee.operator');
  em.persist(hold);
  await em.flush();

  await withWorker(async () => {
    const handle = env.client.workflow.getHandle((await startRetentionDay(env.client, TASK_QUEUE, calendar, held)).workflowId);
    expect(await handle.result()).toMatchObject({ state: 'done', deleted: 1, held: 1 });
    await expectKept(held);
    await expectDeleted(free);

    hold.releasedAt = new Date(await env.currentTimeMs());
    hold.releasedBy = 'system:disclosure';
    await em.flush();
    const restarted = await startRetentionDay(env.client, TASK_QUEUE, calendar, held);
    const again = env.client.workflow.getHandle(restarted.workflowId, restarted.runId);
    expect(await again.result()).toMatchObject({ state: 'done', deleted: 1, held: 0 });
    await expectDeleted(held);
  });
});

test('a crash after the files were destroyed but before the rows were committed: the retry finishes, deleting none twice and skipping none', async () => {
  const today = calendar.localDate(new Date(Date.now() - 40 * 86_400_000));
  const calls = await Promise.all([8, 9, 10, 11, 12].map((hour) => record(at(today, hour, 0))));
  // The state a worker killed between the two steps leaves: two files gone, every row still live.
  for (const recording of calls.slice(0, 2)) await capture.destroyRecording(recording.id);
  const { deleteDueRecordings, reportRetentionRun } = createActivities(testActivityDeps(db.orm, calendar, { capture }));
  const activity = new MockActivityEnvironment();
  const asOf = new Date().toISOString();
  const batches: number[] = [];
  for (;;) {
    const { deleted } = (await activity.run(deleteDueRecordings, { day: today, asOf, batchSize: 2 })) as { deleted: number };
    batches.push(deleted);
    if (deleted === 0) break;
  }
  expect(batches).toEqual([2, 2, 1, 0]);
  for (const recording of calls) await expectDeleted(recording);
  const report = await activity.run(reportRetentionRun, { day: today, asOf, run: 'retention-test/crash' });
  expect(report).toMatchObject({ deleted: 5, held: 0 });
  // Reported once, however often the activity is retried.
  await activity.run(reportRetentionRun, { day: today, asOf, run: 'retention-test/crash' });
  expect(await db.orm.em.fork().count(AuditEvent, { action: 'retention.run_reported', targetId: 'retention-test/crash' })).toBe(1);
});
