/**
 * Backup of a system's data (`npm run backup`; README "Backup and restore"). Restore is restore.ts, what both share
 * (formats, manifests, checks) backup-manifest.ts.
 *
 * A data backup holds the database (SQLite through SQLite's online backup API, so the system may keep running;
 * PostgreSQL through `pg_dump -Fc`, itself one consistent snapshot), the capture appliance's recording store, the
 * sealed documents, and the embedded Temporal dev server's database when there is one, with `manifest.json` naming
 * every file's SHA-256. The keys go to a separate folder with their own manifest: audio and documents are encrypted
 * under keys wrapped by the master key, so data and master key kept together would be as good as plaintext.
 *
 * Order matters for deletions: the database is copied first and the files after, then any copied recording file the
 * store has destroyed meanwhile (retention destroys the file, then makes the row a tombstone) is left out. A recording
 * deleted before the backup therefore has neither a key in the backup's database nor a file in its store; one deleted
 * while it runs may keep its row's key in the snapshot, and is deleted again by a restore (restore.ts), being due.
 *
 * A backup is on the retention clock like the recordings it holds (issue 19): its manifest names the latest instant by
 * which any of them is due (`latestDueAt`), and the system records it in `backup_record`, to be destroyed once that
 * has passed (ops/backup-expiry.ts).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { latest, latestDueOfBackedUpAudio } from '../infra/db/backups';
import { BackupRecord, Recording } from '../infra/db/entities';
import { loadLegalCalendar } from '../infra/holidays';
import { masterKeyFingerprint, readMasterKeyFile } from '../infra/keys';
import {
  BackupError,
  type BackupSettings,
  copyInto,
  DATA_FORMAT,
  type DataManifest,
  describe,
  emptyOrAbsent,
  FILE_FOLDERS,
  filesUnder,
  inside,
  keyFiles,
  KEYS_FORMAT,
  KEYS_MANIFEST,
  type KeysManifest,
  MANIFEST,
  type ManifestFile,
  openSqlite,
  PG_DUMP_FILE,
  pgEnvironment,
  runTool,
  SQLITE_FILE,
  sqliteSnapshot,
  TEMPORAL_FILE,
  writeManifest,
} from './backup-manifest';

export interface BackupReport {
  backupId: string;
  manifestSha256: string;
  files: number;
  bytes: number;
  recordingFiles: number;
  /** Copied recording files left out because their recording was deleted meanwhile. */
  deletedLeftOut: number;
  /** When the backup is due for destruction (DataManifest.latestDueAt); undefined when it holds no audio. */
  latestDueAt?: Date;
  keysBackedUp: boolean;
  masterKeyFingerprint: string;
}

export async function backup(options: {
  settings: BackupSettings;
  orm: MikroORM;
  target: string;
  /** Where the keys go; must not be inside the data backup nor hold it. Without it, no key is backed up. */
  keysTarget?: string;
  operator?: string;
}): Promise<BackupReport> {
  const { settings, orm } = options;
  const target = path.resolve(options.target);
  const keysTarget = options.keysTarget === undefined ? undefined : path.resolve(options.keysTarget);
  if (inside(target, settings.dataDir) || (keysTarget && inside(keysTarget, settings.dataDir))) {
    throw new BackupError('BACKUP_INSIDE_DATA', `백업을 데이터 폴더(${settings.dataDir}) 안에 둘 수 없습니다`);
  }
  if (keysTarget && (inside(keysTarget, target) || inside(target, keysTarget))) {
    throw new BackupError('BACKUP_KEYS_BESIDE_DATA', '키 백업은 데이터 백업과 다른 곳(다른 매체)에 두어야 합니다: 한 폴더에 두면 암호화가 무의미합니다');
  }
  for (const folder of [target, keysTarget]) {
    if (folder && !emptyOrAbsent(folder)) throw new BackupError('BACKUP_TARGET_NOT_EMPTY', `백업 폴더가 비어 있지 않습니다: ${folder}`);
  }
  const masterKey = readMasterKeyFile(settings.masterKeyFile);
  const fingerprint = masterKeyFingerprint(masterKey);
  masterKey.fill(0);
  const backupId = randomUUID();
  const createdAt = new Date().toISOString();
  mkdirSync(target, { recursive: true, mode: 0o700 });

  // Audited before the snapshot, so the backup carries the entry that says it was taken.
  await orm.em.fork().transactional((tx) =>
    appendAuditEvent(tx, {
      actor: 'system:backup',
      role: 'system',
      sourceAddress: os.hostname(),
      action: 'backup.created',
      targetType: 'backup',
      targetId: backupId,
      reason: '데이터 백업',
      detail: {
        operatingSystemUser: options.operator ?? os.userInfo().username,
        location: target,
        keysBackedUp: keysTarget !== undefined,
        masterKeyFingerprint: fingerprint,
      },
    }),
  );

  const files: ManifestFile[] = [];
  if (settings.databaseDriver === 'sqlite') {
    await sqliteSnapshot(settings.databaseName, path.join(target, SQLITE_FILE));
    // The page-for-page copy keeps free pages and the unused space of pages, where a deleted recording's old wrapped
    // key can linger; rebuilding our private copy leaves only live rows in the backup.
    const copy = openSqlite(path.join(target, SQLITE_FILE));
    try {
      copy.exec('VACUUM');
    } finally {
      copy.close();
    }
    files.push(await describe(target, SQLITE_FILE));
  } else if (settings.databaseDriver === 'postgresql') {
    mkdirSync(path.join(target, 'database'), { recursive: true, mode: 0o700 });
    await runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${path.join(target, PG_DUMP_FILE)}`], pgEnvironment(settings));
    files.push(await describe(target, PG_DUMP_FILE));
  } else {
    throw new BackupError('BACKUP_TOOL_FAILED', 'MSSQL 데이터베이스는 SQL Server의 BACKUP DATABASE로 따로 백업하십시오 (파일과 키는 이 명령으로)');
  }
  const temporal = path.join(settings.dataDir, TEMPORAL_FILE);
  if (existsSync(temporal)) {
    await sqliteSnapshot(temporal, path.join(target, TEMPORAL_FILE));
    files.push(await describe(target, TEMPORAL_FILE));
  }

  // After the database: see the header on deletions.
  const copied: ManifestFile[] = [];
  for (const folder of FILE_FOLDERS) {
    // `.rekey` and `.partial` documents are unfinished copies a crash left; a recording's `.partial` is a call to recover.
    const skip = (name: string) => name.endsWith('.rekey') || (folder === 'documents' && name.endsWith('.partial'));
    for (const relative of filesUnder(path.join(settings.dataDir, folder), skip)) {
      const source = path.join(settings.dataDir, folder, relative);
      try {
        copied.push(await copyInto(source, target, path.join(folder, relative)));
      } catch (error) {
        // A file gone while we walk (retention, a finished call's rename) is simply not in this backup.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        rmSync(path.join(target, folder, relative), { force: true });
      }
    }
  }
  // A recording file is named by the store's id, not the row's: a `.rec` file's path under recordings/ is its row's
  // storage key, and a `.partial` is a call not yet finished (no row). Retention destroys a file before it makes the
  // row a tombstone (which clears the storage key): a copied `.rec` whose source is gone by now was deleted meanwhile.
  const storageKeyOf = (file: ManifestFile) =>
    file.path.startsWith('recordings/') && file.path.endsWith('.rec') ? file.path.slice('recordings/'.length) : undefined;
  let deletedLeftOut = 0;
  const kept: string[] = [];
  let unfinished = false;
  for (const file of copied) {
    const storageKey = storageKeyOf(file);
    if (storageKey !== undefined && !existsSync(path.join(settings.dataDir, file.path))) {
      rmSync(path.join(target, file.path));
      deletedLeftOut += 1;
      continue;
    }
    files.push(file);
    if (storageKey !== undefined) kept.push(storageKey);
    else if (file.path.startsWith('recordings/') && file.path.endsWith('.partial')) unfinished = true;
  }
  const registered = new Set<string>();
  for (let start = 0; start < kept.length; start += 500) {
    const rows = await orm.em.fork().find(Recording, { storageKey: { $in: kept.slice(start, start + 500) } }, { fields: ['storageKey'] });
    for (const row of rows) registered.add(row.storageKey as string);
  }
  // A recording in the backup without a row (a call still being recorded, or finished but not registered yet) began
  // before now: it is due by the due instant of a call made now.
  const unregistered = unfinished || kept.some((storageKey) => !registered.has(storageKey));
  const latestDueAt = latest(
    await latestDueOfBackedUpAudio(orm.em.fork(), new Date(createdAt)),
    unregistered ? (await loadLegalCalendar(settings.timeZone)).retentionDueAt(new Date(), settings.retentionPeriod) : undefined,
  );
  const manifest: DataManifest = {
    format: DATA_FORMAT,
    version: 1,
    backupId,
    createdAt,
    databaseDriver: settings.databaseDriver,
    masterKeyFingerprint: fingerprint,
    latestDueAt: latestDueAt?.toISOString() ?? null,
    files,
  };
  const manifestSha256 = writeManifest(target, MANIFEST, manifest);
  const record = new BackupRecord(backupId, target, manifestSha256, new Date(createdAt), latestDueAt);
  await orm.em.fork().persist(record).flush();

  if (keysTarget) {
    mkdirSync(keysTarget, { recursive: true, mode: 0o700 });
    const keys: KeysManifest['files'] = [];
    for (const entry of keyFiles(settings)) keys.push({ ...(await copyInto(entry.file, keysTarget, entry.name)), role: entry.role });
    writeManifest(keysTarget, KEYS_MANIFEST, {
      format: KEYS_FORMAT,
      version: 1,
      backupId,
      createdAt,
      masterKeyFingerprint: fingerprint,
      files: keys,
    } satisfies KeysManifest);
  }
  return {
    backupId,
    manifestSha256,
    files: files.length,
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    recordingFiles: files.filter((file) => file.path.startsWith('recordings/')).length,
    deletedLeftOut,
    latestDueAt,
    keysBackedUp: keysTarget !== undefined,
    masterKeyFingerprint: fingerprint,
  };
}
