import { Collection, EntitySchema } from '@mikro-orm/core';
import {
  DESTRUCTION_METHODS,
  DISCLOSURE_GROUNDS,
  DISCLOSURE_KINDS,
  DISCLOSURE_STATUSES,
  SIGN_OFF_DECISIONS,
  SIGNATURE_KINDS,
  type DestructionMethod,
  type DisclosureGround,
  type DisclosureKind,
  type DisclosureStatus,
  type SignatureKind,
  type SignOffDecision,
} from '../../../domain/disclosure';
import { UnicodeTextType } from '../types';
import { BaseEntity } from './base';
import { FullRecordingApplication } from './full-recording';
import { Recording } from './recording';
import { SIGN_OFF_ROLES, type SignOffRole } from '../../../domain/roles';

/**
 * 녹취정보 (열람, 제공) 신청서 — Form 1. Personal data of the applicant lives here and only here
 * (name, birth date or business number, address, contact, e-mail); the ledger copies what Form 4 needs.
 */
export class DisclosureRequest extends BaseEntity<
  | 'status'
  | 'groundDetail'
  | 'applicantEmail'
  | 'recordings'
  | 'signOffs'
  | 'releasedAt'
  | 'packageSha256'
  | 'endedAt'
  | 'endReason'
  | 'recordingFrom'
  | 'recordingTo'
  | 'applicantUsername'
> {
  status: DisclosureStatus = 'registered';
  /** The time window the applicant gave for the call, as instants: what matching searches (Form 1 prints the text). */
  recordingFrom?: Date;
  recordingTo?: Date;
  groundDetail?: string;
  applicantEmail?: string;
  /** When the recordings were first viewed or the package handed over. */
  releasedAt?: Date;
  /** SHA-256 of the provision package as handed over (its manifest is signed inside). */
  packageSha256?: string;
  /** Closed, rejected or withdrawn, and why (Korean, as the notice or the record says it). */
  endedAt?: Date;
  endReason?: string;
  /** Set when a party official filed the request themselves, logged in: their own list of requests is by it. */
  applicantUsername?: string;
  recordings = new Collection<DisclosureRequestRecording>(this);
  signOffs = new Collection<SignOff>(this);
  constructor(
    /** 관리번호 `YYYY-NNNN`, gap-free per year. */
    public managementNumber: string,
    public year: number,
    public sequence: number,
    public workflowId: string,
    public kind: DisclosureKind,
    public applicantName: string,
    public applicantBirthDateOrBusinessNumber: string,
    public applicantAddress: string,
    public applicantContact: string,
    public requestedRecordingTime: string,
    public requestedPhoneNumber: string,
    public purpose: string,
    public relationToParty: string,
    public reason: string,
    public ground: DisclosureGround,
    public receivedAt: Date,
    public registeredBy: string,
  ) {
    super();
  }
}

export const DisclosureRequestSchema = new EntitySchema<DisclosureRequest, BaseEntity>({
  class: DisclosureRequest,
  extends: 'BaseEntity',
  tableName: 'disclosure_request',
  uniques: [{ properties: ['year', 'sequence'] }],
  properties: {
    managementNumber: { type: 'string', length: 16, unique: true },
    year: { type: 'integer' },
    sequence: { type: 'integer' },
    workflowId: { type: 'string', length: 200, unique: true },
    kind: { enum: true, items: () => [...DISCLOSURE_KINDS], type: 'string', length: 16 },
    status: { enum: true, items: () => [...DISCLOSURE_STATUSES], type: 'string', length: 32, default: 'registered' },
    applicantName: { type: 'string', length: 100 },
    applicantBirthDateOrBusinessNumber: { type: 'string', length: 32 },
    applicantAddress: { type: 'string', length: 300 },
    applicantContact: { type: 'string', length: 64 },
    applicantEmail: { type: 'string', length: 254, nullable: true },
    requestedRecordingTime: { type: 'string', length: 100 },
    requestedPhoneNumber: { type: 'string', length: 32 },
    purpose: { type: 'string', length: 500 },
    relationToParty: { type: 'string', length: 200 },
    reason: { type: UnicodeTextType },
    ground: { enum: true, items: () => [...DISCLOSURE_GROUNDS], type: 'string', length: 16 },
    groundDetail: { type: UnicodeTextType, nullable: true },
    receivedAt: { type: 'datetime' },
    registeredBy: { type: 'string', length: 128 },
    releasedAt: { type: 'datetime', nullable: true },
    packageSha256: { type: 'string', length: 64, nullable: true },
    endedAt: { type: 'datetime', nullable: true },
    endReason: { type: UnicodeTextType, nullable: true },
    recordingFrom: { type: 'datetime', nullable: true },
    recordingTo: { type: 'datetime', nullable: true },
    applicantUsername: { type: 'string', length: 128, nullable: true },
    recordings: { kind: '1:m', entity: () => DisclosureRequestRecording, mappedBy: 'request' },
    signOffs: { kind: '1:m', entity: () => SignOff, mappedBy: 'request' },
  },
});

/**
 * The last 관리번호 given in a year. Numbers are taken from it inside the transaction that registers the request, with
 * the row locked, so they are unique and gap-free per year however many operators register at once (a transaction
 * that fails gives its number back by rolling back).
 */
export class ManagementNumberCounter {
  constructor(
    public year: number,
    public lastSequence: number,
  ) {}
}

export const ManagementNumberCounterSchema = new EntitySchema<ManagementNumberCounter>({
  class: ManagementNumberCounter,
  tableName: 'management_number_counter',
  properties: {
    year: { type: 'integer', primary: true, autoincrement: false },
    lastSequence: { type: 'integer' },
  },
});

/** A recording the operator confirmed as matching a request. */
export class DisclosureRequestRecording extends BaseEntity {
  constructor(
    public request: DisclosureRequest,
    public recording: Recording,
    public confirmedBy: string,
  ) {
    super();
  }
}

export const DisclosureRequestRecordingSchema = new EntitySchema<DisclosureRequestRecording, BaseEntity>({
  class: DisclosureRequestRecording,
  extends: 'BaseEntity',
  tableName: 'disclosure_request_recording',
  uniques: [{ properties: ['request', 'recording'] }],
  properties: {
    request: { kind: 'm:1', entity: () => DisclosureRequest },
    recording: { kind: 'm:1', entity: () => Recording },
    confirmedBy: { type: 'string', length: 128 },
  },
});

/** 결재: one step (담당자 → 팀장 → 과장) on a disclosure request or a full-recording application. */
export class SignOff extends BaseEntity<'request' | 'application' | 'comment'> {
  request?: DisclosureRequest;
  application?: FullRecordingApplication;
  comment?: string;
  constructor(
    public step: SignOffRole,
    public actor: string,
    public decision: SignOffDecision,
    public signedAt: Date,
  ) {
    super();
  }
}

export const SignOffSchema = new EntitySchema<SignOff, BaseEntity>({
  class: SignOff,
  extends: 'BaseEntity',
  tableName: 'sign_off',
  properties: {
    request: { kind: 'm:1', entity: () => DisclosureRequest, nullable: true },
    application: { kind: 'm:1', entity: () => FullRecordingApplication, nullable: true },
    step: { enum: true, items: () => [...SIGN_OFF_ROLES], type: 'string', length: 16 },
    actor: { type: 'string', length: 128 },
    decision: { enum: true, items: () => [...SIGN_OFF_DECISIONS], type: 'string', length: 16 },
    comment: { type: UnicodeTextType, nullable: true },
    signedAt: { type: 'datetime' },
  },
});

/** 녹취정보 인수·인계증 — Form 2. `receivedAt` (수령일) starts the Form 3 period. */
export class HandoverReceipt extends BaseEntity<'signedAt' | 'signatureKind' | 'signedDocumentKey' | 'receivedAt'> {
  signedAt?: Date;
  signatureKind?: SignatureKind;
  signedDocumentKey?: string;
  receivedAt?: Date;
  constructor(
    public request: DisclosureRequest,
    public documentKey: string,
    public recipientName: string,
    public handedOverBy: string,
  ) {
    super();
  }
}

export const HandoverReceiptSchema = new EntitySchema<HandoverReceipt, BaseEntity>({
  class: HandoverReceipt,
  extends: 'BaseEntity',
  tableName: 'handover_receipt',
  properties: {
    request: { kind: '1:1', entity: () => DisclosureRequest, owner: true, unique: true },
    documentKey: { type: 'string', length: 255 },
    recipientName: { type: 'string', length: 100 },
    handedOverBy: { type: 'string', length: 128 },
    signedAt: { type: 'datetime', nullable: true },
    signatureKind: { enum: true, items: () => [...SIGNATURE_KINDS], type: 'string', length: 16, nullable: true },
    signedDocumentKey: { type: 'string', length: 255, nullable: true },
    receivedAt: { type: 'datetime', nullable: true },
  },
});

/** 파기 결과 회신서 — Form 3 (reconstructed). Created with its deadline when the copy is received. */
export class DestructionReport extends BaseEntity<
  'reportedAt' | 'destroyedAt' | 'method' | 'methodDetail' | 'allCopiesDestroyed' | 'witness' | 'recordedBy' | 'documentKey'
> {
  reportedAt?: Date;
  destroyedAt?: Date;
  method?: DestructionMethod;
  methodDetail?: string;
  allCopiesDestroyed?: boolean;
  witness?: string;
  recordedBy?: string;
  documentKey?: string;
  constructor(
    public request: DisclosureRequest,
    public dueAt: Date,
  ) {
    super();
  }
}

export const DestructionReportSchema = new EntitySchema<DestructionReport, BaseEntity>({
  class: DestructionReport,
  extends: 'BaseEntity',
  tableName: 'destruction_report',
  properties: {
    request: { kind: '1:1', entity: () => DisclosureRequest, owner: true, unique: true },
    dueAt: { type: 'datetime' },
    reportedAt: { type: 'datetime', nullable: true },
    destroyedAt: { type: 'datetime', nullable: true },
    method: { enum: true, items: () => [...DESTRUCTION_METHODS], type: 'string', length: 32, nullable: true },
    methodDetail: { type: 'string', length: 500, nullable: true },
    allCopiesDestroyed: { type: 'boolean', nullable: true },
    witness: { type: 'string', length: 100, nullable: true },
    recordedBy: { type: 'string', length: 128, nullable: true },
    documentKey: { type: 'string', length: 255, nullable: true },
  },
});

/**
 * 관리대장 — Form 4, one line per disclosure. A snapshot of what the form shows at the time of entry,
 * so later corrections to the request do not rewrite the ledger.
 */
export class LedgerEntry extends BaseEntity<'remarks' | 'signOffOperator' | 'signOffDeputy' | 'signOffChief'> {
  remarks?: string;
  signOffOperator?: string;
  signOffDeputy?: string;
  signOffChief?: string;
  constructor(
    public request: DisclosureRequest,
    public managementNumber: string,
    public appliedAt: Date,
    public applicantName: string,
    public applicantBirthDateOrBusinessNumber: string,
    public applicantAddress: string,
    public recordingTime: string,
    public recordedPhoneNumber: string,
    public purpose: string,
  ) {
    super();
  }
}

export const LedgerEntrySchema = new EntitySchema<LedgerEntry, BaseEntity>({
  class: LedgerEntry,
  extends: 'BaseEntity',
  tableName: 'ledger_entry',
  properties: {
    request: { kind: '1:1', entity: () => DisclosureRequest, owner: true, unique: true },
    managementNumber: { type: 'string', length: 16, unique: true },
    appliedAt: { type: 'datetime' },
    applicantName: { type: 'string', length: 100 },
    applicantBirthDateOrBusinessNumber: { type: 'string', length: 32 },
    applicantAddress: { type: 'string', length: 300 },
    recordingTime: { type: 'string', length: 100 },
    recordedPhoneNumber: { type: 'string', length: 32 },
    purpose: { type: 'string', length: 500 },
    remarks: { type: 'string', length: 500, nullable: true },
    signOffOperator: { type: 'string', length: 100, nullable: true },
    signOffDeputy: { type: 'string', length: 100, nullable: true },
    signOffChief: { type: 'string', length: 100, nullable: true },
  },
});
