/**
 * The encrypted recording store: what goes in comes out as a WAV that ffmpeg reads, with its hash; tampering,
 * truncation and wrong keys are refused; a capture process killed with SIGKILL mid-call loses at most the last
 * second, and a disk error reaches the caller.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Codec } from '../../domain/recording';
import { DecryptionError, unwrapKey } from '../../infra/crypto/envelope';
import { g711ToPcm16le } from '../../capture/g711';
import {
  CHUNK_AUDIO_BYTES,
  createRecordingStore,
  RecordingCorruptError,
  RecordingNotFoundError,
  RecordingOverrunError,
  type FinishedRecording,
  type RecordingStore,
  type RecoveryReport,
} from '../../capture/recording-store';
import { readWav, wavHeader } from '../../capture/wav';

const STORE_MODULE = path.resolve(__dirname, '..', '..', 'capture', 'recording-store.ts');
/** 20 ms of stereo 8 kHz G.711: what the receiver hands over per RTP packet pair. */
const FRAME_BYTES = 320;

/**
 * The audio both this test and the child process write: position-dependent (so a moved, lost or repeated chunk
 * shows) and covering all 256 codes every 256 bytes. JavaScript source, so the child runs the very same function.
 */
const PATTERN_SOURCE = 'function pattern(position, seed) { return (position ^ (position >>> 8) ^ (position >>> 16) ^ seed) & 0xff; }';
// eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- the very source the child process runs
const pattern = new Function(`${PATTERN_SOURCE}; return pattern;`)() as (position: number, seed: number) => number;
const audio = (length: number, seed: number) => Buffer.from(Array.from({ length }, (_, position) => pattern(position, seed)));

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.source;
const STORAGE_KEY = new RegExp(`^\\d{4}/\\d{2}/\\d{2}/${UUID}\\.rec$`);

let dataDir: string;
let masterKey: Buffer;
let store: RecordingStore;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'recording-store-'));
  masterKey = randomBytes(32);
  store = createRecordingStore({ dataDir, masterKey });
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const fileOf = (storageKey: string) => path.join(dataDir, 'recordings', ...storageKey.split('/'));
const partialOf = (recordingId: string) => path.join(dataDir, 'recordings', 'partial', `${recordingId}.partial`);
const journalOf = (recordingId: string) => path.join(dataDir, 'recordings', 'unacknowledged', recordingId);
const openHandlesTo = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === realpathSync(file);
    } catch {
      return false;
    }
  });

/** Frames of a recording file, found by the documented format rather than by the store's own code. */
function framesOf(file: Buffer): { kind: number; start: number; end: number }[] {
  let offset = 8;
  offset += 2 + file.readUInt16BE(offset);
  offset += 2 + file.readUInt16BE(offset);
  offset += 4 + file.readUInt32BE(offset);
  const frames = [];
  while (offset + 5 <= file.length) {
    const end = offset + 5 + file.readUInt32BE(offset + 1);
    frames.push({ kind: file.readUInt8(offset), start: offset, end });
    offset = end;
  }
  return frames;
}

async function record(codec: Codec, data: Buffer) {
  const recordingId = randomUUID();
  const writer = await store.open({ recordingId, codec, startedAt: new Date(), metadata: { callId: `call-${recordingId}` } });
  for (let offset = 0; offset < data.length; offset += FRAME_BYTES) await writer.append(data.subarray(offset, offset + FRAME_BYTES));
  return { recordingId, finished: await writer.finish() };
}

describe('round trip', () => {
  const data = audio(3.5 * CHUNK_AUDIO_BYTES, 1);
  let recordingId: string;
  let finished: FinishedRecording;

  beforeAll(async () => {
    recordingId = randomUUID();
    const writer = await store.open({
      recordingId,
      codec: 'PCMU',
      startedAt: new Date('2026-11-27T23:59:59.500Z'),
      metadata: { callId: 'pbx-7781', extension: '2231', otherPartyNumber: '010-2345-6789', noticeGiven: true },
    });
    expect(writer.storageKey).toBe(`2026/11/27/${recordingId}.rec`);
    for (let offset = 0; offset < data.length; offset += FRAME_BYTES) {
      await writer.append(data.subarray(offset, offset + FRAME_BYTES));
      // A flush part-way (after 1.2 s) makes one short chunk, as the control API's record-button stop would.
      if (offset + FRAME_BYTES === 1.2 * CHUNK_AUDIO_BYTES) await writer.flush();
    }
    finished = await writer.finish();
    expect(finished.wrappedKey).toBe(writer.wrappedKey);
  });

  test('the decrypted recording is the WAV header and the audio written; hash, duration and size agree', async () => {
    const wav = Buffer.concat([wavHeader({ encoding: 'PCMU', channels: 2, sampleRate: 8000 }, data.length), data]);
    expect(finished).toEqual({
      storageKey: `2026/11/27/${recordingId}.rec`,
      wrappedKey: expect.any(String),
      sha256: createHash('sha256').update(wav).digest('hex'),
      durationMs: 3500,
      sizeBytes: wav.length,
      sampleFrames: 28000,
    });
    const recording = await store.openRecording(finished.storageKey, finished.wrappedKey);
    expect(recording).toMatchObject({
      recordingId,
      codec: 'PCMU',
      startedAt: new Date('2026-11-27T23:59:59.500Z'),
      metadata: { callId: 'pbx-7781', extension: '2231', otherPartyNumber: '010-2345-6789', noticeGiven: true },
      sha256: finished.sha256,
      durationMs: 3500,
      sizeBytes: wav.length,
      recovered: false,
    });
    expect((await recording.readWav()).equals(wav)).toBe(true);
    expect(readWav(wav)).toMatchObject({ encoding: 'PCMU', channels: 2, sampleRate: 8000, sampleFrames: 28000 });
    // Streamed: the header first, then one part per chunk (0.2 s flushed early, full seconds, then the rest).
    const parts: number[] = [];
    for await (const part of recording.wav()) parts.push(part.length);
    expect(parts).toEqual([58, 16000, 3200, 16000, 16000, 4800]);
  });

  test('on disk: owner-only, no .partial left, the wrapped key the only key material, nothing in clear', () => {
    const file = readFileSync(fileOf(finished.storageKey));
    expect(statSync(fileOf(finished.storageKey)).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.join(dataDir, 'recordings', 'partial'))).not.toContain(`${recordingId}.partial`);
    expect(file.includes(unwrapKey(finished.wrappedKey, masterKey))).toBe(false);
    expect(file.includes(masterKey)).toBe(false);
    expect(file.includes(Buffer.from(finished.wrappedKey))).toBe(true);
    expect(file.includes(data.subarray(20_000, 20_032))).toBe(false);
    expect(file.includes(Buffer.from('010-2345-6789'))).toBe(false);
    expect(file.includes(Buffer.from('pbx-7781'))).toBe(false);
  });

  test('the layout is the documented one: header, audio frames of at most one second, a trailer last', () => {
    const frames = framesOf(readFileSync(fileOf(finished.storageKey)));
    expect(frames.map((frame) => frame.kind)).toEqual([1, 1, 1, 1, 1, 2]);
    // Plaintext per frame: the sealed length minus envelope.seal's iv and tag.
    expect(frames.map((frame) => frame.end - frame.start - 5 - 28)).toEqual([16000, 3200, 16000, 16000, 4800, 45]);
  });
});

describe('writer', () => {
  test('appends, flushes and the finish issued without waiting keep their call order', async () => {
    const recordingId = randomUUID();
    const writer = await store.open({ recordingId, codec: 'PCMA', startedAt: new Date(), metadata: {} });
    const data = audio(50_000, 2);
    const cuts = [0, 320, 7000, 15_998, 16_002, 30_000, 31_000, 47_000, 50_000];
    const pending: Promise<unknown>[] = [];
    cuts.slice(1).forEach((cut, index) => {
      pending.push(writer.append(data.subarray(cuts[index], cut)));
      if (index % 3 === 1) pending.push(writer.flush());
    });
    const finishing = writer.finish();
    await Promise.all(pending);
    const finished = await finishing;
    const wav = await (await store.openRecording(finished.storageKey, finished.wrappedKey)).readWav();
    expect(wav.subarray(58).equals(data)).toBe(true);
  });

  test('the bytes are copied: the caller may reuse its buffer at once', async () => {
    const recordingId = randomUUID();
    const writer = await store.open({ recordingId, codec: 'PCMU', startedAt: new Date(), metadata: {} });
    const reused = Buffer.alloc(FRAME_BYTES);
    const appends = [0x11, 0x22, 0x33].map((value) => writer.append(reused.fill(value)));
    await Promise.all(appends);
    const finished = await writer.finish();
    const wav = await (await store.openRecording(finished.storageKey, finished.wrappedKey)).readWav();
    expect([wav[58], wav[58 + 320], wav[58 + 640]]).toEqual([0x11, 0x22, 0x33]);
  });

  test('memory is bounded: past four seconds waiting, append refuses instead of queueing', async () => {
    const writer = await store.open({ recordingId: randomUUID(), codec: 'PCMU', startedAt: new Date(), metadata: {} });
    const second = audio(CHUNK_AUDIO_BYTES, 3);
    const accepted = [1, 2, 3, 4].map(() => writer.append(second));
    await expect(writer.append(second)).rejects.toBeInstanceOf(RecordingOverrunError);
    await Promise.all(accepted);
    expect((await writer.finish()).durationMs).toBe(4000);
  });

  test('half frames, more than a second at once, and use after finish are refused', async () => {
    const writer = await store.open({ recordingId: randomUUID(), codec: 'PCMU', startedAt: new Date(), metadata: {} });
    await expect(writer.append(Buffer.alloc(3))).rejects.toThrow(RangeError);
    await expect(writer.append(Buffer.alloc(CHUNK_AUDIO_BYTES + 2))).rejects.toThrow(RangeError);
    const empty = await writer.finish();
    expect(empty).toMatchObject({ durationMs: 0, sizeBytes: 58, sampleFrames: 0 });
    await expect(writer.append(Buffer.alloc(2))).rejects.toThrow(/finished/);
    await expect(writer.finish()).rejects.toThrow(/finished/);
    expect((await (await store.openRecording(empty.storageKey, empty.wrappedKey)).readWav()).length).toBe(58);
  });

  test('recovery leaves the files of recordings still being written alone', async () => {
    const writer = await store.open({ recordingId: randomUUID(), codec: 'PCMA', startedAt: new Date(), metadata: {} });
    await writer.append(audio(CHUNK_AUDIO_BYTES, 9));
    await writer.flush();
    await expect(store.recoverUnfinished()).resolves.toEqual([]);
    expect((await writer.finish()).durationMs).toBe(1000);
  });

  test('ids that are not ours are refused before touching the disk', async () => {
    await expect(store.open({ recordingId: '../../etc/passwd', codec: 'PCMU', startedAt: new Date(), metadata: {} })).rejects.toThrow(/invalid recording id/);
    await expect(store.openRecording('../../../etc/passwd', 'x')).rejects.toThrow(/invalid storage key/);
    await expect(store.destroy('2026/11/27/../../x.rec')).rejects.toThrow(/invalid storage key/);
  });
});

describe('tampering and truncation', () => {
  let finished: FinishedRecording;
  let original: Buffer;
  let frames: { kind: number; start: number; end: number }[];
  const file = () => fileOf(finished.storageKey);
  const readBack = async () => (await store.openRecording(finished.storageKey, finished.wrappedKey)).readWav();

  beforeAll(async () => {
    ({ finished } = await record('PCMU', audio(4 * CHUNK_AUDIO_BYTES, 4)));
    original = readFileSync(file());
    frames = framesOf(original);
    expect(frames.map((frame) => frame.kind)).toEqual([1, 1, 1, 1, 2]);
  });
  afterEach(() => writeFileSync(file(), original));

  const frame = (index: number) => frames[index] as { start: number; end: number };
  const middle = () => frame(2);

  test('one flipped bit in the middle chunk', async () => {
    const damaged = Buffer.from(original);
    const at = middle().start + 5 + 28 + 8000;
    damaged[at] = (damaged[at] as number) ^ 0x01;
    writeFileSync(file(), damaged);
    await expect(readBack()).rejects.toThrow(RecordingCorruptError);
    await expect(readBack()).rejects.toThrow(/audio:2 fails authentication/);
  });

  test('two chunks swapped', async () => {
    const [one, two] = [frame(1), frame(2)];
    const swapped = Buffer.concat([
      original.subarray(0, one.start),
      original.subarray(two.start, two.end),
      original.subarray(one.start, one.end),
      original.subarray(two.end),
    ]);
    writeFileSync(file(), swapped);
    await expect(readBack()).rejects.toThrow(/audio:1 fails authentication/);
  });

  test('a chunk dropped from the middle, trailer kept', async () => {
    writeFileSync(file(), Buffer.concat([original.subarray(0, middle().start), original.subarray(middle().end)]));
    await expect(readBack()).rejects.toThrow(RecordingCorruptError);
  });

  test('cut at a chunk boundary in the middle, so no trailer', async () => {
    truncateSync(file(), middle().end);
    await expect(store.openRecording(finished.storageKey, finished.wrappedKey)).rejects.toThrow(/no trailer/);
  });

  test('anything after the trailer, or a trailer altered', async () => {
    writeFileSync(file(), Buffer.concat([original, Buffer.alloc(1)]));
    await expect(store.openRecording(finished.storageKey, finished.wrappedKey)).rejects.toThrow(RecordingCorruptError);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0x80;
    writeFileSync(file(), damaged);
    await expect(store.openRecording(finished.storageKey, finished.wrappedKey)).rejects.toThrow(/no trailer/);
  });

  test('the file of another recording put in its place', async () => {
    const other = await record('PCMU', audio(CHUNK_AUDIO_BYTES, 5));
    copyFileSync(fileOf(other.finished.storageKey), file());
    await expect(store.openRecording(finished.storageKey, finished.wrappedKey)).rejects.toThrow(/another recording/);
  });

  test('the untouched file still reads', async () => {
    expect(
      createHash('sha256')
        .update(await readBack())
        .digest('hex'),
    ).toBe(finished.sha256);
  });
});

describe('keys and deletion', () => {
  test('without its own key (destroyed in the database) a recording cannot be read', async () => {
    const { finished } = await record('PCMA', audio(CHUNK_AUDIO_BYTES, 6));
    const other = await record('PCMA', audio(CHUNK_AUDIO_BYTES, 7));
    // The header's own copy of the key is never a fallback: the caller's key is the one that counts.
    await expect(store.openRecording(finished.storageKey, other.finished.wrappedKey)).rejects.toThrow(DecryptionError);
    await expect(store.openRecording(finished.storageKey, '')).rejects.toThrow(DecryptionError);
    const otherMaster = createRecordingStore({ dataDir, masterKey: randomBytes(32) });
    await expect(otherMaster.openRecording(finished.storageKey, finished.wrappedKey)).rejects.toThrow(DecryptionError);
  });

  test('destroy removes the file, and again is harmless', async () => {
    const { finished } = await record('PCMU', audio(CHUNK_AUDIO_BYTES, 8));
    await store.destroy(finished.storageKey);
    expect(existsSync(fileOf(finished.storageKey))).toBe(false);
    await expect(store.openRecording(finished.storageKey, finished.wrappedKey)).rejects.toThrow(RecordingNotFoundError);
    await expect(store.destroy(finished.storageKey)).resolves.toBeUndefined();
    await expect(store.destroy(`1999/01/01/${randomUUID()}.rec`)).resolves.toBeUndefined();
  });

  test('a master key that no longer opens the recording when its audio is read leaves no file open', async () => {
    const retired = Buffer.from(masterKey);
    const { finished } = await record('PCMU', audio(CHUNK_AUDIO_BYTES, 16));
    const recording = await createRecordingStore({ dataDir, masterKey: retired }).openRecording(finished.storageKey, finished.wrappedKey);
    retired.fill(0);
    await expect(recording.readWav()).rejects.toThrow(DecryptionError);
    expect(openHandlesTo(fileOf(finished.storageKey))).toEqual([]);
  });

  test("destroy overwrites the header's wrapped key before it unlinks, so the freed blocks hold no key", async () => {
    const { finished } = await record('PCMA', audio(CHUNK_AUDIO_BYTES, 9));
    // A second name for the same inode shows what the disk blocks held once the recording's name was gone.
    const witness = path.join(dataDir, 'witness');
    linkSync(fileOf(finished.storageKey), witness);
    expect(readFileSync(witness).includes(Buffer.from(finished.wrappedKey, 'ascii'))).toBe(true);
    await store.destroy(finished.storageKey);
    const left = readFileSync(witness);
    rmSync(witness);
    expect(left.includes(Buffer.from(finished.wrappedKey, 'ascii'))).toBe(false);
    expect(left.subarray(0, 8).equals(Buffer.alloc(8))).toBe(true);
  });
});

/**
 * A capture process of its own: it loads the store's TypeScript through the project's compiler (no ts-node here,
 * and dist/ may be stale), records calls and reports on stdout. `crash` writes in real time, 20 ms per frame, and
 * prints how much it had appended after each frame; `fill` appends flat out until the disk refuses.
 */
const CHILD_SOURCE = `
const fs = require('node:fs');
const ts = require(${JSON.stringify(require.resolve('typescript'))});
require.extensions['.ts'] = (module, filename) => {
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  module._compile(ts.transpileModule(fs.readFileSync(filename, 'utf8'), { fileName: filename, compilerOptions }).outputText, filename);
};
const { createRecordingStore } = require(${JSON.stringify(STORE_MODULE)});
${PATTERN_SOURCE}
const FRAME = ${FRAME_BYTES};
const frameOf = (seed, index) => Buffer.from(Array.from({ length: FRAME }, (_, i) => pattern(index * FRAME + i, seed)));
const [mode, dataDir, masterKey, ...calls] = process.argv.slice(2);

async function main() {
  const store = createRecordingStore({ dataDir, masterKey: Buffer.from(masterKey, 'base64') });
  const writers = [];
  for (const call of calls) {
    const [recordingId, codec, seed] = call.split(':');
    writers.push({ seed: Number(seed), writer: await store.open({ recordingId, codec, startedAt: new Date(), metadata: { seed } }) });
  }
  if (mode === 'crash') {
    const started = Date.now();
    for (let frames = 0; ; ) {
      for (const due = Math.floor((Date.now() - started) / 20) + 1; frames < due; frames += 1) {
        await Promise.all(writers.map(({ writer, seed }) => writer.append(frameOf(seed, frames))));
        fs.writeSync(1, 'appended ' + (frames + 1) * FRAME + '\\n');
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const [{ writer, seed }] = writers;
  let appended = 0;
  let appendError;
  try {
    for (; appended < 10 * 16000; appended += FRAME) await writer.append(frameOf(seed, appended / FRAME));
  } catch (error) {
    appendError = error.code;
  }
  const flushError = await writer.flush().then(() => undefined, (error) => error.code);
  const finishError = await writer.finish().then(() => undefined, (error) => error.code);
  fs.writeSync(1, JSON.stringify({ appended, appendError, flushError, finishError }) + '\\n');
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

interface ChildRun {
  output: string;
  errors: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** Runs the child; `killWhen` sees its output so far and says when to SIGKILL it. */
function runChild(command: string[], killWhen: (output: string) => boolean = () => false): Promise<ChildRun> {
  const [executable, ...args] = command as [string, ...string[]];
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (child.exitCode === null && child.signalCode === null && killWhen(output)) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  // 'close' comes after stdout has been read to its end: every line written before the kill is in `output`.
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timeout);
      resolve({ output, errors, signal, code });
    }),
  );
}

const lastAppended = (output: string) => Number([...output.matchAll(/appended (\d+)/g)].at(-1)?.[1] ?? 0);

describe('crash safety', () => {
  const childScript = () => path.join(dataDir, 'capture-child.js');
  /** Kill after 3.4 s of audio: three chunks sealed, 0.4 s still in the chunk buffer. */
  const KILL_AFTER_BYTES = 3.4 * CHUNK_AUDIO_BYTES;
  const killed = { id: randomUUID(), codec: 'PCMU' as Codec, seed: 11 };
  const torn = { id: randomUUID(), codec: 'PCMA' as Codec, seed: 12 };
  let appendedAtKill: number;
  let tornFrames: { kind: number; start: number; end: number }[];
  let reports: RecoveryReport[];
  const reportOf = (recordingId: string) => reports.find((report) => report.recordingId === recordingId);

  beforeAll(async () => {
    writeFileSync(childScript(), CHILD_SOURCE);
    const run = await runChild(
      [
        process.execPath,
        childScript(),
        'crash',
        dataDir,
        masterKey.toString('base64'),
        ...[killed, torn].map((call) => `${call.id}:${call.codec}:${call.seed}`),
      ],
      (output) => lastAppended(output) >= KILL_AFTER_BYTES,
    );
    expect({ signal: run.signal, errors: run.errors }).toEqual({ signal: 'SIGKILL', errors: '' });
    appendedAtKill = lastAppended(run.output);
    // The second call's file is then torn in the middle of its last chunk, as a power cut mid-write would.
    const tornFile = readFileSync(partialOf(torn.id));
    tornFrames = framesOf(tornFile).filter((frame) => frame.end <= tornFile.length);
    const last = tornFrames.at(-1) as { start: number; end: number };
    truncateSync(partialOf(torn.id), last.start + Math.floor((last.end - last.start) / 2));
    reports = await store.recoverUnfinished();
  }, 60_000);

  test('a call killed with SIGKILL is finalised with all it had flushed: a prefix missing at most the last second', async () => {
    const report = reportOf(killed.id);
    expect(report).toMatchObject({ outcome: 'recovered', codec: 'PCMU', metadata: { seed: '11' }, storageKey: expect.stringMatching(STORAGE_KEY) });
    if (report?.outcome !== 'recovered') throw new Error('not recovered');
    const recording = await store.openRecording(report.storageKey, report.wrappedKey);
    expect(recording.recovered).toBe(true);
    const wav = await recording.readWav();
    const data = wav.subarray(readWav(wav).dataOffset);
    expect(data.length).toBeLessThanOrEqual(appendedAtKill + FRAME_BYTES);
    expect(data.length).toBeGreaterThanOrEqual(appendedAtKill - CHUNK_AUDIO_BYTES);
    expect(data.equals(audio(data.length, killed.seed))).toBe(true);
    expect(report.sha256).toBe(createHash('sha256').update(wav).digest('hex'));
    expect(report.durationMs).toBe((data.length / 2 / 8000) * 1000);
    expect(report.sizeBytes).toBe(wav.length);
  });

  test('a torn last chunk is dropped, not decrypted as garbage; the chunks before it are kept', async () => {
    const report = reportOf(torn.id);
    if (report?.outcome !== 'recovered') throw new Error(`not recovered: ${JSON.stringify(report)}`);
    const keptChunks = tornFrames.length - 1;
    const last = tornFrames.at(-1) as { start: number; end: number };
    expect(report.droppedBytes).toBe(Math.floor((last.end - last.start) / 2));
    expect(report.durationMs).toBe(keptChunks * 1000);
    const wav = await (await store.openRecording(report.storageKey, report.wrappedKey)).readWav();
    expect(wav.subarray(58).equals(audio(keptChunks * CHUNK_AUDIO_BYTES, torn.seed))).toBe(true);
  });

  test('recovered recordings stay unacknowledged, described by their headers, until the caller registers them', async () => {
    const { found: pending, failed } = await store.unacknowledged();
    expect(failed).toEqual([]);
    for (const call of [killed, torn]) {
      const report = reportOf(call.id);
      expect(pending.find((entry) => entry.recordingId === call.id)).toEqual({ ...report, droppedBytes: 0 });
      await store.acknowledge(call.id);
    }
    const after = (await store.unacknowledged()).found.map((entry) => entry.recordingId);
    expect(after).not.toContain(killed.id);
    expect(after).not.toContain(torn.id);
  });

  test('a finished recording is unacknowledged while it is recorded only once finished, and a destroyed one drops out', async () => {
    const recordingId = randomUUID();
    const writer = await store.open({ recordingId, codec: 'PCMU', startedAt: new Date(), metadata: { callId: 'c' } });
    await writer.append(audio(CHUNK_AUDIO_BYTES, 14));
    expect((await store.unacknowledged()).found.map((entry) => entry.recordingId)).not.toContain(recordingId);
    const finished = await writer.finish();
    expect((await store.unacknowledged()).found).toContainEqual(
      expect.objectContaining({ outcome: 'completed', recordingId, sha256: finished.sha256, storageKey: finished.storageKey, metadata: { callId: 'c' } }),
    );
    await store.destroy(finished.storageKey);
    expect((await store.unacknowledged()).found.map((entry) => entry.recordingId)).not.toContain(recordingId);
    expect(existsSync(path.join(dataDir, 'recordings', 'unacknowledged', recordingId))).toBe(false);
  });

  test('a journal a power cut left empty or torn still leads to its recording; one without a recording is dropped', async () => {
    const { recordingId, finished } = await record('PCMA', audio(CHUNK_AUDIO_BYTES, 17));
    expect(readFileSync(journalOf(recordingId), 'utf8')).toBe(finished.storageKey);
    expect(statSync(journalOf(recordingId)).mode & 0o777).toBe(0o600);
    for (const journal of ['', finished.storageKey.slice(0, 13)]) {
      writeFileSync(journalOf(recordingId), journal);
      const { found, failed } = await store.unacknowledged();
      expect(failed).toEqual([]);
      expect(found).toContainEqual(expect.objectContaining({ outcome: 'completed', recordingId, storageKey: finished.storageKey, sha256: finished.sha256 }));
    }
    await store.acknowledge(recordingId);
    const orphan = randomUUID();
    writeFileSync(journalOf(orphan), '');
    const { found, failed } = await store.unacknowledged();
    expect([...found, ...failed].map((entry) => entry.recordingId)).not.toContain(orphan);
    expect(existsSync(journalOf(orphan))).toBe(false);
  });

  test('nothing is left unfinished, and recovering again finds nothing', async () => {
    expect(readdirSync(path.join(dataDir, 'recordings', 'partial'))).toEqual([]);
    await expect(store.recoverUnfinished()).resolves.toEqual([]);
  });

  test('a crash between the trailer and the rename: the recording is completed as it was finished', async () => {
    const { recordingId, finished } = await record('PCMA', audio(2 * CHUNK_AUDIO_BYTES, 13));
    copyFileSync(fileOf(finished.storageKey), partialOf(recordingId));
    rmSync(fileOf(finished.storageKey));
    expect(await store.recoverUnfinished()).toEqual([
      expect.objectContaining({ outcome: 'completed', recordingId, sha256: finished.sha256, durationMs: 2000, droppedBytes: 0 }),
    ]);
    expect((await store.openRecording(finished.storageKey, finished.wrappedKey)).recovered).toBe(false);
  });

  test('a crash while the header was written: nothing was recorded, the file is discarded', async () => {
    const recordingId = randomUUID();
    writeFileSync(partialOf(recordingId), Buffer.from('TELREC\x00\x01\x00\x24', 'latin1'));
    expect(await store.recoverUnfinished()).toEqual([expect.objectContaining({ outcome: 'discarded', recordingId })]);
    expect(existsSync(partialOf(recordingId))).toBe(false);
  });

  test('a master key that does not open a file leaves it untouched for a person to look at', async () => {
    const recordingId = randomUUID();
    const writer = await createRecordingStore({ dataDir, masterKey: randomBytes(32) }).open({
      recordingId,
      codec: 'PCMU',
      startedAt: new Date(),
      metadata: {},
    });
    await writer.append(audio(CHUNK_AUDIO_BYTES, 14));
    await writer.flush();
    const before = readFileSync(partialOf(recordingId));
    const [report] = await store.recoverUnfinished();
    expect(report).toMatchObject({ outcome: 'failed', recordingId, error: expect.any(DecryptionError) });
    expect(readFileSync(partialOf(recordingId)).equals(before)).toBe(true);
    await writer.finish();
  });

  test('a disk error reaches the caller (append, flush and finish reject with it); what was written recovers', async () => {
    const recordingId = randomUUID();
    // The file size limit (64 KiB) makes the fifth chunk's write short and the next one fail with EFBIG.
    const run = await runChild([
      'bash',
      '-c',
      'ulimit -f 64 && exec "$@"',
      'bash',
      process.execPath,
      childScript(),
      'fill',
      dataDir,
      masterKey.toString('base64'),
      `${recordingId}:PCMU:15`,
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: '' });
    expect(JSON.parse(run.output)).toEqual({ appended: expect.any(Number), appendError: 'EFBIG', flushError: 'EFBIG', finishError: 'EFBIG' });
    expect(statSync(partialOf(recordingId)).size).toBe(64 * 1024);
    const [report] = await store.recoverUnfinished();
    expect(report).toMatchObject({ outcome: 'recovered', recordingId, durationMs: 4000 });
    if (report?.outcome !== 'recovered') throw new Error('not recovered');
    const wav = await (await store.openRecording(report.storageKey, report.wrappedKey)).readWav();
    expect(wav.subarray(58).equals(audio(4 * CHUNK_AUDIO_BYTES, 15))).toBe(true);
  });
});

/**
 * A real tool is the referee of the WAV: ffprobe reads the format, ffmpeg decodes G.711 the way we do. `npm test`
 * (REQUIRE_ALL_SUITES, CI) fails when they are missing; elsewhere the suite says it is skipped.
 */
describe('ffmpeg reads what the store gives out', () => {
  const available = ['ffprobe', 'ffmpeg'].every((tool) => spawnSync(tool, ['-version']).status === 0);
  const required = Boolean(process.env.REQUIRE_ALL_SUITES || process.env.CI);
  const toolTest = available || required ? test : test.skip;
  if (!available && !required) console.warn('ffprobe/ffmpeg not installed (Debian package ffmpeg): the WAV interoperability tests are skipped');

  const probe = (file: string) => {
    if (!available) throw new Error('ffprobe and ffmpeg are required (Debian package ffmpeg; infra/scripts/provision.sh test installs it)');
    const run = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    return (JSON.parse(run.stdout) as { streams: Record<string, unknown>[] }).streams;
  };
  const decodeWithFfmpeg = (file: string) =>
    spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-acodec', 'pcm_s16le', '-'], { maxBuffer: 64 * 1024 * 1024 }).stdout;

  toolTest.each<[Codec, string]>([
    ['PCMU', 'pcm_mulaw'],
    ['PCMA', 'pcm_alaw'],
  ])('%s: ffprobe sees %s stereo 8000 Hz of the right duration; ffmpeg decodes every code as we do', async (codec, codecName) => {
    const data = audio(2.5 * CHUNK_AUDIO_BYTES, 21);
    const { finished } = await record(codec, data);
    const wav = await (await store.openRecording(finished.storageKey, finished.wrappedKey)).readWav();
    const file = path.join(dataDir, `${codec}.wav`);
    writeFileSync(file, wav);
    expect(probe(file)).toEqual([
      expect.objectContaining({ codec_name: codecName, channels: 2, sample_rate: '8000', bits_per_sample: 8, duration: '2.500000' }),
    ]);
    const pcm = g711ToPcm16le(codec, data);
    expect(decodeWithFfmpeg(file).equals(pcm)).toBe(true);
    // The PCM that playback and the party's export hand out.
    const pcmFile = path.join(dataDir, `${codec}-pcm.wav`);
    writeFileSync(pcmFile, Buffer.concat([wavHeader({ encoding: 'PCM16', channels: 2, sampleRate: 8000 }, pcm.length), pcm]));
    expect(probe(pcmFile)).toEqual([
      expect.objectContaining({ codec_name: 'pcm_s16le', channels: 2, sample_rate: '8000', bits_per_sample: 16, duration: '2.500000' }),
    ]);
    expect(decodeWithFfmpeg(pcmFile).equals(pcm)).toBe(true);
  });
});
