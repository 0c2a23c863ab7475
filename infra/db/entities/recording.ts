import { EntitySchema } from '@mikro-orm/core';
import { CALL_DIRECTIONS, CODECS, COMPLIANCE_EXCEPTIONS, type CallDirection, type Codec, type ComplianceException } from '../../../domain/recording';
import { UnicodeTextType } from '../types';
import { BaseEntity } from './base';
import { Extension } from './organisation';
import { RECORDING_MODES, type RecordingMode } from '../../../domain/recording';

/**
 * 녹취정보: one recorded call. Personal data here: the other party's number and the call times.
 * On deletion the audio file and the wrapped key are destroyed and the personal fields cleared; the row
 * stays as a tombstone (id, hash, times, reason) for the audit.
 */
export class Recording extends BaseEntity<
  | 'otherPartyNumber'
  | 'endedAt'
  | 'noticeGiven'
  | 'noticeEvidence'
  | 'durationMs'
  | 'sizeBytes'
  | 'storageKey'
  | 'sha256'
  | 'wrappedKey'
  | 'recovered'
  | 'deletedAt'
  | 'deletionReason'
  | 'complianceException'
> {
  otherPartyNumber?: string;
  endedAt?: Date;
  /** 사전고지: whether the other party was told, and the evidence (e.g. `announcement:played@…`). */
  noticeGiven = false;
  noticeEvidence?: string;
  durationMs?: number;
  sizeBytes?: number;
  storageKey?: string;
  /** SHA-256 of the audio, fixed when the recording is finalised. */
  sha256?: string;
  /** The per-recording key, wrapped by the master key; never leaves the server. */
  wrappedKey?: string;
  /** Finalised after a capture crash from what had been flushed. */
  recovered = false;
  /** Set when the call broke a rule the dashboard must show (R3). */
  complianceException?: ComplianceException;
  deletedAt?: Date;
  deletionReason?: string;
  constructor(
    public callId: string,
    public extension: Extension,
    public startedAt: Date,
    public direction: CallDirection,
    public mode: RecordingMode,
    public codec: Codec,
    public retentionDueAt: Date,
  ) {
    super();
  }
}

export const RecordingSchema = new EntitySchema<Recording, BaseEntity>({
  class: Recording,
  extends: 'BaseEntity',
  tableName: 'recording',
  indexes: [
    { properties: ['startedAt'] },
    { properties: ['retentionDueAt'] },
    // Recording search: one extension's calls in a date range.
    { properties: ['extension', 'startedAt'] },
    // The dashboard's compliance exceptions: the few flagged calls of the last days, newest first.
    { properties: ['complianceException', 'startedAt'] },
  ],
  properties: {
    callId: { type: 'string', length: 128, unique: true },
    extension: { kind: 'm:1', entity: () => Extension },
    startedAt: { type: 'datetime' },
    endedAt: { type: 'datetime', nullable: true },
    otherPartyNumber: { type: 'string', length: 32, nullable: true },
    direction: { enum: true, items: () => [...CALL_DIRECTIONS], type: 'string', length: 16 },
    mode: { enum: true, items: () => [...RECORDING_MODES], type: 'string', length: 16 },
    noticeGiven: { type: 'boolean', default: false },
    noticeEvidence: { type: 'string', length: 255, nullable: true },
    codec: { enum: true, items: () => [...CODECS], type: 'string', length: 8 },
    durationMs: { type: 'integer', nullable: true },
    sizeBytes: { type: 'integer', nullable: true },
    storageKey: { type: 'string', length: 255, nullable: true },
    sha256: { type: 'string', length: 64, nullable: true },
    wrappedKey: { type: UnicodeTextType, nullable: true, hidden: true, lazy: true },
    recovered: { type: 'boolean', default: false },
    retentionDueAt: { type: 'datetime' },
    deletedAt: { type: 'datetime', nullable: true },
    deletionReason: { type: 'string', length: 255, nullable: true },
    complianceException: { enum: true, items: () => [...COMPLIANCE_EXCEPTIONS], type: 'string', length: 32, nullable: true },
  },
});

/**
 * 보존 중지: keeps a recording past its retention date. Art. 8(1) lets nothing keep a recording longer, so every hold
 * is an exception that must say why and until when: a disclosure request's hold lasts as long as its case (and only
 * the case's end releases it); any other is a decision with its legal basis, the requesting document, an end no later
 * than `HOLD_MAX_PERIOD` and a reviewer, which ends by itself (the hourly sweep marks it expired) and is extended only
 * by a new decision that names the one it continues.
 */
export class RecordingHold extends BaseEntity<
  'disclosureRequestId' | 'releasedAt' | 'releasedBy' | 'releaseReason' | 'legalBasis' | 'basisDocumentId' | 'endsAt' | 'reviewer' | 'extendsHoldId'
> {
  disclosureRequestId?: string;
  releasedAt?: Date;
  releasedBy?: string;
  /** Why it ended: a person's reason, `만료` when its end passed, the case's end for a case's hold. */
  releaseReason?: string;
  /** The law and article that requires keeping the recording (e.g. `형사소송법 제106조`); absent only on a case's hold. */
  legalBasis?: string;
  /** The attachment holding the requesting document (공문, 영장 사본…). */
  basisDocumentId?: string;
  /** When the hold ends by itself; absent only on a case's hold, which ends with its case. */
  endsAt?: Date;
  /** Who reviews the decision (a person other than the one who set it), told when it is set and when it ends. */
  reviewer?: string;
  /** The hold this decision extends (it was released when this one was set). */
  extendsHoldId?: string;
  constructor(
    public recording: Recording,
    public reason: string,
    public setBy: string,
  ) {
    super();
  }
}

export const RecordingHoldSchema = new EntitySchema<RecordingHold, BaseEntity>({
  class: RecordingHold,
  extends: 'BaseEntity',
  tableName: 'recording_hold',
  properties: {
    recording: { kind: 'm:1', entity: () => Recording },
    reason: { type: 'string', length: 500 },
    setBy: { type: 'string', length: 128 },
    disclosureRequestId: { type: 'uuid', nullable: true },
    releasedAt: { type: 'datetime', nullable: true },
    releasedBy: { type: 'string', length: 128, nullable: true },
    releaseReason: { type: 'string', length: 500, nullable: true },
    legalBasis: { type: 'string', length: 200, nullable: true },
    basisDocumentId: { type: 'uuid', nullable: true },
    endsAt: { type: 'datetime', nullable: true },
    reviewer: { type: 'string', length: 128, nullable: true },
    extendsHoldId: { type: 'uuid', nullable: true },
  },
});

/**
 * The holds that keep a recording at `at`: not released, and not past their end. A hold whose end has passed no longer
 * keeps anything even before the hourly sweep has marked it expired.
 */
export function holdInForce(at: Date) {
  return { releasedAt: null, $or: [{ endsAt: null }, { endsAt: { $gt: at } }] };
}
