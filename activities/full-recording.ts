/**
 * The side effects of a full-recording application's lifecycle (workflows/full-recording.ts): switching its
 * extensions in the capture appliance — a switch to full with a grant signed for the approved application and its
 * period, which the appliance checks and keeps (issue 18) — and verifying the switch by reading it back, and mirroring
 * each step into the application's row and the audit chain. Every activity is safe to retry: the appliance's mode change is idempotent
 * and each step is written once per step key.
 */
import type { KeyObject } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { signGrant } from '../infra/grants';
import { ApplicationFailure } from '@temporalio/common';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { FullRecordingApplication } from '../infra/db/entities';
import type { CaptureControlClient } from '../capture/control-client';
import { CaptureControlError } from '../capture/control-client';
import { stepRecorded, type CaseStep } from './idempotency';
import { type FullRecordingStatus } from '../domain/full-recording';
import { type RecordingMode } from '../domain/recording';

export interface FullRecordingActivityDeps {
  orm: MikroORM;
  capture: CaptureControlClient;
  /** The back office's grant signing key (GRANT_SIGNING_KEY_FILE): the appliance records in full only with its grant. */
  grantSigningKey: KeyObject;
}

export interface SwitchExtensionsInput {
  applicationId: string;
  extensions: string[];
  mode: RecordingMode;
  /** Who the change is attributed to in the appliance's audit entry. */
  actor: string;
  reason: string;
  /**
   * Where the approval of an application "until revoked" ends now: its next yearly review (ISO). A renewal switches
   * to full again with the new end, since the appliance ends full recording at the approval's end by itself.
   */
  approvedUntil?: string;
}

export interface SwitchExtensionsResult {
  /** The extensions as read back from the appliance. */
  extensions: { number: string; mode: RecordingMode; fullRecordingSince: string | null }[];
  /** Left in `full` because another application in force still covers them. */
  keptFull: string[];
}

/** A step of an application (`full_recording.<action>` in the audit chain). */
export interface RecordStepInput extends CaseStep {
  applicationId: string;
  /** The row's new status and fields, if the step changes them. */
  status?: FullRecordingStatus;
  decidedBy?: string;
  decisionReason?: string;
  appliedAt?: string;
  endedAt?: string;
}

/** Applications that keep their extensions in `full`: approved and waiting to apply, or applied. */
const IN_FORCE: FullRecordingStatus[] = ['approved', 'active'];

/**
 * The approval a switch to full carries: the application's extensions and period as its row has it. Without an end
 * ("until revoked") the approval runs to its yearly review, a year from the later of now and the period's start.
 */
async function fullRecordingGrant(orm: MikroORM, key: KeyObject, input: SwitchExtensionsInput): Promise<string> {
  const application = await orm.em.fork().findOneOrFail(FullRecordingApplication, input.applicationId, { populate: ['extensions'] });
  if (!IN_FORCE.includes(application.status)) {
    throw ApplicationFailure.create({
      type: 'ApplicationNotApproved',
      message: `승인된 신청이 아니어서 전수 녹취 허가를 만들지 않았습니다: ${input.applicationId} (${application.status})`,
      nonRetryable: true,
    });
  }
  const now = new Date();
  const notAfter =
    application.periodTo ?? (input.approvedUntil ? new Date(input.approvedUntil) : yearAfter(application.periodFrom > now ? application.periodFrom : now));
  return signGrant(key, {
    kind: 'full-recording',
    extensions: application.extensions.getItems().map((extension) => extension.number),
    case: { type: 'full_recording_application', id: application.id },
    subject: application.decidedBy ?? input.actor,
    notBefore: new Date(Math.min(application.periodFrom.getTime(), now.getTime())).toISOString(),
    notAfter: notAfter.toISOString(),
    singleUse: false,
  }).token;
}

function yearAfter(instant: Date): Date {
  const next = new Date(instant);
  next.setUTCFullYear(instant.getUTCFullYear() + 1);
  if (next.getUTCMonth() !== instant.getUTCMonth()) next.setUTCDate(0);
  return next;
}

export function createFullRecordingActivities({ orm, capture, grantSigningKey }: FullRecordingActivityDeps) {
  return {
    /**
     * Sets each extension's mode and reads it back; fails (and is retried by the workflow) unless the appliance
     * confirms every one. Going back to selective skips an extension another application in force still covers.
     */
    async switchExtensions(input: SwitchExtensionsInput): Promise<SwitchExtensionsResult> {
      let keep = new Set<string>();
      if (input.mode === 'selective') {
        const others = await orm.em
          .fork()
          .find(
            FullRecordingApplication,
            { id: { $ne: input.applicationId }, status: { $in: IN_FORCE }, extensions: { number: { $in: input.extensions } } },
            { populate: ['extensions'] },
          );
        keep = new Set(others.flatMap((other) => other.extensions.getItems().map((extension) => extension.number)));
      }
      const grant = input.mode === 'full' ? await fullRecordingGrant(orm, grantSigningKey, input) : undefined;
      const result: SwitchExtensionsResult = { extensions: [], keptFull: [] };
      for (const number of input.extensions) {
        if (keep.has(number)) {
          result.keptFull.push(number);
          continue;
        }
        let view;
        try {
          view = await capture.setExtensionMode(number, { mode: input.mode, onBehalfOf: input.actor, reason: input.reason, grant });
        } catch (error) {
          // An extension the appliance does not know will not appear by retrying.
          if (error instanceof CaptureControlError && error.code === 'NOT_FOUND') {
            throw ApplicationFailure.create({ type: 'UnknownExtension', message: `녹취 장치에 없는 내선입니다: ${number}`, nonRetryable: true });
          }
          throw error;
        }
        if (view.mode !== input.mode) {
          throw new Error(`내선 ${number}의 녹취 방식이 ${input.mode}(으)로 바뀌지 않았습니다 (장치 응답: ${view.mode})`);
        }
        result.extensions.push({ number: view.number, mode: view.mode, fullRecordingSince: view.fullRecordingSince });
      }
      return result;
    },

    /** One step of the lifecycle: the row's status (for search, documents and the dashboard) and its audit entry. */
    async recordFullRecordingStep(input: RecordStepInput): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        if (await stepRecorded(em, 'full_recording_application', input.applicationId, input.stepKey)) return;
        const application = await em.findOneOrFail(FullRecordingApplication, input.applicationId);
        if (input.status) application.status = input.status;
        if (input.decidedBy) {
          application.decidedBy = input.decidedBy;
          application.decidedAt = new Date(input.at);
          application.decisionReason = input.decisionReason;
        }
        if (input.appliedAt) application.appliedAt = new Date(input.appliedAt);
        if (input.endedAt) application.endedAt = new Date(input.endedAt);
        await em.flush();
        await appendAuditEvent(em, {
          actor: input.actor,
          role: input.role,
          sourceAddress: 'worker',
          action: `full_recording.${input.action}`,
          targetType: 'full_recording_application',
          targetId: input.applicationId,
          reason: input.reason ?? '',
          detail: { ...input.detail, stepKey: input.stepKey, at: input.at },
        });
      });
    },
  };
}
