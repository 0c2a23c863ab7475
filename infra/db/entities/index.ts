import { LoginThrottleSchema, UserSessionSchema } from './access';
import { AccessReviewSchema } from './access-review';
import { ArchivedHistorySchema } from './archived-history';
import { AttachmentSchema } from './attachment';
import { AuditChainHeadSchema, AuditCheckpointSchema, AuditEventSchema } from './audit';
import { BackupRecordSchema } from './backup-record';
import { BaseEntitySchema } from './base';
import {
  DestructionReportSchema,
  DisclosureRequestRecordingSchema,
  DisclosureRequestSchema,
  HandoverReceiptSchema,
  LedgerEntrySchema,
  ManagementNumberCounterSchema,
  SignOffSchema,
} from './disclosure';
import { FullRecordingApplicationSchema } from './full-recording';
import { GeneratedDocumentSchema } from './generated-document';
import { NotificationSchema } from './notification';
import { DepartmentSchema, ExtensionSchema } from './organisation';
import { RecordingHoldSchema, RecordingSchema } from './recording';
import { UnregisteredRecordingSchema } from './unregistered-recording';
import { UsedGrantSchema } from './used-grant';

export * from './access';
export * from './access-review';
export * from './archived-history';
export * from './attachment';
export * from './audit';
export * from './backup-record';
export * from './disclosure';
export * from './full-recording';
export * from './generated-document';
export * from './notification';
export * from './organisation';
export * from './recording';
export * from './unregistered-recording';
export * from './used-grant';

export const ENTITY_SCHEMAS = [
  BaseEntitySchema,
  DepartmentSchema,
  ExtensionSchema,
  RecordingSchema,
  RecordingHoldSchema,
  FullRecordingApplicationSchema,
  DisclosureRequestSchema,
  DisclosureRequestRecordingSchema,
  SignOffSchema,
  HandoverReceiptSchema,
  DestructionReportSchema,
  LedgerEntrySchema,
  ManagementNumberCounterSchema,
  NotificationSchema,
  GeneratedDocumentSchema,
  AttachmentSchema,
  ArchivedHistorySchema,
  AccessReviewSchema,
  AuditEventSchema,
  AuditChainHeadSchema,
  AuditCheckpointSchema,
  UserSessionSchema,
  LoginThrottleSchema,
  UsedGrantSchema,
  UnregisteredRecordingSchema,
  BackupRecordSchema,
];
