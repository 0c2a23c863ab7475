/**
 * Destroying a sealed file the way a recording is destroyed (Art. 8(1)): its key is shredded in the database first —
 * the row keeps what the audit needs (name, hash, when and why it was destroyed) — then the file is removed. A crash
 * between the two leaves a file nobody can open, which the retention inventory finds and removes.
 */
import type { EntityManager } from '@mikro-orm/core';
import { appendAuditEvent, type AuditInput } from '../audit/audit-log';
import { Attachment } from '../db/entities';
import type { DocumentStore } from './document-store';

export interface FileDestruction {
  reason: string;
  by: Pick<AuditInput, 'actor' | 'role' | 'sourceAddress'>;
  detail?: Record<string, unknown>;
}

/** Destroys one attachment; resolves to false when it was already destroyed (a retry, or two paths at once). */
export async function destroyAttachment(em: EntityManager, documents: DocumentStore, attachmentId: string, destruction: FileDestruction): Promise<boolean> {
  const destroyed = await em.fork().transactional(async (tx) => {
    const row = await tx.findOne(Attachment, { id: attachmentId, destroyedAt: null });
    if (!row) return false;
    const at = new Date();
    // A native update: the wrapped key is a lazy column, which change tracking would not write when not loaded.
    const changed = await tx.nativeUpdate(
      Attachment,
      { id: attachmentId, destroyedAt: null },
      { wrappedKey: null, destroyedAt: at, destructionReason: destruction.reason },
    );
    if (changed === 0) return false;
    await appendAuditEvent(tx, {
      ...destruction.by,
      action: 'attachment.destroyed',
      targetType: row.ownerType,
      targetId: row.ownerId,
      reason: destruction.reason,
      detail: { attachmentId, fileName: row.fileName, purpose: row.purpose, sha256: row.sha256, ...destruction.detail },
    });
    return true;
  });
  documents.remove(attachmentId);
  return destroyed;
}
