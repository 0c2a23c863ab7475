/**
 * R1 in the RTSP server: a full extension's call is recorded from its start; a selective one leaves nothing behind
 * unless the record button is pressed, and then covers the call from the press on; a stop press is silence. Calls
 * are pushed by our own RTSP client at real time; each packet's audio is a byte that tells which packet it was, so
 * the stored recording shows exactly where it started and where it was muted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RecordingMode } from '../../domain/recording';
import { newDataKey } from '../../infra/crypto/envelope';
import { createLogger } from '../../infra/logger';
import { SILENCE } from '../../capture/g711';
import { createRecordingStore, type RecordingStore } from '../../capture/recording-store';
import { RecordButton } from '../../capture/record-button';
import { pushCall, SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import type { FinishedCall, RtspServer } from '../../capture/rtsp-server';
import { readWav } from '../../capture/wav';
import { DEVICE, startTestRtspServer } from '../support/rtsp-server';

const logger = createLogger({ component: 'modes-test' }, 'error');
const PACKET_MS = 20;

let dataDir: string;
let store: RecordingStore;
let server: RtspServer;
let button: RecordButton;
const modes = new Map<string, RecordingMode>([['2150', 'full'], ['2151', 'selective']]);
let modeLookups = 0;
let modeFails = false;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'capture-modes-'));
  store = createRecordingStore({ dataDir, masterKey: newDataKey() });
  button = new RecordButton();
  server = await startTestRtspServer(store, {
    logger,
    recordButton: button,
    modeFor: async ({ extension }) => {
      modeLookups++;
      if (modeFails) throw new Error('database away');
      return extension === undefined ? undefined : modes.get(extension);
    },
  });
});

afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Packet n of a call carries the byte 0x10 + n (never the PCMU silence byte 0xff within these lengths). */
const packetByte = (index: number) => 0x10 + (index % 0xe0);

function push(callId: string, extension: string, durationMs: number) {
  return pushCall({
    url: `rtsp://127.0.0.1:${server.port}/calls/${callId}`,
    credentials: DEVICE,
    transport: 'udp',
    logger,
    codec: 'PCMU',
    metadata: { callId, extension, otherParty: '0226800000', direction: 'inbound', notices: ['announcement:played'] },
    durationMs,
    audio: (_party, index) => new Uint8Array(SAMPLES_PER_PACKET).fill(packetByte(index)),
  });
}

function finished(callId: string): { calls: FinishedCall[] } {
  const seen = { calls: [] as FinishedCall[] };
  server.onRecordingFinished((call) => {
    if (call.metadata.callId === callId) seen.calls.push(call);
  });
  return seen;
}

async function officialChannel(call: FinishedCall): Promise<Buffer> {
  const stored = await store.openRecording(call.recording.storageKey, call.recording.wrappedKey);
  const file = await stored.readWav();
  const wav = readWav(file);
  const channel = Buffer.alloc(wav.sampleFrames);
  for (let frame = 0; frame < wav.sampleFrames; frame++) channel[frame] = file[wav.dataOffset + 2 * frame]!;
  return channel;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a call on a full extension is recorded from its start, with its mode', async () => {
  const seen = finished('full-1');
  await push('full-1', '2150', 1000);
  await sleep(100);
  expect(seen.calls).toHaveLength(1);
  const call = seen.calls[0]!;
  expect(call.mode).toBe('full');
  const official = await officialChannel(call);
  const firstAudio = official.findIndex((byte) => byte !== SILENCE.PCMU);
  expect(official[firstAudio]).toBe(packetByte(0));
});

test('a selective call without the record button leaves no file and is counted', async () => {
  const seen = finished('sel-none');
  const before = server.stats.callsNotRecorded;
  await push('sel-none', '2151', 600);
  await sleep(100);
  expect(seen.calls).toHaveLength(0);
  expect(server.stats.callsNotRecorded).toBe(before + 1);
});

test('the record button starts a selective recording mid-call, from the press on; a stop is silence', async () => {
  const seen = finished('sel-press');
  const call = push('sel-press', '2151', 2400);
  await sleep(800);
  const pressedAt = new Date();
  expect(button.start('sel-press', pressedAt)).toBe(true);
  await expect(server.recordButtonPressed('sel-press')).resolves.toBe('started');
  await expect(server.recordButtonPressed('sel-press')).resolves.toBe('already-recording');
  await sleep(800);
  expect(button.stop('sel-press', new Date())).toBe(true);
  await call;
  await sleep(100);
  expect(seen.calls).toHaveLength(1);
  const recorded = seen.calls[0]!;
  expect(recorded.mode).toBe('selective');
  // The recording starts at the press, not at the call's start.
  expect(Math.abs(recorded.metadata.startedAt.getTime() - pressedAt.getTime())).toBeLessThan(200);
  expect(recorded.recording.durationMs).toBeGreaterThan(1300);
  expect(recorded.recording.durationMs).toBeLessThan(1900);
  const official = await officialChannel(recorded);
  // The first packet kept is the one sent at the press (about 800 ms in), none before it.
  const firstPacket = official[0]! - 0x10;
  expect(firstPacket).toBeGreaterThanOrEqual(Math.floor(600 / PACKET_MS));
  expect(firstPacket).toBeLessThanOrEqual(Math.ceil(1100 / PACKET_MS));
  // After the stop press (about 800 ms later) only silence.
  const afterStop = official.subarray(Math.round(0.95 * 8000));
  expect(afterStop.subarray(afterStop.length - 2000).every((byte) => byte === SILENCE.PCMU)).toBe(true);
  expect(official.subarray(0, 5 * 8000 / 10).every((byte) => byte !== SILENCE.PCMU)).toBe(true);
});

test('a press that arrives before RECORD starts the recording at RECORD', async () => {
  const seen = finished('sel-early');
  button.start('sel-early', new Date());
  await push('sel-early', '2151', 600);
  await sleep(100);
  expect(seen.calls).toHaveLength(1);
  expect(seen.calls[0]!.recording.durationMs).toBeGreaterThan(400);
  // The call has ended: the server forgets its presses.
  expect(button.intervals('sel-early')).toEqual([]);
});

test('an unknown extension is treated as selective; a press for no active call says so', async () => {
  const seen = finished('unknown-ext');
  await push('unknown-ext', '9999', 400);
  await sleep(100);
  expect(seen.calls).toHaveLength(0);
  await expect(server.recordButtonPressed('no-such-call')).resolves.toBe('no-active-call');
});

test('RECORD is refused with 503 while the mode cannot be read, and nothing is recorded', async () => {
  const before = server.stats.modeUnavailable;
  const lookups = modeLookups;
  modeFails = true;
  try {
    await expect(push('mode-down', '2150', 400)).rejects.toThrow(/503/);
  } finally {
    modeFails = false;
  }
  expect(modeLookups).toBe(lookups + 1);
  expect(server.stats.modeUnavailable).toBe(before + 1);
});
