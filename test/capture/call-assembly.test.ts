/**
 * The call assembly when the disk misbehaves: a disk that falls behind for a few seconds costs the audio there was
 * no room for, written as silence in its place, and nothing else (the recording keeps real time, later audio is
 * kept); a disk that fails ends the recording, and finishing it still closes the file and leaves it to recovery.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { newDataKey } from '../../infra/crypto/envelope';
import { CallAssembly } from '../../capture/call-assembly';
import { SILENCE } from '../../capture/g711';
import { createRecordingStore, RecordingOverrunError, type FinishedRecording, type RecordingStore, type RecordingWriter } from '../../capture/recording-store';
import { readWav } from '../../capture/wav';

/** 20 ms at 8 kHz: what a receiver hands over per RTP packet. */
const PACKET = 160;
const STAGED_FRAMES = 800;
const MUTE = SILENCE.PCMU;
/** The sample at instant i: never the silence byte, so every silent frame in a recording is one the assembly wrote. */
const sampleAt = (instant: number) => 1 + (instant % 250);
const packet = (index: number) => Uint8Array.from({ length: PACKET }, (_, at) => sampleAt(index * PACKET + at));
const turn = () => new Promise((resolve) => setImmediate(resolve));

let dataDir: string;
let store: RecordingStore;
let fileHandle: FileHandle;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'call-assembly-'));
  store = createRecordingStore({ dataDir, masterKey: newDataKey() });
  // The store's file handles share this prototype: slowing or failing its methods is a slow or failing disk.
  const probe = await openFile(__filename, 'r');
  fileHandle = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
});

afterEach(() => jest.restoreAllMocks());
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Feeds packets `from` to `to` (exclusive) of a mixed track, letting the writer run between packets. */
async function feed(assembly: CallAssembly, from: number, to: number): Promise<void> {
  const sink = assembly.sink('mixed');
  for (let index = from; index < to; index++) {
    sink.audio(index * PACKET, packet(index));
    await turn();
  }
}

const openHandlesTo = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  });

describe('a disk that falls behind', () => {
  test('the audio there was no room for becomes silence in its place; later audio is kept and the length is real time', async () => {
    const writer = await store.open({ recordingId: randomUUID(), codec: 'PCMU', startedAt: new Date(), metadata: {} });
    const assembly = new CallAssembly(writer, { codec: 'PCMU', layout: 'mixed' });
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with the handle as `this`
    const datasync = fileHandle.datasync;
    jest.spyOn(fileHandle, 'datasync').mockImplementation(async function (this: FileHandle) {
      await stalled;
      return datasync.call(this);
    });
    // Eight seconds while no chunk reaches the disk: more than the writer may queue.
    await feed(assembly, 0, 400);
    release();
    // Then three seconds at a pace the disk keeps up with (feed() itself runs far faster than real time).
    for (let from = 400; from < 550; from += 25) {
      await writer.flush();
      await feed(assembly, from, from + 25);
    }
    const finished = await assembly.finish();

    expect(assembly.error).toBeUndefined();
    expect(finished.sampleFrames).toBe(550 * PACKET);
    const wav = await (await store.openRecording(finished.storageKey, finished.wrappedKey)).readWav();
    const data = wav.subarray(readWav(wav).dataOffset);
    expect(data.length).toBe(550 * PACKET * 2);
    const silent: number[] = [];
    for (let frame = 0; frame < data.length / 2; frame++) {
      const [left, right] = [data[2 * frame], data[2 * frame + 1]];
      if (left === MUTE && right === MUTE) silent.push(frame);
      else if (left !== sampleAt(frame) || right !== sampleAt(frame)) throw new Error(`frame ${frame} is ${left}/${right}`);
    }
    // One stretch of silence, whole staging batches, from the stall; everything after the disk came back is audio.
    expect(silent.length).toBeGreaterThan(0);
    expect(silent.length % STAGED_FRAMES).toBe(0);
    expect(silent.at(-1)! - silent[0]! + 1).toBe(silent.length);
    expect(silent.at(-1)!).toBeLessThan(400 * PACKET);
    expect(assembly.stats).toMatchObject({
      frames: 550 * PACKET,
      paddedSamples: [silent.length, silent.length],
      droppedSamples: 0,
      lostAfterFailure: 0,
    });
  });

  test('a writer that refuses an append all the same: the frames become silence, the recording keeps its length', async () => {
    const written: Buffer[] = [];
    let appends = 0;
    const writer: Pick<RecordingWriter, 'append' | 'flush' | 'finish'> = {
      async append(stereo) {
        const copy = Buffer.from(stereo);
        appends += 1;
        await Promise.resolve();
        if (appends === 2) throw new RecordingOverrunError('r');
        written.push(copy);
      },
      flush: async () => undefined,
      finish: jest.fn(async (): Promise<FinishedRecording> => {
        const sampleFrames = Buffer.concat(written).length / 2;
        return { storageKey: 'k', wrappedKey: 'w', sha256: '', durationMs: sampleFrames / 8, sizeBytes: 58 + 2 * sampleFrames, sampleFrames };
      }),
    };
    const assembly = new CallAssembly(writer, { codec: 'PCMU', layout: 'mixed' });
    await feed(assembly, 0, 50);
    expect((await assembly.finish()).sampleFrames).toBe(50 * PACKET);

    // The second batch was refused; its silence went in before the third batch, where the refused audio was.
    const expected = Buffer.alloc(50 * PACKET * 2);
    for (let frame = 0; frame < 50 * PACKET; frame++) {
      const sample = frame >= STAGED_FRAMES && frame < 2 * STAGED_FRAMES ? MUTE : sampleAt(frame);
      expected[2 * frame] = sample;
      expected[2 * frame + 1] = sample;
    }
    expect(Buffer.concat(written).equals(expected)).toBe(true);
    expect(assembly.error).toBeUndefined();
    expect(assembly.stats).toMatchObject({ frames: 50 * PACKET, paddedSamples: [STAGED_FRAMES, STAGED_FRAMES], lostAfterFailure: 0 });
  });
});

describe('a disk that fails', () => {
  test('later audio is counted as lost; finish still finishes the writer, which rejects with its failure', async () => {
    const failure = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    const writer = {
      append: jest.fn(async () => Promise.reject(failure)),
      flush: jest.fn(async () => Promise.reject(failure)),
      finish: jest.fn(async (): Promise<FinishedRecording> => Promise.reject(failure)),
    };
    const assembly = new CallAssembly(writer, { codec: 'PCMA', layout: 'mixed' });
    await feed(assembly, 0, 20);
    await expect(assembly.finish()).rejects.toBe(failure);
    expect(writer.finish).toHaveBeenCalledTimes(1);
    expect(assembly.error).toBe(failure);
    expect(assembly.stats).toMatchObject({ frames: 0, lostAfterFailure: 20 * PACKET });
  });

  test('with the store: finish closes the file, and recovery finalises what reached the disk', async () => {
    const recordingId = randomUUID();
    const writer = await store.open({ recordingId, codec: 'PCMU', startedAt: new Date(), metadata: {} });
    const partial = realpathSync(path.join(dataDir, 'recordings', 'partial', `${recordingId}.partial`));
    expect(openHandlesTo(partial)).toHaveLength(1);
    const assembly = new CallAssembly(writer, { codec: 'PCMU', layout: 'mixed' });
    // The first chunk reaches the disk; every write after it fails.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the original, applied below with the handle as `this`
    const write = fileHandle.write;
    let writes = 0;
    jest.spyOn(fileHandle, 'write').mockImplementation(function (this: FileHandle, ...args: unknown[]) {
      writes += 1;
      if (writes === 1) return (write as (...args: unknown[]) => Promise<unknown>).apply(this, args);
      return Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    } as typeof write);
    await feed(assembly, 0, 150);
    await expect(assembly.finish()).rejects.toMatchObject({ code: 'EIO' });
    expect(assembly.error).toMatchObject({ code: 'EIO' });
    expect(assembly.stats.lostAfterFailure).toBeGreaterThan(0);
    expect(openHandlesTo(partial)).toEqual([]);
    jest.restoreAllMocks();

    // Not held back as a recording still being written: recovery takes it at once.
    const reports = await store.recoverUnfinished();
    expect(reports).toEqual([expect.objectContaining({ outcome: 'recovered', recordingId, durationMs: 1000, droppedBytes: 0 })]);
  });
});
