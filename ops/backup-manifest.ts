/**
 * What backup (backup.ts) and restore (restore.ts) share: the folders' formats and manifests, the errors with their
 * codes, the key files and their roles, hashing and durable copying, SQLite's online backup and PostgreSQL's tools,
 * and checking a backup against its manifest. One place, so that what a backup writes and what a restore accepts
 * cannot drift apart.
 */
import { spawn } from 'node:child_process';
import { replaceFileDurably, syncPath } from '../infra/durable-files';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type DatabaseSettings } from '../infra/db/orm';
import type { Settings } from '../infra/settings';
import { CodedError } from '../domain/coded-error';

export type BackupErrorCode =
  | 'BACKUP_TARGET_NOT_EMPTY'
  | 'BACKUP_KEYS_BESIDE_DATA'
  | 'BACKUP_INSIDE_DATA'
  | 'BACKUP_TOOL_FAILED'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_DESTROY_REFUSED'
  | 'KEY_BACKUP_CORRUPT'
  | 'KEY_MISMATCH'
  | 'KEY_MISSING'
  | 'RESTORE_TARGET_NOT_EMPTY'
  | 'RESTORE_DRIVER_MISMATCH'
  | 'RESTORE_AUDIT_CHAIN_BROKEN';

export class BackupError extends CodedError<BackupErrorCode> {}

export type BackupSettings = DatabaseSettings &
  Pick<
    Settings,
    | 'dataDir'
    | 'masterKeyFile'
    | 'packageSigningKeyFile'
    | 'grantSigningKeyFile'
    | 'grantPublicKeyFile'
    | 'auditSigningKeyFile'
    | 'captureControlApiTokenFile'
    | 'captureControlWorkerTokenFile'
    | 'captureControlPbxTokenFile'
    | 'captureDevicesFile'
    | 'retentionPeriod'
    | 'timeZone'
  >;

export const DATA_FORMAT = 'gm-recording-backup';
export const KEYS_FORMAT = 'gm-recording-key-backup';
export const MANIFEST = 'manifest.json';
export const KEYS_MANIFEST = 'keys-manifest.json';
/**
 * Folders of DATA_DIR that hold data, as they are named in DATA_DIR and in a backup. `audit-archive`: the sealed
 * segments of archived audit entries (issue 19), gone from the database, so the backup must carry them.
 */
export const FILE_FOLDERS = ['recordings', 'documents', 'audit-archive'] as const;
export const SQLITE_FILE = 'database/recording.sqlite';
export const PG_DUMP_FILE = 'database/recording.pgdump';
export const TEMPORAL_FILE = 'temporal/temporal.sqlite';

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
  /**
   * When the backup is due for destruction: the latest instant by which anything on the retention clock that it holds
   * has to be gone (infra/db/backups.ts); null when it holds no audio. Absent in backups made before issue 19.
   */
  latestDueAt?: string | null;
  files: ManifestFile[];
}

export interface KeysManifest {
  format: typeof KEYS_FORMAT;
  version: 1;
  backupId: string;
  createdAt: string;
  masterKeyFingerprint: string;
  files: (ManifestFile & { role: KeyRole })[];
}

export type KeyRole =
  | 'master-key'
  | 'package-signing-key'
  | 'grant-signing-key'
  | 'grant-public-key'
  | 'audit-signing-key'
  | 'capture-control-api-token'
  | 'capture-control-worker-token'
  | 'capture-control-pbx-token'
  | 'capture-devices';

export function inside(child: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export function emptyOrAbsent(folder: string): boolean {
  return !existsSync(folder) || readdirSync(folder).length === 0;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copies a file, owner-only and synced, and describes the copy (the hash is of what was written, not the source). */
export async function copyInto(source: string, root: string, relative: string): Promise<ManifestFile> {
  const target = path.join(root, relative);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  copyFileSync(source, target);
  chmodSync(target, 0o600);
  syncPath(target);
  return { path: relative, sha256: await sha256Of(target), bytes: statSync(target).size };
}

/** Files under `folder`, relative to it, in a stable order. */
export function filesUnder(folder: string, skip: (name: string) => boolean): string[] {
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

/**
 * better-sqlite3, as the MikroORM driver installs it (the one binary the project builds), with `secure_delete` on as
 * on the system's own connections (infra/db/sqlite-driver.ts).
 */
export function openSqlite(file: string): SqliteDatabase {
  const load = createRequire(require.resolve('@mikro-orm/better-sqlite'));
  const Database = load('better-sqlite3') as new (file: string, options: { fileMustExist: boolean }) => SqliteDatabase;
  const database = new Database(file, { fileMustExist: true });
  database.exec('PRAGMA secure_delete = ON');
  return database;
}

/**
 * SQLite's online backup API: a consistent copy while other processes keep writing. All pages are copied in one step
 * (under one read transaction, which in WAL mode holds no writer up): copied in small steps, a write by another
 * process between steps restarts the copy, and a busy system might never let it finish.
 */
export async function sqliteSnapshot(source: string, target: string): Promise<void> {
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const database = openSqlite(source);
  try {
    await database.backup(target, { progress: () => 0x7fffffff });
  } finally {
    database.close();
  }
}

/** libpq's environment for a settings' PostgreSQL: the password never on a command line. */
export function pgEnvironment(settings: DatabaseSettings): NodeJS.ProcessEnv {
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

export async function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
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

export function writeManifest(folder: string, name: string, manifest: object): string {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  replaceFileDurably(path.join(folder, name), text);
  return createHash('sha256').update(text).digest('hex');
}

/** The key files of a system that exist, with their role. */
export function keyFiles(settings: BackupSettings): { role: KeyRole; file: string; name: string }[] {
  const all: { role: KeyRole; file: string; name: string }[] = [
    { role: 'master-key', file: settings.masterKeyFile, name: 'master.key' },
    { role: 'package-signing-key', file: settings.packageSigningKeyFile, name: 'package-signing.pem' },
    // Both halves: the back office's signing key and the public key the appliance checks grants with (issue 18).
    { role: 'grant-signing-key', file: settings.grantSigningKeyFile, name: 'grant-signing.pem' },
    { role: 'grant-public-key', file: settings.grantPublicKeyFile, name: 'grant-public.pem' },
    // What the archived audit segments are verified with (issue 19).
    { role: 'audit-signing-key', file: settings.auditSigningKeyFile, name: 'audit-signing.pem' },
    { role: 'capture-control-api-token', file: settings.captureControlApiTokenFile, name: 'capture-control-api.token' },
    { role: 'capture-control-worker-token', file: settings.captureControlWorkerTokenFile, name: 'capture-control-worker.token' },
    { role: 'capture-control-pbx-token', file: settings.captureControlPbxTokenFile, name: 'capture-control-pbx.token' },
    { role: 'capture-devices', file: settings.captureDevicesFile, name: 'capture-devices' },
  ];
  return all.filter((entry) => existsSync(entry.file));
}

export async function describe(root: string, relative: string): Promise<ManifestFile> {
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

export async function verifyKeyBackup(source: string): Promise<KeysManifest> {
  const manifestFile = path.join(source, KEYS_MANIFEST);
  if (!existsSync(manifestFile)) throw new BackupError('KEY_BACKUP_CORRUPT', `키 백업 목록(${KEYS_MANIFEST})이 없습니다: ${source}`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as KeysManifest;
  if (manifest.format !== KEYS_FORMAT || manifest.version !== 1) throw new BackupError('KEY_BACKUP_CORRUPT', `이 시스템의 키 백업이 아닙니다: ${source}`);
  const problems = await checkAgainst(source, KEYS_MANIFEST, manifest.files);
  if (problems.length > 0) throw new BackupError('KEY_BACKUP_CORRUPT', `키 백업이 목록과 다릅니다:\n  ${problems.join('\n  ')}`);
  return manifest;
}
