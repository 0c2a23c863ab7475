/**
 * Starting a recording day's retention workflow (workflows/retention.ts) through the Temporal client: by the capture
 * appliance when it registers a recording, and by whatever releases a hold. Idempotent: the day's running workflow is
 * reused (so 50,000 registrations a day cost one workflow, and a retried registration starts nothing new); a day whose
 * run has finished gets a new run, which deletes at once what has become deletable since.
 */
import type { Client } from '@temporalio/client';
import { ensureSchedule } from './schedules';
import type { LegalCalendar } from '../../domain/legal-period';
import { RETENTION_INVENTORY_SCHEDULE_ID, retentionInventoryWorkflow, type RetentionInventoryWorkflowInput } from '../../workflows/retention-inventory';
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

/** The hourly safety sweep (workflows/retention.ts). */
export function ensureRetentionSweepSchedule(client: Client, taskQueue: string): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: RETENTION_SWEEP_SCHEDULE_ID,
    workflowType: retentionSweepWorkflow,
    taskQueue,
    spec: { intervals: [{ every: '1 hour' }] },
    catchupWindow: '1 hour',
    executionTimeout: '1 hour',
  });
}

/** The daily inventory (workflows/retention-inventory.ts), every morning at 06:00 in the city, before the working day. */
export function ensureRetentionInventorySchedule(client: Client, taskQueue: string, timeZone: string, input: RetentionInventoryWorkflowInput): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: RETENTION_INVENTORY_SCHEDULE_ID,
    workflowType: retentionInventoryWorkflow,
    taskQueue,
    spec: { calendars: [{ hour: 6, minute: 0 }], timezone: timeZone },
    catchupWindow: '1 day',
    executionTimeout: '1 hour',
    args: [input],
  });
}
