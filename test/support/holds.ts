/** A 보존 중지 decision as the chief sends it (every field a hold needs, the requesting document attached), and its rows. */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Attachment, Recording, RecordingHold } from '../../infra/db/entities';
import type { DocumentStore } from '../../infra/documents/document-store';
import type { RequestOptions } from './api';
import { SAMPLE_FILES } from './api';

export interface HoldFields {
  reason: string;
  legalBasis: string;
  endsOn: string;
  reviewer: string;
}

/** The Korean date `days` from now (the city's time), as the form's date field takes it. */
export function koreanDateIn(days: number, from = new Date()): string {
  return new Date(from.getTime() + 9 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

export function holdDecisionFields(overrides: Partial<HoldFields> = {}): HoldFields {
  return { reason: '수사기관의 녹취 보전 요청', legalBasis: '형사소송법 제106조', endsOn: koreanDateIn(30), reviewer: 'park.deputy', ...overrides };
}

/** The multipart body of a decision; `document: false` leaves the requesting document out. */
export function holdDecision(overrides: Partial<HoldFields> = {}, document: Buffer | false = SAMPLE_FILES.pdf): RequestOptions {
  return {
    multipart: {
      fields: { ...holdDecisionFields(overrides) },
      files: document ? [{ field: 'basisDocument', name: '보전요청공문.pdf', type: 'application/pdf', content: document }] : [],
    },
  };
}

/** A decided hold on a recording, as the chief's decision leaves it (not yet flushed). */
export function decidedHold(em: EntityManager, recordingId: string, endsAt: Date): RecordingHold {
  const hold = new RecordingHold(em.getReference(Recording, recordingId), '수사기관의 녹취 보전 요청', 'choi.chief');
  hold.legalBasis = '형사소송법 제106조';
  hold.reviewer = 'park.deputy';
  hold.endsAt = endsAt;
  em.persist(hold);
  return hold;
}

/** A provision package sealed in `documents`, due for destruction at `destroyAt` (not yet flushed). */
export function sealedPackage(em: EntityManager, documents: DocumentStore, managementNumber: string, destroyAt: Date): Attachment {
  const id = randomUUID();
  const stored = documents.put(id, Buffer.from(`PK provision package ${managementNumber} holding audio`));
  const name = `녹취정보제공_${managementNumber}.zip`;
  const row = new Attachment(
    'disclosure_request',
    randomUUID(),
    'provision_package',
    name,
    name,
    'application/zip',
    stored.sizeBytes,
    stored.sha256,
    stored.wrappedKey,
    'lee.operator',
  );
  row.id = id;
  row.destroyAt = destroyAt;
  em.persist(row);
  return row;
}
