/**
 * What deleting a recording (R4) does to the database, for the deletions made outside the retention workflow — a
 * restore re-applying the deletions its backup predates (ops/restore.ts) — and what counts as a hold that keeps one.
 *
 * activities/retention.ts makes the same tombstone inline (the retention day's batch, with its appliance calls); that
 * activity can call `tombstoneRecordings` instead. The tombstone here already keeps only the recording's day, not when
 * the call began or how long it was, as the retention deletion does once provision packages are on the clock.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import type { LegalCalendar } from '../../domain/legal-period';
import { appendAuditEvents } from '../audit/audit-log';
import { Recording, RecordingHold } from './entities';

/**
 * Holds that keep a recording past its due date at `now`: those not released.
 *
 * A hold's end (issue 19: "a hold needs a legal basis and an end") is not a column in this branch yet. Once
 * RecordingHold has it (`endsAt`, with `holdInForce(at)` beside the entity), this is `holdInForce(now)`: a hold whose
 * end has passed stops keeping anything here, and so in every deletion and due date built on it (a restore's
 * re-applied deletions, a backup's latest due date).
 */
export function openHolds(_now: Date): FilterQuery<RecordingHold> {
  return { releasedAt: null };
}

/** Of the recordings `matching`, the ids kept by an open hold at `now`. */
export async function heldRecordingIds(em: EntityManager, matching: FilterQuery<Recording>, now: Date): Promise<Set<string>> {
  const holds = await em.find(RecordingHold, { ...(openHolds(now) as object), recording: matching }, { fields: ['recording'] });
  return new Set(holds.map((hold) => hold.recording.id));
}

/** Recordings due by `now`, not deleted and not held: what retention deletes, the oldest first. */
export async function deletableRecordings(em: EntityManager, now: Date, limit: number) {
  const due: FilterQuery<Recording> = { deletedAt: null, retentionDueAt: { $lte: now } };
  const held = await heldRecordingIds(em, due, now);
  return em.find(
    Recording,
    { ...(due as object), ...(held.size > 0 ? { id: { $nin: [...held] } } : {}) },
    { orderBy: { retentionDueAt: 'asc', id: 'asc' }, limit, fields: ['id', 'callId', 'sha256', 'storageKey', 'retentionDueAt'] },
  );
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
  const rows = await tx.find(Recording, { id: { $in: [...ids] }, deletedAt: null }, { fields: ['id', 'callId', 'sha256', 'retentionDueAt', 'startedAt'] });
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
