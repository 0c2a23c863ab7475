/**
 * 첨부파일: files users give a case, sealed like every document of the system (infra/documents/document-store.ts),
 * listed with their SHA-256 so the filed evidence can be proved unchanged, and given back only as a download to the
 * people who may read the case — each download audited. A file is stored and downloaded under the system's name for
 * it, with the extension of the type its content was checked as: whatever the uploader called it (`run.bat`,
 * `증빙자료.hta`), the chief's PC opens it with a PDF viewer or an image viewer, nothing else.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { Response } from 'express';
import { z } from 'zod';
import { appendAuditEvent, type AuditInput } from '../infra/audit/audit-log';
import { Attachment, DisclosureRequest, FullRecordingApplication, RecordingHold, type AttachmentOwner } from '../infra/db/entities';
import { rowLock } from '../infra/db/row-lock';
import type { DocumentStore, StoredDocument } from '../infra/documents/document-store';
import { ApiError, notFound } from './errors';
import { extensionOf, type UploadedFile } from './uploads';

/**
 * What each purpose is called at the head of the system's file names. A download's ASCII fallback name uses the
 * purpose id instead (`evidence_2026-0012_1.pdf`).
 */
const FILE_NAME_LABELS = {
  evidence: '증빙자료',
  ground_document: '근거서류',
  signed_handover_receipt: '인수인계증',
  destruction_report: '파기결과회신서',
  other: '기타첨부',
  provision_package: '녹취정보제공',
  recipient_signature: '인수자서명',
  hold_basis: '보존중지근거',
} as const;
export type AttachmentPurposeId = keyof typeof FILE_NAME_LABELS;

export const attachmentView = z.object({
  id: z.string(),
  /** The system's name: what the download is called. */
  fileName: z.string(),
  /** What the uploader called it, to show as text. */
  originalName: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  uploadedBy: z.string(),
  uploadedAt: z.string(),
  /** A file that held audio is destroyed when its time is up (the provision package): when, and why. */
  destroyAt: z.string().nullable().describe('음성을 담은 파일이면 늦어도 이때 파기 (제공 파일: 파기 결과 회신 기한)'),
  destroyedAt: z.string().nullable().describe('파기되었으면 그 시각: 더 내려받을 수 없음'),
  destructionReason: z.string().nullable(),
});
export type AttachmentView = z.infer<typeof attachmentView>;

export const attachmentParams = z.object({ id: z.uuid(), attachmentId: z.uuid() }).strict();

export function toAttachmentView(row: Attachment): AttachmentView {
  return {
    id: row.id,
    fileName: row.fileName,
    originalName: row.originalName,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    uploadedBy: row.uploadedBy,
    uploadedAt: row.createdAt.toISOString(),
    destroyAt: row.destroyAt?.toISOString() ?? null,
    destroyedAt: row.destroyedAt?.toISOString() ?? null,
    destructionReason: row.destructionReason ?? null,
  };
}

export async function listAttachments(em: EntityManager, ownerType: AttachmentOwner, ownerId: string): Promise<AttachmentView[]> {
  const rows = await em.find(Attachment, { ownerType, ownerId }, { orderBy: { createdAt: 'asc' } });
  return rows.map(toAttachmentView);
}

export interface AttachmentTarget {
  ownerType: AttachmentOwner;
  ownerId: string;
  purpose: AttachmentPurposeId;
}

/** Files sealed in the document store, not yet recorded as a case's attachments. */
export interface SealedFile {
  id: string;
  file: UploadedFile;
  stored: StoredDocument;
}

/**
 * Seals the files, then runs `use` (which records them, in its transaction); if `use` fails the sealed files are
 * removed again, so a refused or failed request leaves neither a row without a file nor a file without a row.
 */
export async function withSealedFiles<T>(documents: DocumentStore, files: readonly UploadedFile[], use: (sealed: SealedFile[]) => Promise<T>): Promise<T> {
  const sealed: SealedFile[] = [];
  try {
    for (const file of files) {
      const id = randomUUID();
      sealed.push({ id, file, stored: documents.put(id, file.content) });
    }
    return await use(sealed);
  } catch (error) {
    for (const { id } of sealed) documents.remove(id);
    throw error;
  }
}

/**
 * The case's number as people quote it — a disclosure request's 관리번호; an application or a hold has no number but
 * its id — read with the case's row locked, so that two uploads to one case count and number their files one after
 * the other.
 */
async function lockedCaseNumber(tx: EntityManager, target: AttachmentTarget): Promise<string> {
  if (target.ownerType === 'disclosure_request') {
    const request = await tx.findOne(DisclosureRequest, target.ownerId, rowLock(tx));
    if (!request) throw notFound();
    return request.managementNumber;
  }
  const owner =
    target.ownerType === 'recording_hold'
      ? await tx.findOne(RecordingHold, target.ownerId, rowLock(tx))
      : await tx.findOne(FullRecordingApplication, target.ownerId, rowLock(tx));
  if (!owner) throw notFound();
  return owner.id;
}

/**
 * Records sealed files as the target's attachments, each with an `attachment.added` audit entry, in `tx`. Each is named
 * `<purpose>_<case number>_<n>.<extension of its type>`; a purpose that holds one file only (the package, the drawn
 * signature) needs no `_<n>`.
 */
export async function addAttachments(
  tx: EntityManager,
  target: AttachmentTarget,
  sealed: readonly SealedFile[],
  options: { maxFiles: number; audit: Pick<AuditInput, 'actor' | 'role' | 'sourceAddress'> & { requestId: string } },
): Promise<Attachment[]> {
  const { audit } = options;
  const caseNumber = await lockedCaseNumber(tx, target);
  const already = await tx.count(Attachment, { ownerType: target.ownerType, ownerId: target.ownerId, purpose: target.purpose });
  if (already + sealed.length > options.maxFiles) {
    throw new ApiError(413, 'TOO_MANY_FILES', `첨부파일은 한 건에 ${options.maxFiles}개까지입니다 (이미 ${already}개).`, {
      already,
      adding: sealed.length,
    });
  }
  const now = Date.now();
  const rows = sealed.map(({ id, file, stored }, index) => {
    const sequence = options.maxFiles === 1 ? '' : `_${already + index + 1}`;
    const row = new Attachment(
      target.ownerType,
      target.ownerId,
      target.purpose,
      `${FILE_NAME_LABELS[target.purpose]}_${caseNumber}${sequence}.${extensionOf(file.contentType)}`,
      file.fileName,
      file.contentType,
      stored.sizeBytes,
      stored.sha256,
      stored.wrappedKey,
      audit.actor,
    );
    row.id = id;
    // One millisecond apart, so the list (and the application's numbered 붙임) keeps the order the files were sent in.
    row.createdAt = new Date(now + index);
    tx.persist(row);
    return row;
  });
  await tx.flush();
  for (const row of rows) {
    await appendAuditEvent(tx, {
      actor: audit.actor,
      role: audit.role,
      sourceAddress: audit.sourceAddress,
      action: 'attachment.added',
      targetType: target.ownerType,
      targetId: target.ownerId,
      reason: `첨부파일 등록: ${row.fileName}`,
      detail: {
        attachmentId: row.id,
        originalName: row.originalName,
        purpose: target.purpose,
        sha256: row.sha256,
        sizeBytes: row.sizeBytes,
        contentType: row.contentType,
        requestId: audit.requestId,
      },
    });
  }
  return rows;
}

/** One attachment of one case, decrypted; the download is audited before a byte leaves. */
export async function readAttachment(
  em: EntityManager,
  documents: DocumentStore,
  owner: { ownerType: AttachmentOwner; ownerId: string },
  attachmentId: string,
  audit: (entry: { action: string; targetType: string; targetId: string; reason: string; detail: Record<string, unknown> }) => Promise<void>,
): Promise<{ row: Attachment; content: Buffer }> {
  const row = await em.findOne(Attachment, { id: attachmentId, ...owner }, { populate: ['wrappedKey'] });
  if (!row) throw notFound();
  const content = documents.get(row.id, liveKey(row));
  await audit({
    action: 'attachment.downloaded',
    targetType: owner.ownerType,
    targetId: owner.ownerId,
    reason: `첨부파일 내려받기: ${row.fileName}`,
    detail: { attachmentId: row.id, sha256: row.sha256 },
  });
  return { row, content };
}

/**
 * The key of a file that still exists. A destroyed file (the provision package after its hand-over or its deadline)
 * has none: it is gone, which the user is told with when.
 */
export function liveKey(row: Attachment): string {
  if (row.destroyedAt || !row.wrappedKey) {
    throw new ApiError(
      410,
      'FILE_DESTROYED',
      `이 파일은 ${row.destroyedAt?.toISOString() ?? ''}에 파기되어 더 내려받을 수 없습니다.${row.destructionReason ? ` (${row.destructionReason})` : ''}`,
      {
        destroyedAt: row.destroyedAt?.toISOString() ?? null,
      },
    );
  }
  return row.wrappedKey;
}

/**
 * `attachment` under the system's name (RFC 6266): UTF-8 in `filename*` (RFC 5987) for the Korean label, and for a
 * client that reads only `filename` the same name in ASCII, the purpose id standing in for the label.
 */
function attachmentDisposition(row: Pick<Attachment, 'fileName' | 'purpose'>): string {
  const ascii = row.fileName.replace(/[^\x20-\x7e]+/g, row.purpose).replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(row.fileName).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Always a download, never shown inline: a PDF or image from outside is opened by the user's own viewer, not run in
 * the intranet's origin (sandboxed even if a browser insists), and not left in a shared PC's cache. Named by the
 * system and typed by the checked content, so the PC picks the viewer for what the file is.
 */
export function sendAttachment(res: Response, row: Attachment, content: Buffer): void {
  res
    .status(200)
    .set('Content-Disposition', attachmentDisposition(row))
    .type(row.contentType)
    .set('Cache-Control', 'no-store')
    .set('Content-Security-Policy', "sandbox; default-src 'none'")
    .set('X-Content-Type-Options', 'nosniff')
    .send(content);
}
