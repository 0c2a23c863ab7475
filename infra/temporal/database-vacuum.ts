/** The nightly vacuum of the tables that held wrapped keys (workflows/database-vacuum.ts), as a Temporal Schedule. */
import type { Client } from '@temporalio/client';
import { ensureSchedule } from './schedules';
import { DATABASE_VACUUM_SCHEDULE_ID, databaseVacuumWorkflow } from '../../workflows/database-vacuum';

/**
 * 02:30 in the city: after the night's retention deletions (a recording day falls due at midnight) and before the
 * working day.
 */
export function ensureDatabaseVacuumSchedule(client: Client, taskQueue: string, timeZone: string): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: DATABASE_VACUUM_SCHEDULE_ID,
    workflowType: databaseVacuumWorkflow,
    taskQueue,
    spec: { calendars: [{ hour: 2, minute: 30 }], timezone: timeZone },
    catchupWindow: '1 hour',
    executionTimeout: '1 hour',
  });
}
