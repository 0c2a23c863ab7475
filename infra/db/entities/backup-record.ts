import { EntitySchema } from '@mikro-orm/core';
import { BaseEntity } from './base';

/**
 * A data backup the system made (ops/backup.ts), or was told of (`npm run backup:expired -- --register`), kept so that
 * its copy of the audio is on the retention clock like the recordings it holds: it is due for destruction once
 * `latestDueAt` has passed (infra/db/backups.ts), and destroyed by `npm run backup:destroy-expired`.
 */
export class BackupRecord extends BaseEntity<'latestDueAt' | 'destroyedAt' | 'destroyedBy'> {
  /**
   * The latest instant by which anything on the retention clock that the backup holds (a recording, a provision
   * package) has to be gone; none when it holds no audio.
   */
  latestDueAt?: Date;
  destroyedAt?: Date;
  /** The operating-system user who ran the destruction. */
  destroyedBy?: string;
  constructor(
    /** The backup's id, as its manifest names it. */
    id: string,
    /** Absolute path of the backup's data folder, where its `manifest.json` is. */
    public location: string,
    /** SHA-256 of the manifest as written: a destruction goes ahead only on the folder whose manifest still has it. */
    public manifestSha256: string,
    createdAt: Date,
    latestDueAt: Date | undefined,
  ) {
    super();
    this.id = id;
    this.createdAt = createdAt;
    this.latestDueAt = latestDueAt;
  }
}

export const BackupRecordSchema = new EntitySchema<BackupRecord, BaseEntity>({
  class: BackupRecord,
  extends: 'BaseEntity',
  tableName: 'backup_record',
  properties: {
    location: { type: 'string', length: 1024 },
    manifestSha256: { type: 'string', length: 64 },
    latestDueAt: { type: 'datetime', nullable: true },
    destroyedAt: { type: 'datetime', nullable: true },
    destroyedBy: { type: 'string', length: 128, nullable: true },
  },
});
