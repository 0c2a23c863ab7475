/**
 * Once a day, at night, the tables that held wrapped keys are vacuumed so that a deleted recording's key does not
 * outlive its deletion in the database's files (issue 19; activities/database-maintenance.ts). A Temporal Schedule runs
 * it (infra/temporal/database-vacuum.ts); a missed night is made up within the hour or left to the next night, never
 * run in the day, as PostgreSQL's VACUUM FULL locks each table while it rewrites it.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const DATABASE_VACUUM_SCHEDULE_ID = 'database-vacuum';

const { vacuumKeyTables } = proxyActivities<Activities>({
  // One statement per table, without heartbeats: a year of recordings takes seconds to minutes.
  startToCloseTimeout: '30 minutes',
  // A lock not obtained (a long report holding a table) or a busy SQLite checkpoint: tried again a little later.
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 5 },
});

export type { KeyRemnantScrub } from '../activities/database-maintenance';

export async function databaseVacuumWorkflow(): Promise<Awaited<ReturnType<Activities['vacuumKeyTables']>>> {
  const { workflowId, runId } = workflowInfo();
  return vacuumKeyTables({ run: `${workflowId}/${runId}` });
}
