/**
 * A legal deadline someone outside the system must meet — the recipient's Form 3 within 30 days of
 * receipt (Art. 9(4)) is the first — watched from start to end: reminders before the last day, a notice
 * when it has passed, and escalation to the chief if it is still unmet. Lifecycle workflows run it as a
 * child and signal `deadlineMet` when the awaited act is recorded.
 */
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities, DeadlinePlan } from '../activities';
import { formatKoreanLocalDate } from '../domain/korean-time';

export interface Addressee {
  channel: 'email' | 'post' | 'in_app';
  address: string;
}

export interface DeadlineRemindersInput {
  /** What the deadline belongs to, e.g. `DisclosureRequest` and its id. */
  caseType: string;
  caseId: string;
  /** Korean description for messages, e.g. `관리번호 2026-0001 파기 결과 회신서 제출`. */
  title: string;
  startedAt: string;
  period: string;
  reminderDaysBefore: number[];
  escalationAfterDays: number;
  /** After escalation the recipient is reminded again every this many days until it is met. */
  repeatEveryDays: number;
  recipient: Addressee;
  escalateTo: Addressee;
  /**
   * The case can produce the official letter each reminder carries and the memo the escalation carries
   * (prepareDeadlineDocument: disclosure requests); without it the notifications are text only.
   */
  caseDocuments?: boolean;
}

export type DeadlineState = 'planning' | 'waiting' | 'overdue' | 'escalated' | 'met';

export interface DeadlineMet {
  actor: string;
  at: string;
}

export interface DeadlineStatus {
  state: DeadlineState;
  plan?: DeadlinePlan;
  remindersSent: number[];
  overdueNoticeSent: boolean;
  /** Reminders sent after the escalation. */
  repeatedReminders: number;
  /** E-mails that could not be delivered (the notification row says why). */
  undelivered: { purpose: string; error: string }[];
  escalated: boolean;
  met?: DeadlineMet;
}

export const deadlineMet = defineSignal<[DeadlineMet]>('deadlineMet');
export const deadlineStatus = defineQuery<DeadlineStatus>('deadlineStatus');

const { planLegalDeadline, queueNotification, prepareDeadlineDocument } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// A relay that is down is tried for about two hours (each failure audited); then the failure is on the row and in the
// status, and the chase goes on rather than waiting on one message.
const { deliverNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 8 },
});

const DAY_MS = 86_400_000;

export async function deadlineRemindersWorkflow(input: DeadlineRemindersInput): Promise<DeadlineStatus> {
  const status: DeadlineStatus = { state: 'planning', remindersSent: [], overdueNoticeSent: false, repeatedReminders: 0, undelivered: [], escalated: false };
  setHandler(deadlineStatus, () => status);
  setHandler(deadlineMet, (met) => {
    status.met ??= met;
  });
  const isMet = () => status.met !== undefined;
  /** Sleeps until `at` unless the deadline is met first; true if it was met. */
  const metBefore = (at: string) => condition(isMet, Math.max(0, Date.parse(at) - Date.now()));

  const plan = await planLegalDeadline({
    startedAt: input.startedAt,
    period: input.period,
    reminderDaysBefore: input.reminderDaysBefore,
    escalationAfterDays: input.escalationAfterDays,
  });
  status.plan = plan;
  status.state = 'waiting';
  const lastDay = formatKoreanLocalDate(plan.lastDay);
  /** The letter for the recipient (printed for post, attached to an e-mail), or the memo for the chief. */
  const documentFor = async (purpose: string, escalation: boolean): Promise<string[] | undefined> => {
    if (!input.caseDocuments) return undefined;
    const { documentId } = await prepareDeadlineDocument({
      requestId: input.caseId,
      purpose: `deadline-${purpose}`,
      kind: escalation ? 'destruction-report-escalation' : 'destruction-report-reminder',
      lastDay: plan.lastDay,
      overdue: status.state !== 'waiting',
      remindersSent: status.remindersSent.length + (status.overdueNoticeSent ? 1 : 0) + status.repeatedReminders,
      at: new Date(Date.now()).toISOString(),
      actor: `system:${workflowInfo().workflowType}`,
    });
    return [documentId];
  };
  const notify = async (purpose: string, to: Addressee, subject: string, body: string) => {
    const attachmentDocumentIds = await documentFor(purpose, to === input.escalateTo);
    const queued = await queueNotification({
      attachmentDocumentIds,
      idempotencyKey: `${workflowInfo().workflowId}:${purpose}`,
      channel: to.channel,
      recipient: to.address,
      subject,
      body,
      relatedType: input.caseType,
      relatedId: input.caseId,
      triggeredAt: new Date(Date.now()).toISOString(),
      actor: `system:${workflowInfo().workflowType}`,
    });
    // In-app is delivered by being stored; a letter is printed and posted by the managing department.
    if (to.channel !== 'email') return;
    try {
      await deliverNotification({ notificationId: queued.id });
    } catch (error) {
      status.undelivered.push({
        purpose,
        error: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error),
      });
    }
  };

  for (const reminder of plan.reminders) {
    if (Date.parse(reminder.at) <= Date.now()) continue;
    if (await metBefore(reminder.at)) break;
    await notify(
      `reminder-${reminder.daysBefore}`,
      input.recipient,
      `[안내] ${input.title} 기한이 ${reminder.daysBefore}일 남았습니다`,
      `${input.title}의 기한은 ${lastDay}까지입니다. 기한 안에 제출하여 주십시오.`,
    );
    status.remindersSent.push(reminder.daysBefore);
  }

  if (!isMet() && !(await metBefore(plan.endsAt))) {
    status.state = 'overdue';
    await notify(
      'overdue',
      input.recipient,
      `[독촉] ${input.title} 기한(${lastDay})이 지났습니다`,
      `${input.title}의 기한 ${lastDay}이(가) 지났습니다. 지체 없이 제출하여 주십시오.`,
    );
    status.overdueNoticeSent = true;
    if (!(await metBefore(plan.escalateAt))) {
      await notify(
        'escalation',
        input.escalateTo,
        `[보고] ${input.title} 기한 경과 미제출`,
        `${input.title}이(가) 기한 ${lastDay}을(를) 지나도록 제출되지 않았습니다. 조치가 필요합니다.`,
      );
      status.escalated = true;
      status.state = 'escalated';
      // Until it is met: the recipient again every `repeatEveryDays`, at the same office-opening hour as the escalation.
      for (let next = Date.parse(plan.escalateAt); ;) {
        next += input.repeatEveryDays * DAY_MS;
        if (await metBefore(new Date(next).toISOString())) break;
        status.repeatedReminders += 1;
        await notify(
          `overdue-repeat-${status.repeatedReminders}`,
          input.recipient,
          `[재독촉] ${input.title} 기한(${lastDay})이 지났습니다`,
          `${input.title}의 기한 ${lastDay}이(가) 지났으나 아직 제출되지 않았습니다. 지체 없이 제출하여 주십시오.`,
        );
      }
    }
  }
  status.state = 'met';
  return status;
}
