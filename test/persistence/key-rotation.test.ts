/**
 * Master key rotation (ops/key-rotation.ts, `npm run rotate-master-key`) over a real database and a real capture
 * appliance's store: killed with SIGKILL at three points and run again, it ends with every recording, document and
 * attachment opening with the new key to the same bytes, nothing opening with the old key, the audio and document
 * ciphertext untouched, one audit entry and an intact chain, and the deleted recording still beyond recovery.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRecordingStore } from '../../capture/recording-store';
import { listRecordingFiles, recordingFileKeyState } from '../../capture/recording-files';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { newDataKey, unwrapKey } from '../../infra/crypto/envelope';
import { AuditEvent, Recording } from '../../infra/db/entities';
import { createDocumentStore } from '../../infra/documents/document-store';
import { loadLegalCalendar } from '../../infra/holidays';
import { wrappedKeyEntities } from '../../infra/db/wrapped-keys';
import { masterKeyFingerprint, MasterKeyError, readMasterKey, readMasterKeyFile, rotationFiles } from '../../infra/keys';
import { startTestAppliance, testAudio } from '../support/appliance';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { freePort } from '../support/ports';
import { fileHashes, populate, type StoredData } from '../support/stored-data';

const DIST = path.join(__dirname, '..', '..', 'dist');
const run = promisify(execFile);
/** Where a file's header keeps the wrapped key: magic (8), id length (2), id (36), key length (2); base64 of 60 bytes. */
const KEY_FIELD = { start: 48, end: 48 + 80 };

describe.each(availableDrivers())('master key rotation on %s', (driver) => {
  let db: TestDatabase;
  let dataDir: string;
  let masterKeyFile: string;
  let oldKey: Buffer;
  let data: StoredData;
  let partialId: string;
  let partialAudio: Buffer;
  /** The half-written call's writer, kept referenced so its file stays open (as a crash leaves it) until the end. */
  let _abandoned: unknown;
  let before: Map<string, string>;
  let ports: { api: number; control: number };

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'key-rotation-'));
    masterKeyFile = path.join(dataDir, 'keys', 'master.key');
    mkdirSync(path.dirname(masterKeyFile), { recursive: true, mode: 0o700 });
    oldKey = newDataKey();
    writeFileSync(masterKeyFile, `${oldKey.toString('base64')}\n`, { mode: 0o600 });
    ports = { api: await freePort(), control: await freePort() };

    const calendar = await loadLegalCalendar('Asia/Seoul');
    const capture = await startTestAppliance(db.orm, { dataDir, masterKey: Buffer.from(oldKey) });
    try {
      data = await populate(db.orm, capture, createDocumentStore({ dataDir, masterKey: oldKey }), calendar, oldKey);
    } finally {
      await capture.close();
    }
    // A call a crash left half-written: only its file header holds its key, until the appliance recovers it.
    partialId = '0b7d1f7e-3c1a-4c55-9a57-6f9e2d0c1a01';
    const writer = await createRecordingStore({ dataDir, masterKey: oldKey }).open({
      recordingId: partialId,
      codec: 'PCMA',
      startedAt: new Date(),
      metadata: { extension: '02-2680-1234' },
    });
    partialAudio = Buffer.concat(Array.from({ length: 100 }, (_, index) => interleave(testAudio('official', index), testAudio('other', index))));
    await writer.append(partialAudio.subarray(0, 16_000));
    await writer.append(partialAudio.subarray(16_000));
    await writer.flush();
    _abandoned = writer;
    before = fileHashes(dataDir);
  }, 300_000);

  afterAll(async () => {
    _abandoned = undefined;
    await db?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const databaseEnv = () => ({
    DB_DRIVER: db.settings.databaseDriver,
    DB_NAME: db.settings.databaseName,
    DB_HOST: db.settings.databaseHost || '127.0.0.1',
    DB_PORT: String(db.settings.databasePort),
    DB_USER: db.settings.databaseUser,
  });
  const cliEnv = () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...databaseEnv(),
      DATA_DIR: dataDir,
      API_PORT: String(ports.api),
      CAPTURE_CONTROL_PORT: String(ports.control),
    };
    delete env.MASTER_KEY_FILE;
    delete env.CAPTURE_CONTROL_URL;
    return env;
  };

  /** The rotation in a child process that kills itself at `killAt`. */
  async function rotateUntilKilled(killAt: string): Promise<void> {
    const child = spawn(process.execPath, [path.join(DIST, 'test', 'support', 'key-rotation-process.js')], {
      env: {
        ...process.env,
        DATABASE_SETTINGS: JSON.stringify(db.settings),
        DATA_DIR: dataDir,
        MASTER_KEY_FILE: masterKeyFile,
        KILL_AT: killAt,
        BATCH_SIZE: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect({ killAt, code, signal, stderr }).toEqual({ killAt, code: null, signal: 'SIGKILL', stderr: '' });
  }

  test('the tables holding wrapped keys are found from the entities', () => {
    expect(wrappedKeyEntities(db.orm).map((holder) => holder.table)).toEqual(expect.arrayContaining(['attachment', 'generated_document', 'recording']));
  });

  test('refused while the system answers on its ports, changing nothing', async () => {
    const server = net.createServer().listen(ports.control, '127.0.0.1');
    await once(server, 'listening');
    try {
      const result = await run(process.execPath, [path.join(DIST, 'ops', 'cli', 'rotate-master-key.js')], { env: cliEnv() }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('SYSTEM_RUNNING');
    } finally {
      server.close();
    }
    expect(fileHashes(dataDir)).toEqual(before);
  });

  test('killed in the database, in the files and after the audit entry, then run again: finished, nothing re-encrypted', async () => {
    await rotateUntilKilled('rows:recording:1');
    // Half the keys are new: nothing may start on either key until the rotation is finished.
    expect(() => readMasterKey(masterKeyFile)).toThrow(MasterKeyError);
    expect(() => readMasterKey(masterKeyFile)).toThrow(expect.objectContaining({ code: 'KEY_ROTATION_IN_PROGRESS' }));
    expect(readMasterKeyFile(masterKeyFile).equals(oldKey)).toBe(true);
    const newKey = readMasterKeyFile(rotationFiles(masterKeyFile).nextKey);
    expect(statSync(rotationFiles(masterKeyFile).nextKey).mode & 0o777).toBe(0o600);
    const rows = await db.orm.em.fork().find(Recording, { deletedAt: null }, { populate: ['wrappedKey'] });
    const underNew = rows.filter((row) => opens(row.wrappedKey as string, newKey));
    expect(underNew.length).toBeGreaterThan(0);
    expect(underNew.length).toBeLessThan(rows.length);

    await rotateUntilKilled('file:2');
    await rotateUntilKilled('audited');
    expect(readMasterKeyFile(masterKeyFile).equals(oldKey)).toBe(true);

    const { stdout } = await run(process.execPath, [path.join(DIST, 'ops', 'cli', 'rotate-master-key.js')], { env: cliEnv() });
    expect(stdout).toContain('끝나지 않은 교체');
    expect(stdout).toContain('마스터 키를 교체했습니다');
    expect(stdout).toContain(masterKeyFingerprint(newKey));

    // The key file is the new key, owner-only; the old key, the new key's staging file and the journal are gone.
    expect(readMasterKey(masterKeyFile).equals(newKey)).toBe(true);
    expect(statSync(masterKeyFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(masterKeyFile))).toEqual(['master.key']);

    await expectEverythingUnder(newKey, oldKey);

    // One audit entry, written once across four runs, with counts and fingerprints and no key.
    const entries = await db.orm.em.fork().find(AuditEvent, { action: 'master_key.rotated' });
    expect(entries).toHaveLength(1);
    const detail = JSON.parse(entries[0]!.detail) as Record<string, unknown>;
    expect(detail).toMatchObject({
      newKeyFingerprint: masterKeyFingerprint(newKey),
      previousKeyFingerprint: masterKeyFingerprint(oldKey),
      rewrapped: { recording: data.recordings.length, generated_document: 2, attachment: 1 },
      oldKeyKept: false,
    });
    for (const key of [newKey, oldKey]) {
      expect(entries[0]!.detail).not.toContain(key.toString('base64'));
      expect(entries[0]!.detail).not.toContain(key.toString('hex'));
    }
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: true });
  });

  test('rotated again with a key made ahead and the old key kept on request', async () => {
    const currentKey = readMasterKey(masterKeyFile);
    const made = path.join(mkdtempSync(path.join(os.tmpdir(), 'new-key-')), 'next.key');
    const cli = path.join(DIST, 'ops', 'cli', 'rotate-master-key.js');
    await run(process.execPath, [cli, '--generate-key', made], { env: cliEnv() });
    expect(statSync(made).mode & 0o777).toBe(0o600);
    const madeKey = readMasterKeyFile(made);
    const { stdout } = await run(process.execPath, [cli, '--new-key-file', made, '--keep-old-key'], { env: cliEnv() });
    expect(stdout).toContain('retired-');
    expect(readMasterKey(masterKeyFile).equals(madeKey)).toBe(true);
    const retired = readdirSync(path.dirname(masterKeyFile)).filter((name) => name.startsWith('master.key.retired-'));
    expect(retired).toHaveLength(1);
    const retiredFile = path.join(path.dirname(masterKeyFile), retired[0]!);
    expect(statSync(retiredFile).mode & 0o777).toBe(0o600);
    expect(readMasterKeyFile(retiredFile).equals(currentKey)).toBe(true);
    await expectEverythingUnder(madeKey, currentKey);
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'master_key.rotated' })).toBe(2);
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: true });
    rmSync(path.dirname(made), { recursive: true, force: true });
  });

  function opens(wrapped: string, key: Buffer): boolean {
    try {
      unwrapKey(wrapped, key).fill(0);
      return true;
    } catch {
      return false;
    }
  }

  async function expectEverythingUnder(newKey: Buffer, retiredKey: Buffer): Promise<void> {
    const em = db.orm.em.fork();
    const store = createRecordingStore({ dataDir, masterKey: newKey });
    const documents = createDocumentStore({ dataDir, masterKey: newKey });
    for (const original of data.recordings) {
      const row = await em.findOneOrFail(Recording, original.id, { populate: ['wrappedKey'] });
      expect(opens(row.wrappedKey as string, retiredKey)).toBe(false);
      const recording = await store.openRecording(original.storageKey, row.wrappedKey as string);
      expect((await recording.readWav()).equals(original.wav)).toBe(true);
      expect(recording.sha256).toBe(original.sha256);
    }
    for (const item of data.sealed) {
      const row = ((await em.getConnection().execute(`select wrapped_key from ${item.table} where id = ?`, [item.id])) as { wrapped_key: string }[])[0]!;
      expect(opens(row.wrapped_key, retiredKey)).toBe(false);
      expect(documents.get(item.id, row.wrapped_key).equals(item.content)).toBe(true);
    }

    // The ciphertext is what it was: document files identical, recording files identical but for the key field.
    const stored = (hashes: Map<string, string>) => [...hashes.keys()].filter((file) => !file.startsWith('keys/')).sort();
    const after = fileHashes(dataDir);
    expect(stored(after)).toEqual(stored(before));
    for (const file of stored(before)) {
      if (!/^recordings\/(partial|\d{4})\//.test(file)) expect({ file, hash: after.get(file) }).toEqual({ file, hash: before.get(file) });
    }
    const { files } = await listRecordingFiles(dataDir);
    expect(files.length).toBe(data.recordings.length + 1);
    for (const entry of files) {
      const now = readFileSync(entry.file);
      const relative = path.relative(dataDir, entry.file);
      expect({ relative, header: await recordingFileKeyState(entry.file, newKey) }).toMatchObject({ relative, header: { state: 'opens' } });
      expect({ relative, header: await recordingFileKeyState(entry.file, retiredKey) }).toMatchObject({ relative, header: { state: 'other-key' } });
      expect(now.length).toBe(originalSizes.get(relative));
      expect(now.subarray(0, KEY_FIELD.start).equals(originalBytes.get(relative)!.subarray(0, KEY_FIELD.start))).toBe(true);
      expect(now.subarray(KEY_FIELD.end).equals(originalBytes.get(relative)!.subarray(KEY_FIELD.end))).toBe(true);
    }

    // The deleted recording: no key in its row, no file, and a stale copy of its file opens with neither key on disk.
    const tombstone = await em.findOneOrFail(Recording, data.deleted.id, { populate: ['wrappedKey'] });
    expect(tombstone.wrappedKey ?? null).toBeNull();
    expect(files.some((entry) => entry.recordingId === data.deleted.id)).toBe(false);
    const stale = path.join(mkdtempSync(path.join(os.tmpdir(), 'stale-')), 'stale.rec');
    writeFileSync(stale, data.deleted.staleFile);
    expect((await recordingFileKeyState(stale, newKey)).state).toBe('other-key');
    rmSync(path.dirname(stale), { recursive: true, force: true });

    // The half-written call is recovered by an appliance store on the new key, with every flushed second.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'recover-'));
    try {
      await run('cp', ['-a', path.join(dataDir, 'recordings'), copy]);
      const [report] = await createRecordingStore({ dataDir: copy, masterKey: newKey }).recoverUnfinished();
      expect(report).toMatchObject({ outcome: 'recovered', recordingId: partialId });
      const wav = await (
        await createRecordingStore({ dataDir: copy, masterKey: newKey }).openRecording(
          (report as { storageKey: string }).storageKey,
          (report as { wrappedKey: string }).wrappedKey,
        )
      ).readWav();
      expect(wav.subarray(wav.length - partialAudio.length).equals(partialAudio)).toBe(true);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }

  /** Bytes and sizes of the recording files before any rotation (filled lazily from `before`'s first look). */
  const originalBytes = new Map<string, Buffer>();
  const originalSizes = new Map<string, number>();
  beforeAll(async () => {
    for (const entry of (await listRecordingFiles(dataDir)).files) {
      const bytes = readFileSync(entry.file);
      originalBytes.set(path.relative(dataDir, entry.file), bytes);
      originalSizes.set(path.relative(dataDir, entry.file), bytes.length);
    }
    expect(existsSync(rotationFiles(masterKeyFile).journal)).toBe(false);
  });
});

function interleave(left: Uint8Array, right: Uint8Array): Buffer {
  const out = Buffer.alloc(left.length * 2);
  for (let index = 0; index < left.length; index += 1) {
    out[index * 2] = left[index] as number;
    out[index * 2 + 1] = right[index] as number;
  }
  return out;
}
