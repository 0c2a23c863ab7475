/**
 * The daily retention inventory (issue 19): a Temporal Schedule runs it every morning. It walks every store that can
 * hold audio against the database (activities/retention-inventory.ts), escalates the disclosure cases that keep
 * recordings longer than the settings allow, writes the report into the audit chain (the dashboard's card and the
 * metrics read it there), and, when anything is found, tells the managing department: the chief and the operator on
 * their dashboards, and by e-mail when MANAGING_DEPARTMENT_EMAIL is set.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities, RetentionInventoryReport, WaitingCase } from '../activities';

export const RETENTION_INVENTORY_SCHEDULE_ID = 'retention-inventory';

export interface RetentionInventoryWorkflowInput {
  /** How long past its due time something may still be there before it is a finding (the runs delete within the hour). */
  graceMinutes: number;
  /** CASE_SIGN_OFF_ALERT_DAYS and CASE_FORM3_ALERT_DAYS. */
  caseAlerts: { signOffDays: number; destructionReportDays: number };
  /** MANAGING_DEPARTMENT_EMAIL: where findings are also e-mailed. */
  managingDepartmentEmail?: string;
}

export interface RetentionInventoryResult {
  report: RetentionInventoryReport;
  waitingCases: WaitingCase[];
  /** Addresses told of the findings (none when nothing was found). */
  told: string[];
  /** The e-mail could not be delivered (the outbox row says why; the dashboards were told anyway). */
  undelivered?: string;
}

const { takeRetentionInventory, escalateWaitingCases, recordRetentionInventory, queueNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
const { deliverNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 8 },
});

/** The findings as the managing department reads them: counts by kind, then the first few listed. */
function describeFindings(report: RetentionInventoryReport): string {
  const lines = report.findings.slice(0, 20).map((finding) => `- ${finding.what}: ${finding.id}${finding.dueAt ? ` (기한 ${finding.dueAt})` : ''}`);
  const more = report.total > lines.length ? `\n외 ${report.total - lines.length}건은 대시보드와 감사 기록에서 확인하십시오.` : '';
  return `보존기간(제8조제1항)이 지났는데 남아 있는 음성·파일 ${report.total}건을 찾았습니다 (${report.asOf} 기준).\n${lines.join('\n')}${more}`;
}

export async function retentionInventoryWorkflow(input: RetentionInventoryWorkflowInput): Promise<RetentionInventoryResult> {
  const asOf = new Date().toISOString();
  const { workflowId, runId } = workflowInfo();
  const run = `${workflowId}/${runId}`;
  const report = await takeRetentionInventory({ asOf, run, graceMinutes: input.graceMinutes });
  const waitingCases = await escalateWaitingCases({ asOf, ...input.caseAlerts });
  await recordRetentionInventory({ run, report });
  const result: RetentionInventoryResult = { report, waitingCases, told: [] };
  if (report.total === 0) return result;

  const subject = `[경고] 보존기간이 지난 음성·파일 ${report.total}건`;
  const body = describeFindings(report);
  const recipients: { channel: 'in_app' | 'email'; address: string }[] = [
    { channel: 'in_app', address: 'chief' },
    { channel: 'in_app', address: 'operator' },
    ...(input.managingDepartmentEmail ? [{ channel: 'email' as const, address: input.managingDepartmentEmail }] : []),
  ];
  for (const to of recipients) {
    const queued = await queueNotification({
      idempotencyKey: `${run}:${to.channel}:${to.address}`,
      channel: to.channel,
      recipient: to.address,
      subject,
      body,
      relatedType: 'retention_inventory',
      relatedId: run,
      triggeredAt: asOf,
      actor: 'system:retentionInventoryWorkflow',
    });
    result.told.push(`${to.channel}:${to.address}`);
    if (to.channel !== 'email') continue;
    try {
      await deliverNotification({ notificationId: queued.id });
    } catch (error) {
      result.undelivered = error instanceof Error ? error.message : String(error);
    }
  }
  return result;
}
