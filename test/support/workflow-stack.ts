/**
 * What the lifecycle API and browser suites share (full recording, disclosure): the API over a seeded database with a
 * real capture appliance, and the case workflows on the time-skipping Temporal server with a worker running until
 * `close()`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import { FullRecordingWorkflows } from '../../infra/temporal/full-recording';
import { AccessReviewWorkflows } from '../../infra/temporal/access-review';
import { DisclosureWorkflows } from '../../infra/temporal/disclosure';
import { testActivityDeps } from './activities';
import { seedCalls, startTestApi, type SeededCalls, type TestApi } from './api';
import { startTestAppliance, type TestAppliance } from './appliance';
import { createTestDatabase, type TestDatabase } from './databases';
import { bundleWorkflows, createTimeSkippingEnvironment } from './temporal';

const TASK_QUEUE = 'lifecycle-test';

export interface WorkflowStack {
  readonly env: TestWorkflowEnvironment;
  readonly database: TestDatabase;
  readonly calendar: LegalCalendar;
  readonly calls: SeededCalls;
  readonly capture: TestAppliance;
  readonly api: TestApi;
  /** The worker's task queue, for starting a workflow the API does not start (e.g. a scheduled sweep). */
  readonly taskQueue: string;
  close(): Promise<void>;
}

export async function startWorkflowStack(driver: 'sqlite' | 'postgresql'): Promise<WorkflowStack> {
  const calendar = await loadLegalCalendar('Asia/Seoul');
  const [env, database] = await Promise.all([createTimeSkippingEnvironment(), createTestDatabase(driver)]);
  const calls = await seedCalls(database.orm);
  const capture = await startTestAppliance(database.orm);
  const api = await startTestApi(database.orm, {
    capture: capture.clients.api,
    fullRecordingWorkflows: new FullRecordingWorkflows(env.client, TASK_QUEUE),
    disclosureWorkflows: new DisclosureWorkflows(env.client, TASK_QUEUE),
    accessReviewWorkflows: new AccessReviewWorkflows(env.client, TASK_QUEUE),
  });
  // One document store for the API and the worker, as they share DATA_DIR and the master key in a deployment.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await bundleWorkflows(),
    activities: createActivities({ ...testActivityDeps(database.orm, calendar, { capture: capture.clients.worker }), documents: api.documents }),
  });
  const running = worker.run();
  return {
    env,
    database,
    calendar,
    calls,
    capture,
    api,
    taskQueue: TASK_QUEUE,
    async close() {
      await api.close();
      worker.shutdown();
      await running;
      await env.teardown();
      await capture.close();
      await database.dispose();
    },
  };
}
