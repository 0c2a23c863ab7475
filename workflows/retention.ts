/**
 * R4 — 보존 / 삭제: the recordings of one recording day (Asia/Seoul) are deleted once their storage period has ended.
 *
 * One workflow per recording day, not one per recording: a city's 50,000 calls a day keep about thirty of these
 * open (the storage period in days), whatever the volume. The capture appliance starts the day's workflow when it
 * registers a recording (workflow id `retention-<day>`, an existing run is reused), so every day with a recording has
 * one. It sleeps until the day's due instant — the same for every recording of the day, from the legal calendar —
 * then deletes in batches until nothing deletable is left, and reports the run in the audit chain.
 *
 * Held recordings are skipped; when a hold is released the day's workflow is started again and deletes them at once.
 * A recording registered after its day's run ended (recovered late) starts a new run the same way.
 */
import { proxyActivities, setHandler, sleep, workflowInfo, defineQuery } from '@temporalio/workflow';
import type { Activities } from '../activities';

export interface RetentionDayInput {
  /** The recording day, `YYYY-MM-DD` in Asia/Seoul. */
  day: string;
  /** When the day's recordings are due (ISO instant): the start of the day after the storage period. */
  dueAt: string;
  /** Recordings deleted per activity call. */
  batchSize?: number;
}

export type RetentionDayState = 'waiting' | 'deleting' | 'done';

export interface RetentionDayStatus {
  day: string;
  dueAt: string;
  state: RetentionDayState;
  /** Deleted by this run so far. */
  deleted: number;
  batches: number;
  /** Due but held at the end of the run. */
  held: number;
  startedDeletingAt?: string;
  finishedAt?: string;
}

export const retentionDayStatus = defineQuery<RetentionDayStatus>('retentionDayStatus');

export function retentionWorkflowId(day: string): string {
  return `retention-${day}`;
}

const DEFAULT_BATCH_SIZE = 500;

const { deleteDueRecordings, reportRetentionRun } = proxyActivities<Activities>({
  // A batch destroys up to 500 files through the appliance; the heartbeat shows it is alive.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function retentionDayWorkflow(input: RetentionDayInput): Promise<RetentionDayStatus> {
  const status: RetentionDayStatus = { day: input.day, dueAt: input.dueAt, state: 'waiting', deleted: 0, batches: 0, held: 0 };
  setHandler(retentionDayStatus, () => status);

  const wait = Date.parse(input.dueAt) - Date.now();
  if (wait > 0) await sleep(wait);

  status.state = 'deleting';
  const asOf = new Date().toISOString();
  status.startedDeletingAt = asOf;
  for (;;) {
    const batch = await deleteDueRecordings({ day: input.day, asOf, batchSize: input.batchSize ?? DEFAULT_BATCH_SIZE });
    status.batches++;
    status.deleted += batch.deleted;
    status.held = batch.held;
    if (batch.deleted === 0) break;
  }
  const { runId, workflowId } = workflowInfo();
  await reportRetentionRun({ day: input.day, asOf, run: `${workflowId}/${runId}` });
  status.state = 'done';
  status.finishedAt = new Date().toISOString();
  return status;
}
