/**
 * 녹취정보 열람·제공 (Art. 9): the case's later steps through the API — each a signal to its workflow
 * (workflows/disclosure.ts), refused there in Korean — and the case's files (scans, generated documents).
 * Apart from registration and reading (disclosure.ts) because these act on a running case.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Attachment, DisclosureRequest, GeneratedDocument } from '../infra/db/entities';
import { type DisclosureStatus as RowStatus } from '../domain/disclosure';
import { disclosureStep, type DisclosureStepRequest } from '../workflows/disclosure';
import type { WithoutUser } from '../workflows/human-steps';
import { stepUser, type Principal } from './access';
import { addAttachments, listAttachments, readAttachment, withSealedFiles } from './attachments';
import { answerStep, ApiError, notFound } from './errors';
import { parseSignature } from './signature';
import { auditIdentityOf, type RouteCall } from './routes';
import {
  attachmentFields,
  type AttachmentPurpose,
  confirmBody,
  destructionReportBody,
  disclosureSignOffBody,
  handoverBody,
  PACKAGE,
  PURPOSE_LABELS,
  SIGNATURE,
  TARGET,
} from './disclosure-schemas';
import { type DisclosureDeps, gateway, loadRequest } from './disclosure';

/**
 * Sends a step to the case's workflow, which accepts it or refuses it with its Korean reason (`409 ACTION_REFUSED`):
 * the rule is applied once, by the workflow, with no race between a check here and the step there.
 */
export async function takeStep(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>, step: WithoutUser<DisclosureStepRequest>) {
  return answerStep(gateway(deps).step(call.params.id, disclosureStep, { ...step, user: stepUser(call.principal as Principal) }), { action: step.action });
}

export async function confirmRecordings(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof confirmBody>>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'confirm_recordings', recordingIds: call.body.recordingIds });
}

export async function submitRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'submit' });
}

export async function signOffRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof disclosureSignOffBody>>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'sign_off', decision: call.body.decision, comment: call.body.comment });
}

export async function withdrawRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, { reason: string }>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'withdraw', reason: call.body.reason });
}

/** The case's attachment of this purpose, or a Korean refusal naming what is missing. */
async function attachmentFor(em: EntityManager, request: DisclosureRequest, id: string, purpose: AttachmentPurpose): Promise<Attachment> {
  const row = await em.findOne(Attachment, { id, ownerType: TARGET, ownerId: request.id, purpose });
  if (!row) throw new ApiError(400, 'INVALID_INPUT', `이 신청에 첨부된 '${PURPOSE_LABELS[purpose]}'이(가) 아닙니다. 먼저 첨부하십시오.`);
  return row;
}

const notFuture = (at: string, label: string) => {
  if (Date.parse(at) > Date.now() + 60_000) throw new ApiError(400, 'INVALID_INPUT', `${label}이(가) 앞으로의 시각입니다.`);
};

/**
 * The recipient signed Form 2. A paper scan must already be the case's attachment; a signature drawn on screen is
 * checked, kept sealed as the case's attachment, and placed on Form 2 by the workflow. If the workflow cannot be told,
 * the signature is taken back out, so a failed attempt leaves the case as it was.
 */
export async function recordHandover(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof handoverBody>>): Promise<void> {
  const request = await loadRequest(call.em, call.params.id);
  const { body } = call;
  notFuture(body.receivedAt, '수령 일시');
  const recipient = { recipientName: body.recipientName, receivedAt: body.receivedAt };
  if (body.signatureKind === 'paper_scan') {
    await attachmentFor(call.em, request, body.attachmentId, 'signed_handover_receipt');
    await takeStep(deps, call, { action: 'handover_signed', signatureKind: body.signatureKind, attachmentId: body.attachmentId, ...recipient });
    return;
  }
  const signature = parseSignature(body.signature);
  const file = { fileName: `인수자서명_${request.managementNumber}.png`, contentType: 'image/png' as const, content: signature.png };
  const [row] = await withSealedFiles(deps.documents, [file], (sealed) =>
    call.em
      .fork()
      .transactional((tx) =>
        addAttachments(tx, { ownerType: TARGET, ownerId: request.id, purpose: SIGNATURE }, sealed, { maxFiles: 1, audit: auditIdentityOf(call) }),
      ),
  );
  try {
    await takeStep(deps, call, { action: 'handover_signed', signatureKind: 'on_screen', attachmentId: row!.id, ...recipient });
  } catch (error) {
    await call.em.fork().transactional(async (tx) => {
      await tx.nativeDelete(Attachment, { id: row!.id });
      await appendAuditEvent(tx, {
        ...auditIdentityOf(call),
        action: 'attachment.removed',
        targetType: TARGET,
        targetId: request.id,
        reason: '업무 흐름에 전달하지 못해 화면 서명을 되돌림',
        detail: { attachmentId: row!.id, purpose: SIGNATURE },
      });
    });
    deps.documents.remove(row!.id);
    throw error;
  }
}

export async function recordDestructionReport(
  deps: DisclosureDeps,
  call: RouteCall<{ id: string }, unknown, z.output<typeof destructionReportBody>>,
): Promise<void> {
  const request = await loadRequest(call.em, call.params.id);
  notFuture(call.body.destroyedAt, '파기 일시');
  await attachmentFor(call.em, request, call.body.attachmentId, 'destruction_report');
  await takeStep(deps, call, { action: 'destruction_reported', ...call.body });
}

/** In which states a file of each purpose may be added: the ground before 결재, each scan at its own step. */
export const ATTACHABLE_IN: Record<AttachmentPurpose, readonly RowStatus[]> = {
  ground_document: ['registered'],
  signed_handover_receipt: ['awaiting_handover'],
  destruction_report: ['awaiting_destruction_report'],
  other: ['registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report'],
};

export async function addRequestAttachments(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof attachmentFields>>) {
  if (call.files.length === 0) throw new ApiError(400, 'INVALID_INPUT', '첨부할 파일을 고르십시오.');
  const purpose = call.body.purpose;
  const status = (await gateway(deps).status(call.params.id))?.state;
  await withSealedFiles(deps.documents, call.files, (sealed) =>
    call.em.fork().transactional(async (tx) => {
      const request = await loadRequest(tx, call.params.id);
      // The workflow's state when it is known (the row follows it a moment later).
      const state = status ?? request.status;
      if (!ATTACHABLE_IN[purpose].includes(state)) {
        throw new ApiError(409, 'ACTION_REFUSED', `지금 단계에서는 '${PURPOSE_LABELS[purpose]}'을(를) 첨부할 수 없습니다.`, { state, purpose });
      }
      await addAttachments(tx, { ownerType: TARGET, ownerId: request.id, purpose }, sealed, { maxFiles: deps.maxAttachments, audit: auditIdentityOf(call) });
    }),
  );
  return listAttachments(call.em.fork(), TARGET, call.params.id);
}

/** A scan of the case. Not the provision package: audio leaves only by its own declared route (R6). */
export async function requestAttachment(deps: DisclosureDeps, call: RouteCall<{ id: string; attachmentId: string }, unknown, unknown>) {
  if (await call.em.count(Attachment, { id: call.params.attachmentId, purpose: PACKAGE })) throw notFound();
  return readAttachment(call.em, deps.documents, { ownerType: TARGET, ownerId: call.params.id }, call.params.attachmentId, call.audit);
}

/** A document the workflow made for the case (Form 2, the blank Form 3, the rejection notice), as DOCX. */
export async function requestDocument(deps: DisclosureDeps, call: RouteCall<{ id: string; documentId: string }, unknown, unknown>) {
  const document = await call.em.findOne(
    GeneratedDocument,
    { id: call.params.documentId, caseType: TARGET, caseId: call.params.id },
    { populate: ['wrappedKey'] },
  );
  if (!document) throw notFound();
  const docx = deps.documents.get(document.id, document.wrappedKey);
  await call.audit({
    action: 'disclosure.document_downloaded',
    targetType: TARGET,
    targetId: call.params.id,
    reason: `${document.purpose} 내려받기`,
    detail: { documentId: document.id, sha256: document.sha256 },
  });
  return { name: `${document.kind}_${call.params.id}.docx`, docx };
}
