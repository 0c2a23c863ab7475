/**
 * Data backups on the retention clock (issue 19). A backup holds copies of calls' audio, so it is due for destruction
 * when the last of them is due: that instant is worked out when the backup is made (ops/backup.ts writes it into the
 * manifest and `backup_record`), and a backup past it is listed here — for its destruction
 * (`npm run backup:destroy-expired`, ops/backup-expiry.ts) and for the daily inventory.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { Attachment, BackupRecord, DisclosureRequestRecording, Recording } from './entities';

/**
 * How long after its due instant a backup not yet destroyed counts as overdue. Destroying backups is an operator's
 * daily procedure (the media may be anywhere but on the server), so a day.
 */
export const BACKUP_EXPIRY_GRACE_MS = 24 * 60 * 60_000;

/** The purpose a disclosure case's sealed provision package is filed under (api/disclosure-schemas.ts `PACKAGE`). */
const PROVISION_PACKAGE = 'provision_package';

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
 * snapshot has with its key (not deleted, or deleted since), and every sealed provision package (a copy of its case's
 * recordings, so due with the latest of them). Undefined when there is none.
 *
 * A recording under an open hold is due at the later of its `retentionDueAt` and the hold's end. Holds have no end in
 * this branch (infra/db/recording-deletion.ts `openHolds`): until they do, a held recording counts at its
 * `retentionDueAt`. Audio files in the backup with no row (a call still being recorded) are the caller's to add: it
 * knows which files it copied.
 */
export async function latestDueOfBackedUpAudio(em: EntityManager, snapshotAt: Date): Promise<Date | undefined> {
  const recordings = await latestRetentionDue(em, { $or: [{ deletedAt: null }, { deletedAt: { $gte: snapshotAt } }] });
  const cases = (await em.find(Attachment, { ownerType: 'disclosure_request', purpose: PROVISION_PACKAGE }, { fields: ['ownerId'] })).map(
    (attachment) => attachment.ownerId,
  );
  const copied =
    cases.length === 0
      ? []
      : (await em.find(DisclosureRequestRecording, { request: { $in: cases } }, { fields: ['recording'] })).map((link) => link.recording.id);
  const packages = copied.length === 0 ? undefined : await latestRetentionDue(em, { id: { $in: copied } });
  return latest(recordings, packages);
}

export function latest(...instants: (Date | undefined)[]): Date | undefined {
  return instants.reduce<Date | undefined>((found, instant) => (instant && (!found || instant > found) ? instant : found), undefined);
}
