import { EntitySchema } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { UnicodeTextType } from '../types';

export const TEMPLATE_SOURCES = ['built-in', 'city'] as const;
export type TemplateSource = (typeof TEMPLATE_SOURCES)[number];

/**
 * A document the system produced for a case (a form, a letter), stored sealed under its own key
 * (infra/documents/document-store.ts). The idempotency key (case + purpose) makes a retried activity
 * find the document it made instead of making a second one.
 */
export class GeneratedDocument extends BaseEntity {
  constructor(
    public idempotencyKey: string,
    public kind: string,
    public caseType: string,
    public caseId: string,
    public purpose: string,
    public templateSource: TemplateSource,
    public sha256: string,
    public sizeBytes: number,
    /** The document's key wrapped by the master key; never serialised. */
    public wrappedKey: string,
    public createdBy: string,
  ) {
    super();
  }
}

export const GeneratedDocumentSchema = new EntitySchema<GeneratedDocument, BaseEntity>({
  class: GeneratedDocument,
  extends: 'BaseEntity',
  tableName: 'generated_document',
  indexes: [{ properties: ['caseType', 'caseId'] }],
  properties: {
    idempotencyKey: { type: 'string', length: 200, unique: true },
    kind: { type: 'string', length: 64 },
    caseType: { type: 'string', length: 64 },
    caseId: { type: 'string', length: 128 },
    purpose: { type: 'string', length: 100 },
    templateSource: { enum: true, items: () => [...TEMPLATE_SOURCES], type: 'string', length: 16 },
    sha256: { type: 'string', length: 64 },
    sizeBytes: { type: 'integer' },
    createdBy: { type: 'string', length: 128 },
    wrappedKey: { type: UnicodeTextType, hidden: true, lazy: true },
  },
});
