/**
 * The party's own export (R5) as the appliance makes it, checked with tools that are not ours: 7-Zip opens the ZIP
 * only with the password and reports the entry as AES-256; the WAV inside is 16-bit PCM stereo 8 kHz that ffprobe
 * reads, sample for sample the stored G.711 decoded (by our tables and by ffmpeg's decoder). Nothing plain is
 * written to the appliance's disk, and refusals change nothing. On SQLite and PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeSample } from '../../capture/g711';
import { readWav } from '../../capture/wav';
import { Department, Extension, Recording } from '../../infra/db/entities';
import { testGrant } from '../support/grants';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestAppliance, type TestAppliance } from '../support/appliance';
import { filesUnder } from '../support/files';
import { type Codec } from '../../domain/recording';

const toolsFound = spawnSync('7z', ['i']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
if (!toolsFound && (process.env.REQUIRE_ALL_SUITES || process.env.CI)) {
  throw new Error('7z or ffprobe is not on PATH: the party export suite cannot run (Debian packages p7zip-full, ffmpeg)');
}
const describeWithTools = toolsFound ? describe : describe.skip;

const EXTENSION = '02-2680-4321';
const PASSWORD = 'Gm-export 2026!';

function run(command: string, args: string[], cwd?: string) {
  const result = spawnSync(command, args, { cwd, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout.toString('latin1'), stderr: result.stderr.toString() };
}

describeWithTools.each(availableDrivers())('party export from the appliance on %s', (driver) => {
  let db: TestDatabase;
  let capture: TestAppliance;
  let work: string;
  const recordings = new Map<Codec, Recording>();

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    work = mkdtempSync(path.join(os.tmpdir(), 'party-export-'));
    const em = db.orm.em.fork();
    const welfare = new Department(`W-${driver}`, '복지정책과', 'department');
    em.persist([welfare, new Extension(EXTENSION, welfare)]);
    await em.flush();
    capture = await startTestAppliance(db.orm);
    recordings.set('PCMU', await capture.record({ callId: `export-pcmu-${driver}`, extension: EXTENSION, codec: 'PCMU' }));
    recordings.set('PCMA', await capture.record({ callId: `export-pcma-${driver}`, extension: EXTENSION, codec: 'PCMA', durationMs: 800 }));
  });

  afterAll(async () => {
    await capture?.close();
    await db?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The stored recording as the appliance keeps it: stereo G.711 WAV, verified against its trailer. */
  const storedWav = async (recording: Recording) =>
    (await capture.appliance.store.openRecording(recording.storageKey as string, recording.wrappedKey as string)).readWav();

  test.each(['PCMU', 'PCMA'] as const)('a %s call: 7-Zip opens it with the password; the WAV is the call as 16-bit PCM stereo 8 kHz', async (codec) => {
    const recording = recordings.get(codec) as Recording;
    const before = filesUnder(capture.dataDir);
    const zip = await capture.clients.api.exportRecording(recording.id, PASSWORD, testGrant('party-export', [recording.id]));
    // Built in memory: the appliance's disk holds exactly what it held before.
    expect(filesUnder(capture.dataDir)).toEqual(before);

    const folder = path.join(work, codec);
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'export.zip'), zip);
    const listing = run('7z', ['l', '-slt', 'export.zip'], folder);
    expect(listing.status).toBe(0);
    const entries = listing.stdout.split(/\r?\n\r?\n/).filter((block) => /^Path = .+\.wav$/m.test(block));
    expect(entries).toHaveLength(1);
    const entry = entries[0] as string;
    expect(entry).toMatch(/^Encrypted = \+$/m);
    expect(entry).toMatch(/^Method = AES-256\b/m);
    // Seoul time of the call's start, then the extension: ASCII only.
    const wavName = (/^Path = (.+)$/m.exec(entry) as RegExpExecArray)[1] as string;
    expect(wavName).toMatch(new RegExp(`^recording_\\d{8}-\\d{6}_${EXTENSION}\\.wav$`));

    const out = path.join(folder, 'out');
    expect(run('7z', ['x', `-p${PASSWORD}`, `-o${out}`, 'export.zip'], folder).status).toBe(0);
    expect([...filesUnder(out).keys()]).toEqual([wavName]);
    const extracted = readFileSync(path.join(out, wavName));

    const stored = await storedWav(recording);
    const g711 = readWav(stored);
    const pcm = readWav(extracted);
    expect(pcm).toMatchObject({ encoding: 'PCM16', channels: 2, sampleRate: 8000, bitsPerSample: 16, sampleFrames: g711.sampleFrames });
    const decoded = Buffer.alloc(g711.dataLength * 2);
    for (let index = 0; index < g711.dataLength; index++) {
      decoded.writeInt16LE(decodeSample(codec, stored[g711.dataOffset + index] as number), index * 2);
    }
    expect(extracted.subarray(pcm.dataOffset).equals(decoded)).toBe(true);

    // ffmpeg's own G.711 decoder agrees with every sample.
    writeFileSync(path.join(folder, 'stored.wav'), stored);
    const ffmpeg = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', 'stored.wav', '-f', 's16le', '-'], {
      cwd: folder,
      maxBuffer: 1 << 26,
    });
    expect(ffmpeg.status).toBe(0);
    expect(ffmpeg.stdout.equals(decoded)).toBe(true);

    const probe = run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path.join(out, wavName)]);
    expect(probe.status).toBe(0);
    const { streams, format } = JSON.parse(probe.stdout) as { streams: Record<string, unknown>[]; format: { duration: string } };
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({ codec_name: 'pcm_s16le', channels: 2, sample_rate: '8000', bits_per_sample: 16 });
    expect(Math.abs(Number(format.duration) * 1000 - (recording.durationMs as number))).toBeLessThanOrEqual(1);
  });

  test('a wrong password opens nothing, and nothing of the audio is in the archive in clear', async () => {
    const recording = recordings.get('PCMU') as Recording;
    const zip = await capture.clients.api.exportRecording(recording.id, PASSWORD, testGrant('party-export', [recording.id]));
    const folder = path.join(work, 'wrong');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'export.zip'), zip);
    const out = path.join(folder, 'out');
    const attempt = run('7z', ['x', '-y', '-pnot-the-password', `-o${out}`, 'export.zip'], folder);
    expect(attempt.status).not.toBe(0);
    expect(attempt.stdout + attempt.stderr).toMatch(/Wrong password/i);
    // 7-Zip may leave the name it was about to write, but not one byte of audio.
    expect([...filesUnder(out).values()].every((size) => size === 0)).toBe(true);

    const stored = await storedWav(recording);
    const { dataOffset } = readWav(stored);
    expect(zip.includes(Buffer.from('WAVE', 'ascii'))).toBe(false);
    expect(zip.includes(stored.subarray(dataOffset, dataOffset + 64))).toBe(false);
    // AE-2: the local header's CRC-32 of the content is zero, so a guess at the audio cannot be checked against it.
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.readUInt32LE(14)).toBe(0);
    // Sealed afresh each time (new salt): two exports of one call share no ciphertext.
    const again = await capture.clients.api.exportRecording(recording.id, PASSWORD, testGrant('party-export', [recording.id]));
    expect(again.subarray(100, 164).equals(zip.subarray(100, 164))).toBe(false);
  });

  test('refusals: unknown and deleted recordings, bad passwords, no token; nothing changes', async () => {
    const recording = recordings.get('PCMA') as Recording;
    const before = filesUnder(capture.dataDir);
    await expect(
      capture.clients.api.exportRecording(
        '00000000-0000-4000-8000-000000000000',
        PASSWORD,
        testGrant('party-export', ['00000000-0000-4000-8000-000000000000']),
      ),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    for (const password of ['short1!', 'x'.repeat(129), '한글이 들어간 비밀번호 2026!', 'tab\there-2026!']) {
      await expect(capture.clients.api.exportRecording(recording.id, password, testGrant('party-export', [recording.id]))).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        status: 400,
      });
    }
    const url = `http://127.0.0.1:${capture.appliance.controlPort}/recordings/${recording.id}/export`;
    const anonymous = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/json/);
    expect(filesUnder(capture.dataDir)).toEqual(before);

    // The file destroyed (due date passed) but the row not yet marked: already gone.
    const em = db.orm.em.fork();
    const row = await em.findOneOrFail(Recording, recording.id);
    row.retentionDueAt = new Date(Date.now() - 1000);
    await em.flush();
    await capture.clients.worker.destroyRecording(recording.id);
    await expect(capture.clients.api.exportRecording(recording.id, PASSWORD, testGrant('party-export', [recording.id]))).rejects.toMatchObject({
      code: 'DELETED',
      status: 410,
      message: expect.stringContaining('삭제'),
    });
    // Then the row marked as the retention activity does.
    row.deletedAt = new Date();
    row.storageKey = undefined;
    await em.flush();
    await expect(capture.clients.api.exportRecording(recording.id, PASSWORD, testGrant('party-export', [recording.id]))).rejects.toMatchObject({
      code: 'DELETED',
      status: 410,
    });
  });
});
