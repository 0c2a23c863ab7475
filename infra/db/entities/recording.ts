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
 * A hold keeps a recording past its retention date while a disclosure request names it
 * (or the chief has set one with a reason). Deletion waits for every open hold.
 */
export class RecordingHold extends BaseEntity<'disclosureRequestId' | 'releasedAt' | 'releasedBy'> {
  disclosureRequestId?: string;
  releasedAt?: Date;
  releasedBy?: string;
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
  },
});
