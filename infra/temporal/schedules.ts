/**
 * The system's periodic workflows run as Temporal Schedules, so they run whether or not any process of ours is up at
 * the time (a worker that comes back picks up a missed run within the catch-up window). Each is created at start-up,
 * and brought to its definition if an older one exists, so a changed interval or task queue takes effect.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleSpec } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

export interface ScheduleDefinition {
  scheduleId: string;
  workflowType: Workflow;
  taskQueue: string;
  spec: ScheduleSpec;
  /** Also how far back a missed run is still made up. */
  runTimeout: '1 hour' | '1 day';
}

export async function ensureSchedule(client: Client, { scheduleId, workflowType, taskQueue, spec, runTimeout }: ScheduleDefinition): Promise<void> {
  const definition = {
    spec,
    action: { type: 'startWorkflow' as const, workflowType, taskQueue, workflowId: scheduleId, workflowExecutionTimeout: runTimeout, args: [] as [] },
    policies: { overlap: 'SKIP' as const, catchupWindow: runTimeout },
  };
  try {
    await client.schedule.create({ scheduleId, ...definition });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...definition }));
  }
}
