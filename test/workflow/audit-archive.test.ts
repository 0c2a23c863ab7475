/**
 * The nightly audit archive (issue 19) on the real time-skipping Temporal test server with real activities over a
 * real database: the workflow seals what its own run time makes due — two years skipped on the server's clock turn
 * today's entries into archived ones — loops until nothing more is due, and leaves a chain that verifies from the
 * checkpoint, with every segment verifying on its own. A second run takes what the first appended, never its own.
 */
import { readdirSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { verifyAuditArchive } from '../../infra/audit/audit-archive';
import { appendAuditEvent, verifyAuditChain } from '../../infra/audit/audit-log';
import { AuditEvent } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import { AUDIT_ARCHIVE_SCHEDULE_ID, auditArchiveWorkflow } from '../../workflows/audit-archive';
import { testActivityDeps } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { bundleWorkflows, clockHoldingClient, createTimeSkippingEnvironment, runWithWorker } from '../support/temporal';

const TASK_QUEUE = 'audit-archive-test';
const DAY_MS = 86_400_000;

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let workflowBundle: WorkflowBundleWithSourceMap;
let deps: ReturnType<typeof testActivityDeps>;

beforeAll(async () => {
  const [database, calendar, bundle] = await Promise.all([createTestDatabase('sqlite'), loadLegalCalendar('Asia/Seoul'), bundleWorkflows()]);
  [db, workflowBundle] = [database, bundle];
  deps = testActivityDeps(db.orm, calendar);
  env = await createTimeSkippingEnvironment();
});
afterAll(async () => {
  await env?.teardown();
  await db?.dispose();
});

async function append(at: Date, reason: string): Promise<void> {
  await db.orm.em.fork().transactional((em) =>
    appendAuditEvent(em, {
      actor: 'lee.operator',
      role: 'operator',
      sourceAddress: '10.1.2.3',
      action: 'recording.search',
      targetType: 'recording',
      targetId: 'search',
      reason,
      at,
    }),
  );
}

test('years later, the run seals the due days, 25 segments per call until none is due, and the chain verifies from the checkpoint', async () => {
  // One entry at noon in Seoul on each of 30 days running from the server's "today", then three years skipped.
  const start = new Date(await env.currentTimeMs());
  const noon = new Date(Math.floor((start.getTime() + 9 * 3_600_000) / DAY_MS) * DAY_MS - 9 * 3_600_000 + 12 * 3_600_000);
  for (let day = 0; day < 30; day += 1) await append(new Date(noon.getTime() + day * DAY_MS), `검색 ${day}`);
  await env.sleep(3 * 366 * DAY_MS);

  // A client that waits without letting the server skip time: the run's clock stays where the test put it.
  const client = clockHoldingClient(env);
  const runArchive = (workflowId: string) =>
    client.workflow.execute(auditArchiveWorkflow, { taskQueue: TASK_QUEUE, workflowId, args: [{ retentionPeriod: '2y', timeZone: 'Asia/Seoul' }] });
  await runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps }, async () => {
    const result = await runArchive(`${AUDIT_ARCHIVE_SCHEDULE_ID}-test`);
    // A segment per day, over two activity calls (25, then 5).
    expect(result.entries).toBe(30);
    expect(result.segments.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual(Array.from({ length: 30 }, (_, n) => [n + 1, n + 1]));
    // The cutoff is the run's own (server) time, two years back: after the seeded days, before today.
    expect(new Date(result.cutoff).getTime()).toBeGreaterThan(noon.getTime() + 30 * DAY_MS);
    expect(new Date(result.cutoff).getTime()).toBeLessThan(await env.currentTimeMs());

    // The `audit.archived` entries carry the wall clock's time, years behind the server's: due at once, and taken by
    // the next run, but never those a run appends itself (it would never end).
    const again = await runArchive(`${AUDIT_ARCHIVE_SCHEDULE_ID}-test-again`);
    expect(again.entries).toBe(30);
    expect(again.segments[0]?.firstSeq).toBe(31);
    expect(again.segments[again.segments.length - 1]?.lastSeq).toBe(60);
  });

  const live = await db.orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } });
  const archivedAgain = live.length;
  expect(live.map((row) => row.action)).toEqual(Array.from({ length: archivedAgain }, () => 'audit.archived'));
  expect(live[0]?.seq).toBe(61);
  const { signingKey, folder } = deps.auditArchive;
  const segments = 30 + archivedAgain;
  expect(readdirSync(folder)).toHaveLength(segments);
  expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({
    ok: true,
    entries: 60 + archivedAgain,
    archived: { checkpoints: segments, entries: 60 },
  });
  expect(await verifyAuditArchive(db.orm.em, folder, signingKey)).toMatchObject({ ok: true, segments, entries: 60, problems: [] });
});
