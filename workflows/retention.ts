/**
 * R4 — 보존 / 삭제: the recordings of one recording day (Asia/Seoul) are deleted once their storage period has ended.
 *
 * One workflow per recording day, not one per recording: a city's 50,000 calls a day keep about thirty of these
 * open (the storage period in days), whatever the volume. The capture appliance starts the day's workflow when it
 * registers a recording (workflow id `retention-<day>`, an existing run is reused), so every day with a recording has
 * one. It sleeps until the day's due instant — the same for every recording of the day, from the legal calendar —
 * then deletes in batches until nothing deletable is left, and reports the run in the audit chain.
 *
 * Held recordings are skipped; when a hold is released the day's workflow is started again and deletes them at once,
 * and a hold that reaches its end is marked expired by the next hourly sweep, which then deletes what it kept.
 * A recording registered after its day's run ended (recovered late) starts a new run the same way.
 *
 * One gap is left by starting runs on registration: a recording registered while its day's run is already past its
 * last batch joins that finishing run and is not deleted by it. The hourly sweep (a Temporal Schedule running
 * `retentionSweepWorkflow`) closes it, and any other way a deletable recording can be left behind: it finds the days
 * that still have due, unheld recordings and starts their run again, so nothing stays more than an hour past due.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { patched, proxyActivities, setHandler, sleep, startChild, workflowInfo, defineQuery } from '@temporalio/workflow';
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

const { deleteDueRecordings, reportRetentionRun, findDaysWithDeletable, expireHolds, destroyDuePackages } = proxyActivities<Activities>({
  // A batch destroys up to 500 files through the appliance, heartbeating after each (milliseconds apart): twenty
  // seconds of silence means the worker died, and the batch is retried elsewhere without waiting out the whole run.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
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

/** The hourly sweep's schedule and the id its runs start from (the schedule appends the time). */
export const RETENTION_SWEEP_SCHEDULE_ID = 'retention-sweep';

export interface RetentionSweepResult {
  asOf: string;
  /** Decided holds whose end had passed, marked expired by this sweep. */
  holdsExpired?: number;
  /** Provision packages destroyed at their Form 3 deadline by this sweep. */
  packagesDestroyed?: number;
  /** Days whose run the sweep started again. */
  started: string[];
  /** Days with deletable recordings whose run was already open (it deletes them, or the next sweep starts it). */
  alreadyRunning: string[];
}

export async function retentionSweepWorkflow(): Promise<RetentionSweepResult> {
  const asOf = new Date().toISOString();
  const result: RetentionSweepResult = { asOf, started: [], alreadyRunning: [] };
  // Issue 19: holds end by themselves, and the provision packages are on the clock too. Sweeps started before this
  // change go on without these steps.
  if (patched('sweep-holds-and-packages')) {
    result.holdsExpired = (await expireHolds({ asOf })).expired;
    result.packagesDestroyed = (await destroyDuePackages({ asOf })).destroyed;
  }
  for (const { day, dueAt } of await findDaysWithDeletable({ asOf })) {
    try {
      // Abandoned, not awaited: a day of 50,000 recordings is deleted by its own run, not inside the sweep.
      await startChild(retentionDayWorkflow, {
        workflowId: retentionWorkflowId(day),
        args: [{ day, dueAt }],
        parentClosePolicy: 'ABANDON',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      result.started.push(day);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      result.alreadyRunning.push(day);
    }
  }
  return result;
}
