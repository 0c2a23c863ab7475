/**
 * A worker in a process of its own, so a test can kill it for real (test/workflow/retention.test.ts): it connects to
 * the Temporal server at TEMPORAL_ADDRESS, runs every workflow and activity over the test's database and capture
 * appliance, and SIGKILLs itself right after its KILL_AFTER_DESTROYS-th file destruction — the worst moment, files
 * gone and their rows not yet tombstoned. Anything it prints on stderr is a failure to report. Run from dist/ (npm test
 * builds it first).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { CaptureControlClient } from '../../capture/control-client';
import { loadLegalCalendar } from '../../infra/holidays';
import { initOrm, type DatabaseSettings } from '../../infra/db/orm';
import { WORKFLOWS_PATH } from '../../infra/temporal/workflows-path';
import { testActivityDeps } from './activities';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const killAfter = Number(required('KILL_AFTER_DESTROYS'));
  const orm = await initOrm(JSON.parse(required('DATABASE_SETTINGS')) as DatabaseSettings);
  const calendar = await loadLegalCalendar('Asia/Seoul');
  const capture = new CaptureControlClient({ baseUrl: required('CAPTURE_CONTROL_URL'), token: required('CAPTURE_CONTROL_WORKER_TOKEN') });
  const destroy = capture.destroyRecording.bind(capture);
  let destroyed = 0;
  capture.destroyRecording = async (recordingId) => {
    const result = await destroy(recordingId);
    if (++destroyed === killAfter) process.kill(process.pid, 'SIGKILL');
    return result;
  };
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') }),
    taskQueue: required('TASK_QUEUE'),
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(testActivityDeps(orm, calendar, { capture })),
  });
  await worker.run();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
