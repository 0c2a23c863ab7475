/**
 * The daily proof that nothing outlived its time (issue 19, Art. 8(1)): every store that can hold a call's audio is
 * walked and compared with the database, and anything past its due time plus the grace hour that no hold in force
 * keeps is reported — the recordings' rows, the unregistered recordings, the provision packages, the sealed document
 * store (a file whose row is gone or destroyed is audio or personal data nobody can account for) and the capture
 * appliance's own disk, which it walks itself on the worker's request (capture/inventory.ts) — and the backups the
 * system knows of, past the due date of the last audio they hold (infra/db/backups.ts). The report goes into the audit chain (the
 * dashboard and the metrics read it from there) and, when anything is found, to the managing department.
 *
 * Findings are listed up to a cap (the counts are always whole): the report must stay readable and bounded whatever
 * went wrong.
 */
import type { MikroORM } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { CaptureControlError, type CaptureControlClient } from '../capture/control-client';
import { appendAuditEvent } from '../infra/audit/audit-log';
import {
  Attachment,
  AuditEvent,
  DestructionReport,
  DisclosureRequest,
  GeneratedDocument,
  holdInForce,
  Notification,
  Recording,
  RecordingHold,
  UnregisteredRecording,
} from '../infra/db/entities';
import { listExpiredBackups } from '../infra/db/backups';
import { unheldDueFilter } from '../infra/db/recording-deletion';
import type { DocumentStore } from '../infra/documents/document-store';

export const INVENTORY_FINDING_KINDS = [
  'recording_overdue',
  'unregistered_overdue',
  'package_overdue',
  'orphan_document',
  'appliance_file',
  'appliance_unchecked',
  'backup_expired',
] as const;
export type InventoryFindingKind = (typeof INVENTORY_FINDING_KINDS)[number];

export interface InventoryFinding {
  kind: InventoryFindingKind;
  /** The recording's, attachment's or file's id. */
  id: string;
  /** When it was due (ISO), where known. */
  dueAt?: string;
  /** Korean, for the report and the e-mail. */
  what: string;
}

export interface RetentionInventoryReport {
  asOf: string;
  /** Everything found, by kind (whole counts, whatever the cap on the list). */
  counts: Record<InventoryFindingKind, number>;
  total: number;
  /** The first findings, at most FINDINGS_LISTED. */
  findings: InventoryFinding[];
}

/** A disclosure case whose holds keep recordings while it waits longer than the settings allow. */
export interface WaitingCase {
  requestId: string;
  managementNumber: string;
  /** In 결재 (registered, signing off or waiting for Form 2), or past the Form 3 deadline. */
  waiting: 'sign_off' | 'destruction_report';
  /** Since when it has kept recordings (its first hold), or its Form 3 deadline. */
  since: string;
}

export interface CaseWaitLimits {
  asOf: string;
  /** CASE_SIGN_OFF_ALERT_DAYS: days a case may keep recordings before it is released. */
  signOffDays: number;
  /** CASE_FORM3_ALERT_DAYS: days past the Form 3 deadline a case may keep recordings. */
  destructionReportDays: number;
}

export interface RetentionInventoryInput {
  asOf: string;
  /** The workflow run, named in the appliance's audit entries. */
  run: string;
  /** How long past its due time something may still be there (the runs delete within the hour). */
  graceMinutes: number;
}

const FINDINGS_LISTED = 100;
const ACTOR = 'system:retention-inventory';

export interface RetentionInventoryDeps {
  orm: MikroORM;
  documents: DocumentStore;
  /** The capture appliance, which walks its own recording store (its `POST /inventory`). */
  capture: CaptureControlClient;
}

export function createRetentionInventoryActivities({ orm, documents, capture }: RetentionInventoryDeps) {
  return {
    async takeRetentionInventory(input: RetentionInventoryInput): Promise<RetentionInventoryReport> {
      const asOf = new Date(input.asOf);
      const dueBy = new Date(asOf.getTime() - input.graceMinutes * 60_000);
      const em = orm.em.fork();
      const counts = Object.fromEntries(INVENTORY_FINDING_KINDS.map((kind) => [kind, 0])) as Record<InventoryFindingKind, number>;
      const findings: InventoryFinding[] = [];
      const found = (finding: InventoryFinding) => {
        counts[finding.kind]++;
        if (findings.length < FINDINGS_LISTED) findings.push(finding);
      };

      const overdue = await unheldDueFilter(em, dueBy, asOf);
      counts.recording_overdue = await em.count(Recording, overdue);
      for (const row of await em.find(Recording, overdue, { orderBy: { retentionDueAt: 'asc' }, limit: FINDINGS_LISTED, fields: ['id', 'retentionDueAt'] })) {
        if (findings.length < FINDINGS_LISTED) {
          findings.push({ kind: 'recording_overdue', id: row.id, dueAt: row.retentionDueAt.toISOString(), what: '보존기간이 지났는데 삭제되지 않은 녹취' });
        }
      }

      for (const row of await em.find(
        UnregisteredRecording,
        { retentionDueAt: { $lte: dueBy }, destroyedAt: null, registeredAt: null },
        { fields: ['id', 'retentionDueAt', 'reason'] },
      )) {
        found({
          kind: 'unregistered_overdue',
          id: row.id,
          dueAt: row.retentionDueAt.toISOString(),
          what: `기한이 지났는데 파기되지 않은 미등록 녹취 (${row.reason})`,
        });
      }

      for (const row of await em.find(Attachment, { destroyAt: { $lte: dueBy }, destroyedAt: null }, { fields: ['id', 'destroyAt', 'fileName'] })) {
        found({ kind: 'package_overdue', id: row.id, dueAt: row.destroyAt?.toISOString(), what: `파기 기한이 지났는데 남아 있는 제공 파일 (${row.fileName})` });
      }

      // A sealed file is accounted for by a live row: an attachment not destroyed, or a generated document. The ids are
      // checked in slices, so a store of any size costs bounded memory per query.
      const ids = documents.list();
      for (let start = 0; start < ids.length; start += 500) {
        const slice = ids.slice(start, start + 500);
        const live = new Set([
          ...(await em.find(Attachment, { id: { $in: slice }, destroyedAt: null }, { fields: ['id'] })).map((row) => row.id),
          ...(await em.find(GeneratedDocument, { id: { $in: slice } }, { fields: ['id'] })).map((row) => row.id),
        ]);
        for (const id of slice) if (!live.has(id)) found({ kind: 'orphan_document', id, what: '기록이 없거나 파기된 문서 저장소의 파일' });
        Context.current().heartbeat(`documents:${start}`);
      }

      // Backups the system knows of, past the due date of the last audio they hold (and a day to destroy them).
      for (const backup of await listExpiredBackups(em, asOf)) {
        found({ kind: 'backup_expired', id: backup.id, dueAt: backup.latestDueAt.toISOString(), what: `파기 기한이 지난 백업 (${backup.location})` });
      }

      // The appliance walks its own disk, part after part; it being unreachable is itself a finding, never a silent gap.
      try {
        const appliance = await capture.inventoryAll({ asOf, maxFindings: FINDINGS_LISTED, run: input.run }, (part) =>
          Context.current().heartbeat(`appliance:${part.next ?? 'end'}`),
        );
        for (const finding of appliance.findings) {
          found({
            kind: 'appliance_file',
            id: finding.recordingId ?? finding.storageKey,
            dueAt: finding.dueAt,
            what: `녹취 장치: ${finding.reason} (${finding.storageKey})`,
          });
        }
        counts.appliance_file = appliance.counts.findings;
      } catch (error) {
        if (!(error instanceof CaptureControlError)) throw error;
        found({ kind: 'appliance_unchecked', id: 'capture', what: `녹취 장치의 저장소를 점검하지 못했습니다: ${error.message}` });
      }

      const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
      return { asOf: input.asOf, counts, total, findings };
    },

    /**
     * No hold sits unseen: a case that keeps recordings longer than the limits allow is escalated to the chief (once per
     * case and kind of wait), so a hold is never forgotten behind a case nobody moves.
     */
    async escalateWaitingCases(input: CaseWaitLimits): Promise<WaitingCase[]> {
      const asOf = new Date(input.asOf);
      const em = orm.em.fork();
      const day = 86_400_000;
      const waiting: WaitingCase[] = [];
      const signOffSince = new Date(asOf.getTime() - input.signOffDays * day);
      const held = await em.find(
        RecordingHold,
        { ...holdInForce(asOf), disclosureRequestId: { $ne: null }, createdAt: { $lte: signOffSince } },
        { fields: ['disclosureRequestId', 'createdAt'], orderBy: { createdAt: 'asc' } },
      );
      const firstHold = new Map<string, Date>();
      for (const hold of held) if (!firstHold.has(hold.disclosureRequestId as string)) firstHold.set(hold.disclosureRequestId as string, hold.createdAt);
      if (firstHold.size > 0) {
        const cases = await em.find(DisclosureRequest, {
          id: { $in: [...firstHold.keys()] },
          status: { $in: ['registered', 'in_sign_off', 'awaiting_handover'] },
        });
        for (const request of cases) {
          waiting.push({
            requestId: request.id,
            managementNumber: request.managementNumber,
            waiting: 'sign_off',
            since: (firstHold.get(request.id) as Date).toISOString(),
          });
        }
      }
      const late = await em.find(
        DestructionReport,
        { reportedAt: null, dueAt: { $lte: new Date(asOf.getTime() - input.destructionReportDays * day) } },
        { populate: ['request'] },
      );
      for (const report of late) {
        if (report.request.endedAt) continue;
        waiting.push({
          requestId: report.request.id,
          managementNumber: report.request.managementNumber,
          waiting: 'destruction_report',
          since: report.dueAt.toISOString(),
        });
      }
      for (const item of waiting) {
        const key = `case-wait:${item.requestId}:${item.waiting}`;
        await orm.em.fork().transactional(async (tx) => {
          if ((await tx.count(Notification, { idempotencyKey: key })) > 0) return;
          const body =
            item.waiting === 'sign_off'
              ? `관리번호 ${item.managementNumber} 신청이 ${input.signOffDays}일 넘게 결재·인계를 기다리며 녹취를 보존 중지로 붙잡고 있습니다. 처리하거나 철회하십시오.`
              : `관리번호 ${item.managementNumber} 신청의 파기 결과 회신서가 기한을 ${input.destructionReportDays}일 넘게 지나 녹취가 보존 중지로 남아 있습니다. 회신을 받아 종결하십시오.`;
          const notification = new Notification(
            key,
            'in_app',
            'chief',
            '[경고] 녹취를 오래 붙잡고 있는 신청',
            body,
            'disclosure_request',
            item.requestId,
            asOf,
          );
          notification.status = 'sent';
          notification.sentAt = asOf;
          tx.persist(notification);
          await tx.flush();
          await appendAuditEvent(tx, {
            actor: ACTOR,
            role: 'system',
            sourceAddress: 'worker',
            action: 'disclosure.hold_escalated',
            targetType: 'disclosure_request',
            targetId: item.requestId,
            reason: body,
            detail: { waiting: item.waiting, since: item.since },
          });
        });
      }
      return waiting;
    },

    /** The report in the audit chain, once per run (a retry finds its entry). */
    async recordRetentionInventory(input: { run: string; report: RetentionInventoryReport }): Promise<void> {
      await orm.em.fork().transactional(async (tx) => {
        if ((await tx.count(AuditEvent, { action: 'retention.inventory', targetId: input.run })) > 0) return;
        await appendAuditEvent(tx, {
          actor: ACTOR,
          role: 'system',
          sourceAddress: 'worker',
          action: 'retention.inventory',
          targetType: 'retention_inventory',
          targetId: input.run,
          reason: input.report.total === 0 ? '보존기간 점검: 이상 없음' : `보존기간 점검: 기한이 지난 음성·파일 ${input.report.total}건 발견`,
          detail: { ...input.report },
        });
      });
    },
  };
}
