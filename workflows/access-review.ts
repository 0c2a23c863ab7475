/**
 * 월간 접근기록 점검 (개인정보의 안전성 확보조치 기준 제8조): a Temporal Schedule starts one run on the first of each
 * month; the run makes the previous month's access report from the audit chain, gives the chief the review task (an
 * in-app notification linking to it), reminds them every few working days, and ends when a chief signs it off. The
 * states are those of its BPMN model (workflows/bpmn/access-review-steps.ts).
 */
import { defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { previousMonthIn } from '../domain/korean-time';
import type { SignOffRole } from '../domain/roles';
import type { AccessReviewStatus } from './bpmn/access-review-steps';
import { runSignOffChain } from './sign-off';
import { judgeSignOff, signOffRefusal, type SignOff, type SignOffSignal, type User } from '../domain/sign-off';
import { actorOrRefuse, ALREADY_ACCEPTED, refuseStep, type StepAccepted } from './human-steps';

export const ACCESS_REVIEW_SCHEDULE_ID = 'monthly-access-review';

export interface AccessReviewInput {
  /** The month to review (`YYYY-MM`); by default the one before the run's start, in Seoul. */
  month?: string;
  readsPerDayLimit: number;
  refusalsPerDayLimit: number;
  reminderWorkingDays: number;
  /** TIME_ZONE: the city's months. Runs started before it was passed reviewed Seoul's. */
  timeZone?: string;
}

export interface AccessReviewWorkflowStatus extends AccessReviewStatus {
  reviewId?: string;
  awaiting?: SignOffRole;
  signOffs: SignOff[];
  /** A second run for a month already under review ends at once, naming the run that has it. */
  reviewedBy?: string;
  refusals: { actor: string; reason: string; at: string }[];
}

/** The chief records the review done (an Update: refused at once with the Korean reason when it is not theirs now). */
export interface AccessReviewSignOffRequest {
  user: User;
  comment: string;
}
export const accessReviewStep = defineUpdate<StepAccepted, [AccessReviewSignOffRequest]>('accessReviewStep');
// How the sign-off arrived before accessReviewStep: reviews started then, and their histories, still use it.
export const accessReviewSignOff = defineSignal<[SignOffSignal]>('accessReviewSignOff');
export const accessReviewStatus = defineQuery<AccessReviewWorkflowStatus>('accessReviewStatus');

const { openAccessReview, recordAccessReviewSignedOff, planWorkingDayReminder, queueNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function accessReviewWorkflow(input: AccessReviewInput): Promise<AccessReviewWorkflowStatus> {
  const { workflowId } = workflowInfo();
  const now = () => new Date(Date.now()).toISOString();
  const month = input.month ?? previousMonthIn(new Date(Date.now()), input.timeZone ?? 'Asia/Seoul');
  const status: AccessReviewWorkflowStatus = { month, state: 'preparing_report', remindersSent: 0, signOffs: [], refusals: [] };
  const decision: { current?: SignOffSignal } = {};
  setHandler(accessReviewStatus, () => status);
  setHandler(
    accessReviewStep,
    (request) => {
      // The validator has just passed in this same activation: the verdict is the same.
      const actor = actorOrRefuse(judgeSignOff(status, request.user));
      decision.current = { actor, decision: 'approve', comment: request.comment };
      return { actingAs: actor.role };
    },
    {
      validator: (request: AccessReviewSignOffRequest) => {
        actorOrRefuse(judgeSignOff(status, request.user));
        if (decision.current) refuseStep(ALREADY_ACCEPTED);
      },
    },
  );
  setHandler(accessReviewSignOff, (signal) => {
    const refusal = signal.decision === 'approve' ? signOffRefusal(status, signal.actor) : '점검은 완료로만 기록합니다. 문제는 의견에 적으십시오.';
    if (refusal) status.refusals.push({ actor: signal.actor.username, reason: refusal, at: now() });
    else decision.current ??= signal;
  });

  const review = await openAccessReview({
    month,
    workflowId,
    readsPerDayLimit: input.readsPerDayLimit,
    refusalsPerDayLimit: input.refusalsPerDayLimit,
    at: now(),
  });
  status.reviewId = review.reviewId;
  status.reportDocumentId = review.reportDocumentId;
  if (review.workflowId !== workflowId) {
    status.reviewedBy = review.workflowId;
    return status;
  }
  const [year, number] = month.split('-');
  const title = `${year}년 ${Number(number)}월 접근기록 점검`;
  const notify = (purpose: string, subject: string, body: string, at = now()) =>
    queueNotification({
      idempotencyKey: `access-review-${month}:${purpose}`,
      channel: 'in_app',
      recipient: 'chief',
      subject,
      body,
      relatedType: 'access_review',
      relatedId: review.reviewId,
      triggeredAt: at,
      actor: 'system:accessReviewWorkflow',
    });
  status.state = 'awaiting_sign_off';
  await notify('task', `[점검] ${title}`, `${title} 보고서가 작성되었습니다. 내용을 확인하고 점검 완료를 기록하십시오.`);
  const outcome = await runSignOffChain({
    chain: ['chief'],
    reminderWorkingDays: input.reminderWorkingDays,
    status,
    decision,
    stopped: () => false,
    reminderAt: async (since) => (await planWorkingDayReminder({ since, workingDays: input.reminderWorkingDays })).at,
    remind: (_role, at, count) =>
      notify(`reminder-${count}`, `[알림] ${title} 대기`, `${title}가 ${input.reminderWorkingDays}근무일 넘게 완료되지 않았습니다.`, at),
    signedOff: async () => undefined,
    now,
  });
  const signed = outcome.outcome === 'approved' ? outcome.last : (status.signOffs.at(-1) as SignOff);
  await recordAccessReviewSignedOff({ reviewId: review.reviewId, actor: signed.actor, comment: signed.comment, at: signed.at });
  status.signedOff = { actor: signed.actor, at: signed.at, comment: signed.comment };
  status.state = 'signed_off';
  return status;
}
