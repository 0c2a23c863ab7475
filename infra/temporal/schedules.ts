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
  /** How far back a missed run is still made up. */
  catchupWindow: '1 hour' | '1 day';
  /** A sweep that cannot finish within this is cut off (the next one redoes it); none for a run that waits on people. */
  executionTimeout?: '1 hour';
  /** The workflow's arguments, from the settings when the schedule is (re)defined at start-up. */
  args?: unknown[];
}

export async function ensureSchedule(
  client: Client,
  { scheduleId, workflowType, taskQueue, spec, catchupWindow, executionTimeout, args = [] }: ScheduleDefinition,
): Promise<void> {
  const definition = {
    spec,
    action: { type: 'startWorkflow' as const, workflowType, taskQueue, workflowId: scheduleId, workflowExecutionTimeout: executionTimeout, args },
    policies: { overlap: 'SKIP' as const, catchupWindow },
  };
  try {
    await client.schedule.create({ scheduleId, ...definition });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...definition }));
  }
}
