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
import { pushCall } from '../../capture/rtsp-push';
import { SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import type { FinishedCall, RtspServer } from '../../capture/rtsp-server';
import { readWav } from '../../capture/wav';
import { DEVICE, startTestRtspServer } from '../support/rtsp-server';
import { eventually } from '../support/eventually';

const logger = createLogger({ component: 'modes-test' }, 'error');
const PACKET_MS = 20;

let dataDir: string;
let store: RecordingStore;
let server: RtspServer;
let button: RecordButton;
const modes = new Map<string, RecordingMode>([
  ['2150', 'full'],
  ['2151', 'selective'],
]);
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

/** Packets our client has sent so far, per call and party: what the test knows of the call without a clock. */
const sentPackets = new Map<string, { official: number; other: number }>();

function push(callId: string, extension: string, durationMs: number) {
  const sent = { official: 0, other: 0 };
  sentPackets.set(callId, sent);
  return pushCall({
    url: `rtsp://127.0.0.1:${server.port}/calls/${callId}`,
    credentials: DEVICE,
    transport: 'udp',
    logger,
    codec: 'PCMU',
    metadata: { callId, extension, otherParty: '0226800000', direction: 'inbound', notices: ['announcement:played'] },
    durationMs,
    audio: (party, index) => {
      // Asked for packet n's payload right before packet n is sent.
      sent[party] = Math.max(sent[party], index + 1);
      return new Uint8Array(SAMPLES_PER_PACKET).fill(packetByte(index));
    },
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

async function bothChannels(call: FinishedCall): Promise<{ official: Buffer; other: Buffer; sampleFrames: number }> {
  const stored = await store.openRecording(call.recording.storageKey, call.recording.wrappedKey);
  const file = await stored.readWav();
  const wav = readWav(file);
  const official = Buffer.alloc(wav.sampleFrames);
  const other = Buffer.alloc(wav.sampleFrames);
  for (let frame = 0; frame < wav.sampleFrames; frame++) {
    official[frame] = file[wav.dataOffset + 2 * frame]!;
    other[frame] = file[wav.dataOffset + 2 * frame + 1]!;
  }
  return { official, other, sampleFrames: wav.sampleFrames };
}

/**
 * A channel of a selective recording read as the packets in it: the first packet kept (possibly cut, when the other
 * party's track had reached further at the press), the packets after it in order, then silence to the end.
 */
function packetsIn(channel: Buffer) {
  const first = channel[0]! - 0x10;
  let offset = 0;
  while (offset < channel.length && channel[offset] === packetByte(first)) offset++;
  const firstBytes = offset;
  let next = first + 1;
  while (offset + SAMPLES_PER_PACKET <= channel.length && channel.subarray(offset, offset + SAMPLES_PER_PACKET).every((byte) => byte === packetByte(next))) {
    offset += SAMPLES_PER_PACKET;
    next++;
  }
  return { first, firstBytes, audioPackets: next - first, silentAfter: channel.subarray(offset).every((byte) => byte === SILENCE.PCMU) };
}

/** The listener runs just after the recording is finished, before TEARDOWN's answer reaches our client: asked, not slept on. */
function recorded(seen: { calls: FinishedCall[] }, callId: string): Promise<FinishedCall> {
  return eventually(() => seen.calls[0], { within: '5s', every: 10, what: `the recording of ${callId} finished` });
}

test('a call on a full extension is recorded from its start, with its mode', async () => {
  const seen = finished('full-1');
  await push('full-1', '2150', 1000);
  const call = await recorded(seen, 'full-1');
  expect(seen.calls).toHaveLength(1);
  expect(call.mode).toBe('full');
  const official = await officialChannel(call);
  const firstAudio = official.findIndex((byte) => byte !== SILENCE.PCMU);
  expect(official[firstAudio]).toBe(packetByte(0));
});

test('a selective call without the record button leaves no file and is counted', async () => {
  const seen = finished('sel-none');
  const before = server.stats;
  await push('sel-none', '2151', 600);
  // Counted when the session ended, before TEARDOWN was answered; with no recording started no file can come later.
  expect(server.stats.callsNotRecorded).toBe(before.callsNotRecorded + 1);
  expect(server.stats.recordingsStarted).toBe(before.recordingsStarted);
  expect(seen.calls).toHaveLength(0);
});

test('the record button starts a selective recording mid-call, from the press on; a stop is silence', async () => {
  const seen = finished('sel-press');
  const before = server.stats;
  const call = push('sel-press', '2151', 2400);
  const sent = sentPackets.get('sel-press')!;
  // Mid-call: the server has received 40 packets of each party (800 ms of the call) before the press.
  const received = () => server.stats.rtp.received - before.rtp.received;
  await eventually(() => received() >= 80, { within: '10s', every: 10, what: 'the call under way' });
  const receivedAtPress = received();
  const pressedAt = new Date();
  expect(button.start('sel-press', pressedAt)).toBe(true);
  await expect(server.recordButtonPressed('sel-press')).resolves.toBe('started');
  await expect(server.recordButtonPressed('sel-press')).resolves.toBe('already-recording');
  const sentAtOpen = Math.max(sent.official, sent.other);
  // Recorded for 20 packets (400 ms), then stopped, with about a second of the call still to come.
  await eventually(() => sent.official >= sentAtOpen + 20, { within: '10s', every: 10, what: '20 packets sent after the press' });
  expect(button.stop('sel-press', new Date())).toBe(true);
  const { packets } = await call;
  const recording = await recorded(seen, 'sel-press');
  expect(seen.calls).toHaveLength(1);
  expect(recording.mode).toBe('selective');
  expect(recording.tracks.map((track) => track.stats.lost)).toEqual([0, 0]);

  const { official, other, sampleFrames } = await bothChannels(recording);
  const channels = [packetsIn(official), packetsIn(other)];
  // None before the press: every packet the server had received by then (of either party) is left out, so the two
  // first packets kept are at least as many. From the press on: the party that had reached furthest when the
  // recording opened starts with its next packet, which our client had not sent yet (or just had).
  expect(channels[0]!.first + channels[1]!.first).toBeGreaterThanOrEqual(receivedAtPress);
  expect(Math.min(channels[0]!.first, channels[1]!.first)).toBeLessThanOrEqual(sentAtOpen);
  for (const channel of channels) {
    // What is kept is the packets sent, in order (most of the 20 sent between the press and the stop: one may be cut
    // at the start, one at the stop), then only silence: the stop, with about a second of the call to come, mutes
    // the rest and no audio comes back.
    expect(channel.audioPackets).toBeGreaterThanOrEqual(10);
    expect(channel.silentAfter).toBe(true);
    expect(channel.first + channel.audioPackets).toBeLessThan(packets);
  }
  // The duration follows from what was sent: each party's track runs from its first kept packet to the last one
  // sent (kept or muted), 160 samples (20 ms) a packet, and the longer of the two is the recording.
  const expectedFrames = Math.max(...channels.map((channel) => channel.firstBytes + (packets - 1 - channel.first) * SAMPLES_PER_PACKET));
  expect(sampleFrames).toBe(expectedFrames);
  expect(recording.recording.durationMs).toBe(Math.round(expectedFrames / 8));
});

test('a press that arrives before RECORD starts the recording at RECORD', async () => {
  const seen = finished('sel-early');
  button.start('sel-early', new Date());
  const { packets } = await push('sel-early', '2151', 600);
  const call = await recorded(seen, 'sel-early');
  expect(seen.calls).toHaveLength(1);
  // Recorded from RECORD: every packet sent is in it, the first placed at its arrival (silence before it).
  const official = await officialChannel(call);
  const firstAudio = official.findIndex((byte) => byte !== SILENCE.PCMU);
  expect(official[firstAudio]).toBe(packetByte(0));
  expect(packetsIn(official.subarray(firstAudio))).toMatchObject({ first: 0, audioPackets: packets, silentAfter: true });
  expect(call.recording.durationMs).toBeGreaterThanOrEqual(packets * PACKET_MS);
  // The call has ended: the server forgets its presses.
  expect(button.intervals('sel-early')).toEqual([]);
});

test('an unknown extension is treated as selective; a press for no active call says so', async () => {
  const seen = finished('unknown-ext');
  const before = server.stats;
  await push('unknown-ext', '9999', 400);
  // Counted when the session ended, before TEARDOWN was answered; with no recording started no file can come later.
  expect(server.stats.callsNotRecorded).toBe(before.callsNotRecorded + 1);
  expect(server.stats.recordingsStarted).toBe(before.recordingsStarted);
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
