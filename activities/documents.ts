/**
 * Produces a case's documents: fills the form (the city's template when it has one, the built-in
 * otherwise), stores it sealed, and records it with an audit entry — once per idempotency key, so a
 * retried activity returns the document it already made.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { GeneratedDocument } from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import { renderForm, TemplateError, type FieldsByKind } from '../templates/documents';
import { onceByKey } from './idempotency';
import type { FormKind } from '../templates/forms';

export interface GenerateDocumentInput<K extends FormKind = FormKind> {
  /** Case + purpose, e.g. `disclosure-2026-0001:form2`. */
  idempotencyKey: string;
  kind: K;
  fields: FieldsByKind[K];
  caseType: string;
  caseId: string;
  purpose: string;
  actor: string;
}

export interface GeneratedDocumentRef {
  documentId: string;
  sha256: string;
  sizeBytes: number;
}

export interface DocumentActivityDeps {
  orm: MikroORM;
  documents: DocumentStore;
  /** The city's own templates, if it has any (TEMPLATES_DIR). */
  templatesDir?: string;
}

export interface StoredDocumentInput {
  idempotencyKey: string;
  kind: string;
  caseType: string;
  caseId: string;
  purpose: string;
  actor: string;
  /** `city` for a city's own template, `built-in` for ours (reports made by code count as built-in). */
  templateSource: 'city' | 'built-in';
}

/**
 * A document made for a case, sealed under its own key and listed with a `document.generated` audit entry in one
 * transaction; if that fails the sealed file is removed again, so there is never a file without its row.
 */
export async function storeGeneratedDocument(
  { orm, documents }: Pick<DocumentActivityDeps, 'orm' | 'documents'>,
  input: StoredDocumentInput,
  content: Buffer,
): Promise<GeneratedDocumentRef> {
  const id = randomUUID();
  const stored = documents.put(id, content);
  try {
    await orm.em.fork().transactional(async (em) => {
      const document = new GeneratedDocument(
        input.idempotencyKey,
        input.kind,
        input.caseType,
        input.caseId,
        input.purpose,
        input.templateSource,
        stored.sha256,
        stored.sizeBytes,
        stored.wrappedKey,
        input.actor,
      );
      document.id = id;
      em.persist(document);
      await appendAuditEvent(em, {
        actor: input.actor,
        role: 'system',
        sourceAddress: 'worker',
        action: 'document.generated',
        targetType: input.caseType,
        targetId: input.caseId,
        reason: input.purpose,
        detail: { documentId: id, kind: input.kind, sha256: stored.sha256, templateSource: input.templateSource },
      });
    });
  } catch (error) {
    documents.remove(id);
    throw error;
  }
  return { documentId: id, sha256: stored.sha256, sizeBytes: stored.sizeBytes };
}

export function createDocumentActivities({ orm, documents, templatesDir }: DocumentActivityDeps) {
  const existing = async (key: string): Promise<GeneratedDocumentRef | undefined> => {
    const found = await orm.em.fork().findOne(GeneratedDocument, { idempotencyKey: key });
    return found ? { documentId: found.id, sha256: found.sha256, sizeBytes: found.sizeBytes } : undefined;
  };

  const create = async (input: GenerateDocumentInput): Promise<GeneratedDocumentRef> => {
    let docx: Buffer;
    try {
      docx = await renderForm(input.kind, input.fields, { templatesDir });
    } catch (error) {
      if (error instanceof TemplateError) {
        throw ApplicationFailure.create({ type: 'DocumentTemplateFailed', message: error.message, nonRetryable: true });
      }
      throw error;
    }
    const templateSource = templatesDir && existsSync(path.join(templatesDir, `${input.kind}.docx`)) ? 'city' : 'built-in';
    return storeGeneratedDocument({ orm, documents }, { ...input, templateSource }, docx);
  };

  return {
    // An arrow, not a method: callers take it off the object (`const { generateDocument } = …`); it uses no `this`.
    generateDocument: (input: GenerateDocumentInput): Promise<GeneratedDocumentRef> =>
      onceByKey(
        () => existing(input.idempotencyKey),
        () => create(input),
      ),
  };
}
