/**
 * What deleting a recording (R4) does to the database, for the retention day's batches (activities/retention.ts, after
 * the appliance has destroyed the files) and for a restore re-applying the deletions its backup predates
 * (ops/restore.ts): the tombstone keeps only what the audit needs (README, "Data and personal data").
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import type { LegalCalendar } from '../../domain/legal-period';
import { appendAuditEvents } from '../audit/audit-log';
import { holdInForce, Recording, RecordingHold } from './entities';

/** The recordings due by `dueBy` that a hold in force at `now` keeps. Holds are few: read, not joined. */
export async function heldDueRecordingIds(em: EntityManager, dueBy: Date, now: Date): Promise<string[]> {
  const holds = await em.find(
    RecordingHold,
    { ...holdInForce(now), recording: { deletedAt: null, retentionDueAt: { $lte: dueBy } } },
    { fields: ['recording'] },
  );
  return [...new Set(holds.map((hold) => hold.recording.id))];
}

/**
 * What "past its time" means for a recording, once, for the retention runs, a restore, the dashboard, the metrics and
 * the daily inventory: due by `dueBy`, not deleted, and not kept by a hold in force at `now`.
 */
export async function unheldDueFilter(em: EntityManager, dueBy: Date, now: Date): Promise<FilterQuery<Recording>> {
  const heldIds = await heldDueRecordingIds(em, dueBy, now);
  return { deletedAt: null, retentionDueAt: { $lte: dueBy }, ...(heldIds.length > 0 ? { id: { $nin: heldIds } } : {}) };
}

/** Recordings due by `now`, not deleted and not held: what a restore deletes again, the oldest first. */
export async function deletableRecordings(em: EntityManager, now: Date, limit: number) {
  return em.find(Recording, await unheldDueFilter(em, now, now), {
    orderBy: { retentionDueAt: 'asc', id: 'asc' },
    limit,
    fields: ['id', 'callId', 'sha256', 'storageKey', 'retentionDueAt'],
  });
}

export interface Tombstoning {
  /** Whose days the tombstones keep (a recording's local date). */
  calendar: LegalCalendar;
  /** Kept on the row (`deletionReason`). */
  deletionReason: string;
  /** The audit entry's actor and where it acted from. */
  actor: string;
  sourceAddress: string;
  /** Added to each `recording.deleted` entry's detail. */
  detail?: Record<string, unknown>;
}

/**
 * Turns the rows that are not deleted yet into tombstones — wrapped key and personal fields cleared, the call's start
 * moved to the start of its day, `deletedAt` set — with one `recording.deleted` entry each, in the caller's
 * transaction; returns the ids it deleted. Only after the recordings' files are destroyed: a row is the last trace of
 * where its file is.
 */
export async function tombstoneRecordings(tx: EntityManager, ids: readonly string[], how: Tombstoning): Promise<string[]> {
  if (ids.length === 0) return [];
  // Read untracked: a tracked row would be flushed back at commit (MikroORM on SQLite counts its dates as changed),
  // writing the call's start time over the tombstone's day.
  const rows = await tx.find(
    Recording,
    { id: { $in: [...ids] }, deletedAt: null },
    { fields: ['id', 'callId', 'sha256', 'retentionDueAt', 'startedAt'], disableIdentityMap: true },
  );
  if (rows.length === 0) return [];
  const byDay = new Map<string, string[]>();
  for (const row of rows) {
    const day = how.calendar.localDate(row.startedAt);
    byDay.set(day, [...(byDay.get(day) ?? []), row.id]);
  }
  const deletedAt = new Date();
  for (const [day, dayIds] of byDay) {
    // A native update: the wrapped key is a lazy column, which change tracking would not write when not loaded.
    await tx.nativeUpdate(
      Recording,
      { id: { $in: dayIds }, deletedAt: null },
      {
        deletedAt,
        deletionReason: how.deletionReason,
        wrappedKey: null,
        otherPartyNumber: null,
        noticeEvidence: null,
        storageKey: null,
        // The day stays (retention reports count by it); when the official spoke, and for how long, does not.
        startedAt: how.calendar.startOfDay(day),
        endedAt: null,
        durationMs: null,
        sizeBytes: null,
      },
    );
  }
  await appendAuditEvents(
    tx,
    rows.map((row) => ({
      actor: how.actor,
      role: 'system',
      sourceAddress: how.sourceAddress,
      action: 'recording.deleted',
      targetType: 'recording',
      targetId: row.id,
      reason: '보존기간 경과 (제8조 제1항)',
      detail: { callId: row.callId, sha256: row.sha256 ?? null, retentionDueAt: row.retentionDueAt.toISOString(), ...how.detail },
    })),
  );
  return rows.map((row) => row.id);
}
