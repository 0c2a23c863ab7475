import { EntitySchema } from '@mikro-orm/core';
import { ORGANISATION_KINDS, type OrganisationKind } from '../../../domain/organisation';
import { NOTICE_METHODS, RECORDING_MODES, type NoticeMethod, type RecordingMode } from '../../../domain/recording';
import { BaseEntity } from './base';

/** 관리부서 / 사용부서: one node of the organisation tree, as the directory has it. */
export class Department extends BaseEntity<'parent' | 'isManagingDepartment' | 'directoryDn'> {
  parent?: Department;
  isManagingDepartment = false;
  /** The directory entry this unit maps to; where login places a user. */
  directoryDn?: string;
  constructor(
    public code: string,
    public name: string,
    public kind: OrganisationKind,
  ) {
    super();
  }
}

export const DepartmentSchema = new EntitySchema<Department, BaseEntity>({
  class: Department,
  extends: 'BaseEntity',
  tableName: 'department',
  properties: {
    code: { type: 'string', length: 64, unique: true },
    name: { type: 'string', length: 100 },
    kind: { enum: true, items: () => [...ORGANISATION_KINDS], type: 'string', length: 32 },
    parent: { kind: 'm:1', entity: () => Department, nullable: true },
    isManagingDepartment: { type: 'boolean', default: false },
    directoryDn: { type: 'string', length: 512, nullable: true, unique: true },
  },
});

/** 내선 / 행정전화. `owner` is the directory user name of the official at this extension. */
export class Extension extends BaseEntity<'owner' | 'mode' | 'noticeMethod' | 'fullRecordingSince' | 'fullRecordingApprovalId' | 'fullRecordingApprovedUntil'> {
  owner?: string;
  mode: RecordingMode = 'selective';
  noticeMethod: NoticeMethod = 'verbal';
  fullRecordingSince?: Date;
  /**
   * The approved application the last switch to full was granted for, and the end of its period, as the signed grant
   * said (issue 18): the appliance ends the full recording at that end by itself, and judges each call by it. Kept after
   * the switch back, so a call that began inside the period is still judged by it when registered later.
   */
  fullRecordingApprovalId?: string;
  fullRecordingApprovedUntil?: Date;
  constructor(
    public number: string,
    public department: Department,
  ) {
    super();
  }
}

export const ExtensionSchema = new EntitySchema<Extension, BaseEntity>({
  class: Extension,
  extends: 'BaseEntity',
  tableName: 'extension',
  properties: {
    number: { type: 'string', length: 32, unique: true },
    department: { kind: 'm:1', entity: () => Department },
    owner: { type: 'string', length: 128, nullable: true },
    mode: { enum: true, items: () => [...RECORDING_MODES], type: 'string', length: 16, default: 'selective' },
    noticeMethod: { enum: true, items: () => [...NOTICE_METHODS], type: 'string', length: 16, default: 'verbal' },
    fullRecordingSince: { type: 'datetime', nullable: true },
    fullRecordingApprovalId: { type: 'string', length: 128, nullable: true },
    fullRecordingApprovedUntil: { type: 'datetime', nullable: true },
  },
});
