/**
 * Starting a recording day's retention workflow (workflows/retention.ts) through the Temporal client: by the capture
 * appliance when it registers a recording, and by whatever releases a hold. Idempotent: the day's running workflow is
 * reused (so 50,000 registrations a day cost one workflow, and a retried registration starts nothing new); a day whose
 * run has finished gets a new run, which deletes at once what has become deletable since.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { LegalCalendar } from '../legal-period';
import { RETENTION_SWEEP_SCHEDULE_ID, retentionDayWorkflow, retentionSweepWorkflow, retentionWorkflowId } from '../../workflows/retention';

export async function startRetentionDay(
  client: Client,
  taskQueue: string,
  calendar: LegalCalendar,
  recording: { readonly startedAt: Date; readonly retentionDueAt: Date },
): Promise<{ workflowId: string; runId: string }> {
  const day = calendar.localDate(recording.startedAt);
  const handle = await client.workflow.start(retentionDayWorkflow, {
    taskQueue,
    workflowId: retentionWorkflowId(day),
    args: [{ day, dueAt: recording.retentionDueAt.toISOString() }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

/**
 * The hourly safety sweep (workflows/retention.ts), as a Temporal Schedule so it runs whether or not any process of
 * ours is up at the hour (a worker that comes back picks up the missed run within the catch-up window). Created at
 * start-up, and brought to this definition if an older one exists, so a changed interval or task queue takes effect.
 */
export async function ensureRetentionSweepSchedule(client: Client, taskQueue: string): Promise<void> {
  const definition = {
    spec: { intervals: [{ every: '1 hour' }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: retentionSweepWorkflow,
      taskQueue,
      workflowId: RETENTION_SWEEP_SCHEDULE_ID,
      workflowExecutionTimeout: '1 hour',
    } satisfies ScheduleOptionsStartWorkflowAction<typeof retentionSweepWorkflow>,
    policies: { overlap: 'SKIP' as const, catchupWindow: '1 hour' },
  };
  try {
    await client.schedule.create({ scheduleId: RETENTION_SWEEP_SCHEDULE_ID, ...definition });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(RETENTION_SWEEP_SCHEDULE_ID).update((previous) => ({ ...previous, ...definition }));
  }
}
