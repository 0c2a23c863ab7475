/** What the route table needs of the system: the facts whoever starts the API gives, and what the server adds. */
import type { KeyObject } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { RequestHandler } from 'express';
import type { CaptureControlClient } from '../../capture/control-client';
import type { LegalCalendar } from '../../domain/legal-period';
import type { SignOffRole } from '../../domain/roles';
import type { Recording } from '../../infra/db/entities';
import type { Directory } from '../../infra/directory';
import type { DocumentStore } from '../../infra/documents/document-store';
import type { AccessReviewWorkflows } from '../../infra/temporal/access-review';
import type { DisclosureWorkflows } from '../../infra/temporal/disclosure';
import type { FullRecordingWorkflows } from '../../infra/temporal/full-recording';
import type { SignOffLabels } from '../../templates/documents';
import type { AnnouncementSettings } from '../announcement';
import type { DisclosureDeps } from '../disclosure';
import type { HealthCheck } from '../health';
import type { LoginDeps } from '../login';
import type { MonitoringOptions } from '../monitoring';
import type { SessionStore } from '../sessions';
import type { Logger } from '../../infra/logger';
import type { Period } from '../../domain/period';

/** What the routes need to know of the system, given by whoever starts the API. */
export interface SiteFacts {
  orm: MikroORM;
  directory: Directory;
  calendar: LegalCalendar;
  health: Record<string, HealthCheck>;
  municipalityName: string;
  /** The storage period as the rules say it, e.g. `30일`. */
  retentionPeriod: string;
  timeZone: string;
  maxPrivilegedHolders: number;
  /** Default search range: the storage period in days. */
  searchRangeDays: number;
  /** The capture appliance's control API: it seals the party's own export. */
  capture: CaptureControlClient;
  /** GRANT_SIGNING_KEY_FILE: signs the grant each audio release from the appliance needs (api/audio-grants.ts). */
  grantSigningKey: KeyObject;
  /** EXPORT_PASSWORD_MIN_LENGTH */
  exportPasswordMinLength: number;
  /** Where attached files are kept sealed (the same store as generated documents). */
  documents: DocumentStore;
  /** ATTACHMENT_MAX_FILES and ATTACHMENT_MAX_FILE_MB */
  attachments: { maxFiles: number; maxFileBytes: number };
  /**
   * A recording past due whose last hold was released goes back to retention (its day's workflow is started again
   * through the Temporal client); absent where the API runs without Temporal (API suites).
   */
  afterHoldReleased?: (recording: Recording) => Promise<void>;
  /** HOLD_MAX_PERIOD: the longest a hold decision may keep a recording, counted from the day it is decided. */
  holdMaxPeriod: Period;
  /** Full-recording applications' workflows; absent where the API runs without Temporal (they answer 503 then). */
  fullRecordingWorkflows?: FullRecordingWorkflows;
  /** FULL_RECORDING_APPROVAL_CHAIN */
  fullRecordingApprovalChain: readonly SignOffRole[];
  /** APPROVAL_REMINDER_WORKING_DAYS */
  approvalReminderWorkingDays: number;
  /** Disclosure requests' workflows (Art. 9); absent where the API runs without Temporal (they answer 503 then). */
  disclosureWorkflows?: DisclosureWorkflows;
  /** The monthly access reviews' workflows (started by a Schedule); absent without Temporal (sign-off answers 503). */
  accessReviewWorkflows?: AccessReviewWorkflows;
  /** DISCLOSURE_SIGN_OFF_CHAIN, DISCLOSURE_VIEWING_WINDOW_HOURS and the DESTRUCTION_REPORT_* settings. */
  disclosure: Pick<DisclosureDeps, 'signOffChain' | 'viewingWindowHours' | 'destructionReport'>;
  /** SIGN_OFF_LABELS: the 결재 column headings of forms and the ledger. */
  signOffLabels: SignOffLabels;
  /** TEMPLATES_DIR: the city's own DOCX templates, if any. */
  templatesDir?: string;
  /** ANNOUNCEMENT_TEXT and ANNOUNCEMENT_AUDIO_FILE (Art. 7). */
  announcement: AnnouncementSettings;
  /** /ready and /metrics (api/route-table/monitoring.ts): the request counters, the metrics token, the worker's metrics. */
  monitoring?: MonitoringOptions;
}

export interface RouteDeps extends SiteFacts {
  logger: Logger;
  sessions: SessionStore;
  login: LoginDeps;
  loginThrottle: RequestHandler;
  secureCookies: boolean;
}
