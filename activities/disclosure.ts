/**
 * The side effects of a disclosure request's lifecycle (workflows/disclosure.ts, Art. 9): the confirmed recordings
 * and their holds, the request's row and 결재 lines, the handover receipt (Form 2), the ledger line (Form 4), the
 * destruction report (Form 3) and the documents each step produces. Every activity is safe to retry: a step is
 * written once per step key, and rows that exist once per request (receipt, report, ledger line) are found again.
 */
import type { EntityManager } from '@mikro-orm/core';
import { readinessProblems } from '../domain/disclosure-steps';
import { DISCLOSURE_KIND_LABELS } from '../domain/disclosure';
import { ApplicationFailure } from '@temporalio/common';
import { appendAuditEvent } from '../infra/audit/audit-log';
import {
  Attachment,
  Department,
  DestructionReport,
  DisclosureRequest,
  DisclosureRequestRecording,
  HandoverReceipt,
  LedgerEntry,
  Recording,
  RecordingHold,
  SignOff,
} from '../infra/db/entities';
import type { Directory } from '../infra/directory';
import { formatKoreanDateTime, formatKoreanLocalDate } from '../domain/korean-time';
import { daysBetween, type LegalCalendar } from '../domain/legal-period';
import { ROLE_LABELS } from '../domain/roles';
import { type DestructionMethod, type DisclosureStatus, type SignatureKind } from '../domain/disclosure';
import { type SignOffRole } from '../domain/roles';
import {
  destructionReportFields,
  escalationMemoFields,
  handoverReceiptFields,
  rejectionNoticeFields,
  reminderLetterFields,
  type DocumentContext,
  type Form2Recipient,
} from '../templates/case-documents';
import { createDocumentActivities, type DocumentActivityDeps } from './documents';
import { onceByKey, stepRecorded, type CaseStep } from './idempotency';

export interface DisclosureActivityDeps extends DocumentActivityDeps {
  calendar: LegalCalendar;
  directory: Pick<Directory, 'findUser'>;
  /** What the documents print: the city, its time zone, the Form 3 period as the rules say it (`30일`). */
  site: DocumentContext;
}

const TARGET = 'disclosure_request';

/** A step of a request (`disclosure.<action>` in the audit chain). */
export interface DisclosureStepInput extends CaseStep {
  requestId: string;
  status?: DisclosureStatus;
  /** A 결재 line to keep with the request (Form 4 prints them). */
  signOff?: { step: SignOffRole; decision: 'approved' | 'rejected'; comment: string };
  releasedAt?: string;
  /** The provision package handed over (its manifest is signed inside). */
  packageSha256?: string;
  endedAt?: string;
  endReason?: string;
}

export interface ConfirmRecordingsInput {
  requestId: string;
  stepKey: string;
  recordingIds: string[];
  actor: string;
  at: string;
}

export interface ConfirmRecordingsResult {
  /** The request's recordings now, each on hold. */
  confirmed: string[];
  /** Asked for but not confirmable: unknown, or already deleted (with when). */
  refused: { recordingId: string; reason: string }[];
}

export interface HandoverSignedInput {
  requestId: string;
  stepKey: string;
  signatureKind: SignatureKind;
  /** The signed Form 2 (a scan, or the on-screen signature's document) as an attachment of the request. */
  attachmentId: string;
  recipientName: string;
  receivedAt: string;
  actor: string;
  at: string;
}

export interface DestructionReportInput {
  requestId: string;
  stepKey: string;
  destroyedAt: string;
  method: DestructionMethod;
  methodDetail?: string;
  allCopiesDestroyed: boolean;
  witness?: string;
  /** The returned Form 3 as an attachment of the request. */
  attachmentId: string;
  actor: string;
  at: string;
}

export function createDisclosureActivities(deps: DisclosureActivityDeps) {
  const { orm, site } = deps;
  const { generateDocument } = createDocumentActivities(deps);

  /** One step's transaction: locked, skipped if its key is already recorded, its audit entry appended last. */
  const step = (
    input: Pick<DisclosureStepInput, 'requestId' | 'stepKey' | 'action' | 'actor' | 'role' | 'reason' | 'detail' | 'at'>,
    work: (em: EntityManager, request: DisclosureRequest) => Promise<Record<string, unknown> | void>,
  ) =>
    orm.em.fork().transactional(async (em) => {
      if (await stepRecorded(em, TARGET, input.requestId, input.stepKey)) return false;
      const request = await em.findOneOrFail(DisclosureRequest, input.requestId);
      const extra = (await work(em, request)) ?? {};
      await em.flush();
      await appendAuditEvent(em, {
        actor: input.actor,
        role: input.role,
        sourceAddress: 'worker',
        action: `disclosure.${input.action}`,
        targetType: TARGET,
        targetId: input.requestId,
        reason: input.reason ?? '',
        detail: { ...input.detail, ...extra, managementNumber: request.managementNumber, stepKey: input.stepKey, at: input.at },
      });
      return true;
    });

  /** Releases the request's holds that are still set; past-due recordings are then deleted by the next retention sweep. */
  const releaseHolds = async (em: EntityManager, request: DisclosureRequest, actor: string, at: Date): Promise<string[]> => {
    const holds = await em.find(RecordingHold, { disclosureRequestId: request.id, releasedAt: null });
    for (const hold of holds) {
      hold.releasedAt = at;
      hold.releasedBy = actor;
    }
    return holds.map((hold) => hold.recording.id);
  };

  const caseRecordings = async (em: EntityManager, requestId: string): Promise<Recording[]> =>
    (await em.find(DisclosureRequestRecording, { request: requestId }, { populate: ['recording', 'recording.extension'] })).map((line) => line.recording);

  /** The scan a step records must be one of the case's own attachments; retrying would not make it one. */
  const caseAttachment = async (em: EntityManager, request: DisclosureRequest, id: string, what: string): Promise<Attachment> => {
    const row = await em.findOne(Attachment, { id, ownerType: TARGET, ownerId: request.id });
    if (!row) throw ApplicationFailure.create({ type: 'MissingDocument', message: `${what}이(가) 신청에 첨부되어 있지 않습니다.`, nonRetryable: true });
    return row;
  };

  const managingDepartmentName = async (em: EntityManager) => (await em.findOne(Department, { isManagingDepartment: true }))?.name ?? '';

  /** Form 2's fields; with the recipient's drawn signature once they have signed on screen. */
  const form2Fields = async (em: EntityManager, receipt: Form2Recipient, handingOver: string, signaturePng?: Buffer) => {
    const official = await deps.directory.findUser(handingOver).catch(() => undefined);
    return handoverReceiptFields(
      receipt,
      await caseRecordings(em, receipt.request.id),
      {
        unit: official?.departmentPath.at(-1) ?? (await managingDepartmentName(em)),
        rank: ROLE_LABELS.operator,
        name: official?.displayName ?? handingOver,
      },
      site,
      signaturePng,
    );
  };

  /** The signed Form 2 of an on-screen signature: the case's facts, the recipient, and the signature placed on it. */
  const signedOnScreen = async (input: HandoverSignedInput) => {
    const em = orm.em.fork();
    const request = await em.findOneOrFail(DisclosureRequest, input.requestId);
    const signature = await em.findOne(Attachment, { id: input.attachmentId, ownerType: TARGET, ownerId: request.id }, { populate: ['wrappedKey'] });
    if (!signature?.wrappedKey)
      throw ApplicationFailure.create({ type: 'MissingDocument', message: '인수자 화면 서명이 신청에 첨부되어 있지 않습니다.', nonRetryable: true });
    const recipient = { request, recipientName: input.recipientName, receivedAt: new Date(input.receivedAt) };
    return generateDocument({
      idempotencyKey: `${TARGET}-${request.id}:form2-signed`,
      kind: 'form2-handover-receipt',
      fields: await form2Fields(em, recipient, input.actor, deps.documents.get(signature.id, signature.wrappedKey)),
      caseType: TARGET,
      caseId: request.id,
      purpose: '서명된 녹취정보 인수·인계증',
      actor: input.actor,
    });
  };

  return {
    /** A step that changes the row (status, release, end) and, for a 결재, keeps its line. */
    async recordDisclosureStep(input: DisclosureStepInput): Promise<void> {
      await step(input, async (em, request) => {
        if (input.status) request.status = input.status;
        if (input.releasedAt) request.releasedAt ??= new Date(input.releasedAt);
        if (input.packageSha256) request.packageSha256 = input.packageSha256;
        if (input.endedAt) {
          request.endedAt = new Date(input.endedAt);
          request.endReason = input.endReason;
        }
        if (input.signOff) {
          const line = new SignOff(input.signOff.step, input.actor, input.signOff.decision, new Date(input.at));
          line.request = request;
          line.comment = input.signOff.comment || undefined;
          em.persist(line);
        }
        // An ended case keeps nothing from deletion.
        if (input.endedAt) return { holdsReleased: await releaseHolds(em, request, input.actor, new Date(input.endedAt)) };
      });
    },

    /**
     * The operator's choice of recordings: exactly these become the request's, each put on hold at once (a deleted
     * one cannot be, and is reported with its deletion time); recordings dropped from the choice are released.
     */
    async confirmDisclosureRecordings(input: ConfirmRecordingsInput): Promise<ConfirmRecordingsResult> {
      const result: ConfirmRecordingsResult = { confirmed: [], refused: [] };
      const wrote = await step({ ...input, action: 'recordings_confirmed', role: 'operator', reason: '녹취정보 확인' }, async (em, request) => {
        if (request.status !== 'registered') {
          throw ApplicationFailure.create({ type: 'WrongState', message: `접수 단계에서만 녹취를 확인합니다 (${request.status})`, nonRetryable: true });
        }
        const wanted = new Set(input.recordingIds);
        const found = await em.find(Recording, { id: { $in: [...wanted] } });
        for (const id of wanted) {
          const recording = found.find((candidate) => candidate.id === id);
          if (!recording) result.refused.push({ recordingId: id, reason: '없는 녹취입니다.' });
          else if (recording.deletedAt)
            result.refused.push({ recordingId: id, reason: `이미 삭제되었습니다 (${formatKoreanDateTime(recording.deletedAt, site.timeZone)}).` });
        }
        const usable = found.filter((recording) => !recording.deletedAt);
        const lines = await em.find(DisclosureRequestRecording, { request }, { populate: ['recording'] });
        const removed = lines.filter((line) => !usable.some((recording) => recording.id === line.recording.id));
        const at = new Date(input.at);
        for (const line of removed) {
          em.remove(line);
          const holds = await em.find(RecordingHold, { disclosureRequestId: request.id, recording: line.recording, releasedAt: null });
          for (const hold of holds) Object.assign(hold, { releasedAt: at, releasedBy: input.actor });
        }
        const added = usable.filter((recording) => !lines.some((line) => line.recording.id === recording.id));
        for (const recording of added) {
          em.persist(new DisclosureRequestRecording(request, recording, input.actor));
          const hold = new RecordingHold(recording, `녹취정보 ${DISCLOSURE_KIND_LABELS[request.kind]} 신청 ${request.managementNumber}`, input.actor);
          hold.disclosureRequestId = request.id;
          em.persist(hold);
        }
        result.confirmed = usable.map((recording) => recording.id).sort();
        return { added: added.map((recording) => recording.id), removed: removed.map((line) => line.recording.id), refused: result.refused };
      });
      if (!wrote) {
        // Recorded by an earlier attempt whose answer was lost: answer with what is there now.
        result.confirmed = (await caseRecordings(orm.em.fork(), input.requestId)).map((recording) => recording.id).sort();
      }
      return result;
    },

    /** What still keeps the request from 결재 (Art. 9(1)): Korean, empty when it may go forward. */
    async checkDisclosureReadiness(input: { requestId: string }): Promise<{ problems: string[] }> {
      const em = orm.em.fork();
      const request = await em.findOneOrFail(DisclosureRequest, input.requestId);
      const problems = readinessProblems({
        confirmedRecordings: await em.count(DisclosureRequestRecording, { request }),
        ground: request.ground,
        groundDetail: request.groundDetail,
        groundDocuments: await em.count(Attachment, { ownerType: TARGET, ownerId: request.id, purpose: 'ground_document' }),
      });
      return { problems };
    },

    /** 녹취정보 신청 거부 통지서 for a rejected request. */
    async prepareRejectionNotice(input: { requestId: string; reason: string; actor: string; at: string }): Promise<{ documentId: string }> {
      const em = orm.em.fork();
      const request = await em.findOneOrFail(DisclosureRequest, input.requestId);
      const fields = rejectionNoticeFields(request, input.reason, await managingDepartmentName(em), new Date(input.at), site);
      const document = await generateDocument({
        idempotencyKey: `${TARGET}-${request.id}:rejection-notice`,
        kind: 'disclosure-rejection-notice',
        fields,
        caseType: TARGET,
        caseId: request.id,
        purpose: '녹취정보 신청 거부 통지서',
        actor: input.actor,
      });
      return { documentId: document.documentId };
    },

    /** Form 2 ready to be signed: the receipt row and its document, made once. */
    async prepareHandover(input: { requestId: string; actor: string }): Promise<{ documentId: string }> {
      return onceByKey(
        async () => {
          const receipt = await orm.em.fork().findOne(HandoverReceipt, { request: input.requestId });
          return receipt ? { documentId: receipt.documentKey } : undefined;
        },
        async () => {
          const em = orm.em.fork();
          const request = await em.findOneOrFail(DisclosureRequest, input.requestId);
          const draft = new HandoverReceipt(request, '', request.applicantName, input.actor);
          const document = await generateDocument({
            idempotencyKey: `${TARGET}-${request.id}:form2`,
            kind: 'form2-handover-receipt',
            fields: await form2Fields(em, draft, input.actor),
            caseType: TARGET,
            caseId: request.id,
            purpose: '녹취정보 인수·인계증',
            actor: input.actor,
          });
          await em.transactional(async (tx) => {
            draft.documentKey = document.documentId;
            tx.persist(draft);
          });
          return { documentId: document.documentId };
        },
      );
    },

    /** The recipient signed Form 2 (on screen or on paper): from now the recordings may be released. */
    async recordHandoverSigned(input: HandoverSignedInput): Promise<void> {
      const signed = input.signatureKind === 'on_screen' ? await signedOnScreen(input) : undefined;
      await step({ ...input, action: 'handover_signed', role: 'operator', reason: '인수·인계증 서명 확인' }, async (em, request) => {
        const receipt = await em.findOneOrFail(HandoverReceipt, { request });
        const attachment = await caseAttachment(
          em,
          request,
          input.attachmentId,
          input.signatureKind === 'on_screen' ? '인수자 화면 서명' : '서명된 인수·인계증',
        );
        Object.assign(receipt, {
          signedAt: new Date(input.at),
          signatureKind: input.signatureKind,
          signedDocumentKey: signed?.documentId ?? attachment.id,
          recipientName: input.recipientName,
          receivedAt: new Date(input.receivedAt),
        });
        request.status = 'released';
        request.releasedAt ??= new Date(input.at);
        return {
          signatureKind: input.signatureKind,
          recipientName: input.recipientName,
          signedDocumentSha256: signed?.sha256 ?? attachment.sha256,
          ...(signed ? { signedDocumentId: signed.documentId, signatureSha256: attachment.sha256 } : {}),
        };
      });
    },

    /** Form 4: one line per disclosure, a snapshot with the 결재 as they were. */
    async writeLedgerEntry(input: { requestId: string; actor: string }): Promise<{ ledgerEntryId: string }> {
      return onceByKey(
        async () => {
          const entry = await orm.em.fork().findOne(LedgerEntry, { request: input.requestId });
          return entry ? { ledgerEntryId: entry.id } : undefined;
        },
        () =>
          orm.em.fork().transactional(async (em) => {
            const request = await em.findOneOrFail(DisclosureRequest, input.requestId);
            const recordings = (await caseRecordings(em, request.id)).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
            const first = recordings[0];
            const entry = new LedgerEntry(
              request,
              request.managementNumber,
              request.receivedAt,
              request.applicantName,
              request.applicantBirthDateOrBusinessNumber,
              request.applicantAddress,
              first
                ? `${formatKoreanDateTime(first.startedAt, site.timeZone)}${recordings.length > 1 ? ` 외 ${recordings.length - 1}건` : ''}`
                : request.requestedRecordingTime,
              first?.extension.number ?? request.requestedPhoneNumber,
              request.purpose,
            );
            entry.remarks = DISCLOSURE_KIND_LABELS[request.kind];
            const lines = await em.find(SignOff, { request, decision: 'approved' }, { orderBy: { signedAt: 'asc' } });
            for (const line of lines) {
              const signed = `${line.actor} (${formatKoreanDateTime(line.signedAt, site.timeZone)})`;
              if (line.step === 'operator') entry.signOffOperator = signed;
              if (line.step === 'deputy') entry.signOffDeputy = signed;
              if (line.step === 'chief') entry.signOffChief = signed;
            }
            em.persist(entry);
            await em.flush();
            await appendAuditEvent(em, {
              actor: input.actor,
              role: 'system',
              sourceAddress: 'worker',
              action: 'disclosure.ledger_written',
              targetType: TARGET,
              targetId: request.id,
              reason: '관리대장 기재',
              detail: { ledgerEntryId: entry.id, managementNumber: request.managementNumber },
            });
            return { ledgerEntryId: entry.id };
          }),
      );
    },

    /** The Form 3 the recipient must return by `dueAt`: its row and the blank form sent with the copy. */
    async openDestructionReport(input: { requestId: string; dueAt: string; actor: string }): Promise<{ documentId: string }> {
      const em = orm.em.fork();
      await em.transactional(async (tx) => {
        if (await tx.findOne(DestructionReport, { request: input.requestId })) return;
        tx.persist(new DestructionReport(tx.getReference(DisclosureRequest, input.requestId), new Date(input.dueAt)));
      });
      const report = await em.findOneOrFail(DestructionReport, { request: input.requestId }, { populate: ['request'] });
      const receipt = await em.findOneOrFail(HandoverReceipt, { request: input.requestId });
      const fields = destructionReportFields(report, receipt, await caseRecordings(em, input.requestId), '', site);
      const document = await generateDocument({
        idempotencyKey: `${TARGET}-${input.requestId}:form3-blank`,
        kind: 'form3-destruction-report',
        fields,
        caseType: TARGET,
        caseId: input.requestId,
        purpose: '파기 결과 회신서 (빈 서식)',
        actor: input.actor,
      });
      return { documentId: document.documentId };
    },

    /**
     * What a Form 3 reminder carries: the reminder letter for the recipient (printed and posted, or attached to the
     * e-mail), or the escalation memo for the chief — one per purpose of the deadline workflow.
     */
    async prepareDeadlineDocument(input: {
      requestId: string;
      purpose: string;
      kind: 'destruction-report-reminder' | 'destruction-report-escalation';
      lastDay: string;
      overdue: boolean;
      remindersSent: number;
      at: string;
      actor: string;
    }): Promise<{ documentId: string }> {
      const em = orm.em.fork();
      const report = await em.findOneOrFail(DestructionReport, { request: input.requestId }, { populate: ['request'] });
      const receipt = await em.findOneOrFail(HandoverReceipt, { request: input.requestId });
      const at = new Date(input.at);
      const lastDay = formatKoreanLocalDate(input.lastDay);
      const department = await managingDepartmentName(em);
      const common = { caseType: TARGET, caseId: input.requestId, actor: input.actor, idempotencyKey: `${TARGET}-${input.requestId}:${input.purpose}` };
      const document =
        input.kind === 'destruction-report-reminder'
          ? await generateDocument({
              ...common,
              kind: input.kind,
              purpose: '파기 결과 회신 요청 공문',
              fields: reminderLetterFields(report, receipt, input.overdue, lastDay, department, at, site),
            })
          : await generateDocument({
              ...common,
              kind: input.kind,
              purpose: '파기 결과 미회신 보고',
              fields: escalationMemoFields(
                report,
                receipt,
                lastDay,
                daysBetween(input.lastDay, deps.calendar.localDate(at)),
                input.remindersSent,
                department,
                at,
                site,
              ),
            });
      return { documentId: document.documentId };
    },

    /** The returned Form 3, as the operator recorded it from the signed paper: the case closes, its holds go. */
    async recordDestructionReport(input: DestructionReportInput): Promise<void> {
      await step({ ...input, action: 'destruction_reported', role: 'operator', reason: '파기 결과 회신서 접수' }, async (em, request) => {
        const report = await em.findOneOrFail(DestructionReport, { request });
        const returned = await caseAttachment(em, request, input.attachmentId, '회신받은 파기 결과 회신서');
        Object.assign(report, {
          reportedAt: new Date(input.at),
          destroyedAt: new Date(input.destroyedAt),
          method: input.method,
          methodDetail: input.methodDetail,
          allCopiesDestroyed: input.allCopiesDestroyed,
          witness: input.witness,
          recordedBy: input.actor,
          documentKey: returned.id,
        });
        request.status = 'closed';
        request.endedAt = new Date(input.at);
        request.endReason = '파기 결과 회신서 접수';
        return {
          method: input.method,
          destroyedAt: input.destroyedAt,
          late: report.dueAt < new Date(input.at),
          holdsReleased: await releaseHolds(em, request, input.actor, new Date(input.at)),
        };
      });
    },
  };
}
