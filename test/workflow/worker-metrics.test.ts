/**
 * The Temporal worker's own metrics and logs (issue 9): with WORKER_METRICS_PORT the SDK's Prometheus exporter listens
 * on 127.0.0.1 and the API's /metrics carries its workflow task latencies; the SDK's log lines (here an activity's)
 * land in the system's JSON log with the workflow id and the case it belongs to, and without the activity's task token.
 */
import { randomUUID } from 'node:crypto';
import { log } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { HttpMetrics } from '../../api/monitoring';
import { createLogger, type Logger } from '../../infra/logger';
import { installWorkerRuntime } from '../../infra/temporal/runtime';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestApi, type TestApi } from '../support/api';
import { freePort } from '../support/ports';
import { TEST_SERVER_EXECUTABLE } from '../support/temporal';
import { metricsProbeWorkflow } from '../support/metrics-workflow';

const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
function collectingLogger(base: Record<string, unknown> = {}): Logger {
  const quiet = createLogger({}, 'error');
  const collect =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void logged.push({ level, message, fields: { ...base, ...fields } });
  return {
    ...quiet,
    debug: collect('debug'),
    info: collect('info'),
    warn: collect('warn'),
    error: collect('error'),
    child: (fields) => collectingLogger({ ...base, ...fields }),
  };
}

let env: TestWorkflowEnvironment;
let database: TestDatabase;
let api: TestApi;
let metricsUrl: string | undefined;

beforeAll(async () => {
  ({ metricsUrl } = installWorkerRuntime({ logger: collectingLogger(), metricsPort: await freePort() }));
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER_EXECUTABLE } } });
  database = await createTestDatabase('sqlite');
  api = await startTestApi(database.orm, { monitoring: { http: new HttpMetrics(), workerMetricsUrl: metricsUrl, logger: collectingLogger() } });
});
afterAll(async () => {
  await api?.close();
  await database?.dispose();
  await env?.teardown();
});

test('a workflow run: its task latencies in /metrics, its activity log with the workflow and case ids', async () => {
  expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const taskQueue = `metrics-${randomUUID()}`;
  const caseId = randomUUID();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../support/metrics-workflow'),
    activities: {
      noteProbe: async () => {
        log.info('probe noted', { step: 'probe' });
      },
    },
  });
  const result = await worker.runUntil(env.client.workflow.execute(metricsProbeWorkflow, { workflowId: `disclosure-${caseId}`, taskQueue }));
  expect(result).toBe('done');

  const response = await fetch(`${api.url}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  for (const name of ['temporal_workflow_task_schedule_to_start_latency_seconds', 'temporal_workflow_task_execution_latency_seconds']) {
    expect([name, new RegExp(`^# TYPE ${name} histogram$`, 'm').test(text)]).toEqual([name, true]);
    const count = new RegExp(`^${name}_count\\{[^}]*task_queue="${taskQueue}"[^}]*\\} (\\d+)`, 'm').exec(text);
    expect([name, Number(count?.[1] ?? 0) >= 1]).toEqual([name, true]);
  }
  // The API's own families and the worker's sit in one scrape, each once.
  const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]);
  expect(new Set(families).size).toBe(families.length);
  expect(families).toContain('telrec_http_requests_total');

  const line = logged.find((entry) => entry.message === 'probe noted');
  expect(line?.fields).toMatchObject({
    component: 'temporal-sdk',
    step: 'probe',
    workflowId: `disclosure-${caseId}`,
    workflowType: 'metricsProbeWorkflow',
    activityType: 'noteProbe',
    caseType: 'disclosure_request',
    caseId,
  });
  expect(line?.fields).not.toHaveProperty('taskToken');
});
