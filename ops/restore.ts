/**
 * Restore of a system's data (`npm run restore`; README "Backup and restore"): a verified backup into an empty data
 * folder and an empty database, with the system stopped, the keys checked against the backup's master key and the
 * audit chain verified after. Apart from backup.ts because it runs at another time, against the opposite target.
 *
 * A backup is older than the system it replaces: recordings it holds may have fallen due since, and been deleted
 * there. Before anything is served, the restore deletes again every recording due by now and not held (issue 19),
 * as retention would (file destroyed, then the row a tombstone, audited), and puts the backup it came from on the
 * retention clock: the restored database, a copy from before that backup was recorded, does not list it.
 */
import { syncPath } from '../infra/durable-files';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { destroyRecordingFile, STORAGE_KEY_PATTERN } from '../capture/recording-store';
import { appendAuditEvent, verifyAuditChain, type ChainVerification } from '../infra/audit/audit-log';
import { AUDIT_ARCHIVE_FOLDER, auditArchiveFolder, verifyAuditArchive } from '../infra/audit/audit-archive';
import { initOrm, type DatabaseSettings } from '../infra/db/orm';
import { deletableRecordings, tombstoneRecordings } from '../infra/db/recording-deletion';
import { loadLegalCalendar } from '../infra/holidays';
import type { LegalCalendar } from '../domain/legal-period';
import { masterKeyFingerprint, readAuditSigningKey, readMasterKeyFile } from '../infra/keys';
import {
  BackupError,
  type BackupSettings,
  copyInto,
  emptyOrAbsent,
  FILE_FOLDERS,
  type KeyRole,
  PG_DUMP_FILE,
  pgEnvironment,
  runTool,
  SQLITE_FILE,
  TEMPORAL_FILE,
  verifyBackup,
  verifyKeyBackup,
} from './backup-manifest';
import { registerBackup } from './backup-expiry';

export interface RestoreReport {
  backupId: string;
  files: number;
  keysRestored: string[];
  /** Recordings the backup held that had fallen due by the restore, deleted again before anything was served. */
  deletionsReapplied: number;
  auditChain: ChainVerification;
}

/** Whether the target PostgreSQL database has any table of its own (a restore goes only into an empty one). */
async function postgresHasTables(settings: DatabaseSettings): Promise<boolean> {
  const orm = await initOrm(settings);
  try {
    const rows = (await orm.em.getConnection().execute("select count(*) as n from information_schema.tables where table_schema = 'public'")) as {
      n: string | number;
    }[];
    return Number(rows[0]?.n ?? 0) > 0;
  } finally {
    await orm.close(true);
  }
}

/**
 * Restores a backup into an empty data folder and an empty database, after checking every file against the
 * manifest and the master key against the fingerprint the backup names; appends `backup.restored` and verifies the
 * audit chain. Nothing is written before all checks have passed.
 */
export async function restore(options: {
  settings: BackupSettings;
  source: string;
  keysSource?: string;
  operator?: string;
  /** The restore's time, for what has fallen due since the backup (tests move it). */
  now?: Date;
}): Promise<RestoreReport> {
  const { settings } = options;
  const source = path.resolve(options.source);
  const manifest = await verifyBackup(source);
  if (manifest.databaseDriver !== settings.databaseDriver) {
    throw new BackupError(
      'RESTORE_DRIVER_MISMATCH',
      `백업은 ${manifest.databaseDriver} 데이터베이스의 것인데 설정(DB_DRIVER)은 ${settings.databaseDriver}입니다`,
    );
  }
  const keyManifest = options.keysSource ? await verifyKeyBackup(path.resolve(options.keysSource)) : undefined;
  if (keyManifest && keyManifest.masterKeyFingerprint !== manifest.masterKeyFingerprint) {
    throw new BackupError(
      'KEY_MISMATCH',
      `키 백업의 마스터 키(지문 ${keyManifest.masterKeyFingerprint})가 이 데이터 백업의 키(${manifest.masterKeyFingerprint})가 아닙니다`,
    );
  }
  if (!keyManifest) {
    if (!existsSync(settings.masterKeyFile)) {
      throw new BackupError('KEY_MISSING', `마스터 키가 없습니다: 키 백업 폴더(--keys)를 주거나 ${settings.masterKeyFile}에 키를 두십시오`);
    }
    const present = readMasterKeyFile(settings.masterKeyFile);
    const fingerprint = masterKeyFingerprint(present);
    present.fill(0);
    if (fingerprint !== manifest.masterKeyFingerprint) {
      throw new BackupError(
        'KEY_MISMATCH',
        `${settings.masterKeyFile}의 키(지문 ${fingerprint})로는 이 백업(키 지문 ${manifest.masterKeyFingerprint})을 열 수 없습니다. 백업 후 키를 교체했다면 그때 남긴 이전 키가 필요합니다`,
      );
    }
  }

  // Only into an empty place: a restore never mixes with, or overwrites, data that is there.
  const occupied = FILE_FOLDERS.map((folder) => path.join(settings.dataDir, folder)).filter((folder) => !emptyOrAbsent(folder));
  if (settings.databaseDriver === 'sqlite' && existsSync(settings.databaseName)) occupied.push(settings.databaseName);
  if (manifest.files.some((file) => file.path === TEMPORAL_FILE) && existsSync(path.join(settings.dataDir, TEMPORAL_FILE)))
    occupied.push(path.join(settings.dataDir, TEMPORAL_FILE));
  if (settings.databaseDriver === 'postgresql' && (await postgresHasTables(settings))) occupied.push(`PostgreSQL ${settings.databaseName}`);
  const keysToPlace = (keyManifest?.files ?? []).map((file) => ({ file, to: keyTarget(settings, file.role) }));
  // Archived audit entries (issue 19) are verified by their signatures: without the key the chain cannot be checked.
  const archived = manifest.files.some((file) => file.path.startsWith(`${AUDIT_ARCHIVE_FOLDER}/`));
  if (archived && !keysToPlace.some(({ file }) => file.role === 'audit-signing-key') && !existsSync(settings.auditSigningKeyFile)) {
    throw new BackupError(
      'KEY_MISSING',
      `감사 기록 서명 키가 없습니다: 이 백업에는 보관된 감사 기록이 있어 그 서명을 확인해야 합니다. 키 백업 폴더(--keys)를 주거나 ${settings.auditSigningKeyFile}에 키를 두십시오`,
    );
  }
  for (const { file, to } of keysToPlace) {
    if (existsSync(to) && readFileSync(to).toString() !== readFileSync(path.join(path.resolve(options.keysSource as string), file.path)).toString())
      occupied.push(to);
  }
  if (occupied.length > 0) throw new BackupError('RESTORE_TARGET_NOT_EMPTY', `복원할 곳이 비어 있지 않습니다:\n  ${occupied.join('\n  ')}`);

  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  for (const { file, to } of keysToPlace) {
    if (existsSync(to)) continue;
    mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    await copyInto(path.join(path.resolve(options.keysSource as string), file.path), path.dirname(to), path.basename(to));
  }
  for (const file of manifest.files) {
    if (file.path === PG_DUMP_FILE || file.path === SQLITE_FILE) continue;
    const restored = await copyInto(path.join(source, file.path), settings.dataDir, file.path);
    if (restored.sha256 !== file.sha256) throw new BackupError('BACKUP_CORRUPT', `복사한 파일이 목록과 다릅니다: ${file.path}`);
  }
  if (settings.databaseDriver === 'sqlite') {
    // Under a temporary name first: a database file that appears is a whole one.
    const partial = `${settings.databaseName}.restoring`;
    mkdirSync(path.dirname(settings.databaseName), { recursive: true, mode: 0o700 });
    copyFileSync(path.join(source, SQLITE_FILE), partial);
    syncPath(partial);
    renameSync(partial, settings.databaseName);
    syncPath(path.dirname(settings.databaseName));
  } else {
    await runTool(
      'pg_restore',
      ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${settings.databaseName}`, path.join(source, PG_DUMP_FILE)],
      pgEnvironment(settings),
    );
  }

  const orm = await initOrm(settings);
  try {
    const checkpointKey = existsSync(settings.auditSigningKeyFile) ? readAuditSigningKey(settings.auditSigningKeyFile) : undefined;
    const before = await verifyAuditChain(orm.em, { checkpointKey });
    if (!before.ok) throw new BackupError('RESTORE_AUDIT_CHAIN_BROKEN', `복원한 감사 기록의 무결성 검증 실패: ${before.brokenAt}번째 — ${before.problem}`);
    const archive = await verifyAuditArchive(orm.em, auditArchiveFolder(settings.dataDir), checkpointKey);
    if (!archive.ok) {
      const [first] = archive.problems;
      throw new BackupError('RESTORE_AUDIT_CHAIN_BROKEN', `복원한 감사 기록 보관 구간의 검증 실패: ${first?.file} — ${first?.problem}`);
    }
    await orm.em.fork().transactional((tx) =>
      appendAuditEvent(tx, {
        actor: 'system:backup',
        role: 'system',
        sourceAddress: os.hostname(),
        action: 'backup.restored',
        targetType: 'backup',
        targetId: manifest.backupId,
        reason: '백업에서 복원',
        detail: {
          operatingSystemUser: options.operator ?? os.userInfo().username,
          backupCreatedAt: manifest.createdAt,
          files: manifest.files.length,
          keysRestored: keysToPlace.map(({ file }) => file.role),
        },
      }),
    );
    await registerBackup({ orm, settings, folder: source, operator: options.operator });
    const calendar = await loadLegalCalendar(settings.timeZone);
    const deletionsReapplied = await reapplyDeletions(orm, calendar, settings.dataDir, manifest.backupId, options.now ?? new Date());
    return {
      backupId: manifest.backupId,
      files: manifest.files.length,
      keysRestored: keysToPlace.map(({ file }) => file.role),
      deletionsReapplied,
      auditChain: await verifyAuditChain(orm.em, { checkpointKey }),
    };
  } finally {
    await orm.close(true);
  }
}

/**
 * Deletes every restored recording due by `now` and not held, in batches, as retention deletes: the file destroyed
 * first (the system is stopped, so here rather than through the appliance), then the row made a tombstone with its
 * `recording.deleted` entry. Returns how many.
 */
async function reapplyDeletions(orm: MikroORM, calendar: LegalCalendar, dataDir: string, backupId: string, now: Date): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await deletableRecordings(orm.em.fork(), now, 500);
    if (batch.length === 0) return deleted;
    for (const recording of batch) {
      // The storage key comes from the restored database: only a well-formed one names a file to destroy.
      if (recording.storageKey && STORAGE_KEY_PATTERN.test(recording.storageKey)) {
        await destroyRecordingFile(path.join(dataDir, 'recordings', ...recording.storageKey.split('/')));
      }
    }
    const ids = batch.map((recording) => recording.id);
    deleted += (
      await orm.em.fork().transactional((tx) =>
        tombstoneRecordings(tx, ids, {
          calendar,
          deletionReason: '보존기간 경과 (백업 복원 후 다시 삭제)',
          actor: 'system:backup',
          sourceAddress: os.hostname(),
          detail: { reappliedAfterRestoreOf: backupId },
        }),
      )
    ).length;
  }
}

function keyTarget(settings: BackupSettings, role: KeyRole): string {
  switch (role) {
    case 'master-key':
      return settings.masterKeyFile;
    case 'package-signing-key':
      return settings.packageSigningKeyFile;
    case 'grant-signing-key':
      return settings.grantSigningKeyFile;
    case 'grant-public-key':
      return settings.grantPublicKeyFile;
    case 'audit-signing-key':
      return settings.auditSigningKeyFile;
    case 'capture-control-api-token':
      return settings.captureControlApiTokenFile;
    case 'capture-control-worker-token':
      return settings.captureControlWorkerTokenFile;
    case 'capture-control-pbx-token':
      return settings.captureControlPbxTokenFile;
    case 'capture-devices':
      return settings.captureDevicesFile;
  }
}
