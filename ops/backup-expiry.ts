/**
 * Backups on the retention clock (issue 19; README "Backup and restore"): which backups are past their due instant
 * (`npm run backup:expired`), their destruction (`npm run backup:destroy-expired`), and putting on the clock a backup
 * the system has no record of (`--register <folder>`: one made before issue 19, or after the backup a restore came
 * from, which the restored database cannot know).
 *
 * A destruction deletes only what the backup's own manifest lists, inside the folder the system recorded, after
 * checking that the folder still carries that very manifest (same SHA-256, same backup id): a record pointing
 * elsewhere, a folder that is not this backup, a listed path leading out of it (`..`, an absolute path, a symbolic
 * link) are refused before anything is deleted. Files someone added to the folder are left and named.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { destroyRecordingFile } from '../capture/recording-store';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { listExpiredBackups, type ExpiredBackup } from '../infra/db/backups';
import { BackupRecord } from '../infra/db/entities';
import { syncPath } from '../infra/durable-files';
import { loadLegalCalendar } from '../infra/holidays';
import type { Settings } from '../infra/settings';
import { BackupError, DATA_FORMAT, type DataManifest, inside, MANIFEST, PG_DUMP_FILE, SQLITE_FILE, TEMPORAL_FILE } from './backup-manifest';

const ACTOR = 'system:backup';

export interface DueBackup extends ExpiredBackup {
  /** Past its due instant by more than the grace (infra/db/backups.ts): the daily inventory reports it. */
  overdue: boolean;
}

export interface BackupsOnTheClock {
  /** Past their due instant and not destroyed, the longest overdue first. */
  due: DueBackup[];
  /** Not destroyed and not yet due, with the next of them to fall due. */
  kept: number;
  next?: { id: string; latestDueAt: Date };
}

export async function backupsOnTheClock(orm: MikroORM, now = new Date()): Promise<BackupsOnTheClock> {
  const em = orm.em.fork();
  const overdue = new Set((await listExpiredBackups(em, now)).map((backup) => backup.id));
  const due = (await listExpiredBackups(em, now, 0)).map((backup) => ({ ...backup, overdue: overdue.has(backup.id) }));
  const notDue = await em.find(
    BackupRecord,
    { destroyedAt: null, $or: [{ latestDueAt: null }, { latestDueAt: { $gt: now } }] },
    { orderBy: { latestDueAt: 'asc' }, fields: ['id', 'latestDueAt'] },
  );
  const next = notDue.find((row) => row.latestDueAt !== undefined && row.latestDueAt !== null);
  return { due, kept: notDue.length, next: next ? { id: next.id, latestDueAt: next.latestDueAt as Date } : undefined };
}

export type DestroyOutcome =
  | { id: string; location: string; destroyed: true; files: number; bytes: number; leftovers: string[] }
  | { id: string; location: string; destroyed: false; refused: string };

/** Destroys every backup past its due instant; each refusal (with why, in Korean) leaves that backup untouched. */
export async function destroyExpiredBackups(options: {
  orm: MikroORM;
  settings: Pick<Settings, 'dataDir'>;
  now?: Date;
  operator?: string;
}): Promise<DestroyOutcome[]> {
  const outcomes: DestroyOutcome[] = [];
  for (const backup of await listExpiredBackups(options.orm.em.fork(), options.now ?? new Date(), 0)) {
    const row = await options.orm.em.fork().findOneOrFail(BackupRecord, backup.id);
    try {
      outcomes.push(await destroyBackup(options.orm, row, options.settings.dataDir, options.operator ?? os.userInfo().username));
    } catch (error) {
      if (!(error instanceof BackupError)) throw error;
      outcomes.push({ id: row.id, location: row.location, destroyed: false, refused: error.message });
    }
  }
  return outcomes;
}

/** The manifest file's bytes and what they say, with nothing followed through a symbolic link. */
function readManifest(folder: string): { text: Buffer; manifest: DataManifest } {
  const file = path.join(folder, MANIFEST);
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new BackupError('BACKUP_CORRUPT', `백업 목록(${MANIFEST})이 없습니다: ${folder}`);
  const text = readFileSync(file);
  let manifest: DataManifest;
  try {
    manifest = JSON.parse(text.toString('utf8')) as DataManifest;
  } catch {
    throw new BackupError('BACKUP_CORRUPT', `백업 목록을 읽을 수 없습니다: ${file}`);
  }
  if (manifest?.format !== DATA_FORMAT || manifest.version !== 1 || typeof manifest.backupId !== 'string' || !Array.isArray(manifest.files)) {
    throw new BackupError('BACKUP_CORRUPT', `이 시스템의 백업이 아닙니다: ${folder}`);
  }
  return { text, manifest };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const DATABASE_FILES = [SQLITE_FILE, PG_DUMP_FILE, TEMPORAL_FILE];
const isRecordingFile = (relative: string) => relative.startsWith('recordings/') && /\.(rec|partial)$/.test(relative);

/** Zeros over the whole file, synced, then the file unlinked. */
function overwriteAndUnlink(file: string, bytes: number): void {
  const handle = openSync(file, 'r+');
  try {
    const zeros = Buffer.alloc(Math.min(bytes, 1024 * 1024));
    for (let written = 0; written < bytes; written += zeros.length) writeSync(handle, zeros, 0, Math.min(zeros.length, bytes - written), written);
    fsyncSync(handle);
  } finally {
    closeSync(handle);
  }
  rmSync(file);
}

/**
 * What destroying a backup writes over, and why not everything. The audio and the documents in a backup are
 * ciphertext, each under its own data key; those keys exist only wrapped by the master key, which is never in the
 * data backup (keys go to another medium): in the database dump (every wrapped key, and the recordings' personal
 * fields in plain text) and in the header of each recording file. Those are overwritten with zeros before they are
 * unlinked — the whole database files, the key region of each recording file, as the retention deletion does on the
 * live store (capture/recording-store.ts destroyRecordingFile). The audio behind a header and the sealed documents are
 * only unlinked: what a disk may keep of them is ciphertext whose key is gone. Overwriting the terabytes of a month's
 * audio would add nothing, and on SSDs and copy-on-write filesystems neither overwrite reaches every old block: there
 * a stale wrapped key is retired by rotating the master key (README "Rotating the master key").
 */
async function destroyFile(folder: string, relative: string, bytes: number): Promise<void> {
  const file = path.join(folder, relative);
  if (DATABASE_FILES.includes(relative)) overwriteAndUnlink(file, bytes);
  else if (isRecordingFile(relative)) await destroyRecordingFile(file);
  else rmSync(file);
}

/** Every listed file that is still there, each checked to be a plain file inside the folder; refused whole otherwise. */
function listedFiles(folder: string, manifest: DataManifest): { relative: string; bytes: number }[] {
  const real = realpathSync(folder);
  const found: { relative: string; bytes: number }[] = [];
  for (const entry of manifest.files) {
    const relative = entry?.path;
    const outside = () => new BackupError('BACKUP_DESTROY_REFUSED', `목록의 경로가 백업 폴더 밖을 가리킵니다: ${String(relative)}`);
    if (typeof relative !== 'string' || relative === '' || relative.includes('\0') || path.isAbsolute(relative) || relative === MANIFEST) throw outside();
    const file = path.join(folder, relative);
    if (!inside(file, folder) || file === folder) throw outside();
    const stat = lstatSync(file, { throwIfNoEntry: false });
    if (!stat) continue;
    if (!stat.isFile()) throw new BackupError('BACKUP_DESTROY_REFUSED', `목록의 파일이 일반 파일이 아닙니다 (심볼릭 링크 등): ${relative}`);
    if (!inside(realpathSync(file), real)) throw outside();
    found.push({ relative, bytes: stat.size });
  }
  return found;
}

/** Folders under `folder` left empty, deepest first, removed; the files nobody listed are returned, not touched. */
function removeEmptyFolders(folder: string): string[] {
  const leftovers: string[] = [];
  const walk = (relative: string): boolean => {
    let empty = true;
    for (const entry of readdirSync(path.join(folder, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory() && walk(name)) rmdirSync(path.join(folder, name));
      else {
        empty = false;
        if (!entry.isDirectory()) leftovers.push(name);
      }
    }
    return empty;
  };
  walk('');
  return leftovers;
}

async function destroyBackup(orm: MikroORM, row: BackupRecord, dataDir: string, operator: string): Promise<DestroyOutcome> {
  const folder = row.location;
  const refused = (why: string) => new BackupError('BACKUP_DESTROY_REFUSED', why);
  if (!path.isAbsolute(folder) || path.resolve(folder) !== folder || folder === path.parse(folder).root)
    throw refused(`백업 폴더의 경로가 올바르지 않습니다: ${folder}`);
  if (inside(dataDir, folder) || inside(folder, dataDir)) throw refused(`데이터 폴더(${dataDir})와 겹치는 폴더는 파기하지 않습니다: ${folder}`);
  const stat = lstatSync(folder, { throwIfNoEntry: false });
  if (!stat) throw refused(`백업 폴더가 없습니다 (백업 매체를 연결하거나, 옮겼다면 --register 로 새 위치를 알려 주십시오): ${folder}`);
  if (!stat.isDirectory()) throw refused(`백업 폴더가 일반 폴더가 아닙니다 (심볼릭 링크 등): ${folder}`);
  const { text, manifest } = readManifest(folder);
  if (manifest.backupId !== row.id) throw refused(`폴더의 백업(${manifest.backupId})이 기록된 백업(${row.id})이 아닙니다: ${folder}`);
  if (sha256(text) !== row.manifestSha256) throw refused(`폴더의 백업 목록이 백업할 때의 목록과 다릅니다 (SHA-256 불일치): ${folder}`);
  const files = listedFiles(folder, manifest);

  // The database files first: with them go the wrapped keys and the personal fields.
  const order = (relative: string) => (DATABASE_FILES.includes(relative) ? 0 : isRecordingFile(relative) ? 1 : 2);
  for (const file of [...files].sort((a, b) => order(a.relative) - order(b.relative))) await destroyFile(folder, file.relative, file.bytes);
  syncPath(folder);
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);

  // Recorded before the manifest goes: a crash in between leaves a manifest over an empty folder, never a destroyed
  // backup still listed as kept; a crash before leaves the manifest, so the same command finishes the job.
  await orm.em.fork().transactional(async (tx) => {
    await tx.nativeUpdate(BackupRecord, { id: row.id, destroyedAt: null }, { destroyedAt: new Date(), destroyedBy: operator });
    await appendAuditEvent(tx, {
      actor: ACTOR,
      role: 'system',
      sourceAddress: os.hostname(),
      action: 'backup.destroyed',
      targetType: 'backup',
      targetId: row.id,
      reason: '보존기간이 끝난 백업 파기',
      detail: {
        operatingSystemUser: operator,
        location: folder,
        latestDueAt: row.latestDueAt?.toISOString() ?? null,
        manifestSha256: row.manifestSha256,
        files: files.length,
        bytes,
      },
    });
  });
  rmSync(path.join(folder, MANIFEST));
  const leftovers = removeEmptyFolders(folder);
  if (leftovers.length === 0) rmdirSync(folder);
  return { id: row.id, location: folder, destroyed: true, files: files.length, bytes, leftovers };
}

/**
 * Puts a backup folder on the clock: its record added from its manifest, or moved to where the folder now is. A
 * manifest from before issue 19 names no due instant; every call in such a backup was made before the backup, so it is
 * due by the due instant of a call made then (a recording held past that is not counted: see infra/db/backups.ts).
 */
export async function registerBackup(options: {
  orm: MikroORM;
  settings: Pick<Settings, 'retentionPeriod' | 'timeZone'>;
  folder: string;
  operator?: string;
}): Promise<{ id: string; latestDueAt?: Date; change: 'added' | 'moved' | 'unchanged' }> {
  const folder = path.resolve(options.folder);
  const { text, manifest } = readManifest(folder);
  const manifestSha256 = sha256(text);
  const latestDueAt =
    manifest.latestDueAt === undefined
      ? (await loadLegalCalendar(options.settings.timeZone)).retentionDueAt(new Date(manifest.createdAt), options.settings.retentionPeriod)
      : manifest.latestDueAt === null
        ? undefined
        : new Date(manifest.latestDueAt);
  return options.orm.em.fork().transactional(async (tx) => {
    const existing = await tx.findOne(BackupRecord, manifest.backupId);
    if (existing?.destroyedAt) throw new BackupError('BACKUP_CORRUPT', `이미 파기된 백업입니다 (${existing.destroyedAt.toISOString()}): ${manifest.backupId}`);
    if (existing && existing.manifestSha256 !== manifestSha256) {
      throw new BackupError('BACKUP_CORRUPT', `같은 번호(${manifest.backupId})로 기록된 백업의 목록과 다릅니다 (SHA-256 불일치): ${folder}`);
    }
    if (existing?.location === folder) return { id: existing.id, latestDueAt: existing.latestDueAt ?? undefined, change: 'unchanged' as const };
    const previousLocation = existing?.location;
    if (existing) existing.location = folder;
    else tx.persist(new BackupRecord(manifest.backupId, folder, manifestSha256, new Date(manifest.createdAt), latestDueAt));
    await tx.flush();
    await appendAuditEvent(tx, {
      actor: ACTOR,
      role: 'system',
      sourceAddress: os.hostname(),
      action: 'backup.registered',
      targetType: 'backup',
      targetId: manifest.backupId,
      reason: existing ? '백업 위치 변경' : '백업 등록',
      detail: {
        operatingSystemUser: options.operator ?? os.userInfo().username,
        location: folder,
        previousLocation: previousLocation ?? null,
        latestDueAt: (existing ? existing.latestDueAt : latestDueAt)?.toISOString() ?? null,
        manifestSha256,
      },
    });
    return existing
      ? { id: existing.id, latestDueAt: existing.latestDueAt ?? undefined, change: 'moved' as const }
      : { id: manifest.backupId, latestDueAt, change: 'added' as const };
  });
}
