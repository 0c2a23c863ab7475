/**
 * What the full-recording API and browser suites share: the API over a seeded database with a real capture appliance,
 * and the application workflows on the time-skipping Temporal server with a worker running until `close()`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../infra/legal-period';
import { FullRecordingWorkflows } from '../../infra/temporal/full-recording';
import { testActivityDeps } from './activities';
import { seedCalls, startTestApi, type SeededCalls, type TestApi } from './api';
import { startTestAppliance, type TestAppliance } from './appliance';
import { createTestDatabase, type TestDatabase } from './databases';
import { bundleWorkflows, createTimeSkippingEnvironment } from './temporal';

const TASK_QUEUE = 'full-recording-test';

export interface FullRecordingStack {
  readonly env: TestWorkflowEnvironment;
  readonly database: TestDatabase;
  readonly calendar: LegalCalendar;
  readonly calls: SeededCalls;
  readonly capture: TestAppliance;
  readonly api: TestApi;
  close(): Promise<void>;
}

export async function startFullRecordingStack(driver: 'sqlite' | 'postgresql'): Promise<FullRecordingStack> {
  const calendar = await loadLegalCalendar('Asia/Seoul');
  const [env, database] = await Promise.all([createTimeSkippingEnvironment(), createTestDatabase(driver)]);
  const calls = await seedCalls(database.orm);
  const capture = await startTestAppliance(database.orm);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await bundleWorkflows(),
    activities: createActivities(testActivityDeps(database.orm, calendar, { capture: capture.control })),
  });
  const running = worker.run();
  const api = await startTestApi(database.orm, { capture: capture.control, fullRecordingWorkflows: new FullRecordingWorkflows(env.client, TASK_QUEUE) });
  return {
    env, database, calendar, calls, capture, api,
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
