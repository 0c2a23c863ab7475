/**
 * 녹취정보 열람·제공 (Art. 9, R8–R10): one workflow per request, from the registered Form 1 to the case closed.
 *
 * 1. Registered: the operator confirms which recordings match (each put on hold at once) and submits the request for
 *    결재; it goes forward only with recordings and a ground (Art. 9(1): the applicant is a party, and how that was
 *    checked; or another law, named, with its document attached) — otherwise the submission is refused with why.
 * 2. 결재 in the settings' order (workflows/sign-off.ts), reminders after working days; a rejection at any step
 *    produces the rejection notice and ends the case.
 * 3. Approved: Form 2 is generated; nothing is released until the recipient's signed Form 2 is in the case.
 * 4. Released, and the ledger (Form 4) written. Viewing: the recordings may be played in the managing department's
 *    presence until the viewing window closes, then the case closes. Provision: the Form 3 deadline runs from the
 *    day of receipt (a child workflow reminds the recipient, then escalates to the chief and keeps reminding); the
 *    operator hands over the package, and the case closes when the returned Form 3 is recorded.
 * Withdrawal is possible until release. Every ended case releases its holds, so retention deletes what is past due.
 *
 * Every step is an Update (`disclosureStep`) with the user, judged by domain/disclosure-steps.ts before it is accepted: a
 * refused one is answered with its Korean reason and changes nothing. The older signals, judged by the same rule when
 * they arrive, record a refusal in the status and the audit chain.
 */
import {
  ParentClosePolicy,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, DisclosureStepInput } from '../activities';
import { type DestructionMethod, type DisclosureKind, type SignatureKind } from '../domain/disclosure';
import { type SignOffRole } from '../domain/roles';
import { deadlineMet, deadlineRemindersWorkflow, type Addressee } from './deadline-reminders';
import { disclosureRefusal, judgeDisclosureStep, type DisclosureAction, type DisclosureState } from '../domain/disclosure-steps';
import { runSignOffChain } from './sign-off';
import { type Actor, type SignOff, type SignOffSignal, type User } from '../domain/sign-off';
import { actorOrRefuse, ALREADY_ACCEPTED, refuseStep, type StepAccepted } from './human-steps';

export interface DisclosureInput {
  requestId: string;
  managementNumber: string;
  kind: DisclosureKind;
  signOffChain: SignOffRole[];
  reminderWorkingDays: number;
  /** How long the approved recordings may be played once the recipient has signed Form 2 (viewing only). */
  viewingWindowHours: number;
  /** The Form 3 deadline (Art. 9(4)) and how it is chased. */
  destructionReport: { period: string; reminderDaysBefore: number[]; escalationAfterDays: number; repeatEveryDays: number };
  /** Where the recipient is reminded: e-mail if the applicant gave one, otherwise a letter to their address. */
  recipient: Addressee;
}

export interface DisclosureStatus {
  state: DisclosureState;
  awaiting?: SignOffRole;
  signOffs: SignOff[];
  remindersSent: number;
  /** The confirmed recordings (on hold). */
  recordings: string[];
  /** Recordings the last confirmation could not take (unknown or deleted), with why. */
  refusedRecordings: { recordingId: string; reason: string }[];
  /** Why the last submission for 결재 was refused (Korean). */
  readinessProblems: string[];
  rejectionNoticeId?: string;
  handoverDocumentId?: string;
  handover?: { signatureKind: SignatureKind; recipientName: string; receivedAt: string; actor: string; at: string };
  viewingUntil?: string;
  destructionReport?: { documentId: string; lastDay: string; dueAt: string; deadlineWorkflowId: string };
  provided?: { packageSha256: string; actor: string; at: string };
  endedAt?: string;
  endReason?: string;
  endedBy?: string;
  refusals: { action: DisclosureAction; actor: string; reason: string; at: string }[];
}

export interface ConfirmRecordingsSignal {
  actor: Actor;
  recordingIds: string[];
}
export interface ActorSignal {
  actor: Actor;
}
export interface WithdrawSignal {
  actor: Actor;
  reason: string;
}
export interface HandoverSignedSignal {
  actor: Actor;
  signatureKind: SignatureKind;
  attachmentId: string;
  recipientName: string;
  /** 수령일: the day the recipient received the copy (ISO instant). */
  receivedAt: string;
}
export interface PackageProvidedSignal {
  actor: Actor;
  packageSha256: string;
}
export interface DestructionReportedSignal {
  actor: Actor;
  attachmentId: string;
  destroyedAt: string;
  method: DestructionMethod;
  methodDetail?: string;
  allCopiesDestroyed: boolean;
  witness?: string;
}

/** A step as the API sends it: the user with all their roles (the rules pick the one they act as) and the step's fields. */
type StepOf<A extends DisclosureAction, S extends { actor: Actor }> = Omit<S, 'actor'> & { action: A; user: User };
export type DisclosureStepRequest =
  | StepOf<'confirm_recordings', ConfirmRecordingsSignal>
  | StepOf<'submit', ActorSignal>
  | StepOf<'sign_off', SignOffSignal>
  | StepOf<'withdraw', WithdrawSignal>
  | StepOf<'handover_signed', HandoverSignedSignal>
  | StepOf<'package_provided', PackageProvidedSignal>
  | StepOf<'destruction_reported', DestructionReportedSignal>;

/**
 * Each human step of a case: an Update whose validator asks the domain's rule (domain/disclosure-steps.ts), so the
 * user is answered at once, with the Korean reason when refused, and a refused step leaves nothing in the history.
 */
export const disclosureStep = defineUpdate<StepAccepted, [DisclosureStepRequest]>('disclosureStep');

// The signals below are how steps arrived before disclosureStep: cases started then, and their histories, still use them.
export const disclosureConfirmRecordings = defineSignal<[ConfirmRecordingsSignal]>('disclosureConfirmRecordings');
export const disclosureSubmit = defineSignal<[ActorSignal]>('disclosureSubmit');
export const disclosureSignOff = defineSignal<[SignOffSignal]>('disclosureSignOff');
export const disclosureWithdraw = defineSignal<[WithdrawSignal]>('disclosureWithdraw');
export const disclosureHandoverSigned = defineSignal<[HandoverSignedSignal]>('disclosureHandoverSigned');
export const disclosurePackageProvided = defineSignal<[PackageProvidedSignal]>('disclosurePackageProvided');
export const disclosureDestructionReported = defineSignal<[DestructionReportedSignal]>('disclosureDestructionReported');
export const disclosureStatus = defineQuery<DisclosureStatus>('disclosureStatus');

export function disclosureWorkflowId(requestId: string): string {
  return `disclosure-${requestId}`;
}

const activities = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const HOUR_MS = 3_600_000;
const SYSTEM = 'system:disclosureWorkflow';

export async function disclosureWorkflow(input: DisclosureInput): Promise<DisclosureStatus> {
  const { workflowId } = workflowInfo();
  const status: DisclosureStatus = {
    state: 'registered',
    signOffs: [],
    remindersSent: 0,
    recordings: [],
    refusedRecordings: [],
    readinessProblems: [],
    refusals: [],
  };
  const now = () => new Date(Date.now()).toISOString();
  let stepSequence = 0;
  const write = (step: Omit<DisclosureStepInput, 'requestId' | 'stepKey' | 'at'>) =>
    activities.recordDisclosureStep({ ...step, requestId: input.requestId, stepKey: `${workflowId}:${++stepSequence}`, at: now() });
  // Refusals are written as their signals arrive; a step waits for them, so the case's history is in the order it happened.
  const record = async (step: Omit<DisclosureStepInput, 'requestId' | 'stepKey' | 'at'>) => {
    await Promise.all(pending);
    await write(step);
  };
  const stepKey = () => `${workflowId}:${++stepSequence}`;

  const pending: Promise<void>[] = [];
  const allowed = (actor: Actor, action: DisclosureAction): boolean => {
    const reason = disclosureRefusal({ ...status, kind: input.kind, provided: status.provided !== undefined }, actor, action);
    if (reason === undefined) return true;
    status.refusals.push({ action, actor: actor.username, reason, at: now() });
    pending.push(write({ action: 'signal_refused', actor: actor.username, role: actor.role, reason, detail: { refusedAction: action } }));
    return false;
  };

  const confirmations: ConfirmRecordingsSignal[] = [];
  let submission: ActorSignal | undefined;
  const decision: { current?: SignOffSignal } = {};
  let withdrawal: WithdrawSignal | undefined;
  let handover: HandoverSignedSignal | undefined;
  let provided: PackageProvidedSignal | undefined;
  let report: DestructionReportedSignal | undefined;
  setHandler(disclosureStatus, () => status);
  /** A step the rules allowed, handed to the part of the workflow that waits for it. */
  const accept = (step: DisclosureStepRequest, actor: Actor): void => {
    switch (step.action) {
      case 'confirm_recordings':
        confirmations.push({ actor, recordingIds: step.recordingIds });
        return;
      case 'submit':
        submission ??= { actor };
        return;
      case 'sign_off':
        decision.current ??= { actor, decision: step.decision, comment: step.comment };
        return;
      case 'withdraw':
        withdrawal ??= { actor, reason: step.reason };
        return;
      case 'handover_signed': {
        const { action: _action, user: _user, ...fields } = step;
        handover ??= { ...fields, actor };
        return;
      }
      case 'package_provided':
        provided ??= { actor, packageSha256: step.packageSha256 };
        return;
      case 'destruction_reported': {
        const { action: _action, user: _user, ...fields } = step;
        report ??= { ...fields, actor };
        return;
      }
    }
  };
  /** A step of this kind already accepted and not yet taken up: a second one would be lost, so it is refused. */
  const alreadyAccepted = (action: DisclosureAction): boolean =>
    ({
      confirm_recordings: false,
      submit: submission !== undefined,
      sign_off: decision.current !== undefined,
      withdraw: withdrawal !== undefined,
      handover_signed: handover !== undefined,
      package_provided: provided !== undefined,
      destruction_reported: report !== undefined,
    })[action];
  const judge = (step: DisclosureStepRequest) =>
    judgeDisclosureStep({ ...status, kind: input.kind, provided: status.provided !== undefined }, step.user, step.action);
  setHandler(
    disclosureStep,
    (step) => {
      // The validator has just passed in this same activation: the verdict is the same.
      const actor = actorOrRefuse(judge(step));
      accept(step, actor);
      return { actingAs: actor.role };
    },
    {
      validator: (step: DisclosureStepRequest) => {
        actorOrRefuse(judge(step));
        if (alreadyAccepted(step.action)) refuseStep(ALREADY_ACCEPTED);
      },
    },
  );
  setHandler(disclosureConfirmRecordings, (signal) => {
    if (allowed(signal.actor, 'confirm_recordings')) confirmations.push(signal);
  });
  setHandler(disclosureSubmit, (signal) => {
    if (allowed(signal.actor, 'submit')) submission ??= signal;
  });
  setHandler(disclosureSignOff, (signal) => {
    if (allowed(signal.actor, 'sign_off')) decision.current ??= signal;
  });
  setHandler(disclosureWithdraw, (signal) => {
    if (allowed(signal.actor, 'withdraw')) withdrawal ??= signal;
  });
  setHandler(disclosureHandoverSigned, (signal) => {
    if (allowed(signal.actor, 'handover_signed')) handover ??= signal;
  });
  setHandler(disclosurePackageProvided, (signal) => {
    if (allowed(signal.actor, 'package_provided')) provided ??= signal;
  });
  setHandler(disclosureDestructionReported, (signal) => {
    if (allowed(signal.actor, 'destruction_reported')) report ??= signal;
  });

  /** Ends the case: the row, its holds released, the audit entry; whatever was refused meanwhile is recorded first. */
  const end = async (
    state: 'closed' | 'rejected' | 'withdrawn',
    action: string,
    by: { username: string; role: string },
    reason: string,
    detail?: Record<string, unknown>,
  ) => {
    status.state = state;
    status.awaiting = undefined;
    status.endedAt = now();
    status.endReason = reason;
    status.endedBy = by.username;
    await record({ action, actor: by.username, role: by.role, reason, status: state, endedAt: status.endedAt, endReason: reason, detail });
    await Promise.all(pending);
    return status;
  };
  const withdrawn = () => {
    const by = withdrawal as WithdrawSignal;
    return end('withdrawn', 'withdrawn', by.actor, by.reason);
  };

  // 1. Registered: recordings confirmed, then submitted once the request is complete.
  for (;;) {
    await condition(() => confirmations.length > 0 || submission !== undefined || withdrawal !== undefined);
    if (withdrawal) return withdrawn();
    while (confirmations.length > 0) {
      const confirmation = confirmations.shift() as ConfirmRecordingsSignal;
      await Promise.all(pending);
      const result = await activities.confirmDisclosureRecordings({
        requestId: input.requestId,
        stepKey: stepKey(),
        recordingIds: confirmation.recordingIds,
        actor: confirmation.actor.username,
        at: now(),
      });
      status.recordings = result.confirmed;
      status.refusedRecordings = result.refused;
    }
    if (!submission) continue;
    const submitted = submission;
    submission = undefined;
    status.readinessProblems = (await activities.checkDisclosureReadiness({ requestId: input.requestId })).problems;
    if (status.readinessProblems.length > 0) {
      const reason = status.readinessProblems.join(' ');
      status.refusals.push({ action: 'submit', actor: submitted.actor.username, reason, at: now() });
      await record({ action: 'submit_refused', actor: submitted.actor.username, role: submitted.actor.role, reason });
      continue;
    }
    status.state = 'in_sign_off';
    await record({
      action: 'submitted',
      actor: submitted.actor.username,
      role: submitted.actor.role,
      reason: '결재 상신',
      status: 'in_sign_off',
      detail: { recordings: status.recordings },
    });
    break;
  }

  // 2. 결재.
  const signOffSubject = `[알림] 녹취정보 ${input.kind === 'viewing' ? '열람' : '제공'} 신청 결재 대기 (관리번호 ${input.managementNumber})`;
  const chain = await runSignOffChain({
    chain: input.signOffChain,
    reminderWorkingDays: input.reminderWorkingDays,
    status,
    decision,
    stopped: () => withdrawal !== undefined,
    reminderAt: async (since) => (await activities.planWorkingDayReminder({ since, workingDays: input.reminderWorkingDays })).at,
    remind: (role, at, count) =>
      activities.queueNotification({
        idempotencyKey: `${workflowId}:reminder-${role}-${count}`,
        channel: 'in_app',
        recipient: role,
        subject: signOffSubject,
        body: `관리번호 ${input.managementNumber} 신청이 ${input.reminderWorkingDays}근무일 넘게 결재를 기다리고 있습니다.`,
        relatedType: 'disclosure_request',
        relatedId: input.requestId,
        triggeredAt: at,
        actor: SYSTEM,
      }),
    signedOff: (signOff) =>
      record({
        action: 'signed_off',
        actor: signOff.actor,
        role: signOff.role,
        reason: signOff.comment,
        signOff: { step: signOff.role, decision: 'approved', comment: signOff.comment },
      }),
    now,
  });
  if (chain.outcome === 'stopped') return withdrawn();
  const last = chain.last;
  if (chain.outcome === 'rejected') {
    status.rejectionNoticeId = (
      await activities.prepareRejectionNotice({ requestId: input.requestId, reason: last.comment, actor: last.actor, at: now() })
    ).documentId;
    await record({
      action: 'signed_off',
      actor: last.actor,
      role: last.role,
      reason: last.comment,
      signOff: { step: last.role, decision: 'rejected', comment: last.comment },
    });
    return end('rejected', 'rejected', { username: last.actor, role: last.role }, last.comment, { rejectionNoticeId: status.rejectionNoticeId });
  }
  status.state = 'awaiting_handover';
  await record({
    action: 'approved',
    actor: last.actor,
    role: last.role,
    reason: last.comment,
    status: 'awaiting_handover',
    signOff: { step: last.role, decision: 'approved', comment: last.comment },
  });

  // 3. Form 2, and nothing released before it comes back signed.
  status.handoverDocumentId = (await activities.prepareHandover({ requestId: input.requestId, actor: last.actor })).documentId;
  await condition(() => handover !== undefined || withdrawal !== undefined);
  if (!handover) return withdrawn();
  const signed = handover;
  await Promise.all(pending);
  await activities.recordHandoverSigned({
    requestId: input.requestId,
    stepKey: stepKey(),
    signatureKind: signed.signatureKind,
    attachmentId: signed.attachmentId,
    recipientName: signed.recipientName,
    receivedAt: signed.receivedAt,
    actor: signed.actor.username,
    at: now(),
  });
  status.handover = {
    signatureKind: signed.signatureKind,
    recipientName: signed.recipientName,
    receivedAt: signed.receivedAt,
    actor: signed.actor.username,
    at: now(),
  };
  status.state = 'released';
  await activities.writeLedgerEntry({ requestId: input.requestId, actor: signed.actor.username });

  // 4a. Viewing: the window, then closed.
  if (input.kind === 'viewing') {
    status.viewingUntil = new Date(Date.now() + input.viewingWindowHours * HOUR_MS).toISOString();
    await condition(() => false, input.viewingWindowHours * HOUR_MS);
    return end('closed', 'viewing_ended', { username: SYSTEM, role: 'system' }, '열람 시간 종료');
  }

  // 4b. Provision: the Form 3 deadline runs from receipt; the package goes with the blank Form 3.
  const { period, reminderDaysBefore, escalationAfterDays, repeatEveryDays } = input.destructionReport;
  const plan = await activities.planLegalDeadline({ startedAt: signed.receivedAt, period, reminderDaysBefore, escalationAfterDays });
  const form3 = await activities.openDestructionReport({ requestId: input.requestId, dueAt: plan.endsAt, actor: signed.actor.username });
  const deadlineWorkflowId = `${workflowId}:destruction-report`;
  status.destructionReport = { documentId: form3.documentId, lastDay: plan.lastDay, dueAt: plan.endsAt, deadlineWorkflowId };
  const deadline = await startChild(deadlineRemindersWorkflow, {
    workflowId: deadlineWorkflowId,
    // The chase stops only when the report is recorded, which this workflow signals; it outlives nothing.
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    args: [
      {
        caseType: 'disclosure_request',
        caseId: input.requestId,
        title: `관리번호 ${input.managementNumber} 파기 결과 회신서 제출`,
        startedAt: signed.receivedAt,
        period,
        reminderDaysBefore,
        escalationAfterDays,
        repeatEveryDays,
        recipient: input.recipient,
        escalateTo: { channel: 'in_app', address: 'chief' },
        caseDocuments: true,
      },
    ],
  });

  await condition(() => provided !== undefined);
  const handedOver = provided as PackageProvidedSignal;
  status.provided = { packageSha256: handedOver.packageSha256, actor: handedOver.actor.username, at: now() };
  status.state = 'awaiting_destruction_report';
  await record({
    action: 'package_provided',
    actor: handedOver.actor.username,
    role: handedOver.actor.role,
    reason: '제공 파일 전달',
    status: 'awaiting_destruction_report',
    packageSha256: handedOver.packageSha256,
    detail: { destructionReportDueAt: plan.endsAt },
  });

  await condition(() => report !== undefined);
  const returned = report as unknown as DestructionReportedSignal;
  await Promise.all(pending);
  await activities.recordDestructionReport({
    requestId: input.requestId,
    stepKey: stepKey(),
    destroyedAt: returned.destroyedAt,
    method: returned.method,
    methodDetail: returned.methodDetail,
    allCopiesDestroyed: returned.allCopiesDestroyed,
    witness: returned.witness,
    attachmentId: returned.attachmentId,
    actor: returned.actor.username,
    at: now(),
  });
  await deadline.signal(deadlineMet, { actor: returned.actor.username, at: now() });
  await deadline.result();
  status.state = 'closed';
  status.endedAt = now();
  status.endReason = '파기 결과 회신서 접수';
  status.endedBy = returned.actor.username;
  await Promise.all(pending);
  return status;
}
