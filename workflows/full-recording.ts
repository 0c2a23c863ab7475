/**
 * 전수 녹취 (Art. 6–7, R1–R2): one workflow per application, from the department head's written application to the
 * extensions being back in selective recording.
 *
 * 1. Review: each role of the approval chain (settings) signs off in turn; a pending sign-off reminds its role after
 *    the configured number of working days, and again every as many after. A rejection at any step ends the case.
 * 2. Approved: from the period's start, the extensions are switched to `full` in the capture appliance and read back;
 *    until the appliance confirms, the application stays `approved` (shown as not yet applied) and the switch is
 *    tried again every ten minutes. Success is reported only once verified.
 * 3. Active: until the period's end, a revocation (applicant's department head or the chief), or — for "until
 *    revoked" — a yearly review the department head does not renew (reminded 30 days before).
 * 4. The extensions go back to `selective`, verified the same way (an extension another application in force still
 *    covers stays `full`).
 *
 * Every step is an Update (`fullRecordingStep`) with the user, judged by domain/full-recording-steps.ts before it is
 * accepted: a refused one is answered with its Korean reason and changes nothing. The older signals carrying the acting
 * user, judged by the same rule, record a refusal in the status and the audit chain. Either is judged against the state
 * when it arrives — the state its sender was shown — so a sign-off for the next step sent before this one is decided
 * is refused rather than held back.
 */
import { condition, defineQuery, defineSignal, defineUpdate, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities, RecordStepInput } from '../activities';
import { type SignOffRole } from '../domain/roles';
import { judgeFullRecordingStep, refusalOf, type Actor, type FullRecordingAction, type FullRecordingState, type SignOff } from '../domain/full-recording-steps';
import { runSignOffChain } from './sign-off';
import { type SignOffSignal, type User } from '../domain/sign-off';
import { actorOrRefuse, ALREADY_ACCEPTED, refuseStep, type StepAccepted } from './human-steps';

export type { SignOffSignal } from '../domain/sign-off';

export interface FullRecordingInput {
  applicationId: string;
  applicant: string;
  /** The applying department's code. */
  department: string;
  extensions: string[];
  /** ISO instants; without `periodTo` the recording runs until revoked, with a yearly review. */
  periodFrom: string;
  periodTo?: string;
  approvalChain: SignOffRole[];
  reminderWorkingDays: number;
}

export type EndReason = 'period_ended' | 'revoked' | 'review_not_renewed' | 'withdrawn' | 'rejected';

export interface FullRecordingStatus {
  state: FullRecordingState;
  /** The role whose sign-off is awaited. */
  awaiting?: SignOffRole;
  signOffs: SignOff[];
  remindersSent: number;
  /** Approved but the appliance has not yet confirmed: attempts and the last error. */
  applyAttempts: number;
  lastApplyError?: string;
  appliedAt?: string;
  reviewDueAt?: string;
  renewals: { actor: string; at: string }[];
  endedAt?: string;
  endReason?: EndReason;
  endedBy?: string;
  refusals: { action: FullRecordingAction; actor: string; reason: string; at: string }[];
}

export interface RevokeSignal {
  actor: Actor;
  reason: string;
}
export interface RenewSignal {
  actor: Actor;
}

/** A step as the API sends it: the user with all their roles (the rules pick the one they act as) and its fields. */
export type FullRecordingStepRequest =
  | { action: 'sign_off'; user: User; decision: SignOffSignal['decision']; comment: string }
  | { action: 'revoke'; user: User; reason: string }
  | { action: 'renew'; user: User };

/**
 * Each human step: an Update whose validator asks domain/full-recording-steps.ts, so the user is answered at once,
 * with the Korean reason when refused, and a refused step leaves nothing in the history.
 */
export const fullRecordingStep = defineUpdate<StepAccepted, [FullRecordingStepRequest]>('fullRecordingStep');

// The signals below are how steps arrived before fullRecordingStep: applications started then, and their histories, use them.
export const fullRecordingSignOff = defineSignal<[SignOffSignal]>('fullRecordingSignOff');
export const fullRecordingRevoke = defineSignal<[RevokeSignal]>('fullRecordingRevoke');
export const fullRecordingRenew = defineSignal<[RenewSignal]>('fullRecordingRenew');
export const fullRecordingStatus = defineQuery<FullRecordingStatus>('fullRecordingStatus');

export function fullRecordingWorkflowId(applicationId: string): string {
  return `full-recording-${applicationId}`;
}

const { recordFullRecordingStep, planWorkingDayReminder, queueNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// A few quick attempts per try; the workflow itself waits between tries, visibly (`applyAttempts`).
/** The patch under which a renewal re-issues the approval's grant with its new end. */
const RENEWAL_EXTENDS_APPROVAL = 'renewal-extends-approval';

const { switchExtensions } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

const RETRY_SWITCH_EVERY_MS = 10 * 60_000;
const REVIEW_NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;

export async function fullRecordingWorkflow(input: FullRecordingInput): Promise<FullRecordingStatus> {
  const { workflowId } = workflowInfo();
  const status: FullRecordingStatus = { state: 'under_review', signOffs: [], remindersSent: 0, applyAttempts: 0, renewals: [], refusals: [] };
  let revocation: { actor: Actor; reason: string; at: string } | undefined;
  let stepSequence = 0;
  const now = () => new Date(Date.now()).toISOString();
  const facts = () => ({
    state: status.state,
    applicant: input.applicant,
    department: input.department,
    awaiting: status.awaiting,
    signOffs: status.signOffs,
    untilRevoked: input.periodTo === undefined,
  });
  const record = (step: Omit<RecordStepInput, 'applicationId' | 'stepKey' | 'at'>) =>
    recordFullRecordingStep({ ...step, applicationId: input.applicationId, stepKey: `${workflowId}:${++stepSequence}`, at: now() });
  const notifyRole = (purpose: string, role: string, subject: string, body: string, triggeredAt = now()) =>
    queueNotification({
      idempotencyKey: `${workflowId}:${purpose}`,
      channel: 'in_app',
      recipient: role,
      subject,
      body,
      relatedType: 'full_recording_application',
      relatedId: input.applicationId,
      triggeredAt,
      actor: 'system:fullRecordingWorkflow',
    });

  /** Checks a signal against the rules; a refused one is recorded and audited, and does nothing else. */
  const pending: Promise<void>[] = [];
  const allowed = (actor: Actor, action: FullRecordingAction): boolean => {
    const reason = refusalOf(facts(), actor, action);
    if (reason === undefined) return true;
    status.refusals.push({ action, actor: actor.username, reason, at: now() });
    pending.push(record({ action: 'signal_refused', actor: actor.username, role: actor.role, reason, detail: { refusedAction: action } }));
    return false;
  };

  const decision: { current?: SignOffSignal } = {};
  setHandler(fullRecordingStatus, () => status);
  const accept = (step: FullRecordingStepRequest, actor: Actor): void => {
    switch (step.action) {
      case 'sign_off':
        decision.current ??= { actor, decision: step.decision, comment: step.comment };
        return;
      case 'revoke':
        revocation ??= { actor, reason: step.reason, at: now() };
        return;
      case 'renew':
        status.renewals.push({ actor: actor.username, at: now() });
        return;
    }
  };
  const alreadyAccepted = (action: FullRecordingAction): boolean =>
    ({ sign_off: decision.current !== undefined, revoke: revocation !== undefined, renew: false })[action];
  setHandler(
    fullRecordingStep,
    (step) => {
      // The validator has just passed in this same activation: the verdict is the same.
      const actor = actorOrRefuse(judgeFullRecordingStep(facts(), step.user, step.action));
      accept(step, actor);
      return { actingAs: actor.role };
    },
    {
      validator: (step: FullRecordingStepRequest) => {
        actorOrRefuse(judgeFullRecordingStep(facts(), step.user, step.action));
        if (alreadyAccepted(step.action)) refuseStep(ALREADY_ACCEPTED);
      },
    },
  );
  setHandler(fullRecordingSignOff, (signal) => {
    if (!allowed(signal.actor, 'sign_off') || decision.current) return;
    decision.current = signal;
  });
  setHandler(fullRecordingRevoke, (signal) => {
    if (!allowed(signal.actor, 'revoke') || revocation) return;
    revocation = { ...signal, at: now() };
  });
  setHandler(fullRecordingRenew, (signal) => {
    if (!allowed(signal.actor, 'renew')) return;
    status.renewals.push({ actor: signal.actor.username, at: now() });
  });
  const until = (at: string | number) => Math.max(0, (typeof at === 'number' ? at : Date.parse(at)) - Date.now());

  const finish = async (state: FullRecordingState, reason: EndReason, by: string, role: string, note?: string) => {
    status.state = state;
    status.endReason = reason;
    status.endedBy = by;
    status.endedAt = now();
    status.awaiting = undefined;
    await record({
      action: reason,
      actor: by,
      role,
      reason: note,
      status: state,
      endedAt: status.endedAt,
      ...(reason === 'rejected' ? { decidedBy: by, decisionReason: note } : {}),
    });
    await Promise.all(pending);
    return status;
  };

  // 1. Review, step by step.
  const review = await runSignOffChain({
    chain: input.approvalChain,
    reminderWorkingDays: input.reminderWorkingDays,
    status,
    decision,
    stopped: () => revocation !== undefined,
    reminderAt: async (since) => (await planWorkingDayReminder({ since, workingDays: input.reminderWorkingDays })).at,
    remind: (role, at, count) =>
      notifyRole(
        `reminder-${role}-${count}`,
        role,
        '[알림] 전수 녹취 신청 검토·승인 대기',
        `전수 녹취 신청이 ${input.reminderWorkingDays}근무일 넘게 처리를 기다리고 있습니다.`,
        at,
      ),
    signedOff: (signOff) => record({ action: 'signed_off', actor: signOff.actor, role: signOff.role, reason: signOff.comment, detail: { step: signOff.role } }),
    now,
  });
  if (review.outcome === 'stopped') {
    const by = revocation as NonNullable<typeof revocation>;
    return finish('revoked', 'withdrawn', by.actor.username, by.actor.role, by.reason);
  }
  if (review.outcome === 'rejected') return finish('rejected', 'rejected', review.last.actor, review.last.role, review.last.comment);
  const approver = status.signOffs.at(-1) as SignOff;
  status.state = 'approved';
  status.awaiting = undefined;
  await record({
    action: 'approved',
    actor: approver.actor,
    role: approver.role,
    reason: approver.comment,
    status: 'approved',
    decidedBy: approver.actor,
    decisionReason: approver.comment,
  });

  /** Switches and verifies, trying again every ten minutes; false if revoked before it succeeded (when `stopOnRevoke`). */
  const switchTo = async (mode: 'full' | 'selective', actor: string, reason: string, stopOnRevoke: boolean, approvedUntil?: string): Promise<boolean> => {
    for (;;) {
      if (stopOnRevoke && revocation) return false;
      status.applyAttempts += 1;
      try {
        await switchExtensions({ applicationId: input.applicationId, extensions: input.extensions, mode, actor, reason, approvedUntil });
        status.lastApplyError = undefined;
        return true;
      } catch (error) {
        status.lastApplyError = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
        await condition(() => stopOnRevoke && revocation !== undefined, RETRY_SWITCH_EVERY_MS);
      }
    }
  };

  // 2. From the period's start, apply and verify.
  const revokedBefore = (at: string | number) => condition(() => revocation !== undefined, until(at));
  let applied = false;
  if (!(await revokedBefore(input.periodFrom))) {
    applied = await switchTo('full', approver.actor, `전수 녹취 승인 (${input.applicationId})`, true);
  }
  let endReason: EndReason = 'revoked';
  if (applied) {
    status.state = 'active';
    status.appliedAt = now();
    status.applyAttempts = 0;
    await record({
      action: 'switched_to_full',
      actor: 'system:fullRecordingWorkflow',
      role: 'system',
      status: 'active',
      appliedAt: status.appliedAt,
      detail: { extensions: input.extensions },
    });

    // 3. Active until the end of the period, a revocation, or a review not renewed.
    if (input.periodTo !== undefined) {
      if (!(await revokedBefore(input.periodTo))) endReason = 'period_ended';
    } else {
      let reviewDue = Date.parse(status.appliedAt);
      for (;;) {
        reviewDue = addYear(reviewDue);
        status.reviewDueAt = new Date(reviewDue).toISOString();
        const renewalsBefore = status.renewals.length;
        if (await revokedBefore(reviewDue - REVIEW_NOTICE_DAYS * DAY_MS)) break;
        if (status.renewals.length === renewalsBefore) {
          await notifyRole(
            `review-${status.reviewDueAt}`,
            `dept_head:${input.department}`,
            '[알림] 전수 녹취 연장 검토',
            `전수 녹취를 계속하려면 ${status.reviewDueAt.slice(0, 10)}까지 연장하십시오. 연장하지 않으면 선택적 녹취로 돌아갑니다.`,
          );
        }
        if (await condition(() => revocation !== undefined || status.renewals.length > renewalsBefore, until(reviewDue))) {
          if (revocation) break;
          // The appliance ends full recording at the approval's end by itself (issue 18): a renewal hands it the new
          // end, a year after this review. Histories from before grants have no such step.
          if (patched(RENEWAL_EXTENDS_APPROVAL)) {
            const renewedBy = status.renewals.at(-1)?.actor ?? 'system:fullRecordingWorkflow';
            const renewed = await switchTo('full', renewedBy, `전수 녹취 연장 (${input.applicationId})`, true, new Date(addYear(reviewDue)).toISOString());
            status.applyAttempts = 0;
            if (!renewed) break;
          }
          continue;
        }
        endReason = 'review_not_renewed';
        break;
      }
    }
  }

  // 4. Back to selective, verified; whoever or whatever ended it is on the record.
  const by = endReason === 'revoked' && revocation ? revocation.actor : undefined;
  status.state = endReason === 'revoked' ? 'revoked' : 'ended';
  status.applyAttempts = 0;
  await switchTo('selective', by?.username ?? 'system:fullRecordingWorkflow', `전수 녹취 종료 (${input.applicationId}, ${endReason})`, false);
  return finish(status.state, endReason, by?.username ?? 'system:fullRecordingWorkflow', by?.role ?? 'system', revocation?.reason);
}

/** The same instant a year later (29 February falls back to 28 February). */
function addYear(instant: number): number {
  const date = new Date(instant);
  const next = new Date(instant);
  next.setUTCFullYear(date.getUTCFullYear() + 1);
  if (next.getUTCMonth() !== date.getUTCMonth()) next.setUTCDate(0);
  return next.getTime();
}
