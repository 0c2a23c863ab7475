/**
 * Backup and restore of a system's data (`npm run backup`, `npm run restore`; README "Backup and restore").
 *
 * A data backup holds the database (SQLite through SQLite's online backup API, so the system may keep running;
 * PostgreSQL through `pg_dump -Fc`, itself one consistent snapshot), the capture appliance's recording store, the
 * sealed documents, and the embedded Temporal dev server's database when there is one, with `manifest.json` naming
 * every file's SHA-256. The keys go to a separate folder with their own manifest: audio and documents are encrypted
 * under keys wrapped by the master key, so data and master key kept together would be as good as plaintext.
 *
 * Order matters for deletions: the database is copied first and the files after, then any copied recording file whose
 * row is by now a tombstone is left out. A recording deleted before or during the backup therefore has neither a key
 * in the backup's database nor a file in its store, whatever the timing.
 */
import { spawn } from 'node:child_process';
import { replaceFileDurably, syncPath } from '../infra/durable-files';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent, verifyAuditChain, type ChainVerification } from '../infra/audit/audit-log';
import { Recording } from '../infra/db/entities';
import { initOrm, type DatabaseSettings } from '../infra/db/orm';
import { masterKeyFingerprint, readMasterKeyFile } from '../infra/keys';
import type { Settings } from '../infra/settings';

export type BackupErrorCode =
  | 'BACKUP_TARGET_NOT_EMPTY'
  | 'BACKUP_KEYS_BESIDE_DATA'
  | 'BACKUP_INSIDE_DATA'
  | 'BACKUP_TOOL_FAILED'
  | 'BACKUP_CORRUPT'
  | 'KEY_BACKUP_CORRUPT'
  | 'KEY_MISMATCH'
  | 'KEY_MISSING'
  | 'RESTORE_TARGET_NOT_EMPTY'
  | 'RESTORE_DRIVER_MISMATCH'
  | 'RESTORE_AUDIT_CHAIN_BROKEN';

export class BackupError extends Error {
  readonly code: BackupErrorCode;
  constructor(code: BackupErrorCode, message: string) {
    super(message);
    this.name = 'BackupError';
    this.code = code;
  }
}

export type BackupSettings = DatabaseSettings &
  Pick<Settings, 'dataDir' | 'masterKeyFile' | 'packageSigningKeyFile' | 'captureControlTokenFile' | 'captureDevicesFile'>;

const DATA_FORMAT = 'gm-recording-backup';
const KEYS_FORMAT = 'gm-recording-key-backup';
const MANIFEST = 'manifest.json';
const KEYS_MANIFEST = 'keys-manifest.json';
/** Folders of DATA_DIR that hold data, as they are named in DATA_DIR and in a backup. */
const FILE_FOLDERS = ['recordings', 'documents'] as const;
const SQLITE_FILE = 'database/recording.sqlite';
const PG_DUMP_FILE = 'database/recording.pgdump';
const TEMPORAL_FILE = 'temporal/temporal.sqlite';

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface DataManifest {
  format: typeof DATA_FORMAT;
  version: 1;
  backupId: string;
  createdAt: string;
  databaseDriver: DatabaseSettings['databaseDriver'];
  /** Which master key the data needs (infra/keys.ts masterKeyFingerprint), never the key. */
  masterKeyFingerprint: string;
  files: ManifestFile[];
}

interface KeysManifest {
  format: typeof KEYS_FORMAT;
  version: 1;
  backupId: string;
  createdAt: string;
  masterKeyFingerprint: string;
  files: (ManifestFile & { role: KeyRole })[];
}

type KeyRole = 'master-key' | 'package-signing-key' | 'capture-control-token' | 'capture-devices';

export interface BackupReport {
  backupId: string;
  manifestSha256: string;
  files: number;
  bytes: number;
  recordingFiles: number;
  /** Copied recording files left out because their recording was deleted meanwhile. */
  deletedLeftOut: number;
  keysBackedUp: boolean;
  masterKeyFingerprint: string;
}

function inside(child: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function emptyOrAbsent(folder: string): boolean {
  return !existsSync(folder) || readdirSync(folder).length === 0;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copies a file, owner-only and synced, and describes the copy (the hash is of what was written, not the source). */
async function copyInto(source: string, root: string, relative: string): Promise<ManifestFile> {
  const target = path.join(root, relative);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  copyFileSync(source, target);
  chmodSync(target, 0o600);
  syncPath(target);
  return { path: relative, sha256: await sha256Of(target), bytes: statSync(target).size };
}

/** Files under `folder`, relative to it, in a stable order. */
function filesUnder(folder: string, skip: (name: string) => boolean): string[] {
  if (!existsSync(folder)) return [];
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(folder, relative), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(name);
      else if (entry.isFile() && !skip(entry.name)) found.push(name);
    }
  };
  walk('');
  return found;
}

interface SqliteDatabase {
  backup(file: string, options?: { progress?: () => number }): Promise<unknown>;
  exec(sql: string): unknown;
  close(): void;
}

/** better-sqlite3, as the MikroORM driver installs it (the one binary the project builds). */
function openSqlite(file: string): SqliteDatabase {
  const load = createRequire(require.resolve('@mikro-orm/better-sqlite'));
  const Database = load('better-sqlite3') as new (file: string, options: { fileMustExist: boolean }) => SqliteDatabase;
  return new Database(file, { fileMustExist: true });
}

/**
 * SQLite's online backup API: a consistent copy while other processes keep writing. All pages are copied in one step
 * (under one read transaction, which in WAL mode holds no writer up): copied in small steps, a write by another
 * process between steps restarts the copy, and a busy system might never let it finish.
 */
async function sqliteSnapshot(source: string, target: string): Promise<void> {
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const database = openSqlite(source);
  try {
    await database.backup(target, { progress: () => 0x7fffffff });
  } finally {
    database.close();
  }
}

/** libpq's environment for a settings' PostgreSQL: the password never on a command line. */
function pgEnvironment(settings: DatabaseSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: settings.databaseHost,
    PGPORT: String(settings.databasePort),
    PGDATABASE: settings.databaseName,
    PGSSLMODE: settings.databaseTls ? 'verify-full' : 'prefer',
  };
  if (settings.databaseUser) env.PGUSER = settings.databaseUser;
  if (settings.databasePasswordFile) env.PGPASSWORD = readFileSync(settings.databasePasswordFile, 'utf8').trim();
  return env;
}

async function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).catch((error: Error) => {
    throw new BackupError('BACKUP_TOOL_FAILED', `${command}을(를) 실행하지 못했습니다: ${error.message} (postgresql-client 설치 확인)`);
  });
  if (code !== 0) throw new BackupError('BACKUP_TOOL_FAILED', `${command}이(가) 실패했습니다 (종료 코드 ${code}): ${stderr.trim()}`);
}

function writeManifest(folder: string, name: string, manifest: object): string {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  replaceFileDurably(path.join(folder, name), text);
  return createHash('sha256').update(text).digest('hex');
}

/** The key files of a system that exist, with their role. */
function keyFiles(settings: BackupSettings): { role: KeyRole; file: string; name: string }[] {
  const all: { role: KeyRole; file: string; name: string }[] = [
    { role: 'master-key', file: settings.masterKeyFile, name: 'master.key' },
    { role: 'package-signing-key', file: settings.packageSigningKeyFile, name: 'package-signing.pem' },
    { role: 'capture-control-token', file: settings.captureControlTokenFile, name: 'capture-control.token' },
    { role: 'capture-devices', file: settings.captureDevicesFile, name: 'capture-devices' },
  ];
  return all.filter((entry) => existsSync(entry.file));
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
      detail: { operatingSystemUser: options.operator ?? os.userInfo().username, keysBackedUp: keysTarget !== undefined, masterKeyFingerprint: fingerprint },
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
  const recordingId = (file: ManifestFile) => /([0-9a-f-]{36})\.(rec|partial)$/.exec(file.path)?.[1];
  const ids = copied.map(recordingId).filter((id): id is string => id !== undefined);
  const deleted = new Set<string>();
  for (let start = 0; start < ids.length; start += 500) {
    const rows = await orm.em.fork().find(Recording, { id: { $in: ids.slice(start, start + 500) }, deletedAt: { $ne: null } }, { fields: ['id'] });
    for (const row of rows) deleted.add(row.id);
  }
  let deletedLeftOut = 0;
  for (const file of copied) {
    const id = recordingId(file);
    if (id !== undefined && deleted.has(id)) {
      rmSync(path.join(target, file.path));
      deletedLeftOut += 1;
    } else {
      files.push(file);
    }
  }
  const manifest: DataManifest = {
    format: DATA_FORMAT,
    version: 1,
    backupId,
    createdAt,
    databaseDriver: settings.databaseDriver,
    masterKeyFingerprint: fingerprint,
    files,
  };
  const manifestSha256 = writeManifest(target, MANIFEST, manifest);

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
    keysBackedUp: keysTarget !== undefined,
    masterKeyFingerprint: fingerprint,
  };
}

async function describe(root: string, relative: string): Promise<ManifestFile> {
  const file = path.join(root, relative);
  chmodSync(file, 0o600);
  syncPath(file);
  return { path: relative, sha256: await sha256Of(file), bytes: statSync(file).size };
}

/** Every file the manifest lists is there with its hash and size, and nothing else is; the problems, in Korean. */
async function checkAgainst(folder: string, manifestName: string, files: ManifestFile[]): Promise<string[]> {
  const problems: string[] = [];
  const listed = new Set(files.map((file) => file.path));
  for (const file of files) {
    const location = path.join(folder, file.path);
    if (!inside(location, folder) || file.path.includes('\0')) {
      problems.push(`목록의 경로가 백업 밖을 가리킵니다: ${file.path}`);
      continue;
    }
    if (!existsSync(location)) problems.push(`없음: ${file.path}`);
    else if (statSync(location).size !== file.bytes || (await sha256Of(location)) !== file.sha256) problems.push(`변조 또는 손상: ${file.path}`);
  }
  for (const relative of filesUnder(folder, () => false)) {
    if (relative !== manifestName && !listed.has(relative)) problems.push(`목록 밖의 파일: ${relative}`);
  }
  return problems;
}

export async function verifyBackup(source: string): Promise<DataManifest> {
  const manifestFile = path.join(source, MANIFEST);
  if (!existsSync(manifestFile)) throw new BackupError('BACKUP_CORRUPT', `백업 목록(${MANIFEST})이 없습니다: ${source}`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DataManifest;
  if (manifest.format !== DATA_FORMAT || manifest.version !== 1) throw new BackupError('BACKUP_CORRUPT', `이 시스템의 백업이 아닙니다: ${source}`);
  const problems = await checkAgainst(source, MANIFEST, manifest.files);
  if (problems.length > 0) throw new BackupError('BACKUP_CORRUPT', `백업이 목록과 다릅니다:\n  ${problems.join('\n  ')}`);
  return manifest;
}

async function verifyKeyBackup(source: string): Promise<KeysManifest> {
  const manifestFile = path.join(source, KEYS_MANIFEST);
  if (!existsSync(manifestFile)) throw new BackupError('KEY_BACKUP_CORRUPT', `키 백업 목록(${KEYS_MANIFEST})이 없습니다: ${source}`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as KeysManifest;
  if (manifest.format !== KEYS_FORMAT || manifest.version !== 1) throw new BackupError('KEY_BACKUP_CORRUPT', `이 시스템의 키 백업이 아닙니다: ${source}`);
  const problems = await checkAgainst(source, KEYS_MANIFEST, manifest.files);
  if (problems.length > 0) throw new BackupError('KEY_BACKUP_CORRUPT', `키 백업이 목록과 다릅니다:\n  ${problems.join('\n  ')}`);
  return manifest;
}

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
    const before = await verifyAuditChain(orm.em);
    if (!before.ok) throw new BackupError('RESTORE_AUDIT_CHAIN_BROKEN', `복원한 감사 기록의 무결성 검증 실패: ${before.brokenAt}번째 — ${before.problem}`);
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
      auditChain: await verifyAuditChain(orm.em),
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
    case 'capture-control-token':
      return settings.captureControlTokenFile;
    case 'capture-devices':
      return settings.captureDevicesFile;
  }
}
