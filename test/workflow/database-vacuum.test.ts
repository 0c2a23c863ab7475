/**
 * The nightly vacuum of the tables that held wrapped keys (issue 19) as its schedule starts it, on the time-skipping
 * Temporal test server over a real SQLite database: the workflow's activity checkpoints the write-ahead log into the
 * file and empties it (test/persistence/key-remnants.test.ts reads the bytes on SQLite and PostgreSQL), and the run
 * is in the audit chain once, under its workflow run.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AuditEvent } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import { databaseVacuumWorkflow } from '../../workflows/database-vacuum';
import { testActivityDeps } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { bundleWorkflows, createTimeSkippingEnvironment, historyRecorder, runWithWorker } from '../support/temporal';

const TASK_QUEUE = 'database-vacuum-test';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
beforeAll(async () => {
  [env, db] = await Promise.all([createTimeSkippingEnvironment(), createTestDatabase('sqlite')]);
});
const recorder = historyRecorder('database-vacuum');
afterAll(async () => {
  if (env) await recorder.keep(env.client);
  await env?.teardown();
  await db?.dispose();
});

test('a night’s run vacuums every table that held keys and is audited once, under its run', async () => {
  const deps = testActivityDeps(db.orm, await loadLegalCalendar('Asia/Seoul'));
  await runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle: await bundleWorkflows(), deps }, async () => {
    const workflowId = 'database-vacuum-2026-12-09T02:30:00Z';
    recorder.track(workflowId);
    const handle = await env.client.workflow.start(databaseVacuumWorkflow, { taskQueue: TASK_QUEUE, workflowId });
    const result = await handle.result();
    expect(result).toMatchObject({
      driver: 'sqlite',
      tables: ['archived_history', 'attachment', 'generated_document', 'recording'],
      checkpoint: { busy: 0 },
    });
    const entries = await db.orm.em.fork().find(AuditEvent, { action: 'database.vacuumed' });
    expect(entries.map((entry) => entry.targetId)).toEqual([`${workflowId}/${handle.firstExecutionRunId}`]);
    expect(entries[0]).toMatchObject({ actor: 'system:maintenance', role: 'system', reason: '삭제된 녹취 키의 잔존 제거' });
  });
});
