/**
 * The daily audit archive (issue 19): a Temporal Schedule, `audit-archive-daily`, starts it each night; it seals the
 * audit entries older than AUDIT_RETENTION_PERIOD into signed segments and removes them from the live table, a share
 * of segments per activity call until nothing more is due. The activity skips what is archived already, so a missed,
 * repeated or cut-off run loses and doubles nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities, AuditArchiveRunResult } from '../activities';

export const AUDIT_ARCHIVE_SCHEDULE_ID = 'audit-archive-daily';

const { archiveAuditLog } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 minutes',
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 5 },
});

export interface AuditArchiveWorkflowInput {
  /** AUDIT_RETENTION_PERIOD as written (`2y`). */
  retentionPeriod: string;
  timeZone: string;
}

export interface AuditArchiveWorkflowResult {
  cutoff: string;
  segments: AuditArchiveRunResult['segments'];
  entries: number;
}

export async function auditArchiveWorkflow(input: AuditArchiveWorkflowInput): Promise<AuditArchiveWorkflowResult> {
  // The cutoff is counted from the run's own time, the same on every replay.
  const asOf = new Date(Date.now()).toISOString();
  const total: AuditArchiveWorkflowResult = { cutoff: '', segments: [], entries: 0 };
  let throughSeq: number | undefined;
  for (;;) {
    const run = await archiveAuditLog({ ...input, asOf, throughSeq });
    throughSeq = run.throughSeq;
    total.cutoff = run.cutoff;
    total.segments.push(...run.segments);
    total.entries += run.entries;
    if (!run.more) return total;
  }
}
