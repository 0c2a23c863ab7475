import { EntitySchema } from '@mikro-orm/core';
import { STARTED_AT_BASES, UNREGISTERED_CODES, type StartedAtBasis, type UnregisteredCode } from '../../../domain/unregistered-recording';
import { BaseEntity } from './base';

/**
 * A recording the capture appliance keeps but could not register (issue 19): an unknown extension, missing call
 * metadata, a call id already registered with other audio, or a file it cannot read. Listed for the managing
 * department (why, since when) and destroyed by the appliance on the same clock as a registered recording
 * (`retentionDueAt`, from the same calendar and period); registered later (the extension added), the `Recording` keeps
 * this due date. Its id is the store's recording id — the file's name, and the id its `Recording` row gets when it
 * is registered. A recording under a hold is a registered one, so none of these is ever held.
 */
export class UnregisteredRecording extends BaseEntity<'callId' | 'extension' | 'storageKey' | 'sha256' | 'attempts' | 'registeredAt' | 'destroyedAt'> {
  /** As the device sent it; absent when the file cannot be read, or the call came without one. */
  callId?: string;
  /** The extension as the device sent it, known to the extension table or not. */
  extension?: string;
  /** `YYYY/MM/DD/<id>.rec`; absent for a file left unfinished (`partial/`) or not found under its day. */
  storageKey?: string;
  /** SHA-256 of the audio, when the file could be read. */
  sha256?: string;
  /** Registrations tried and refused, the first included. */
  attempts = 1;
  /** Registered after all (the extension table fixed): its `Recording` row carries on, with this row's due date. */
  registeredAt?: Date;
  /** The file destroyed at its due time (the key region overwritten, then unlinked). */
  destroyedAt?: Date;
  constructor(
    /** The store's recording id. */
    id: string,
    public code: UnregisteredCode,
    /** Korean, with the particulars (the extension, the registered recording, the error). */
    public reason: string,
    public startedAt: Date,
    public startedAtBasis: StartedAtBasis,
    public retentionDueAt: Date,
    public firstRefusedAt: Date,
    public lastTriedAt: Date,
  ) {
    super();
    this.id = id;
  }
}

export const UnregisteredRecordingSchema = new EntitySchema<UnregisteredRecording, BaseEntity>({
  class: UnregisteredRecording,
  extends: 'BaseEntity',
  tableName: 'unregistered_recording',
  indexes: [{ properties: ['retentionDueAt'] }, { properties: ['firstRefusedAt'] }],
  properties: {
    callId: { type: 'string', length: 128, nullable: true },
    extension: { type: 'string', length: 32, nullable: true },
    storageKey: { type: 'string', length: 255, nullable: true },
    sha256: { type: 'string', length: 64, nullable: true },
    code: { enum: true, items: () => [...UNREGISTERED_CODES], type: 'string', length: 32 },
    reason: { type: 'string', length: 500 },
    startedAt: { type: 'datetime' },
    startedAtBasis: { enum: true, items: () => [...STARTED_AT_BASES], type: 'string', length: 16 },
    retentionDueAt: { type: 'datetime' },
    firstRefusedAt: { type: 'datetime' },
    lastTriedAt: { type: 'datetime' },
    attempts: { type: 'integer', default: 1 },
    registeredAt: { type: 'datetime', nullable: true },
    destroyedAt: { type: 'datetime', nullable: true },
  },
});
