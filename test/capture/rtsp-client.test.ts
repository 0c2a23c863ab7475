/**
 * Our RTSP client against real peers. Push: two-party calls to our own RTSP server (the assembly of two party
 * tracks into one stereo recording, end to end), checked by decrypting what was stored. Pull: a GStreamer RTSP server
 * (test/capture/gst-rtsp-server.py) serving a 440 Hz PCMU tone, over UDP and TCP, and through a proxy that drops the
 * connection to prove reconnecting into the same recording. Pull against scripted servers on raw sockets: what a
 * misbehaving appliance does (drops after PLAY, changes its tracks, lets others send to our ports, makes us fail).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Codec } from '../../domain/recording';
import { newDataKey } from '../../infra/crypto/envelope';
import { createLogger, type Logger } from '../../infra/logger';
import { decodeSample, SILENCE } from '../../capture/g711';
import { createRecordingStore, type RecordingStore, type RecordingWriter } from '../../capture/recording-store';
import { serializeRtp } from '../../capture/rtp';
import { pullCall, type PullResult } from '../../capture/rtsp-pull';
import { pushCall } from '../../capture/rtsp-push';
import { RtspClientError, SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import { formatInterleaved, parseTransport } from '../../capture/rtsp-message';
import type { FinishedCall, RtspServer } from '../../capture/rtsp-server';
import { formatSdp, type Party, type SdpTrackFields } from '../../capture/sdp';
import { readWav } from '../../capture/wav';
import { freePort } from '../support/ports';
import { DEVICE, startTestRtspServer } from '../support/rtsp-server';

/** python3-gi installs into Debian's own interpreter, which a pyenv or venv python3 on PATH does not see. */
const GST_PYTHON = process.env.GST_PYTHON ?? '/usr/bin/python3';
const gstFound =
  spawnSync(GST_PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"]).status === 0 &&
  spawnSync('gst-inspect-1.0', ['mulawenc']).status === 0;
if (!gstFound && (process.env.REQUIRE_ALL_SUITES || process.env.CI)) {
  throw new Error(
    `GStreamer's RTSP server is not usable from ${GST_PYTHON}: the pull suite cannot run (Debian packages gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gir1.2-gst-rtsp-server-1.0 python3-gi)`,
  );
}
const describeWithGst = gstFound ? describe : describe.skip;

const logger = createLogger({ component: 'rtsp-client-test' }, 'error');
const CALL_MS = 2000;

let dataDir: string;
let store: RecordingStore;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'rtsp-client-'));
  store = createRecordingStore({ dataDir, masterKey: newDataKey() });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A deterministic, non-periodic G.711 sequence (an LCG) without the silence byte, so it is found at one offset only. */
function pattern(seed: number, codec: Codec, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const byte = state >>> 24;
    bytes[index] = byte === SILENCE[codec] ? byte ^ 1 : byte;
  }
  return bytes;
}

async function stereo(storageKey: string, wrappedKey: string) {
  const stored = await store.openRecording(storageKey, wrappedKey);
  const file = await stored.readWav();
  const wav = readWav(file);
  const data = file.subarray(wav.dataOffset, wav.dataOffset + wav.dataLength);
  const channel = (index: number) => Buffer.from(Array.from({ length: wav.sampleFrames }, (_, frame) => data[2 * frame + index] as number));
  return { stored, channel0: channel(0), channel1: channel(1) };
}

/** Where `needle` starts in `haystack` with only silence before and after it, or -1. */
function alignedOffset(haystack: Buffer, needle: Buffer, silence: number): number {
  const offset = haystack.indexOf(needle);
  if (offset < 0) return -1;
  const outside = [...haystack.subarray(0, offset), ...haystack.subarray(offset + needle.length)];
  return outside.every((byte) => byte === silence) ? offset : -1;
}

/** A TCP relay to `target` whose connections the test can cut, and which keeps what the client sent. */
async function relay(target: number): Promise<{ port: number; sent: () => string; cut: () => void; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let sent = '';
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => (sent += chunk.toString('latin1')));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => sockets.forEach((socket) => socket.destroy());
  return {
    port: (server.address() as net.AddressInfo).port,
    sent: () => sent,
    cut,
    stop: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

describe('pushing calls to our RTSP server', () => {
  let server: RtspServer;
  const finished = new Map<string, FinishedCall>();
  beforeAll(async () => {
    server = await startTestRtspServer(store, {
      logger,
      // Shorter than the call, so the client's GET_PARAMETER keep-alive (every 500 ms) runs during each call.
      sessionTimeoutMs: 1000,
    });
    server.onRecordingFinished((call) => void finished.set(call.metadata.callId, call));
  });
  afterAll(() => server.stop());

  const url = (callId: string) => `rtsp://127.0.0.1:${server.port}/calls/${callId}`;

  test.each([
    ['PCMU', 'udp'],
    ['PCMU', 'tcp'],
    ['PCMA', 'udp'],
  ] as const)('a two-party %s call over %s with Digest is stored party by party, whole, with its metadata', async (codec, transport) => {
    const callId = `push-${codec}-${transport}`;
    const samples = (CALL_MS / 1000) * 8000;
    const official = pattern(1, codec, samples);
    const other = pattern(2, codec, samples);
    const startedAt = new Date('2026-11-27T05:04:58Z');
    // Through a relay that keeps the RTSP requests, to see the keep-alives.
    const proxy = await relay(server.port);
    const result = await pushCall({
      url: `rtsp://127.0.0.1:${proxy.port}/calls/${callId}`,
      transport,
      credentials: DEVICE,
      logger,
      codec,
      metadata: { callId, extension: '2150', otherParty: '010-1234-5678', direction: 'inbound', startedAt, notices: ['announcement:played'] },
      durationMs: CALL_MS,
      audio: (party, index) => (party === 'official' ? official : other).subarray(index * SAMPLES_PER_PACKET, (index + 1) * SAMPLES_PER_PACKET),
    });
    await proxy.stop();
    expect(result.packets).toBe(CALL_MS / 20);
    expect(proxy.sent().match(/GET_PARAMETER rtsp:/g)?.length).toBeGreaterThanOrEqual(2);
    // TEARDOWN is answered once the recording is on disk.
    const call = finished.get(callId) as FinishedCall;
    expect(call).toMatchObject({
      device: DEVICE.username,
      layout: 'two-party',
      endReason: 'teardown',
      sessionId: result.sessionId,
      metadata: { callId, extension: '2150', otherParty: '010-1234-5678', direction: 'inbound', startedAt, notices: ['announcement:played'] },
      tracks: [
        { party: 'official', transport },
        { party: 'other', transport },
      ],
    });
    for (const track of call.tracks) expect(track.stats).toMatchObject({ received: CALL_MS / 20, lost: 0, late: 0, duplicates: 0 });

    const { stored, channel0, channel1 } = await stereo(call.recording.storageKey, call.recording.wrappedKey);
    expect(stored.codec).toBe(codec);
    const offset0 = alignedOffset(channel0, official, SILENCE[codec]);
    const offset1 = alignedOffset(channel1, other, SILENCE[codec]);
    expect(offset0).toBeGreaterThanOrEqual(0);
    expect(offset1).toBeGreaterThanOrEqual(0);
    // Both parties' packets leave on the same tick; placed by arrival, they may differ by a sample or two.
    expect(Math.abs(offset0 - offset1)).toBeLessThanOrEqual(8);
    // The recording is the leading silence before the first packet's arrival, then the whole call, then nothing: how
    // late the first packet arrived depends on the machine's load, what follows it does not.
    const leadingMs = Math.max(offset0, offset1) / 8;
    expect(leadingMs).toBeLessThan(500);
    expect(Math.abs(call.recording.durationMs - leadingMs - CALL_MS)).toBeLessThanOrEqual(1);
  });

  test('a wrong password fails as unauthorized, a refused ANNOUNCE with its status, a closed port as connection', async () => {
    const options = {
      transport: 'tcp' as const,
      logger,
      codec: 'PCMU' as const,
      durationMs: 200,
      metadata: { callId: 'push-refused', notices: [] },
      audio: () => new Uint8Array(SAMPLES_PER_PACKET),
    };
    await expect(pushCall({ ...options, url: url('push-refused'), credentials: { ...DEVICE, password: 'wrong' } })).rejects.toMatchObject({
      name: 'RtspClientError',
      code: 'unauthorized',
      method: 'OPTIONS',
      status: 401,
    });
    // The URL names another call than the SDP: the server refuses to guess (451).
    await expect(pushCall({ ...options, url: url('another-call'), credentials: DEVICE })).rejects.toMatchObject({
      code: 'status',
      method: 'ANNOUNCE',
      status: 451,
    });
    const closed = await freePort();
    const error: unknown = await pushCall({ ...options, url: `rtsp://127.0.0.1:${closed}/calls/x`, credentials: DEVICE }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RtspClientError);
    expect(error).toMatchObject({ code: 'connection', method: 'connect' });
    expect(finished.has('push-refused')).toBe(false);
  });
});

/** Decoded samples of a channel, for judging audio we cannot compare byte for byte (GStreamer's own tone). */
function pcm(codec: Codec, channel: Buffer): number[] {
  return Array.from(channel, (code) => decodeSample(codec, code));
}

/** Zero crossings per second ≈ twice the frequency of a pure tone. */
function toneHz(samples: number[]): number {
  let crossings = 0;
  for (let index = 1; index < samples.length; index++) if ((samples[index - 1] as number) < 0 !== (samples[index] as number) < 0) crossings++;
  return crossings / 2 / (samples.length / 8000);
}

const rms = (samples: number[]) => Math.sqrt(samples.reduce((sum, sample) => sum + sample * sample, 0) / samples.length);

describeWithGst('pulling from a GStreamer RTSP server', () => {
  let gst: ChildProcess;
  let gstPort: number;
  beforeAll(async () => {
    gstPort = await freePort();
    gst = spawn(GST_PYTHON, [path.join(__dirname, 'gst-rtsp-server.py'), String(gstPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    gst.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      gst.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      gst.once('exit', (code) => reject(new Error(`gst-rtsp-server.py exited with ${code}: ${stderr}`)));
    });
  });
  afterAll(() => {
    gst.kill();
  });

  async function expectTone(result: PullResult, durationMs: number): Promise<number[]> {
    expect(result).toMatchObject({ codec: 'PCMU', layout: 'mixed' });
    const { stored, channel0, channel1 } = await stereo(result.recording.storageKey, result.recording.wrappedKey);
    expect(stored.codec).toBe('PCMU');
    expect(stored.metadata).toMatchObject({ callId: result.metadata.callId, layout: 'mixed' });
    // One mixed track: the same signal on both channels.
    expect(channel1.equals(channel0)).toBe(true);
    // Ends on the first 200 ms tick past the duration, plus the TEARDOWN round trip.
    expect(result.recording.durationMs).toBeGreaterThanOrEqual(durationMs - 50);
    expect(result.recording.durationMs).toBeLessThanOrEqual(durationMs + 400);
    return pcm('PCMU', channel0);
  }

  test.each(['udp', 'tcp'] as const)('over %s: the tone is recorded, non-silent, at 440 Hz, without loss', async (transport) => {
    const result = await pullCall({
      url: `rtsp://127.0.0.1:${gstPort}/call`,
      transport,
      logger,
      store,
      durationMs: CALL_MS,
      metadata: { callId: `pull-${transport}`, extension: '2150' },
    });
    expect(result).toMatchObject({ endReason: 'duration', reconnects: 0, metadata: { callId: `pull-${transport}`, extension: '2150' } });
    expect(result.tracks[0]?.stats).toMatchObject({ lost: 0 });
    expect(result.tracks[0]?.stats.received).toBeGreaterThan(CALL_MS / 20 / 2);
    const samples = await expectTone(result, CALL_MS);
    // The second half: past any start-up silence, well before the end.
    const middle = samples.slice(samples.length / 2 - 4000, samples.length / 2 + 4000);
    expect(rms(middle)).toBeGreaterThan(5000);
    expect(Math.abs(toneHz(middle) - 440)).toBeLessThan(5);
  });

  test('a dropped connection is re-established into the same recording, the gap counted as silence', async () => {
    const proxy = await relay(gstPort);
    const durationMs = 3000;
    setTimeout(proxy.cut, 1000);
    const result = await pullCall({
      url: `rtsp://127.0.0.1:${proxy.port}/call`,
      transport: 'tcp',
      logger,
      store,
      durationMs,
      reconnect: { attempts: 3, initialDelayMs: 100, maxDelayMs: 400 },
    });
    await proxy.stop();
    expect(result).toMatchObject({ endReason: 'duration', reconnects: 1 });
    expect(result.gapMs).toBeGreaterThan(100);
    expect(result.tracks[0]?.stats.silenceSamples).toBeGreaterThanOrEqual((result.gapMs - 40) * 8);
    const samples = await expectTone(result, durationMs);
    // The tone on both sides of the gap.
    expect(rms(samples.slice(4000, 8000))).toBeGreaterThan(5000);
    expect(rms(samples.slice(-8000, -4000))).toBeGreaterThan(5000);
  });

  test('reconnecting gives up after the configured attempts and keeps what was recorded', async () => {
    const proxy = await relay(gstPort);
    setTimeout(() => void proxy.stop(), 1000);
    const result = await pullCall({
      url: `rtsp://127.0.0.1:${proxy.port}/call`,
      transport: 'tcp',
      logger,
      store,
      reconnect: { attempts: 2, initialDelayMs: 50, maxDelayMs: 100 },
    });
    expect(result).toMatchObject({ endReason: 'gave-up', reconnects: 0, error: { code: 'connection', method: 'connect' } });
    expect(result.recording.durationMs).toBeGreaterThan(800);
    expect(result.recording.durationMs).toBeLessThan(1500);
  });

  test('a stream that does not exist is refused with its status, and nothing is recorded', async () => {
    await expect(pullCall({ url: `rtsp://127.0.0.1:${gstPort}/no-such-call`, transport: 'udp', logger, store })).rejects.toMatchObject({
      code: 'status',
      method: 'DESCRIBE',
      status: 404,
    });
  });
});

/** One connection to a scripted server, once PLAY has been answered. */
interface Played {
  /** 0 for the first connection, 1 for the first reconnect, … */
  readonly index: number;
  readonly socket: net.Socket;
  /** The client's RTP port per track (UDP), in SETUP order. */
  readonly clientPorts: number[];
}

/** Everything but the answers to PLAY is scripted the same way: what a minimal appliance answers. */
interface Script {
  readonly tracks: (connection: number) => readonly SdpTrackFields[];
  /** The server_port pair given in UDP SETUP answers. */
  readonly serverPorts?: readonly [number, number];
  readonly afterPlay: (played: Played) => void;
}

const track = (party: Party | undefined, index: number, fields: Partial<SdpTrackFields> = {}): SdpTrackFields => ({
  port: 0,
  codec: 'PCMU',
  payloadType: 0,
  telephoneEventPayloadType: undefined,
  ptimeMs: 20,
  direction: 'sendonly',
  party,
  control: `track${index + 1}`,
  ...fields,
});

/**
 * An RTSP server on a raw socket that answers DESCRIBE, SETUP, PLAY, GET_PARAMETER and TEARDOWN (requests without
 * bodies, which is all our client sends) and then does what the script says. Keeps when each connection came.
 */
async function scriptedServer(script: Script): Promise<{ url: string; connections: number[]; stop: () => Promise<void> }> {
  const connections: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const index = connections.push(performance.now()) - 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const clientPorts: number[] = [];
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const [requestLine = '', ...lines] = buffered.slice(0, end).split('\r\n');
        buffered = buffered.slice(end + 4);
        const header = (name: string) =>
          lines
            .find((line) => line.toLowerCase().startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim() ?? '';
        const method = requestLine.split(' ')[0];
        const answer = (headers: string, body = '') =>
          socket.write(
            `RTSP/1.0 200 OK\r\nCSeq: ${header('cseq')}\r\nSession: fake;timeout=60\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
        if (method === 'DESCRIBE') {
          const sdp = formatSdp({
            origin: { username: '-', sessionId: '1', sessionVersion: '1', addressType: 'IP4', address: '127.0.0.1' },
            sessionName: 'call',
            control: '*',
            metadata: { notices: [] },
            tracks: script.tracks(index),
          });
          answer(`Content-Base: rtsp://127.0.0.1:${(server.address() as net.AddressInfo).port}/call/\r\nContent-Type: application/sdp\r\n`, sdp);
        } else if (method === 'SETUP') {
          const transport = parseTransport(header('transport'));
          if (transport?.protocol === 'udp') clientPorts.push(transport.clientPorts[0]);
          const serverPort = transport?.protocol === 'udp' && script.serverPorts ? `;server_port=${script.serverPorts.join('-')}` : '';
          answer(`Transport: ${header('transport')}${serverPort}\r\n`);
        } else {
          answer('');
          if (method === 'PLAY') script.afterPlay({ index, socket, clientPorts });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `rtsp://127.0.0.1:${(server.address() as net.AddressInfo).port}/call`,
    connections,
    stop: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

/** A 20 ms PCMU packet of one source; the same numbers from every session, as a restarted appliance would send. */
const rtp = (index: number): Buffer =>
  Buffer.from(
    serializeRtp({
      payloadType: 0,
      sequenceNumber: 100 + index,
      timestamp: 8000 + index * SAMPLES_PER_PACKET,
      ssrc: 0x5eed,
      payload: new Uint8Array(SAMPLES_PER_PACKET).fill(0x2a),
    }),
  );

async function udpSocket(address: string, port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(port, address, resolve));
  return socket;
}

describe('pulling from scripted RTSP servers', () => {
  test('a server that answers PLAY and drops before any media: the client backs off further each time, then gives up', async () => {
    const server = await scriptedServer({ tracks: () => [track(undefined, 0)], afterPlay: ({ socket }) => socket.end() });
    const delays = [50, 100, 200, 300];
    const result = await pullCall({
      url: server.url,
      transport: 'tcp',
      logger,
      store,
      mediaTimeoutMs: 60_000,
      reconnect: { attempts: delays.length, initialDelayMs: 50, maxDelayMs: 300 },
    });
    await server.stop();
    expect(result).toMatchObject({ endReason: 'gave-up', reconnects: delays.length, backoffMs: delays, error: { code: 'connection' } });
    // Every reconnect set up a session, and still the attempts were not reset: no media came.
    expect(server.connections).toHaveLength(1 + delays.length);
    const gaps = server.connections.slice(1).map((at, index) => at - (server.connections[index] as number));
    // Never sooner than planned (a timer may fire late on a busy machine, never early; 2 ms for clock granularity).
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual((delays[index] as number) - 2));
  });

  test('reconnects do not restart the media deadline: no RTP for mediaTimeoutMs ends the pull whatever attempts remain', async () => {
    const server = await scriptedServer({ tracks: () => [track(undefined, 0)], afterPlay: ({ socket }) => socket.end() });
    const result = await pullCall({
      url: server.url,
      transport: 'tcp',
      logger,
      store,
      mediaTimeoutMs: 600,
      reconnect: { attempts: 1000, initialDelayMs: 20, maxDelayMs: 20, total: 1000 },
    });
    await server.stop();
    expect(['gave-up', 'stream-ended']).toContain(result.endReason);
    // The deadline ended it, not the 1000 attempts: it is checked on the client's 200 ms tick, so 600 ms without RTP
    // end the pull within 800 ms, room for at most 40 waits of 20 ms.
    expect(result.backoffMs.length).toBeLessThanOrEqual((600 + 200) / 20);
  });

  test('a session that delivers media resets the attempts in a row, but the total budget still ends the pull', async () => {
    // Each session sends one packet (the same numbers every time) and drops.
    const server = await scriptedServer({
      tracks: () => [track(undefined, 0)],
      afterPlay: ({ socket }) => setTimeout(() => socket.end(formatInterleaved(0, rtp(0))), 50),
    });
    const result = await pullCall({
      url: server.url,
      transport: 'tcp',
      logger,
      store,
      mediaTimeoutMs: 60_000,
      reconnect: { attempts: 2, initialDelayMs: 20, maxDelayMs: 20, total: 5 },
    });
    await server.stop();
    expect(result).toMatchObject({ endReason: 'gave-up', reconnects: 5 });
    expect(server.connections).toHaveLength(6);
    // restart() on each reconnect: the repeated sequence numbers are new sources, not duplicates.
    expect(result.tracks[0]?.stats).toMatchObject({ duplicates: 0, late: 0 });
    expect(result.tracks[0]?.stats.received).toBeGreaterThanOrEqual(5);
  });

  test.each([
    ['the parties swapped', [track('other', 0), track('official', 1)]],
    ['another audio payload type', [track('official', 0, { payloadType: 96 }), track('other', 1)]],
    ['another telephone-event payload type', [track('official', 0, { telephoneEventPayloadType: 100 }), track('other', 1)]],
  ])('a reconnect that finds %s ends the pull with an error instead of mixing up channels', async (_, changed) => {
    const server = await scriptedServer({
      tracks: (connection) => (connection === 0 ? [track('official', 0, { telephoneEventPayloadType: 101 }), track('other', 1)] : changed),
      afterPlay: ({ socket }) => socket.end(),
    });
    const result = await pullCall({
      url: server.url,
      transport: 'tcp',
      logger,
      store,
      mediaTimeoutMs: 60_000,
      reconnect: { attempts: 5, initialDelayMs: 20, maxDelayMs: 20 },
    });
    await server.stop();
    expect(result).toMatchObject({ endReason: 'gave-up', reconnects: 0, layout: 'two-party', error: { code: 'protocol', method: 'DESCRIBE' } });
    expect(result.error?.message).toMatch(/changed its tracks/);
    expect(server.connections).toHaveLength(2);
  });

  test('over UDP only datagrams from the server address and its server_port pair are taken; others are counted', async () => {
    const rtpSocket = await udpSocket('127.0.0.1');
    const serverPort = rtpSocket.address().port;
    const rtcpSocket = await udpSocket('127.0.0.1');
    const otherHost = await udpSocket('127.0.0.2', serverPort);
    const otherPort = await udpSocket('127.0.0.1');
    const server = await scriptedServer({
      tracks: () => [track(undefined, 0)],
      serverPorts: [serverPort, rtcpSocket.address().port],
      afterPlay: ({ clientPorts: [clientPort = 0] }) => {
        // After the receivers exist (they are made once the recording is open).
        setTimeout(() => {
          for (let index = 0; index < 10; index++) rtpSocket.send(rtp(index), clientPort, '127.0.0.1');
          // Well-formed packets of the same source that would fit in its timeline: from the wrong host, the wrong port.
          otherHost.send(rtp(10), clientPort, '127.0.0.1');
          otherPort.send(rtp(11), clientPort, '127.0.0.1');
          rtcpSocket.send(Buffer.from('81cb000100005eed', 'hex'), clientPort + 1, '127.0.0.1');
        }, 200);
      },
    });
    const result = await pullCall({ url: server.url, transport: 'udp', logger, store, durationMs: 800 });
    await server.stop();
    for (const socket of [rtpSocket, rtcpSocket, otherHost, otherPort]) socket.close();
    expect(result).toMatchObject({ endReason: 'duration', foreignDatagrams: 2 });
    expect(result.tracks[0]?.stats).toMatchObject({ received: 10, rtcp: 1 });
  });

  test.each(['tcp', 'udp'] as const)(
    'over %s an exception while handling media fails the connection, not the process; the pull reconnects',
    async (transport) => {
      const rtpSocket = await udpSocket('127.0.0.1');
      const server = await scriptedServer({
        tracks: () => [track(undefined, 0)],
        serverPorts: [rtpSocket.address().port, rtpSocket.address().port + 1],
        afterPlay: ({ socket, clientPorts: [clientPort = 0] }) => {
          setTimeout(() => {
            for (let index = 0; index < 20; index++) {
              if (transport === 'tcp') socket.write(formatInterleaved(0, rtp(index)));
              else rtpSocket.send(rtp(index), clientPort, '127.0.0.1');
            }
          }, 300);
        },
      });
      // The first audio handed to the writer throws where it is called: inside the socket's handler.
      let thrown = 0;
      const failing: RecordingStore = {
        ...store,
        open: async (call) => {
          const writer = await store.open(call);
          const wrapped: RecordingWriter = {
            recordingId: writer.recordingId,
            storageKey: writer.storageKey,
            wrappedKey: writer.wrappedKey,
            append: (stereo) => {
              if (thrown++ === 0) throw new Error('append failed before it could reject');
              return writer.append(stereo);
            },
            flush: () => writer.flush(),
            finish: () => writer.finish(),
          };
          return wrapped;
        },
      };
      const logged: string[] = [];
      const recording: Logger = {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (message) => void logged.push(message),
        child: () => recording,
      };
      const result = await pullCall({
        url: server.url,
        transport,
        logger: recording,
        store: failing,
        durationMs: 1500,
        reconnect: { attempts: 3, initialDelayMs: 20, maxDelayMs: 20 },
      });
      await server.stop();
      rtpSocket.close();
      expect(thrown).toBeGreaterThan(1);
      expect(logged).toEqual([transport === 'tcp' ? 'handling data from the rtsp server failed' : 'handling a datagram failed']);
      expect(result).toMatchObject({ endReason: 'duration', reconnects: 1 });
      expect(server.connections).toHaveLength(2);
    },
  );
});
