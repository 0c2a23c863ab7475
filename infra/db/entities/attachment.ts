import { EntitySchema } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { UnicodeTextType } from '../types';

/** What a file is attached to: the case it belongs to. */
export const ATTACHMENT_OWNERS = ['full_recording_application', 'disclosure_request', 'recording_hold'] as const;
export type AttachmentOwner = (typeof ATTACHMENT_OWNERS)[number];

/**
 * 첨부파일: a file a user gave the system for a case (evidence with a full-recording application, a scan for the
 * disclosure procedure). Stored sealed like generated documents (infra/documents/document-store.ts, same id); never
 * changed once stored, so its hash stays the proof of what was filed.
 */
export class Attachment extends BaseEntity<'destroyAt' | 'destroyedAt' | 'destructionReason'> {
  /**
   * When a file holding call audio (the provision package) must be destroyed at the latest: the case's Form 3
   * deadline. Absent for files without audio, which stay with their case.
   */
  destroyAt?: Date;
  /** When its key was shredded and its file removed; it cannot be downloaded after. */
  destroyedAt?: Date;
  destructionReason?: string;
  constructor(
    public ownerType: AttachmentOwner,
    public ownerId: string,
    /** Why it was attached, e.g. `evidence`. */
    public purpose: string,
    /**
     * The system's name for it, stored and downloaded under: purpose, case number, sequence and the extension of its
     * detected type (`증빙자료_2026-0012_1.pdf`), never the uploader's name or extension.
     */
    public fileName: string,
    /** The name the uploader's PC gave it, kept only as text to show beside the system's name. */
    public originalName: string,
    /** As told from the file's first bytes, not as the browser claimed. */
    public contentType: string,
    public sizeBytes: number,
    public sha256: string,
    /** The file's key wrapped by the master key; never serialised. Null once the file is destroyed. */
    public wrappedKey: string | null,
    public uploadedBy: string,
  ) {
    super();
  }
}

export const AttachmentSchema = new EntitySchema<Attachment, BaseEntity>({
  class: Attachment,
  extends: 'BaseEntity',
  tableName: 'attachment',
  indexes: [{ properties: ['ownerType', 'ownerId'] }],
  properties: {
    ownerType: { enum: true, items: () => [...ATTACHMENT_OWNERS], type: 'string', length: 40 },
    ownerId: { type: 'string', length: 128 },
    purpose: { type: 'string', length: 40 },
    fileName: { type: 'string', length: 255 },
    contentType: { type: 'string', length: 100 },
    sizeBytes: { type: 'integer' },
    sha256: { type: 'string', length: 64 },
    uploadedBy: { type: 'string', length: 128 },
    wrappedKey: { type: UnicodeTextType, hidden: true, lazy: true, nullable: true },
    originalName: { type: 'string', length: 255 },
    destroyAt: { type: 'datetime', nullable: true },
    destroyedAt: { type: 'datetime', nullable: true },
    destructionReason: { type: 'string', length: 255, nullable: true },
  },
});
