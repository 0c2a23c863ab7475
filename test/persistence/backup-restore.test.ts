/**
 * Backup and restore (`npm run backup`, `npm run restore`, ops/backup.ts) over a real database and a real, running
 * capture appliance: the compiled commands back up the data and, separately, the keys; a changed byte is refused; the
 * backup restores into an empty data folder and an empty database with every recording, document, attachment, open
 * case and audit entry intact (the chain verifies), and the recording deleted before the backup is still gone: no file,
 * no key, not even in the database file's free pages. The backup is on the retention clock (its manifest and the
 * system's record name when the last recording in it falls due), and a restore made once its recordings have fallen
 * due deletes them again before anything is served, keeping the held one (issue 19).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { createRecordingStore } from '../../capture/recording-store';
import { listRecordingFiles } from '../../capture/recording-files';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { newDataKey } from '../../infra/crypto/envelope';
import { AuditEvent, BackupRecord, FullRecordingApplication, Recording, RecordingHold } from '../../infra/db/entities';
import { initOrm } from '../../infra/db/orm';
import { createDocumentStore } from '../../infra/documents/document-store';
import { loadLegalCalendar } from '../../infra/holidays';
import { readMasterKey } from '../../infra/keys';
import { loadSettings } from '../../infra/settings';
import { restore } from '../../ops/restore';
import { startTestAppliance } from '../support/appliance';
import { availableDrivers, createTestDatabase, emptyDatabase, type TestDatabase } from '../support/databases';
import { opsCommand, systemEnv } from '../support/ops-commands';
import { fileHashes, populate, type StoredData } from '../support/stored-data';

const GRANT_KEYS = generateKeyPairSync('ed25519');
/**
 * The control API's clients' token files and the grant key pair under `<DATA_DIR>/keys/` (issue 18), each backed up
 * and restored.
 */
const TOKEN_FILES = [
  { name: 'capture-control-api.token', content: () => `${randomBytes(32).toString('base64url')}\n` },
  { name: 'capture-control-worker.token', content: () => `${randomBytes(32).toString('base64url')}\n` },
  { name: 'capture-control-pbx.token', content: () => `${randomBytes(32).toString('base64url')}\n` },
  { name: 'grant-signing.pem', content: () => GRANT_KEYS.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  { name: 'grant-public.pem', content: () => GRANT_KEYS.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
];

async function tableCounts(orm: MikroORM): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    if (meta.abstract || meta.embeddable || !meta.tableName) continue;
    const rows = (await orm.em.fork().getConnection().execute(`select count(*) as n from ${meta.tableName}`)) as { n: number | string }[];
    counts[meta.tableName] = Number(rows[0]?.n);
  }
  return counts;
}

describe.each(availableDrivers())('backup and restore on %s', (driver) => {
  let db: TestDatabase;
  const folders: string[] = [];
  const folder = (prefix: string) => {
    const created = mkdtempSync(path.join(os.tmpdir(), prefix));
    folders.push(created);
    return created;
  };
  afterAll(async () => {
    await db?.dispose();
    for (const created of folders) rmSync(created, { recursive: true, force: true });
  });

  test('backed up while running, keys apart, a changed byte refused, restored into an empty folder intact', async () => {
    db = await createTestDatabase(driver);
    const dataDir = folder('backup-source-');
    const masterKey = newDataKey();
    mkdirSync(path.join(dataDir, 'keys'), { mode: 0o700 });
    writeFileSync(path.join(dataDir, 'keys', 'master.key'), `${masterKey.toString('base64')}\n`, { mode: 0o600 });
    for (const { name, content } of TOKEN_FILES) writeFileSync(path.join(dataDir, 'keys', name), content(), { mode: 0o600 });
    const capture = await startTestAppliance(db.orm, { dataDir, masterKey: Buffer.from(masterKey) });
    let data: StoredData;
    let counts: Record<string, number>;
    let hashes: string[];
    const backupDir = path.join(folder('backup-data-'), 'backup');
    const keysDir = path.join(folder('backup-keys-'), 'keys');
    try {
      data = await populate(db.orm, capture, createDocumentStore({ dataDir, masterKey }), await loadLegalCalendar('Asia/Seoul'), masterKey);
      // One recording held (a disclosure case, say): a restore made after the others fall due keeps it.
      const holds = db.orm.em.fork();
      holds.persist(new RecordingHold(holds.getReference(Recording, data.recordings[0]!.id), '열람·제공 신청 2026-0001', 'lee.operator'));
      await holds.flush();

      // Keys next to the data are refused before anything is written.
      const beside = await opsCommand('backup', [backupDir, '--keys', path.join(backupDir, 'keys')], systemEnv(dataDir, db.settings));
      expect(beside).toMatchObject({ code: 1 });
      expect(beside.stderr).toContain('BACKUP_KEYS_BESIDE_DATA');
      expect(existsSync(backupDir)).toBe(false);

      // The appliance keeps running (its database connections open, SQLite in WAL mode) while the backup is taken.
      const taken = await opsCommand('backup', [backupDir, '--keys', keysDir], systemEnv(dataDir, db.settings));
      expect(taken).toMatchObject({ code: 0, stderr: '' });
      expect(taken.stdout).toContain('백업을 마쳤습니다');
      expect(taken.stdout).toContain('다른 매체·장소');
      counts = await tableCounts(db.orm);
      hashes = (await db.orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } })).map((event) => event.hash);
      expect(await db.orm.em.fork().count(AuditEvent, { action: 'backup.created' })).toBe(1);
      // On the retention clock: due when the last recording it holds is (issue 19), in its manifest and in the system.
      const liveDue = await db.orm.em.fork().find(Recording, { deletedAt: null }, { orderBy: { retentionDueAt: 'desc' }, limit: 1 });
      const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as { backupId: string; latestDueAt: string };
      expect(manifest.latestDueAt).toBe(liveDue[0]!.retentionDueAt.toISOString());
      expect(await db.orm.em.fork().findOneOrFail(BackupRecord, manifest.backupId)).toMatchObject({
        location: backupDir,
        latestDueAt: new Date(manifest.latestDueAt),
        destroyedAt: null,
      });
    } finally {
      await capture.close();
    }

    // The data backup holds no key; the key backup holds the keys, owner-only.
    const backupFiles = [...fileHashes(backupDir).keys()];
    expect(backupFiles.some((file) => file.includes('key'))).toBe(false);
    for (const file of backupFiles) {
      const bytes = readFileSync(path.join(backupDir, file));
      expect({ file, hasMasterKey: bytes.includes(masterKey.toString('base64')) }).toEqual({ file, hasMasterKey: false });
      // Nor any trace of the deleted recording's key: not in a file, not in the database file's free pages.
      expect({ file, hasDeletedKey: bytes.includes(data.deleted.wrappedKey) }).toEqual({ file, hasDeletedKey: false });
      expect(file).not.toContain(data.deleted.id);
      expect(statSync(path.join(backupDir, file)).mode & 0o777).toBe(0o600);
    }
    expect(readdirSync(keysDir).sort()).toEqual([...TOKEN_FILES.map((file) => file.name), 'keys-manifest.json', 'master.key'].sort());
    expect(statSync(path.join(keysDir, 'master.key')).mode & 0o777).toBe(0o600);

    // One byte changed in a copy of the backup: refused whole, nothing written.
    const tampered = path.join(folder('backup-tampered-'), 'backup');
    cpSync(backupDir, tampered, { recursive: true });
    const victim = path.join(tampered, [...fileHashes(tampered).keys()].find((file) => file.endsWith('.rec')) as string);
    const bytes = readFileSync(victim);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 1;
    writeFileSync(victim, bytes);
    const refusedDir = folder('restore-refused-');
    const refusedDb = await emptyDatabase(driver, refusedDir);
    try {
      const refused = await opsCommand('restore', [tampered, '--keys', keysDir], systemEnv(refusedDir, refusedDb.settings));
      expect(refused).toMatchObject({ code: 1 });
      expect(refused.stderr).toContain('BACKUP_CORRUPT');
      expect(refused.stderr).toContain('변조 또는 손상');
      expect(readdirSync(refusedDir)).toEqual([]);
    } finally {
      await refusedDb.dispose();
    }

    // Restored into an empty data folder and an empty database.
    const restoredDir = folder('restore-target-');
    const target = await emptyDatabase(driver, restoredDir);
    try {
      const restored = await opsCommand('restore', [backupDir, '--keys', keysDir], systemEnv(restoredDir, target.settings));
      expect(restored).toMatchObject({ code: 0, stderr: '' });
      expect(restored.stdout).toContain('감사 기록 무결성 확인');
      // Restoring again over what is now there is refused.
      expect((await opsCommand('restore', [backupDir, '--keys', keysDir], systemEnv(restoredDir, target.settings))).stderr).toContain(
        'RESTORE_TARGET_NOT_EMPTY',
      );

      const orm = await initOrm(target.settings);
      try {
        // Every row of every table, every audit entry as it was (plus the restore's own, and the backup put on the
        // clock again: the snapshot predates its record), and the chain verifies. Nothing had fallen due.
        expect(await tableCounts(orm)).toEqual({ ...counts, audit_event: counts.audit_event! + 2 });
        const events = await orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } });
        expect(events.slice(0, hashes.length).map((event) => event.hash)).toEqual(hashes);
        expect(events.slice(hashes.length).map((event) => event.action)).toEqual(['backup.restored', 'backup.registered']);
        expect(await orm.em.fork().count(BackupRecord, { location: backupDir, destroyedAt: null })).toBe(1);
        expect(await verifyAuditChain(orm.em)).toMatchObject({ ok: true, entries: hashes.length + 2 });

        const restoredKey = readMasterKey(path.join(restoredDir, 'keys', 'master.key'));
        expect(restoredKey.equals(masterKey)).toBe(true);
        // Each control client's token back in its own file, and the grant keys: the API, the worker, the PBX and the
        // appliance go on as they were.
        for (const { name } of TOKEN_FILES) {
          expect({ name, same: readFileSync(path.join(restoredDir, 'keys', name)).equals(readFileSync(path.join(dataDir, 'keys', name))) }).toEqual({
            name,
            same: true,
          });
        }
        const store = createRecordingStore({ dataDir: restoredDir, masterKey: restoredKey });
        for (const original of data.recordings) {
          const row = await orm.em.fork().findOneOrFail(Recording, original.id, { populate: ['wrappedKey'] });
          expect((await (await store.openRecording(original.storageKey, row.wrappedKey as string)).readWav()).equals(original.wav)).toBe(true);
        }
        const documents = createDocumentStore({ dataDir: restoredDir, masterKey: restoredKey });
        for (const item of data.sealed) {
          const row = (
            (await orm.em.getConnection().execute(`select wrapped_key from ${item.table} where id = ?`, [item.id])) as { wrapped_key: string }[]
          )[0]!;
          expect(documents.get(item.id, row.wrapped_key).equals(item.content)).toBe(true);
        }
        expect(await orm.em.fork().findOneOrFail(FullRecordingApplication, data.applicationId)).toMatchObject({ status: 'under_review' });

        // The recording deleted before the backup: a tombstone without key, and no file of it anywhere.
        const tombstone = await orm.em.fork().findOneOrFail(Recording, data.deleted.id, { populate: ['wrappedKey'] });
        expect(tombstone.deletedAt).toBeInstanceOf(Date);
        expect(tombstone.wrappedKey ?? null).toBeNull();
        expect((await listRecordingFiles(restoredDir)).files.map((file) => file.recordingId)).not.toContain(data.deleted.id);
        expect((await listRecordingFiles(restoredDir)).files).toHaveLength(data.recordings.length);
      } finally {
        await orm.close(true);
      }
    } finally {
      await target.dispose();
    }

    // Restored once every recording in it has fallen due: before anything is served, each is deleted again as retention
    // deletes (file destroyed, key and personal fields cleared, audited), all but the held one.
    const laterDir = folder('restore-later-');
    const later = await emptyDatabase(driver, laterDir);
    try {
      const report = await restore({
        settings: loadSettings(systemEnv(laterDir, later.settings)),
        source: backupDir,
        keysSource: keysDir,
        now: new Date(Date.now() + 60 * 86_400_000),
      });
      expect(report).toMatchObject({ deletionsReapplied: data.recordings.length - 1, auditChain: { ok: true } });
      const orm = await initOrm(later.settings);
      try {
        const [held, ...due] = data.recordings;
        const rows = await orm.em.fork().find(Recording, { id: { $in: data.recordings.map((item) => item.id) } }, { populate: ['wrappedKey'] });
        const byId = new Map(rows.map((row) => [row.id, row]));
        expect(byId.get(held!.id)).toMatchObject({ deletedAt: null, storageKey: held!.storageKey });
        expect(byId.get(held!.id)!.wrappedKey).toEqual(expect.any(String));
        for (const item of due) {
          expect(byId.get(item.id)).toMatchObject({
            deletedAt: expect.any(Date),
            wrappedKey: null,
            storageKey: null,
            otherPartyNumber: null,
            endedAt: null,
            durationMs: null,
          });
        }
        // Files are named by the store's id: the held recording's is the one left.
        expect((await listRecordingFiles(laterDir)).files.map((file) => path.relative(path.join(laterDir, 'recordings'), file.file))).toEqual([
          held!.storageKey,
        ]);
        const deletions = await orm.em.fork().find(AuditEvent, { action: 'recording.deleted', actor: 'system:backup' });
        expect(deletions.map((event) => event.targetId).sort()).toEqual(due.map((item) => item.id).sort());
        expect(JSON.parse(deletions[0]!.detail)).toMatchObject({ reappliedAfterRestoreOf: report.backupId });
      } finally {
        await orm.close(true);
      }
    } finally {
      await later.dispose();
    }
  }, 300_000);
});
