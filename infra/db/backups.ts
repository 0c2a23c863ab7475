/**
 * Data backups on the retention clock (issue 19). A backup holds copies of calls' audio, so it is due for destruction
 * when the last of them is due: that instant is worked out when the backup is made (ops/backup.ts writes it into the
 * manifest and `backup_record`), and a backup past it is listed here — for its destruction
 * (`npm run backup:destroy-expired`, ops/backup-expiry.ts) and for the daily inventory.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { Attachment, BackupRecord, holdInForce, Recording, RecordingHold } from './entities';

/**
 * How long after its due instant a backup not yet destroyed counts as overdue. Destroying backups is an operator's
 * daily procedure (the media may be anywhere but on the server), so a day.
 */
export const BACKUP_EXPIRY_GRACE_MS = 24 * 60 * 60_000;

export interface ExpiredBackup {
  id: string;
  /** The backup's data folder. */
  location: string;
  latestDueAt: Date;
}

/**
 * The backups not destroyed whose latest due instant was more than `graceMs` before `now`, the longest overdue first.
 * A backup holding no audio (no due instant) never expires.
 */
export async function listExpiredBackups(em: EntityManager, now: Date, graceMs = BACKUP_EXPIRY_GRACE_MS): Promise<ExpiredBackup[]> {
  const rows = await em.find(
    BackupRecord,
    { destroyedAt: null, latestDueAt: { $ne: null, $lte: new Date(now.getTime() - graceMs) } },
    { orderBy: { latestDueAt: 'asc', id: 'asc' } },
  );
  return rows.map((row) => ({ id: row.id, location: row.location, latestDueAt: row.latestDueAt as Date }));
}

/** The latest `retentionDueAt` of the recordings `matching`. */
async function latestRetentionDue(em: EntityManager, matching: FilterQuery<Recording>): Promise<Date | undefined> {
  const [latest] = await em.find(Recording, matching, { orderBy: { retentionDueAt: 'desc' }, limit: 1, fields: ['retentionDueAt'] });
  return latest?.retentionDueAt;
}

/**
 * The latest due instant of what a backup whose database snapshot began at `snapshotAt` holds: every recording the
 * snapshot has with its key (not deleted, or deleted since) — one under a decided hold in force then at the later of its
 * due date and the hold's end — and every sealed provision package not destroyed then, at its own `destroyAt` (the
 * case's Form 3 deadline). Undefined when there is none.
 *
 * A hold a disclosure case set has no end of its own (it ends with the case): such a recording counts at its due date,
 * and a restore deletes it again if the case has ended by then (ops/restore.ts). Audio files in the backup with no
 * row (a call still being recorded) are the caller's to add: it knows which files it copied.
 */
export async function latestDueOfBackedUpAudio(em: EntityManager, snapshotAt: Date): Promise<Date | undefined> {
  const kept: FilterQuery<Recording> = { $or: [{ deletedAt: null }, { deletedAt: { $gte: snapshotAt } }] };
  const recordings = await latestRetentionDue(em, kept);
  const [held] = await em.find(
    RecordingHold,
    { ...holdInForce(snapshotAt), endsAt: { $ne: null }, recording: kept },
    { orderBy: { endsAt: 'desc' }, limit: 1, fields: ['endsAt'] },
  );
  const [packaged] = await em.find(
    Attachment,
    { destroyAt: { $ne: null }, $or: [{ destroyedAt: null }, { destroyedAt: { $gte: snapshotAt } }] },
    { orderBy: { destroyAt: 'desc' }, limit: 1, fields: ['destroyAt'] },
  );
  return latest(recordings, held?.endsAt, packaged?.destroyAt);
}

export function latest(...instants: (Date | undefined)[]): Date | undefined {
  return instants.reduce<Date | undefined>((found, instant) => (instant && (!found || instant > found) ? instant : found), undefined);
}
