/**
 * R4 through crashes, on the real Temporal server `npm start` runs (the CLI's dev server, its state in a SQLite file)
 * rather than the time-skipping one: a crash is only a crash if the server's own timeouts notice it, and only a
 * server that keeps its state can be killed and brought back.
 *
 * - A worker process is killed with SIGKILL at the worst moment — files destroyed, their rows not yet tombstoned —
 *   and the next worker finishes the day once the killed attempt's heartbeat times out: nothing deleted twice (one
 *   audit entry each), nothing skipped, one report.
 * - Temporal is killed with SIGKILL while a day waits for its due time and started again after it: the durable timer
 *   fires and the day is deleted by the worker that kept running through the outage.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { AuditEvent, Recording } from '../../infra/db/entities';
import { createLogger } from '../../infra/logger';
import { startDevServer, type DevServer } from '../../infra/temporal/dev-server';
import { retentionDayStatus, retentionDayWorkflow, retentionWorkflowId } from '../../workflows/retention';
import { testActivityDeps } from '../support/activities';
import { freePort } from '../support/ports';
import { createRetentionFixture, type RetentionFixture } from '../support/retention';
import { bundleWorkflows, installQuietRuntime, runWithWorker } from '../support/temporal';

const TASK_QUEUE = 'retention-crash-test';
const NAMESPACE = 'default';
const DAY_MS = 86_400_000;

let fixture: RetentionFixture;
let workflowBundle: WorkflowBundleWithSourceMap;
let temporalDir: string;
let ports: { port: number; uiPort: number };
let server: DevServer;
let client: Client;

const startTemporal = () =>
  startDevServer({ dataDir: temporalDir, ...ports, namespace: NAMESPACE, logger: createLogger({ component: 'retention-crash-test' }, 'error') });

beforeAll(async () => {
  installQuietRuntime();
  temporalDir = mkdtempSync(path.join(os.tmpdir(), 'retention-temporal-'));
  ports = { port: await freePort(), uiPort: await freePort() };
  [fixture, workflowBundle, server] = await Promise.all([createRetentionFixture(), bundleWorkflows(), startTemporal()]);
  client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: NAMESPACE });
}, 120_000);

afterAll(async () => {
  await client?.connection.close();
  await server?.stop();
  await fixture?.close();
  rmSync(temporalDir, { recursive: true, force: true });
});

async function withWorker(body: () => Promise<void>): Promise<void> {
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const deps = testActivityDeps(fixture.db.orm, fixture.calendar, { capture: fixture.capture });
    await runWithWorker(connection, { namespace: NAMESPACE, taskQueue: TASK_QUEUE, workflowBundle, deps }, body);
  } finally {
    await connection.close();
  }
}

/** Runs test/support/retention-worker-process.ts (from dist/) until it kills itself after that many destructions. */
async function runWorkerProcessKilledAfter(destroys: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  const script = path.join(__dirname, '..', '..', 'dist', 'test', 'support', 'retention-worker-process.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: build first (npx tsc -p tsconfig.json; npm test does)`);
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TASK_QUEUE,
      DATABASE_SETTINGS: JSON.stringify(fixture.db.settings),
      CAPTURE_CONTROL_URL: fixture.controlUrl,
      CAPTURE_CONTROL_WORKER_TOKEN: fixture.workerToken,
      KILL_AFTER_DESTROYS: String(destroys),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
  const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { signal, stderr };
}

test('a worker killed with SIGKILL in the middle of a batch: the next worker finishes the day, deleting none twice and skipping none', async () => {
  const day = fixture.calendar.localDate(new Date(Date.now() - 50 * DAY_MS));
  const calls = await Promise.all(Array.from({ length: 12 }, (_, minute) => fixture.record(fixture.at(day, 8, minute))));
  const handle = await client.workflow.start(retentionDayWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: retentionWorkflowId(day),
    args: [{ day, dueAt: (calls[0] as Recording).retentionDueAt.toISOString(), batchSize: 5 }],
  });

  // Killed after the second file of the second batch: the first batch is committed, the second is half destroyed.
  expect(await runWorkerProcessKilledAfter(7)).toEqual({ signal: 'SIGKILL', stderr: '' });
  const rows = await fixture.db.orm.em.fork().find(Recording, { id: { $in: calls.map((call) => call.id) } });
  expect(rows.filter((row) => row.deletedAt).length).toBe(5);
  const filesLeft = calls.filter((call) => existsSync(path.join(fixture.dataDir, 'recordings', call.storageKey as string)));
  expect(filesLeft.length).toBeLessThanOrEqual(12 - 7);

  await withWorker(async () => {
    // The killed attempt times out on its heartbeat; the retry finds the destroyed files and commits their rows.
    expect(await handle.result()).toMatchObject({ state: 'done', deleted: 12, held: 0 });
  });
  for (const recording of calls) await fixture.expectDeleted(recording);
  const reports = await fixture.db.orm.em.fork().find(AuditEvent, { action: 'retention.run_reported', targetId: { $like: `${handle.workflowId}/%` } });
  expect(reports.map((report) => JSON.parse(report.detail) as unknown)).toEqual([expect.objectContaining({ day, deleted: 12, held: 0 })]);
  expect((await verifyAuditChain(fixture.db.orm.em.fork())).ok).toBe(true);
}, 120_000);

test('Temporal killed with SIGKILL while a day waits, started again after its due time: the day is deleted', async () => {
  const day = fixture.calendar.localDate(new Date(Date.now() - 60 * DAY_MS));
  const calls = await Promise.all([9, 10, 11].map((hour) => fixture.record(fixture.at(day, hour, 0))));
  // The day's due instant a few seconds ahead, so the outage spans it (the recordings themselves are long due).
  const dueAt = new Date(Date.now() + 8_000);
  await withWorker(async () => {
    const handle = await client.workflow.start(retentionDayWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: retentionWorkflowId(day),
      args: [{ day, dueAt: dueAt.toISOString() }],
    });
    expect(await handle.query(retentionDayStatus)).toMatchObject({ state: 'waiting' });

    const pid = Number(readFileSync(path.join(temporalDir, 'temporal', 'server.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await server.exited;
    await new Promise((resolve) => setTimeout(resolve, dueAt.getTime() - Date.now() + 2_000));
    for (const recording of calls) await fixture.expectKept(recording);
    server = await startTemporal();

    const status = await handle.result();
    expect(status).toMatchObject({ state: 'done', deleted: 3 });
    expect(Date.parse(status.startedDeletingAt as string)).toBeGreaterThanOrEqual(dueAt.getTime());
  });
  for (const recording of calls) await fixture.expectDeleted(recording);
}, 120_000);
