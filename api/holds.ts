/**
 * 보존 중지 (holds) outside the disclosure lifecycle. Art. 8(1) lets nothing keep a recording past its 30 days, so a
 * hold is an exception that must be justified and must end: the chief decides it with the law and article that
 * requires the recording kept, the requesting document (공문, 영장 사본) attached, an end no later than
 * `HOLD_MAX_PERIOD` from today, and a reviewer — a 부책임자 or an auditor, not the chief — who is told of it when it is
 * set and when it ends. It ends by itself (the hourly retention sweep marks it expired and hands a recording past due
 * back to retention); keeping it longer is a new decision with its own basis that names the hold it extends.
 *
 * A hold a disclosure case set ends only with its case (the workflow releases it): releasing it here would let
 * retention delete evidence in the middle of the case.
 *
 * The change and its audit entry are one transaction, as for every change the audit records.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { addDays, type LegalCalendar } from '../domain/legal-period';
import { describePeriodKo, type Period } from '../domain/period';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Attachment, holdInForce, Recording, RecordingHold } from '../infra/db/entities';
import { holdReviewerNotice } from '../infra/db/hold-notice';
import type { Directory } from '../infra/directory';
import type { DocumentStore } from '../infra/documents/document-store';
import { addAttachments, readAttachment, toAttachmentView, attachmentView, withSealedFiles } from './attachments';
import { ApiError, notFound } from './errors';
import { recordingSummary } from './recording-search';
import { auditIdentityOf, type RouteCall } from './routes';

/** Who may review a hold: the managing department's 부책임자 or an auditor, never the chief who sets it. */
export const HOLD_REVIEWER_ROLES = ['deputy', 'auditor'] as const;

export const holdView = z.object({
  id: z.string(),
  reason: z.string(),
  setBy: z.string(),
  setAt: z.string(),
  disclosureRequestId: z.string().nullable().describe('열람·제공 신청이 건 보존 중지이면 그 신청 (그 신청이 끝날 때만 풀림)'),
  legalBasis: z.string().nullable().describe('근거 법령·조항 (신청이 건 보존 중지는 없음)'),
  endsAt: z.string().nullable().describe('스스로 끝나는 시각 (신청이 건 보존 중지는 신청이 끝날 때)'),
  reviewer: z.string().nullable(),
  extendsHoldId: z.string().nullable().describe('연장한 이전 결정'),
  basisDocument: attachmentView.nullable().describe('요청 문서'),
});
export type HoldView = z.infer<typeof holdView>;

/** One recording as its detail shows it: the metadata and the holds in force. */
export const recordingDetail = recordingSummary.extend({ holds: z.array(holdView) });
export type RecordingDetail = z.infer<typeof recordingDetail>;

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

/** A decision to hold (or to extend a hold): the text fields of the form; the requesting document is its file. */
export const holdDecision = z
  .object({
    reason: z.string().trim().min(2, '사유를 적어 주십시오').max(500),
    legalBasis: z
      .string()
      .trim()
      .min(4, '근거 법령과 조항을 적어 주십시오 (예: 형사소송법 제106조)')
      .max(200)
      .regex(/제\s*\d+\s*조/, '근거 조항을 "제○조" 형식으로 적어 주십시오 (예: 형사소송법 제106조)'),
    endsOn: z.iso.date({ message: '끝나는 날을 YYYY-MM-DD 형식으로 적어 주십시오' }),
    reviewer: z.string().trim().regex(USERNAME, '검토자의 사용자 ID를 적어 주십시오'),
  })
  .strict();
export type HoldDecision = z.infer<typeof holdDecision>;

export const holdRelease = z.object({ reason: z.string().trim().min(2, '사유를 적어 주십시오').max(500) }).strict();

export interface HoldDeps {
  calendar: LegalCalendar;
  directory: Pick<Directory, 'findUser'>;
  documents: DocumentStore;
  /** HOLD_MAX_PERIOD: the latest end a decision may give, counted from today like a storage period. */
  holdMaxPeriod: Period;
}

export function toHoldView(hold: RecordingHold, basisDocument?: Attachment): HoldView {
  return {
    id: hold.id,
    reason: hold.reason,
    setBy: hold.setBy,
    setAt: hold.createdAt.toISOString(),
    disclosureRequestId: hold.disclosureRequestId ?? null,
    legalBasis: hold.legalBasis ?? null,
    endsAt: hold.endsAt?.toISOString() ?? null,
    reviewer: hold.reviewer ?? null,
    extendsHoldId: hold.extendsHoldId ?? null,
    basisDocument: basisDocument ? toAttachmentView(basisDocument) : null,
  };
}

/** The holds in force on a recording, oldest first, each with its requesting document. */
export async function openHolds(em: EntityManager, recordingId: string, now = new Date()): Promise<HoldView[]> {
  const holds = await em.find(RecordingHold, { recording: recordingId, ...holdInForce(now) }, { orderBy: { createdAt: 'asc' } });
  const documentIds = holds.flatMap((hold) => (hold.basisDocumentId ? [hold.basisDocumentId] : []));
  const documents = documentIds.length > 0 ? await em.find(Attachment, { id: { $in: documentIds } }) : [];
  return holds.map((hold) =>
    toHoldView(
      hold,
      documents.find((document) => document.id === hold.basisDocumentId),
    ),
  );
}

/**
 * The end a decision gives, checked: the end of `endsOn` in the city's time, after now and no later than the end of the
 * maximum period counted from today.
 */
function holdEnd(deps: HoldDeps, endsOn: string, now: Date): Date {
  const endsAt = deps.calendar.startOfDay(addDays(endsOn, 1));
  if (endsAt <= now) throw new ApiError(400, 'HOLD_END_PAST', `끝나는 날(${endsOn})이 이미 지났습니다. 오늘 이후의 날을 적어 주십시오.`);
  const latest = deps.calendar.retentionDueAt(now, deps.holdMaxPeriod);
  if (endsAt > latest) {
    const lastDay = addDays(deps.calendar.localDate(latest), -1);
    throw new ApiError(
      400,
      'HOLD_TOO_LONG',
      `보존 중지는 한 번에 ${describePeriodKo(deps.holdMaxPeriod)}까지(${lastDay}까지) 정할 수 있습니다. 더 필요하면 그때 근거를 갖추어 연장을 결정하십시오.`,
      { endsOn, lastDay },
    );
  }
  return endsAt;
}

/** The reviewer must be someone else who oversees the managing department, as the directory has them now. */
async function checkReviewer(deps: HoldDeps, reviewer: string, setter: string): Promise<void> {
  if (reviewer === setter) throw new ApiError(400, 'HOLD_REVIEWER_INVALID', '보존 중지를 결정한 사람은 그 검토자가 될 수 없습니다.');
  const user = await deps.directory.findUser(reviewer);
  if (!user || !user.roles.some((role) => (HOLD_REVIEWER_ROLES as readonly string[]).includes(role))) {
    throw new ApiError(400, 'HOLD_REVIEWER_INVALID', `검토자(${reviewer})는 부책임자(팀장)나 감사 담당자여야 합니다.`, { reviewer });
  }
}

/** What the reviewer and the dashboard read of a decision. */
function describeDecision(hold: RecordingHold, calendar: LegalCalendar): string {
  const lastDay = addDays(calendar.localDate(hold.endsAt as Date), -1);
  return `근거: ${hold.legalBasis}. 사유: ${hold.reason}. ${lastDay}까지 (결정: ${hold.setBy}).`;
}

/**
 * Sets a hold, or (with `extending`) extends one by a new decision: the old hold is released as replaced, in the same
 * transaction, so the recording is never unheld in between.
 */
export async function decideHold(deps: HoldDeps, call: RouteCall<{ id: string; holdId?: string }, unknown, HoldDecision>, now = new Date()): Promise<HoldView> {
  const identity = auditIdentityOf(call);
  const decision = call.body;
  const endsAt = holdEnd(deps, decision.endsOn, now);
  await checkReviewer(deps, decision.reviewer, identity.actor);
  const [file, ...extra] = call.files;
  if (!file || extra.length > 0) {
    throw new ApiError(400, 'HOLD_DOCUMENT_MISSING', '보존을 요청한 문서(공문, 영장 사본 등)를 한 개 첨부하십시오 (PDF, JPEG, PNG).');
  }
  return withSealedFiles(deps.documents, [file], (sealed) =>
    call.em.fork().transactional(async (tx) => {
      const recording = await tx.findOne(Recording, call.params.id);
      if (!recording) throw notFound();
      if (recording.deletedAt) {
        throw new ApiError(410, 'RECORDING_DELETED', `이미 삭제된 녹취입니다 (${recording.deletedAt.toISOString()}): 보존 중지를 걸 수 없습니다.`);
      }
      let extended: RecordingHold | undefined;
      if (call.params.holdId) {
        extended = (await tx.findOne(RecordingHold, { id: call.params.holdId, recording: recording.id, ...holdInForce(now) })) ?? undefined;
        if (!extended) throw new ApiError(409, 'HOLD_NOT_IN_FORCE', '연장할 보존 중지가 이미 끝났습니다. 새로 결정하십시오.');
        if (extended.disclosureRequestId) throw caseHoldRefusal(extended);
      }
      const hold = new RecordingHold(recording, decision.reason, identity.actor);
      hold.legalBasis = decision.legalBasis;
      hold.endsAt = endsAt;
      hold.reviewer = decision.reviewer;
      hold.extendsHoldId = extended?.id;
      tx.persist(hold);
      await tx.flush();
      const [document] = await addAttachments(tx, { ownerType: 'recording_hold', ownerId: hold.id, purpose: 'hold_basis' }, sealed, {
        maxFiles: 1,
        audit: identity,
      });
      hold.basisDocumentId = document?.id;
      if (extended) {
        extended.releasedAt = now;
        extended.releasedBy = identity.actor;
        extended.releaseReason = `연장 결정으로 대체 (${hold.id})`;
      }
      const what = extended ? '연장' : '설정';
      const notice = holdReviewerNotice(
        hold,
        recording.id,
        `[검토 요청] 보존 중지 ${what}`,
        `녹취 ${recording.id}의 보존 중지를 ${what}했습니다. ${describeDecision(hold, deps.calendar)}`,
        now,
      );
      if (notice) tx.persist(notice);
      await tx.flush();
      await appendAuditEvent(tx, {
        ...identity,
        action: extended ? 'recording.hold_extended' : 'recording.hold_set',
        targetType: 'recording',
        targetId: recording.id,
        reason: decision.reason,
        detail: {
          holdId: hold.id,
          legalBasis: hold.legalBasis,
          endsAt: endsAt.toISOString(),
          reviewer: hold.reviewer,
          basisDocument: { id: document?.id, sha256: document?.sha256 },
          extendsHoldId: extended?.id,
          requestId: identity.requestId,
        },
      });
      return toHoldView(hold, document);
    }),
  );
}

function caseHoldRefusal(hold: RecordingHold): ApiError {
  return new ApiError(409, 'HOLD_OWNED_BY_CASE', '열람·제공 신청이 건 보존 중지는 그 신청이 끝날 때 풀립니다. 신청을 철회하거나 종결하십시오.', {
    disclosureRequestId: hold.disclosureRequestId,
  });
}

/**
 * Ends a decided hold early. Resolves to the recording when no hold is left on it and it is past due, so the caller can
 * hand it back to retention; otherwise to undefined.
 */
export async function releaseHold(
  em: EntityManager,
  call: RouteCall<{ id: string; holdId: string }, unknown, { reason: string }>,
  now = new Date(),
): Promise<Recording | undefined> {
  const identity = auditIdentityOf(call);
  const { id: recordingId, holdId } = call.params;
  return em.fork().transactional(async (tx) => {
    const hold = await tx.findOne(RecordingHold, { id: holdId, recording: recordingId }, { populate: ['recording'] });
    if (!hold) throw new ApiError(404, 'NOT_FOUND', '보존 중지를 찾을 수 없습니다.');
    if (hold.disclosureRequestId) throw caseHoldRefusal(hold);
    const endedAt = hold.releasedAt ?? (hold.endsAt && hold.endsAt <= now ? hold.endsAt : undefined);
    if (endedAt) throw new ApiError(409, 'HOLD_ALREADY_RELEASED', `이미 끝난 보존 중지입니다 (${endedAt.toISOString()}).`);
    hold.releasedAt = now;
    hold.releasedBy = identity.actor;
    hold.releaseReason = call.body.reason;
    const notice = holdReviewerNotice(
      hold,
      recordingId,
      '[알림] 보존 중지 해제',
      `녹취 ${recordingId}의 보존 중지를 ${identity.actor}이(가) 해제했습니다. 사유: ${call.body.reason}`,
      now,
    );
    if (notice) tx.persist(notice);
    await tx.flush();
    await appendAuditEvent(tx, {
      ...identity,
      action: 'recording.hold_released',
      targetType: 'recording',
      targetId: recordingId,
      reason: call.body.reason,
      detail: { holdId, setBy: hold.setBy, setReason: hold.reason, requestId: identity.requestId },
    });
    const left = await tx.count(RecordingHold, { recording: recordingId, ...holdInForce(now) });
    const recording = hold.recording;
    return left === 0 && !recording.deletedAt && recording.retentionDueAt <= now ? recording : undefined;
  });
}

/** A hold's requesting document, for the managing department and the auditors (audited like every download). */
export async function holdDocument(
  deps: Pick<HoldDeps, 'documents'>,
  call: RouteCall<{ id: string; holdId: string }, unknown, unknown>,
): Promise<{ row: Attachment; content: Buffer }> {
  const hold = await call.em.findOne(RecordingHold, { id: call.params.holdId, recording: call.params.id });
  if (!hold?.basisDocumentId) throw notFound();
  return readAttachment(call.em, deps.documents, { ownerType: 'recording_hold', ownerId: hold.id }, hold.basisDocumentId, call.audit);
}
