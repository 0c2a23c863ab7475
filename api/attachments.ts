/**
 * 첨부파일: files users give a case, sealed like every document of the system (infra/documents/document-store.ts),
 * listed with their SHA-256 so the filed evidence can be proved unchanged, and given back only as a download to the
 * people who may read the case — each download audited.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { Response } from 'express';
import { z } from 'zod';
import { appendAuditEvent, type AuditInput } from '../infra/audit/audit-log';
import { Attachment, type AttachmentOwner } from '../infra/db/entities';
import type { DocumentStore, StoredDocument } from '../infra/documents/document-store';
import { ApiError, notFound } from './errors';
import type { UploadedFile } from './uploads';

export const attachmentView = z.object({
  id: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  uploadedBy: z.string(),
  uploadedAt: z.string(),
});
export type AttachmentView = z.infer<typeof attachmentView>;

export const attachmentParams = z.object({ id: z.uuid(), attachmentId: z.uuid() }).strict();

export function toAttachmentView(row: Attachment): AttachmentView {
  return {
    id: row.id,
    fileName: row.fileName,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    uploadedBy: row.uploadedBy,
    uploadedAt: row.createdAt.toISOString(),
  };
}

export async function listAttachments(em: EntityManager, ownerType: AttachmentOwner, ownerId: string): Promise<AttachmentView[]> {
  const rows = await em.find(Attachment, { ownerType, ownerId }, { orderBy: { createdAt: 'asc' } });
  return rows.map(toAttachmentView);
}

export interface AttachmentTarget {
  ownerType: AttachmentOwner;
  ownerId: string;
  purpose: string;
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

/** Records sealed files as the target's attachments, each with an `attachment.added` audit entry, in `tx`. */
export async function addAttachments(
  tx: EntityManager,
  target: AttachmentTarget,
  sealed: readonly SealedFile[],
  options: { maxFiles: number; audit: Pick<AuditInput, 'actor' | 'role' | 'sourceAddress'> & { requestId: string } },
): Promise<Attachment[]> {
  const { audit } = options;
  const already = await tx.count(Attachment, { ownerType: target.ownerType, ownerId: target.ownerId, purpose: target.purpose });
  if (already + sealed.length > options.maxFiles) {
    throw new ApiError(413, 'TOO_MANY_FILES', `첨부파일은 한 건에 ${options.maxFiles}개까지입니다 (이미 ${already}개).`, {
      already,
      adding: sealed.length,
    });
  }
  const now = Date.now();
  const rows = sealed.map(({ id, file, stored }, index) => {
    const row = new Attachment(
      target.ownerType,
      target.ownerId,
      target.purpose,
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
  const content = documents.get(row.id, row.wrappedKey);
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
 * Always a download, never shown inline: a PDF or image from outside is opened by the user's own viewer, not run in
 * the intranet's origin (sandboxed even if a browser insists), and not left in a shared PC's cache.
 */
export function sendAttachment(res: Response, row: Attachment, content: Buffer): void {
  res
    .status(200)
    // attachment() guesses a type from the name; the type told from the bytes must come after it.
    .attachment(row.fileName)
    .type(row.contentType)
    .set('Cache-Control', 'no-store')
    .set('Content-Security-Policy', "sandbox; default-src 'none'")
    .set('X-Content-Type-Options', 'nosniff')
    .send(content);
}
