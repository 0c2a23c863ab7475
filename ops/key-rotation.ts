/**
 * Master key rotation without re-encrypting anything (DESIGN: data protection by construction). Every stored object
 * has its own data key, kept only wrapped by the master key: in `recording.wrapped_key`,
 * `generated_document.wrapped_key`, `attachment.wrapped_key`, and in the header of each recording file of the capture
 * appliance's store (a copy, so a crashed recording can be finalised without the database). Rotation unwraps each
 * data key with the old master key and wraps it with the new one; audio, documents and attachments stay as they are,
 * byte for byte.
 *
 * Crash safety — the rule is that no data key is ever wrapped only by a key that is not durably on disk:
 * 1. The new key is written (owner-only, synced) to `<key file>.next` before anything is wrapped by it, and a journal
 *    (`<key file>.rotation.json`) is written before any change; while the journal exists every component refuses to
 *    start (infra/keys.ts readMasterKey), because the keys are then a mix of old and new.
 * 2. Database rows are re-wrapped in small transactions; each new wrapping is unwrapped again and compared before it
 *    is written, and the update is conditional on the old value (a system left running would be caught, not
 *    overwritten). Recording files get their new header through a synced copy renamed over the original.
 * 3. Every wrapped key is in one of two states, old or new, and both keys stay on disk until the end: so a rerun
 *    needs no record of where it stopped, it tries the new key first and re-wraps what only the old one opens.
 * 4. Only after a full pass finds every live key opened by the new key is the audit entry written (once per
 *    rotation id) and the new key renamed over the key file (atomic). The journal goes last.
 *
 * Deleted recordings stay deleted: their rows have no key left, and a file a deletion left behind (its row already a
 * tombstone) is destroyed rather than re-wrapped, so it dies with the old key.
 */
import { randomUUID } from 'node:crypto';
import { replaceFileDurably, syncPath, writeNewFileDurably } from '../infra/durable-files';
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { destroyRecordingFile } from '../capture/recording-store';
import { listRecordingFiles, recordingFileKeyState, replaceRecordingFileKey } from '../capture/recording-files';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { DecryptionError, newDataKey, unwrapKey, wrapKey } from '../infra/crypto/envelope';
import { AuditEvent, Recording } from '../infra/db/entities';
import { wrappedKeyEntities, type KeyRow } from '../infra/db/wrapped-keys';
import { masterKeyFingerprint, MASTER_KEY_BYTES, readMasterKeyFile, rotationFiles } from '../infra/keys';
import { CodedError } from '../domain/coded-error';

export type KeyRotationErrorCode =
  | 'NEW_KEY_SAME_AS_OLD'
  | 'NEW_KEY_INVALID'
  | 'ROTATION_IN_PROGRESS_WITH_OTHER_KEY'
  | 'ROTATION_STATE_INCONSISTENT'
  | 'KEY_UNREADABLE'
  | 'CHANGED_DURING_ROTATION'
  | 'ROTATION_INCOMPLETE';

export class KeyRotationError extends CodedError<KeyRotationErrorCode> {}

type Counts = Record<string, number>;

interface Journal {
  rotationId: string;
  startedAt: string;
  oldKeyFingerprint: string;
  newKeyFingerprint: string;
  keepOldKey: boolean;
}

export type RotationEvent =
  | { kind: 'started'; rotationId: string; resumed: boolean }
  | { kind: 'rows'; table: string; rewrapped: number }
  | { kind: 'file'; file: string; outcome: FileOutcome }
  | { kind: 'verified' }
  | { kind: 'audited' }
  | { kind: 'swapped' };

type FileOutcome = 'rewrapped' | 'already' | 'torn' | 'destroyed-remnant' | 'deleted-remnant-destroyed';

export interface RotationOptions {
  readonly orm: MikroORM;
  readonly dataDir: string;
  readonly masterKeyFile: string;
  /** A key the operator made (base64 of 32 bytes); otherwise one is generated. */
  readonly newKeyFile?: string;
  /** Keep the old key as `<key file>.retired-<time>` (owner-only) instead of removing it. */
  readonly keepOldKey?: boolean;
  /** Who ran it (the operating-system user), for the audit entry. */
  readonly operator?: string;
  /** Rows per transaction. */
  readonly batchSize?: number;
  /** Called after each committed step; a test kills the process here to prove a rerun finishes the job. */
  readonly onProgress?: (event: RotationEvent) => void | Promise<void>;
}

export interface RotationReport {
  rotationId: string;
  resumed: boolean;
  oldKeyFingerprint: string;
  newKeyFingerprint: string;
  /** Re-wrapped by this run, per table (rows a crashed run had already done are under `alreadyNew`). */
  rewrapped: Counts;
  alreadyNew: Counts;
  files: Record<FileOutcome, number>;
  /** Live wrapped keys the final pass found opened by the new key (rows and file headers). */
  verifiedKeys: number;
  retiredKeyFile?: string;
  auditSeq?: number;
}

const AUDIT_ACTION = 'master_key.rotated';

export async function rotateMasterKey(options: RotationOptions): Promise<RotationReport> {
  const { journal: journalFile, nextKey: nextKeyFile } = rotationFiles(options.masterKeyFile);
  const progress = async (event: RotationEvent) => options.onProgress?.(event);
  const keyFolder = path.dirname(options.masterKeyFile);

  let journal: Journal;
  let oldKey: Buffer | undefined;
  let newKey: Buffer;
  const resumed = existsSync(journalFile);
  if (resumed) {
    journal = JSON.parse(readFileSync(journalFile, 'utf8')) as Journal;
    const current = readMasterKeyFile(options.masterKeyFile);
    const given = options.newKeyFile ? readKeyFile(options.newKeyFile) : undefined;
    if (given && masterKeyFingerprint(given) !== journal.newKeyFingerprint) {
      throw new KeyRotationError(
        'ROTATION_IN_PROGRESS_WITH_OTHER_KEY',
        `끝나지 않은 마스터 키 교체(${journal.rotationId})는 다른 새 키(지문 ${journal.newKeyFingerprint})로 진행 중입니다: --new-key-file 없이 다시 실행하십시오`,
      );
    }
    if (masterKeyFingerprint(current) === journal.newKeyFingerprint) {
      // The swap itself was done; only the cleanup after it was lost.
      newKey = current;
    } else if (masterKeyFingerprint(current) === journal.oldKeyFingerprint && existsSync(nextKeyFile)) {
      oldKey = current;
      newKey = readMasterKeyFile(nextKeyFile);
      if (masterKeyFingerprint(newKey) !== journal.newKeyFingerprint) {
        throw new KeyRotationError('ROTATION_STATE_INCONSISTENT', `새 키 파일의 지문이 교체 기록과 다릅니다: ${nextKeyFile}`);
      }
    } else {
      throw new KeyRotationError(
        'ROTATION_STATE_INCONSISTENT',
        `마스터 키 파일(지문 ${masterKeyFingerprint(current)})이 교체 기록의 이전 키(${journal.oldKeyFingerprint})도 새 키(${journal.newKeyFingerprint})도 아니거나 새 키 파일(${nextKeyFile})이 없습니다. 키를 손대지 말고 백업한 키와 함께 조사하십시오`,
      );
    }
  } else {
    oldKey = readMasterKeyFile(options.masterKeyFile);
    newKey = options.newKeyFile ? readKeyFile(options.newKeyFile) : newDataKey();
    if (newKey.equals(oldKey)) throw new KeyRotationError('NEW_KEY_SAME_AS_OLD', '새 마스터 키가 지금의 키와 같습니다');
    // A `.next` without a journal is from a run that stopped before it changed anything: nothing is wrapped by it.
    rmSync(nextKeyFile, { force: true });
    writeNewFileDurably(nextKeyFile, `${newKey.toString('base64')}\n`);
    journal = {
      rotationId: randomUUID(),
      startedAt: new Date().toISOString(),
      oldKeyFingerprint: masterKeyFingerprint(oldKey),
      newKeyFingerprint: masterKeyFingerprint(newKey),
      keepOldKey: options.keepOldKey ?? false,
    };
    replaceFileDurably(journalFile, `${JSON.stringify(journal, null, 2)}\n`);
  }
  await progress({ kind: 'started', rotationId: journal.rotationId, resumed });

  const report: RotationReport = {
    rotationId: journal.rotationId,
    resumed,
    oldKeyFingerprint: journal.oldKeyFingerprint,
    newKeyFingerprint: journal.newKeyFingerprint,
    rewrapped: {},
    alreadyNew: {},
    files: { rewrapped: 0, already: 0, torn: 0, 'destroyed-remnant': 0, 'deleted-remnant-destroyed': 0 },
    verifiedKeys: 0,
  };
  try {
    if (oldKey) {
      for (const holder of wrappedKeyEntities(options.orm)) {
        await rewrapTable(options.orm, holder, oldKey, newKey, options.batchSize ?? 500, report, progress);
      }
      await rewrapFiles(options, oldKey, newKey, report, progress);
      report.verifiedKeys = await verifyAll(options, newKey);
      await progress({ kind: 'verified' });
    }
    report.auditSeq = await auditOnce(options.orm, journal, report, options.operator ?? os.userInfo().username);
    await progress({ kind: 'audited' });
    if (oldKey) {
      report.retiredKeyFile = swapKeyFile(options.masterKeyFile, nextKeyFile, journal, oldKey);
      await progress({ kind: 'swapped' });
    } else if (journal.keepOldKey) {
      report.retiredKeyFile = retiredKeyFile(options.masterKeyFile, journal);
    }
    rmSync(journalFile, { force: true });
    syncPath(keyFolder);
    return report;
  } finally {
    oldKey?.fill(0);
    newKey.fill(0);
  }
}

function readKeyFile(file: string): Buffer {
  try {
    return readMasterKeyFile(file);
  } catch (error) {
    throw new KeyRotationError('NEW_KEY_INVALID', `새 마스터 키 파일을 읽을 수 없습니다: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The data key under `oldKey` or `newKey`, or undefined if neither opens it. */
function unwrapEither(wrapped: string, oldKey: Buffer, newKey: Buffer): { dataKey: Buffer; under: 'old' | 'new' } | undefined {
  for (const [key, under] of [
    [newKey, 'new'],
    [oldKey, 'old'],
  ] as const) {
    try {
      return { dataKey: unwrapKey(wrapped, key), under };
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
    }
  }
  return undefined;
}

/** The data key wrapped by `newKey`, checked by unwrapping it again before anyone relies on it. */
function rewrapChecked(dataKey: Buffer, newKey: Buffer): string {
  const wrapped = wrapKey(dataKey, newKey);
  const back = unwrapKey(wrapped, newKey);
  try {
    if (!back.equals(dataKey)) throw new KeyRotationError('KEY_UNREADABLE', '다시 감싼 키를 풀어 보니 원래 키와 다릅니다');
  } finally {
    back.fill(0);
  }
  return wrapped;
}

type KeyHolder = ReturnType<typeof wrappedKeyEntities>[number];

/** The next page of live rows with a key, by id; a deleted recording has none, and is never touched. */
async function pageOfKeys(em: EntityManager, holder: KeyHolder, after: string | undefined, limit: number): Promise<KeyRow[]> {
  const where: Record<string, unknown> = { wrappedKey: { $ne: null } };
  if (holder.tombstones) where.deletedAt = null;
  if (after !== undefined) where.id = { $gt: after };
  const rows = (await em.find(holder.entity, where, {
    fields: ['id', 'wrappedKey'] as never,
    orderBy: { id: 'asc' } as never,
    limit,
  })) as unknown as KeyRow[];
  return rows.map((row) => ({ id: row.id, wrappedKey: row.wrappedKey }));
}

async function rewrapTable(
  orm: MikroORM,
  holder: KeyHolder,
  oldKey: Buffer,
  newKey: Buffer,
  batchSize: number,
  report: RotationReport,
  progress: (event: RotationEvent) => Promise<void>,
): Promise<void> {
  const { table } = holder;
  report.rewrapped[table] ??= 0;
  report.alreadyNew[table] ??= 0;
  let after: string | undefined;
  for (;;) {
    const em = orm.em.fork({ clear: true });
    const page = await pageOfKeys(em, holder, after, batchSize);
    if (page.length === 0) return;
    after = page[page.length - 1]!.id;
    const changes: { id: string; from: string; to: string }[] = [];
    for (const row of page) {
      const opened = unwrapEither(row.wrappedKey, oldKey, newKey);
      if (!opened) {
        throw new KeyRotationError(
          'KEY_UNREADABLE',
          `${table} ${row.id}: 이전 키로도 새 키로도 풀리지 않는 키입니다 (교체를 멈췄습니다; 키 파일은 그대로입니다)`,
        );
      }
      try {
        if (opened.under === 'new') report.alreadyNew[table] = (report.alreadyNew[table] ?? 0) + 1;
        else changes.push({ id: row.id, from: row.wrappedKey, to: rewrapChecked(opened.dataKey, newKey) });
      } finally {
        opened.dataKey.fill(0);
      }
    }
    if (changes.length === 0) continue;
    await orm.em.fork().transactional(async (tx) => {
      for (const change of changes) {
        // Conditional on the value read: a row changed meanwhile (a system left running) stops the rotation instead.
        const updated = await tx.nativeUpdate(holder.entity, { id: change.id, wrappedKey: change.from }, { wrappedKey: change.to });
        if (updated !== 1) {
          throw new KeyRotationError('CHANGED_DURING_ROTATION', `${table} ${change.id}: 교체 중에 키가 바뀌었습니다. 시스템을 모두 멈추고 다시 실행하십시오`);
        }
      }
    });
    report.rewrapped[table] = (report.rewrapped[table] ?? 0) + changes.length;
    await progress({ kind: 'rows', table, rewrapped: report.rewrapped[table] ?? 0 });
  }
}

/** Tombstoned recordings by id, among the given ids. */
async function deletedAmong(orm: MikroORM, ids: string[]): Promise<Set<string>> {
  const deleted = new Set<string>();
  for (let start = 0; start < ids.length; start += 500) {
    const rows = await orm.em.fork().find(Recording, { id: { $in: ids.slice(start, start + 500) }, deletedAt: { $ne: null } }, { fields: ['id'] });
    for (const row of rows) deleted.add(row.id);
  }
  return deleted;
}

async function rewrapFiles(
  options: RotationOptions,
  oldKey: Buffer,
  newKey: Buffer,
  report: RotationReport,
  progress: (event: RotationEvent) => Promise<void>,
): Promise<void> {
  const { files, leftovers } = await listRecordingFiles(options.dataDir);
  // Copies of an interrupted run: the originals beside them are whole (the rename is what would have replaced them).
  for (const leftover of leftovers) rmSync(leftover, { force: true });
  const deleted = await deletedAmong(
    options.orm,
    files.map((entry) => entry.recordingId),
  );
  for (const entry of files) {
    let outcome: FileOutcome;
    if (deleted.has(entry.recordingId)) {
      // Its deletion was decided and recorded; re-wrapping its header would outlive the old key. Finish the deletion.
      await destroyRecordingFile(entry.file);
      outcome = 'deleted-remnant-destroyed';
    } else {
      const underNew = await recordingFileKeyState(entry.file, newKey);
      if (underNew.state === 'torn') outcome = 'torn';
      else if (underNew.state === 'destroyed') outcome = 'destroyed-remnant';
      else if (underNew.state === 'opens') outcome = 'already';
      else {
        const underOld = await recordingFileKeyState(entry.file, oldKey);
        if (underOld.state !== 'opens' || underOld.recordingId !== entry.recordingId) {
          throw new KeyRotationError(
            'KEY_UNREADABLE',
            `녹취 파일 ${entry.file}: 이전 키로도 새 키로도 열리지 않습니다 (교체를 멈췄습니다; 키 파일은 그대로입니다)`,
          );
        }
        const dataKey = unwrapKey(underOld.wrappedKey, oldKey);
        try {
          await replaceRecordingFileKey(entry.file, entry.recordingId, rewrapChecked(dataKey, newKey));
        } finally {
          dataKey.fill(0);
        }
        outcome = 'rewrapped';
      }
    }
    report.files[outcome] += 1;
    await progress({ kind: 'file', file: entry.file, outcome });
  }
}

/** Every live wrapped key, read afresh, opened by the new key; the count. Anything else stops the swap. */
async function verifyAll(options: RotationOptions, newKey: Buffer): Promise<number> {
  let verified = 0;
  const refuse = (what: string) =>
    new KeyRotationError(
      'ROTATION_INCOMPLETE',
      `${what}: 새 키로 열리지 않습니다. 시스템이 교체 중에 실행되었을 수 있습니다 — 모두 멈추고 다시 실행하십시오 (키 파일은 그대로입니다)`,
    );
  for (const holder of wrappedKeyEntities(options.orm)) {
    const { table } = holder;
    let after: string | undefined;
    for (;;) {
      const page = await pageOfKeys(options.orm.em.fork({ clear: true }), holder, after, 1000);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      for (const row of page) {
        try {
          unwrapKey(row.wrappedKey, newKey).fill(0);
        } catch (error) {
          if (error instanceof DecryptionError) throw refuse(`${table} ${row.id}`);
          throw error;
        }
        verified += 1;
      }
    }
  }
  const { files } = await listRecordingFiles(options.dataDir);
  for (const entry of files) {
    const state = await recordingFileKeyState(entry.file, newKey);
    if (state.state === 'other-key') throw refuse(`녹취 파일 ${entry.file}`);
    if (state.state === 'opens') verified += 1;
  }
  return verified;
}

/** The rotation's audit entry, written once however often the last steps are repeated; its sequence number. */
async function auditOnce(orm: MikroORM, journal: Journal, report: RotationReport, operator: string): Promise<number> {
  // Looked up outside the append's transaction: an entry loaded into it would be flushed again (and refused by the
  // append-only trigger) if its hydrated date compared unequal. One rotation runs at a time, so nothing races it.
  const existing = await orm.em.fork().findOne(AuditEvent, { action: AUDIT_ACTION, targetId: journal.rotationId }, { fields: ['seq'] });
  if (existing) return existing.seq;
  return orm.em.fork().transactional(async (tx) => {
    const event = await appendAuditEvent(tx, {
      actor: 'system:key-rotation',
      role: 'system',
      sourceAddress: os.hostname(),
      action: AUDIT_ACTION,
      targetType: 'master_key',
      targetId: journal.rotationId,
      reason: '마스터 키 교체 (녹취·문서·첨부 키만 다시 감쌈, 오디오·문서 재암호화 없음)',
      detail: {
        operatingSystemUser: operator,
        startedAt: journal.startedAt,
        previousKeyFingerprint: journal.oldKeyFingerprint,
        newKeyFingerprint: journal.newKeyFingerprint,
        // Counts of this run and of runs before it that a crash interrupted: together, what the rotation touched.
        rewrapped: Object.fromEntries(Object.keys(report.rewrapped).map((table) => [table, (report.rewrapped[table] ?? 0) + (report.alreadyNew[table] ?? 0)])),
        recordingFiles: report.files,
        verifiedKeys: report.verifiedKeys,
        oldKeyKept: journal.keepOldKey,
      },
    });
    return event.seq;
  });
}

function retiredKeyFile(masterKeyFile: string, journal: Journal): string {
  // From the journal, so a rerun names the same file.
  return `${masterKeyFile}.retired-${journal.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * The new key becomes the key file by one rename. The old file's content is overwritten through a handle opened
 * before the rename (its name is already gone then), so the old key does not linger in that inode; on copy-on-write
 * filesystems and SSDs that is best effort, as is every overwrite.
 */
function swapKeyFile(masterKeyFile: string, nextKeyFile: string, journal: Journal, oldKey: Buffer): string | undefined {
  let retired: string | undefined;
  if (journal.keepOldKey) {
    retired = retiredKeyFile(masterKeyFile, journal);
    if (!existsSync(retired)) {
      const partial = `${retired}.partial`;
      rmSync(partial, { force: true });
      writeNewFileDurably(partial, `${oldKey.toString('base64')}\n`);
      renameSync(partial, retired);
    }
  }
  const oldHandle = openSync(masterKeyFile, 'r+');
  try {
    renameSync(nextKeyFile, masterKeyFile);
    syncPath(path.dirname(masterKeyFile));
    const size = fstatSync(oldHandle).size;
    writeSync(oldHandle, Buffer.alloc(Math.max(size, MASTER_KEY_BYTES * 2)), 0, Math.max(size, MASTER_KEY_BYTES * 2), 0);
    fsyncSync(oldHandle);
  } finally {
    closeSync(oldHandle);
  }
  return retired;
}

/** A new key file for `--new-key-file`, made apart from the rotation (e.g. on another machine): owner-only. */
export function writeNewKeyFile(file: string): string {
  const key = newDataKey();
  try {
    writeNewFileDurably(file, `${key.toString('base64')}\n`);
    return masterKeyFingerprint(key);
  } finally {
    key.fill(0);
  }
}
