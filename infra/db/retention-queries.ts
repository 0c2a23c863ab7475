/**
 * What "past its time" means for a recording, once, for the retention runs, the dashboard, the metrics and the daily
 * inventory: not deleted, due by a given instant, and not kept by a hold in force at `now`.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
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

/** Recordings due by `dueBy`, not deleted, not held at `now`: what should be gone. */
export async function unheldDueFilter(em: EntityManager, dueBy: Date, now: Date): Promise<FilterQuery<Recording>> {
  const heldIds = await heldDueRecordingIds(em, dueBy, now);
  return { deletedAt: null, retentionDueAt: { $lte: dueBy }, ...(heldIds.length > 0 ? { id: { $nin: heldIds } } : {}) };
}
