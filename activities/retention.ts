/**
 * R4: deleting recordings whose storage period has ended, for the retention workflow of one recording day.
 *
 * One batch at a time, and idempotent per recording, so a worker killed in the middle of a batch neither deletes
 * twice nor skips one: the files are destroyed first through the capture appliance (repeating a destruction is
 * harmless there), then one transaction turns the batch's rows into tombstones — personal fields and the wrapped key
 * cleared, `deletedAt` set only where it was still empty — with one `recording.deleted` audit entry each. A retry
 * finds the rows already deleted and skips them.
 */
import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Attachment, AuditEvent, holdInForce, Recording, RecordingHold } from '../infra/db/entities';
import { destroyAttachment } from '../infra/documents/file-destruction';
import { tombstoneRecordings, unheldDueFilter } from '../infra/db/recording-deletion';
import type { DocumentStore } from '../infra/documents/document-store';
import { addDays, type LegalCalendar } from '../domain/legal-period';
import type { CaptureControlClient } from '../capture/control-client';
import { CaptureControlError } from '../capture/control-client';

export interface RetentionActivityDeps {
  orm: MikroORM;
  calendar: LegalCalendar;
  /** The capture appliance, which holds the files. */
  capture: CaptureControlClient;
  /** The sealed documents, among them the provision packages, which hold audio. */
  documents: DocumentStore;
}

export interface DeleteDueInput {
  /** The recording day (Asia/Seoul), `YYYY-MM-DD`. */
  day: string;
  /** Workflow time of this run (ISO): recordings due by then are deleted. */
  asOf: string;
  batchSize: number;
}

export interface DeleteDueResult {
  /** Turned into tombstones by this call (a retry after a crash does not count them again). */
  deleted: number;
  /** Due but kept by an open hold (they are deleted when the hold is released). */
  held: number;
}

export interface RetentionReportInput {
  day: string;
  asOf: string;
  /** `<workflow id>/<run id>`: a later run for the same day (after a hold is released) reports again. */
  run: string;
}

export interface DeletableDay {
  day: string;
  /** The earliest due instant among the day's deletable recordings. */
  dueAt: string;
}

export interface RetentionReport {
  /** Every recording of the day deleted so far (this run and any before it). */
  deleted: number;
  /**
   * SHA-256 over the lines `id:sha256` of those recordings, sorted by id: the ids and hashes themselves are in each
   * recording's `recording.deleted` entry, and this digest lets an auditor check the report covers exactly them.
   */
  digest: string;
  /** Due, not deleted, held. */
  held: number;
}

const ACTOR = 'system:retention';
const DESTROY_CONCURRENCY = 8;

export function createRetentionActivities({ orm, calendar, capture, documents }: RetentionActivityDeps) {
  return {
    async deleteDueRecordings(input: DeleteDueInput): Promise<DeleteDueResult> {
      const asOf = new Date(input.asOf);
      const from = calendar.startOfDay(input.day);
      const to = calendar.startOfDay(addDays(input.day, 1));
      const em = orm.em.fork();
      const due = { startedAt: { $gte: from, $lt: to }, deletedAt: null, retentionDueAt: { $lte: asOf } };
      const heldIds = new Set(
        (await em.find(RecordingHold, { ...holdInForce(asOf), recording: due }, { fields: ['recording'] })).map((hold) => hold.recording.id),
      );
      const batch = await em.find(
        Recording,
        { ...due, ...(heldIds.size > 0 ? { id: { $nin: [...heldIds] } } : {}) },
        { orderBy: { startedAt: 'asc', id: 'asc' }, limit: input.batchSize, fields: ['id', 'sha256', 'storageKey', 'callId'] },
      );
      // Several destructions at once: each is mostly waiting for the appliance's disk (an overwrite and two syncs).
      let next = 0;
      const destroyNext = async (): Promise<void> => {
        while (next < batch.length) {
          const recording = batch[next++] as Recording;
          if (!recording.storageKey) continue;
          try {
            await capture.destroyRecording(recording.id);
          } catch (error) {
            // A hold set between the query and now: the recording waits for its release like the others.
            if (!(error instanceof CaptureControlError && error.code === 'HELD')) throw error;
            heldIds.add(recording.id);
          }
          Context.current().heartbeat(next);
        }
      };
      await Promise.all(Array.from({ length: DESTROY_CONCURRENCY }, destroyNext));
      const deletable = batch.filter((recording) => !heldIds.has(recording.id));
      const deleted = await orm.em.fork().transactional((tx) =>
        tombstoneRecordings(
          tx,
          deletable.map((recording) => recording.id),
          { calendar, deletionReason: `보존기간 경과 (${input.day} 녹취)`, actor: ACTOR, sourceAddress: 'worker' },
        ),
      );
      return { deleted: deleted.length, held: heldIds.size };
    },

    /**
     * Destroys every provision package whose time is up (the case's Form 3 deadline) and that its download has not
     * destroyed already: the package holds the recordings' audio, so it is on the same clock (Art. 8(1)).
     */
    async destroyDuePackages(input: { asOf: string }): Promise<{ destroyed: number }> {
      const due = await orm.em.fork().find(Attachment, { destroyAt: { $lte: new Date(input.asOf) }, destroyedAt: null }, { fields: ['id'] });
      let destroyed = 0;
      for (const { id } of due) {
        if (
          await destroyAttachment(orm.em, documents, id, {
            reason: '파기 결과 회신 기한 도래로 제공 파일 파기',
            by: { actor: ACTOR, role: 'system', sourceAddress: 'worker' },
          })
        ) {
          destroyed++;
        }
      }
      return { destroyed };
    },

    /**
     * The recording days that still have a recording due by `asOf`, not deleted and not held: one query per such day
     * (normally none), never a scan of the 1.5 million live recordings.
     */
    async findDaysWithDeletable(input: { asOf: string }): Promise<DeletableDay[]> {
      const em = orm.em.fork();
      const asOf = new Date(input.asOf);
      const deletable = await unheldDueFilter(em, asOf, asOf);
      const days: DeletableDay[] = [];
      let from: Date | undefined;
      for (;;) {
        const [first] = await em.find(
          Recording,
          { $and: [deletable, from ? { startedAt: { $gte: from } } : {}] },
          { orderBy: { startedAt: 'asc' }, limit: 1, fields: ['startedAt', 'retentionDueAt'] },
        );
        if (!first) return days;
        const day = calendar.localDate(first.startedAt);
        days.push({ day, dueAt: first.retentionDueAt.toISOString() });
        from = calendar.startOfDay(addDays(day, 1));
      }
    },

    /**
     * The run's deletion report, in the audit chain, from the database rather than from counts the workflow carried,
     * so a batch retried after a crash is neither missed nor counted twice.
     */
    async reportRetentionRun(input: RetentionReportInput): Promise<RetentionReport> {
      const from = calendar.startOfDay(input.day);
      const to = calendar.startOfDay(addDays(input.day, 1));
      const em = orm.em.fork();
      const deleted = await em.find(
        Recording,
        { startedAt: { $gte: from, $lt: to }, deletedAt: { $ne: null } },
        { fields: ['id', 'sha256'], orderBy: { id: 'asc' } },
      );
      const hash = createHash('sha256');
      for (const row of deleted) hash.update(`${row.id}:${row.sha256 ?? ''}\n`);
      const asOf = new Date(input.asOf);
      const holds = await em.find(
        RecordingHold,
        { ...holdInForce(asOf), recording: { startedAt: { $gte: from, $lt: to }, deletedAt: null, retentionDueAt: { $lte: asOf } } },
        { fields: ['recording'] },
      );
      const held = new Set(holds.map((hold) => hold.recording.id)).size;
      const report: RetentionReport = { deleted: deleted.length, digest: hash.digest('hex'), held };
      await orm.em.fork().transactional(async (tx) => {
        // Once per run: a retried report finds its entry.
        if ((await tx.count(AuditEvent, { action: 'retention.run_reported', targetId: input.run })) > 0) return;
        await appendAuditEvent(tx, {
          actor: ACTOR,
          role: 'system',
          sourceAddress: 'worker',
          action: 'retention.run_reported',
          targetType: 'retention_run',
          targetId: input.run,
          reason: `${input.day} 녹취 보존기간 경과 삭제 보고`,
          detail: { day: input.day, asOf: input.asOf, ...report },
        });
      });
      return report;
    },
  };
}
