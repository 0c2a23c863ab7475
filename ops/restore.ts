/**
 * Restore of a system's data (`npm run restore`; README "Backup and restore"): a verified backup into an empty data
 * folder and an empty database, with the system stopped, the keys checked against the backup's master key and the
 * audit chain verified after. Apart from backup.ts because it runs at another time, against the opposite target.
 */
import { syncPath } from '../infra/durable-files';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendAuditEvent, verifyAuditChain, type ChainVerification } from '../infra/audit/audit-log';
import { AUDIT_ARCHIVE_FOLDER, auditArchiveFolder, verifyAuditArchive } from '../infra/audit/audit-archive';
import { initOrm, type DatabaseSettings } from '../infra/db/orm';
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

export interface RestoreReport {
  backupId: string;
  files: number;
  keysRestored: string[];
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
export async function restore(options: { settings: BackupSettings; source: string; keysSource?: string; operator?: string }): Promise<RestoreReport> {
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
    return {
      backupId: manifest.backupId,
      files: manifest.files.length,
      keysRestored: keysToPlace.map(({ file }) => file.role),
      auditChain: await verifyAuditChain(orm.em, { checkpointKey }),
    };
  } finally {
    await orm.close(true);
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
