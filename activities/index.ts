/**
 * Every side effect a workflow may ask for. The worker builds them over real clients; workflows
 * import this module only as a type.
 */
import { createAccessReviewActivities, type AccessReviewActivityDeps } from './access-review';
import { createDatabaseMaintenanceActivities, type DatabaseMaintenanceActivityDeps } from './database-maintenance';
import { createAuditArchiveActivities, type AuditArchiveActivityDeps } from './audit-archive';
import { createDeadlineActivities, type DeadlineActivityDeps } from './deadlines';
import { createDisclosureActivities, type DisclosureActivityDeps } from './disclosure';
import { createDocumentActivities, type DocumentActivityDeps } from './documents';
import { createFullRecordingActivities, type FullRecordingActivityDeps } from './full-recording';
import { createHoldActivities } from './holds';
import { createRetentionInventoryActivities } from './retention-inventory';
import { createHistoryArchiveActivities, type HistoryArchiveActivityDeps } from './history-archive';
import { createMailActivities, type MailActivityDeps } from './mail';
import { createNotificationActivities, type NotificationActivityDeps } from './notifications';
import { createRetentionActivities, type RetentionActivityDeps } from './retention';

export type ActivityDeps = DeadlineActivityDeps &
  NotificationActivityDeps &
  DocumentActivityDeps &
  RetentionActivityDeps &
  FullRecordingActivityDeps &
  DisclosureActivityDeps &
  HistoryArchiveActivityDeps &
  AccessReviewActivityDeps &
  MailActivityDeps &
  DatabaseMaintenanceActivityDeps &
  AuditArchiveActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeadlineActivities(deps),
    ...createNotificationActivities(deps),
    ...createDocumentActivities(deps),
    ...createRetentionActivities(deps),
    ...createHoldActivities(deps),
    ...createRetentionInventoryActivities(deps),
    ...createFullRecordingActivities(deps),
    ...createDisclosureActivities(deps),
    ...createMailActivities(deps),
    ...createHistoryArchiveActivities(deps),
    ...createAccessReviewActivities(deps),
    ...createDatabaseMaintenanceActivities(deps),
    ...createAuditArchiveActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { DeadlinePlan, DeadlinePlanInput } from './deadlines';
export type { QueueNotificationInput } from './notifications';
export type { DeliverNotificationInput, DeliverNotificationResult } from './mail';
export type { GenerateDocumentInput, GeneratedDocumentRef } from './documents';
export type { ConfirmRecordingsInput, ConfirmRecordingsResult, DestructionReportInput, DisclosureStepInput, HandoverSignedInput } from './disclosure';
export type { RecordStepInput, SwitchExtensionsInput, SwitchExtensionsResult } from './full-recording';
export type { HistoryArchiveResult } from './history-archive';
export type { OpenAccessReviewInput, OpenedAccessReview } from './access-review';
export type { RetentionInventoryReport, WaitingCase } from './retention-inventory';
export type { DeletableDay, DeleteDueInput, DeleteDueResult, RetentionReport, RetentionReportInput } from './retention';
export type { KeyRemnantScrub, VacuumKeyTablesInput } from './database-maintenance';
export type { AuditArchiveInput, AuditArchiveRunResult } from './audit-archive';
