/**
 * The hourly history archive (R7, R11): every case that has ended gets its workflow history kept beyond the Temporal
 * server's retention, so an audit can replay it years later (`npm run replay`). A Temporal Schedule runs it; the
 * activity does the work and skips what is already archived, so a missed or repeated run loses and doubles nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const HISTORY_ARCHIVE_SCHEDULE_ID = 'history-archive-sweep';

const { archiveClosedCaseHistories } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 5 },
});

export type { HistoryArchiveResult } from '../activities/history-archive';

export async function historyArchiveWorkflow(): Promise<Awaited<ReturnType<Activities['archiveClosedCaseHistories']>>> {
  return archiveClosedCaseHistories();
}
