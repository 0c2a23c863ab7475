/**
 * Audio for Art. 9 viewing (열람) as the appliance answers it, from calls ffmpeg pushed: the one unsealed release of
 * audio (R6), so each property is checked against something that is not the route's own code. The WAV is byte for
 * byte the WAV inside the party export of the same call (opened by 7-Zip), ffprobe reads it as 16-bit PCM stereo
 * 8 kHz, and ffmpeg decodes it to the same samples as the stored G.711; the answer is marked not to be cached or
 * saved and names the stored audio's hash; every answer is audited (committed before the answer arrives) with the
 * 관리번호, the API client as the actor and the official it names. Unknown, deleted and corrupt recordings, bad bodies, bad tokens and other clients are refused, and
 * release nothing. On SQLite and PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureControlClient } from '../../capture/control-client';
import { readWav } from '../../capture/wav';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { AuditEvent, Recording } from '../../infra/db/entities';
import { playForViewing, testGrant } from '../support/grants';
import { seedFullRecordingExtension, startTestAppliance, type TestAppliance } from '../support/appliance';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { filesUnder } from '../support/files';

const toolsFound = ['7z', 'ffmpeg', 'ffprobe'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
if (!toolsFound && (process.env.REQUIRE_ALL_SUITES || process.env.CI)) {
  throw new Error('7z, ffmpeg or ffprobe is not on PATH: the viewing audio suite cannot run (Debian packages p7zip-full, ffmpeg)');
}
const describeWithTools = toolsFound ? describe : describe.skip;

const EXTENSION = '02-2680-7070';
const PASSWORD = 'Viewing-check 2026';
const ACTION = 'recording.viewing_audio_released';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

function run(command: string, args: string[], cwd?: string) {
  const result = spawnSync(command, args, { cwd, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

describeWithTools.each(availableDrivers())('viewing audio from the appliance on %s', (driver) => {
  let db: TestDatabase;
  let capture: TestAppliance;
  let work: string;
  let recording: Recording;
  const managementNumber = driver === 'sqlite' ? '2026-0031' : '2026-0032';
  const onBehalfOf = 'kim.operator';

  const released = () => db.orm.em.fork().count(AuditEvent, { action: ACTION });
  /** With a viewing grant for the recording and the suite's 관리번호 unless the test says otherwise. */
  const post = (recordingId: string, body: unknown, options: { token?: string | null; type?: string } = {}) =>
    fetch(`${capture.controlUrl}/recordings/${recordingId}/viewing`, {
      method: 'POST',
      headers: {
        ...(options.token === null ? {} : { Authorization: `Bearer ${options.token ?? capture.tokens.api}` }),
        'Content-Type': options.type ?? 'application/json',
        'X-Grant': testGrant('viewing', [recordingId], { managementNumber }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const push = async (callId: string) => {
    const pushed = await capture.pushWithFfmpeg({ callId, extension: EXTENSION, notice: 'announcement:played' });
    if (!pushed) throw new Error(`ffmpeg call ${callId} was not recorded`);
    return db.orm.em.fork().findOneOrFail(Recording, pushed.id, { populate: ['wrappedKey'] });
  };

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    work = mkdtempSync(path.join(os.tmpdir(), 'viewing-audio-'));
    await seedFullRecordingExtension(db.orm, { code: `V-${driver}`, name: '토지정보과' }, EXTENSION);
    capture = await startTestAppliance(db.orm);
    recording = await push(`viewing-${driver}`);
  }, 60_000);

  afterAll(async () => {
    await capture?.close();
    await db?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("the WAV is the party export's WAV of the call byte for byte, 16-bit PCM stereo 8 kHz to ffprobe, the stored samples to ffmpeg", async () => {
    const before = filesUnder(capture.dataDir);
    const audio = await playForViewing(capture.clients.api, recording.id, { managementNumber, onBehalfOf });
    // Converted in memory: the appliance's disk holds what it held before, no plain WAV left behind.
    expect(filesUnder(capture.dataDir)).toEqual(before);
    expect(audio.sha256).toBe(recording.sha256);

    const folder = path.join(work, 'compare');
    mkdirSync(folder);
    writeFileSync(
      path.join(folder, 'export.zip'),
      await capture.clients.api.exportRecording(recording.id, PASSWORD, testGrant('party-export', [recording.id])),
    );
    expect(run('7z', ['x', `-p${PASSWORD}`, '-oexport', 'export.zip'], folder).status).toBe(0);
    const [exported] = [...filesUnder(path.join(folder, 'export')).keys()];
    expect(audio.wav.equals(readFileSync(path.join(folder, 'export', exported as string)))).toBe(true);

    writeFileSync(path.join(folder, 'viewing.wav'), audio.wav);
    const probe = run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', 'viewing.wav'], folder);
    expect(probe.status).toBe(0);
    const { streams, format } = JSON.parse(probe.stdout.toString('utf8')) as { streams: Record<string, unknown>[]; format: { duration: string } };
    expect(streams).toEqual([expect.objectContaining({ codec_name: 'pcm_s16le', channels: 2, sample_rate: '8000', bits_per_sample: 16 })]);
    expect(Math.abs(Number(format.duration) * 1000 - (recording.durationMs as number))).toBeLessThanOrEqual(1);
    expect(readWav(audio.wav)).toMatchObject({ encoding: 'PCM16', channels: 2, sampleRate: 8000 });

    // ffmpeg's own G.711 decoder, on the stored audio, gives exactly the samples the WAV holds.
    const stored = await capture.appliance.store.openRecording(recording.storageKey as string, recording.wrappedKey as string);
    writeFileSync(path.join(folder, 'stored.wav'), await stored.readWav());
    const samples = (file: string) => run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-f', 's16le', '-'], folder);
    const [fromStored, fromViewing] = [samples('stored.wav'), samples('viewing.wav')];
    expect([fromStored.status, fromViewing.status]).toEqual([0, 0]);
    expect(fromStored.stdout.length).toBeGreaterThan(8000 * 2 * 2 * 0.9);
    expect(fromViewing.stdout.equals(fromStored.stdout)).toBe(true);
  });

  test("answered as audio/wav, inline, no-store, with the stored audio's SHA-256; audited once per answer before it arrives", async () => {
    const em = db.orm.em.fork();
    const countBefore = await released();
    for (const attempt of [1, 2]) {
      const response = await post(recording.id, { managementNumber, onBehalfOf: `${onBehalfOf}.${attempt}` });
      // The headers are here, the body not yet read: the entry is already committed.
      const [entry] = await em.fork().find(AuditEvent, { action: ACTION }, { orderBy: { seq: 'desc' }, limit: 1 });
      expect(JSON.parse((entry as AuditEvent).detail)).toMatchObject({ onBehalfOf: `${onBehalfOf}.${attempt}` });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('audio/wav');
      expect(response.headers.get('content-disposition')).toBe('inline');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-stored-audio-sha256')).toBe(recording.sha256);
      const body = Buffer.from(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(body.length);
      expect(body.subarray(0, 4).toString('latin1')).toBe('RIFF');
    }
    expect(await released()).toBe(countBefore + 2);

    const entries = await em.find(AuditEvent, { action: ACTION, targetId: recording.id }, { orderBy: { seq: 'asc' } });
    expect(entries.length).toBeGreaterThanOrEqual(3);
    for (const entry of entries) {
      // The actor is the client whose token asked, from where; the official it names is only its word.
      expect(entry).toMatchObject({
        actor: 'capture-client:api',
        role: 'system',
        sourceAddress: '127.0.0.1',
        targetType: 'recording',
        targetId: recording.id,
        reason: `녹취정보 열람 ${managementNumber}`,
      });
      // The case and the hash: nothing of the audio, and no password (the route takes none, none is written).
      // And the grant it was released against: which one, and the user it names.
      expect(JSON.parse(entry.detail)).toEqual({
        managementNumber,
        storedAudioSha256: recording.sha256,
        onBehalfOf: expect.stringMatching(/^kim\.operator(\.\d)?$/),
        grantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        grantSubject: 'lee.operator',
        grantCase: { type: 'test', id: 'test-case', managementNumber },
      });
      expect(`${entry.detail}${entry.reason}`).not.toMatch(/RIFF|WAVE|password|비밀번호/i);
    }
    expect(await verifyAuditChain(em.fork())).toMatchObject({ ok: true });
  });

  test('unknown, deleted and corrupt recordings are refused with their codes, and not audited', async () => {
    const countBefore = await released();
    const request = { managementNumber, onBehalfOf };
    await expect(playForViewing(capture.clients.api, UNKNOWN, request)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });

    // The stored file is not the audio the database's hash was fixed for: not played.
    const em = db.orm.em.fork();
    const row = await em.findOneOrFail(Recording, recording.id);
    const hash = row.sha256;
    row.sha256 = '0'.repeat(64);
    await em.flush();
    try {
      await expect(playForViewing(capture.clients.api, recording.id, request)).rejects.toMatchObject({
        code: 'CORRUPT',
        status: 500,
        message: expect.stringContaining('해시'),
      });
    } finally {
      row.sha256 = hash;
      await em.flush();
    }
    // One bit of the encrypted file flipped: its chunk no longer authenticates.
    const file = path.join(capture.dataDir, 'recordings', ...(recording.storageKey as string).split('/'));
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    const at = Math.floor(damaged.length / 2);
    damaged[at] = (damaged[at] as number) ^ 0x01;
    writeFileSync(file, damaged);
    try {
      await expect(playForViewing(capture.clients.api, recording.id, request)).rejects.toMatchObject({ code: 'CORRUPT', status: 500 });
    } finally {
      writeFileSync(file, original);
    }
    await expect(playForViewing(capture.clients.api, recording.id, request)).resolves.toMatchObject({ sha256: recording.sha256 });
    const afterGood = await released();
    expect(afterGood).toBe(countBefore + 1);

    // Deleted as the retention run deletes: the file first, then the row.
    const doomed = await push(`viewing-${driver}-doomed`);
    const doomedRow = await em.findOneOrFail(Recording, doomed.id);
    doomedRow.retentionDueAt = new Date(Date.now() - 1000);
    await em.flush();
    await capture.clients.worker.destroyRecording(doomed.id);
    await expect(playForViewing(capture.clients.api, doomed.id, request)).rejects.toMatchObject({
      code: 'DELETED',
      status: 410,
      message: expect.stringContaining('삭제'),
    });
    doomedRow.deletedAt = new Date();
    doomedRow.storageKey = undefined;
    await em.flush();
    await expect(playForViewing(capture.clients.api, doomed.id, request)).rejects.toMatchObject({ code: 'DELETED', status: 410 });
    expect(await released()).toBe(afterGood);
  });

  test("bad bodies, a bad path, the wrong content type, missing or wrong tokens and other clients' tokens are refused as JSON, and release nothing", async () => {
    const countBefore = await released();
    const valid = { managementNumber, onBehalfOf };
    const bad: unknown[] = [
      {},
      { onBehalfOf },
      // Naming the actor is not the client's to do.
      { managementNumber, actor: onBehalfOf },
      { ...valid, actor: onBehalfOf },
      { managementNumber },
      { ...valid, managementNumber: '26-0001' },
      { ...valid, managementNumber: '2026-00001' },
      { ...valid, managementNumber: 20260001 },
      { ...valid, onBehalfOf: '' },
      { ...valid, onBehalfOf: 'kim operator' },
      { ...valid, onBehalfOf: '김담당' },
      { ...valid, onBehalfOf: 'a'.repeat(129) },
      { ...valid, password: PASSWORD },
      { ...valid, recordingIds: [recording.id] },
      [valid],
      'not json',
    ];
    for (const body of bad) {
      const response = await post(recording.id, body);
      expect([response.status, response.headers.get('content-type'), ((await response.json()) as { error: { code: string } }).error.code]).toEqual([
        400,
        'application/json; charset=utf-8',
        'INVALID_INPUT',
      ]);
    }
    const refusals: [Promise<Response>, number, string][] = [
      [post('not-a-recording-id', valid), 400, 'INVALID_INPUT'],
      [post(recording.id, valid, { type: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [post(recording.id, valid, { token: null }), 401, 'UNAUTHORIZED'],
      [post(recording.id, valid, { token: 'wrong' }), 401, 'UNAUTHORIZED'],
      // The worker and the PBX integration never play audio, whatever they send.
      [post(recording.id, valid, { token: capture.tokens.worker }), 403, 'CLIENT_NOT_ALLOWED'],
      [post(recording.id, valid, { token: capture.tokens.pbx }), 403, 'CLIENT_NOT_ALLOWED'],
      [
        fetch(`${capture.controlUrl}/recordings/${recording.id}/viewing`, { headers: { Authorization: `Bearer ${capture.tokens.api}` } }),
        405,
        'METHOD_NOT_ALLOWED',
      ],
    ];
    for (const [pending, status, code] of refusals) {
      const response = await pending;
      expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
    }
    const stranger = new CaptureControlClient({ baseUrl: capture.controlUrl, token: 'not-the-token' });
    await expect(playForViewing(stranger, recording.id, valid)).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(await released()).toBe(countBefore);
  });
});
