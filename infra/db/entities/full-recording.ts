import { Collection, EntitySchema } from '@mikro-orm/core';
import { FULL_RECORDING_GROUNDS, FULL_RECORDING_STATUSES, type FullRecordingGround, type FullRecordingStatus } from '../../../domain/full-recording';
import { UnicodeTextType } from '../types';
import { BaseEntity } from './base';
import { Department, Extension } from './organisation';

/** 전수 녹취 신청·승인. The workflow owns the status; this row mirrors it for search and documents. */
export class FullRecordingApplication extends BaseEntity<
  'periodTo' | 'status' | 'decidedBy' | 'decidedAt' | 'decisionReason' | 'appliedAt' | 'endedAt' | 'extensions'
> {
  extensions = new Collection<Extension>(this);
  /** Unset means "until revoked", with a yearly review. */
  periodTo?: Date;
  status: FullRecordingStatus = 'under_review';
  decidedBy?: string;
  decidedAt?: Date;
  decisionReason?: string;
  /** When the appliance was verified to record every call. */
  appliedAt?: Date;
  endedAt?: Date;
  constructor(
    public workflowId: string,
    public applicant: string,
    public department: Department,
    public ground: FullRecordingGround,
    public reason: string,
    public periodFrom: Date,
  ) {
    super();
  }
}

export const FullRecordingApplicationSchema = new EntitySchema<FullRecordingApplication, BaseEntity>({
  class: FullRecordingApplication,
  extends: 'BaseEntity',
  tableName: 'full_recording_application',
  properties: {
    workflowId: { type: 'string', length: 200, unique: true },
    applicant: { type: 'string', length: 128 },
    department: { kind: 'm:1', entity: () => Department },
    extensions: { kind: 'm:n', entity: () => Extension, pivotTable: 'full_recording_application_extension' },
    ground: { enum: true, items: () => [...FULL_RECORDING_GROUNDS], type: 'string', length: 40 },
    reason: { type: UnicodeTextType },
    periodFrom: { type: 'datetime' },
    periodTo: { type: 'datetime', nullable: true },
    status: { enum: true, items: () => [...FULL_RECORDING_STATUSES], type: 'string', length: 20, default: 'under_review' },
    decidedBy: { type: 'string', length: 128, nullable: true },
    decidedAt: { type: 'datetime', nullable: true },
    decisionReason: { type: UnicodeTextType, nullable: true },
    appliedAt: { type: 'datetime', nullable: true },
    endedAt: { type: 'datetime', nullable: true },
  },
});
