/**
 * The RTSP server against a real peer (ffmpeg pushing a known WAV as PCMU and PCMA, over UDP and TCP, with Digest
 * credentials) and against hostile input on raw sockets. What is stored is checked by decrypting it: the official
 * channel must be exactly ffmpeg's own G.711 encoding of the input, after the leading silence that places the first
 * packet at its arrival time.
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Codec } from '../../domain/recording';
import { newDataKey } from '../../infra/crypto/envelope';
import { answerChallenge } from '../../capture/digest';
import { SILENCE } from '../../capture/g711';
import { createRecordingStore, type RecordingStore } from '../../capture/recording-store';
import { serializeRtp } from '../../capture/rtp';
import { formatInterleaved, formatRequest, RtspParser, type RtspResponse } from '../../capture/rtsp-message';
import type { FinishedCall, RtspServer } from '../../capture/rtsp-server';
import { readWav } from '../../capture/wav';
import { DEVICE, startTestRtspServer } from '../support/rtsp-server';
import { eventually } from '../support/eventually';

const ffmpegFound = spawnSync('ffmpeg', ['-version']).status === 0;
if (!ffmpegFound && (process.env.REQUIRE_ALL_SUITES || process.env.CI)) {
  throw new Error('ffmpeg is not on PATH: the RTSP interoperability suite cannot run (Debian package ffmpeg)');
}
const describeWithFfmpeg = ffmpegFound ? describe : describe.skip;

const INPUT_MS = 2000;
/** ffmpeg's RTP muxer fills packets up to its MTU: 1448 G.711 samples, 181 ms. */
const PACKET_MS = 181;
/** The first packet is placed at its arrival: after one packet time of ffmpeg's buffering, plus scheduling. */
const MAX_LEADING_MS = 3 * PACKET_MS;

let dataDir: string;
let store: RecordingStore;
let wavFile: string;
const expected: Partial<Record<Codec, Buffer>> = {};

function ffmpeg(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function ffmpegBytes(args: string[]): Buffer {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr.toString()}`);
  return result.stdout;
}

/** The next finished recording of `callId`, or a failure after `ms`. */
function finishedCall(server: RtspServer, callId: string, ms = 15_000): Promise<FinishedCall> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no recording finished for ${callId}`)), ms);
    const off = server.onRecordingFinished((call) => {
      if (call.metadata.callId !== callId) return;
      clearTimeout(timer);
      off();
      resolve(call);
    });
  });
}

async function channels(call: FinishedCall): Promise<{ official: Buffer; other: Buffer }> {
  const stored = await store.openRecording(call.recording.storageKey, call.recording.wrappedKey);
  const wav = readWav(await stored.readWav());
  const data = (await stored.readWav()).subarray(wav.dataOffset, wav.dataOffset + wav.dataLength);
  const official = Buffer.alloc(wav.sampleFrames);
  const other = Buffer.alloc(wav.sampleFrames);
  for (let frame = 0; frame < wav.sampleFrames; frame++) {
    official[frame] = data[2 * frame]!;
    other[frame] = data[2 * frame + 1]!;
  }
  return { official, other };
}

/** Where `needle` starts in `haystack` with only silence before it, or -1. */
function alignedOffset(haystack: Buffer, needle: Buffer, silence: number): number {
  const offset = haystack.indexOf(needle);
  if (offset < 0) return -1;
  return haystack.subarray(0, offset).every((byte) => byte === silence) ? offset : -1;
}

function pushUrl(port: number, callId: string, query = '', credentials = `${DEVICE.username}:${encodeURIComponent(DEVICE.password)}@`): string {
  return `rtsp://${credentials}127.0.0.1:${port}/calls/${callId}${query}`;
}

function push(url: string, codec: Codec, transport: 'udp' | 'tcp') {
  return ffmpeg([
    '-re',
    '-i',
    wavFile,
    '-c:a',
    codec === 'PCMU' ? 'pcm_mulaw' : 'pcm_alaw',
    '-ar',
    '8000',
    '-ac',
    '1',
    '-f',
    'rtsp',
    '-rtsp_transport',
    transport,
    url,
  ]);
}

async function expectExactRecording(call: FinishedCall, codec: Codec): Promise<void> {
  const { official, other } = await channels(call);
  const input = expected[codec] as Buffer;
  const offset = alignedOffset(official, input, SILENCE[codec]);
  expect(offset).toBeGreaterThanOrEqual(0);
  expect(offset / 8).toBeLessThanOrEqual(MAX_LEADING_MS);
  // One mixed track: the same signal on both channels, nothing after the input.
  expect(other.equals(official)).toBe(true);
  expect(official.length).toBe(offset + input.length);
  expect(Math.abs(call.recording.durationMs - INPUT_MS)).toBeLessThanOrEqual(MAX_LEADING_MS + PACKET_MS);
  expect(call.tracks[0]?.stats.lost).toBe(0);
}

/** A raw RTSP client that answers Digest challenges, for the requests ffmpeg would never send. */
class RawClient {
  private readonly parser = new RtspParser();
  private readonly waiting: ((response: RtspResponse) => void)[] = [];
  private challenge: string | undefined;
  private cseq = 0;
  closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const message of this.parser.push(chunk)) if (message.kind === 'response') this.waiting.shift()?.(message);
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return new RawClient(socket);
  }

  /** Raw bytes, and the one response they provoke. */
  send(bytes: Buffer): Promise<RtspResponse> {
    const response = new Promise<RtspResponse>((resolve) => this.waiting.push(resolve));
    this.socket.write(bytes);
    return response;
  }

  async request(method: string, uri: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RtspResponse> {
    const attempt = () => {
      const authorization = this.challenge && answerChallenge(this.challenge, DEVICE, method, uri);
      return this.send(formatRequest(method, uri, { CSeq: String(++this.cseq), ...headers, ...(authorization ? { Authorization: authorization } : {}) }, body));
    };
    const response = await attempt();
    if (response.status !== 401) return response;
    this.challenge = response.headers.get('www-authenticate');
    return attempt();
  }
}

const sdp = (lines: string[]) => Buffer.from([...lines, ''].join('\r\n'));
const PCMU_SDP = sdp(['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=call', 't=0 0', 'm=audio 0 RTP/AVP 0', 'a=control:track1']);

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'rtsp-server-'));
  store = createRecordingStore({ dataDir, masterKey: newDataKey() });
  if (!ffmpegFound) return;
  wavFile = path.join(dataDir, 'input.wav');
  // A chirp: not periodic, so the input can be found in the recording at one offset only.
  ffmpegBytes(['-f', 'lavfi', '-i', `aevalsrc=0.6*sin(2*PI*(200+700*t)*t):s=8000:d=${INPUT_MS / 1000}`, '-ac', '1', '-c:a', 'pcm_s16le', '-y', wavFile]);
  expected.PCMU = ffmpegBytes(['-i', wavFile, '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-']);
  expected.PCMA = ffmpegBytes(['-i', wavFile, '-f', 'alaw', '-ar', '8000', '-ac', '1', '-']);
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describeWithFfmpeg('RTSP server with ffmpeg pushing calls', () => {
  let server: RtspServer;
  beforeAll(async () => {
    server = await startTestRtspServer(store);
  });
  afterAll(() => server.stop());

  test.each([
    ['PCMU', 'tcp'],
    ['PCMA', 'udp'],
    ['PCMU', 'udp'],
    ['PCMA', 'tcp'],
  ] as const)('%s over %s is stored exactly, with the metadata from the URL', async (codec, transport) => {
    const callId = `call-${codec}-${transport}`;
    const finished = finishedCall(server, callId);
    const result = await push(
      pushUrl(server.port, callId, '?extension=2150&other-party=010-1234-5678&direction=inbound&notice=announcement:played'),
      codec,
      transport,
    );
    expect(result).toEqual({ code: 0, stderr: '' });
    const call = await finished;
    expect(call.metadata).toMatchObject({ callId, extension: '2150', otherParty: '010-1234-5678', direction: 'inbound', notices: ['announcement:played'] });
    expect(call).toMatchObject({ device: DEVICE.username, layout: 'mixed', endReason: 'teardown', tracks: [{ party: 'mixed', transport }] });
    await expectExactRecording(call, codec);
  });

  test('a wrong password, or no credentials, gets 401 and records nothing', async () => {
    const before = { ...server.stats };
    const wrong = await push(pushUrl(server.port, 'call-wrong-password', '', `${DEVICE.username}:wrong@`), 'PCMU', 'tcp');
    const none = await push(pushUrl(server.port, 'call-no-credentials', '', ''), 'PCMU', 'udp');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/401|Unauthorized/);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/401|Unauthorized/);
    expect(server.stats.recordingsStarted).toBe(before.recordingsStarted);
    expect(server.stats.authFailures).toBeGreaterThan(before.authFailures);
  });
});

describe('RTSP server against hostile input', () => {
  let server: RtspServer;
  beforeAll(async () => {
    server = await startTestRtspServer(store);
  });
  afterAll(() => server.stop());

  test('garbage is answered 400 and the connection closed', async () => {
    const client = await RawClient.connect(server.port);
    const response = await client.send(Buffer.from('\x16\x03\x01 not rtsp at all\r\n\r\n', 'latin1'));
    expect(response.status).toBe(400);
    await client.closed;
  });

  test('an oversized header block is answered 431 and the connection closed', async () => {
    const client = await RawClient.connect(server.port);
    const response = await client.send(Buffer.from(`OPTIONS rtsp://127.0.0.1/ RTSP/1.0\r\nCSeq: 1\r\nX-Junk: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(response.status).toBe(431);
    await client.closed;
  });

  test('methods out of state get 455, unknown ones 501, a G.722-only SDP 415, a wrong content type 415', async () => {
    const client = await RawClient.connect(server.port);
    const base = `rtsp://127.0.0.1:${server.port}/calls/hostile-1`;
    expect((await client.request('SETUP', `${base}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' })).status).toBe(455);
    expect((await client.request('RECORD', base)).status).toBe(455);
    expect((await client.request('PLAY', base)).status).toBe(501);
    expect((await client.request('FROBNICATE', base)).status).toBe(501);
    const g722 = sdp(['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=call', 't=0 0', 'm=audio 0 RTP/AVP 9', 'a=rtpmap:9 G722/8000', 'a=control:track1']);
    expect((await client.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, g722)).status).toBe(415);
    expect((await client.request('ANNOUNCE', base, { 'Content-Type': 'text/plain' }, PCMU_SDP)).status).toBe(415);
    expect((await client.request('ANNOUNCE', `${base}?extension=12;DROP`, { 'Content-Type': 'application/sdp' }, PCMU_SDP)).status).toBe(451);
    expect((await client.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, PCMU_SDP)).status).toBe(200);
    expect((await client.request('SETUP', `${base}/track1`, { Transport: 'RTP/AVP;multicast;mode=record' })).status).toBe(461);
    expect((await client.request('SETUP', `${base}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status).toBe(461);
    client.socket.destroy();
  });

  test('a refused peer that never closes its side is cut off, and does not hold a slot', async () => {
    const small = await startTestRtspServer(store, { maxConnections: 1 });
    try {
      const first = await RawClient.connect(small.port);
      const refused = await RawClient.connect(small.port);
      let closed = false;
      void refused.closed.then(() => (closed = true));
      // Cut off after the server's linger (2 s); the deadline only says when to stop waiting for it.
      await eventually(() => closed, { within: '10s', what: 'the refused peer cut off' });
      expect(small.stats.connectionsRefused).toBe(1);
      first.socket.destroy();
    } finally {
      await small.stop();
    }
  });

  test('an unauthenticated peer cannot keep a connection open by asking again and again', async () => {
    const short = await startTestRtspServer(store, { sessionTimeoutMs: 1000 });
    try {
      const client = await RawClient.connect(short.port);
      let closed = false;
      void client.closed.then(() => (closed = true));
      // Asking without credentials every 200 ms, well within the 1 s session timeout: were an unauthenticated
      // request activity, the connection would stay open for as long as the peer keeps asking.
      const ask = () => client.socket.write(formatRequest('OPTIONS', `rtsp://127.0.0.1:${short.port}/`, { CSeq: '1' }));
      ask();
      const asking = setInterval(ask, 200);
      try {
        await eventually(() => closed, { within: '8s', what: 'the unauthenticated connection closed by the 1 s timeout' });
      } finally {
        clearInterval(asking);
      }
    } finally {
      await short.stop();
    }
  });

  test('RECORD is refused with 503 while the recording cannot be stored, again on a retry, and counted', async () => {
    const failing = await startTestRtspServer({ ...store, open: () => Promise.reject(new Error('ENOSPC: disk full')) });
    try {
      const client = await RawClient.connect(failing.port);
      const base = `rtsp://127.0.0.1:${failing.port}/calls/disk-full`;
      expect((await client.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, PCMU_SDP)).status).toBe(200);
      expect((await client.request('SETUP', `${base}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' })).status).toBe(200);
      expect((await client.request('RECORD', base)).status).toBe(503);
      expect((await client.request('RECORD', base)).status).toBe(503);
      expect(failing.stats).toMatchObject({ recordingsFailed: 2, recordingsStarted: 0, internalErrors: 0 });
      client.socket.destroy();
      await client.closed;
      expect(failing.stats.callsNotRecorded).toBe(0);
    } finally {
      await failing.stop();
    }
  });

  describeWithFfmpeg('with ffmpeg', () => {
    test('a junk UDP flood is counted and dropped, every datagram exactly, while another call is recorded exactly', async () => {
      const client = await RawClient.connect(server.port);
      const base = `rtsp://127.0.0.1:${server.port}/calls/flooded`;
      expect((await client.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, PCMU_SDP)).status).toBe(200);
      // Junk from the port the session declared reaches the RTP parser; from any other port it is foreign.
      const local = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => local.bind(0, '127.0.0.1', resolve));
      const localPort = local.address().port;
      const otherPort = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => otherPort.bind(0, '127.0.0.1', resolve));
      const setup = await client.request('SETUP', `${base}/track1`, { Transport: `RTP/AVP;unicast;client_port=${localPort}-${localPort + 1};mode=record` });
      expect(setup.status).toBe(200);
      const session = setup.headers.get('session')?.split(';')[0] as string;
      const serverPort = Number(/server_port=(\d+)/.exec(setup.headers.get('transport') ?? '')?.[1]);
      expect((await client.request('RECORD', base, { Session: session })).status).toBe(200);

      const finished = finishedCall(server, 'call-beside-flood');
      const pushing = push(pushUrl(server.port, 'call-beside-flood', '?extension=2151'), 'PCMU', 'udp');
      const before = server.stats;
      const foreign = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => foreign.bind(0, '127.0.0.2', resolve));
      const junk = Buffer.from('this is not RTP, and it keeps coming');
      // The flooded session's server port is this test's own quiet socket: only the three senders here write to it
      // (ffmpeg's call has a port pair of its own), so every foreign or malformed datagram counted is one sent here.
      // Loopback UDP loses nothing on the way; what it drops is what arrives while the receiving socket's buffer is
      // full (Linux's default 208 KiB holds a couple of hundred small datagrams), which a busy machine that is slow
      // to read it let happen to half of an unpaced flood. So the flood goes in bursts well within that buffer, and
      // each is waited for until the server has read all of it: nothing can be dropped, and the counts are exact.
      const BURSTS = 80;
      const PER_SENDER = 25;
      const sent = { foreign: 0, malformed: 0 };
      for (let burst = 1; burst <= BURSTS; burst++) {
        for (let index = 0; index < PER_SENDER; index++) {
          local.send(junk, serverPort, '127.0.0.1');
          foreign.send(junk, serverPort, '127.0.0.1');
          otherPort.send(junk, serverPort, '127.0.0.1');
        }
        sent.malformed += PER_SENDER;
        sent.foreign += 2 * PER_SENDER;
        await eventually(
          () => {
            const now = server.stats;
            return now.udpForeign - before.udpForeign >= sent.foreign && now.rtp.malformed - before.rtp.malformed >= sent.malformed;
          },
          { within: '10s', every: 1, what: `burst ${burst} of the flood read by the server` },
        );
      }
      expect(sent).toEqual({ foreign: 4000, malformed: 2000 });
      expect(await pushing).toEqual({ code: 0, stderr: '' });
      await expectExactRecording(await finished, 'PCMU');
      local.close();
      foreign.close();
      otherPort.close();

      const after = server.stats;
      // Exactly what was sent: none lost, none counted twice, nothing of ffmpeg's call taken for junk.
      expect(after.udpForeign - before.udpForeign).toBe(sent.foreign);
      expect(after.rtp.malformed - before.rtp.malformed).toBe(sent.malformed);
      const flooded = finishedCall(server, 'flooded');
      expect((await client.request('TEARDOWN', base, { Session: session })).status).toBe(200);
      const call = await flooded;
      expect(call.endReason).toBe('teardown');
      // The session's own track: every malformed datagram from its declared port, and not one taken for RTP.
      expect(call.tracks[0]?.stats).toMatchObject({ malformed: sent.malformed, received: 0, rtcp: 0 });
      expect(server.stats.internalErrors).toBe(0);
    });
  });
});

describe('RTSP server session timeout', () => {
  test('a client that never sends TEARDOWN still leaves a finished recording', async () => {
    const server = await startTestRtspServer(store, { sessionTimeoutMs: 1000 });
    try {
      const client = await RawClient.connect(server.port);
      const base = `rtsp://127.0.0.1:${server.port}/calls/no-teardown`;
      expect((await client.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, PCMU_SDP)).status).toBe(200);
      const setup = await client.request('SETUP', `${base}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
      expect(setup.headers.get('session')).toMatch(/^[0-9a-f]{16};timeout=1$/);
      expect((await client.request('RECORD', base)).status).toBe(200);
      const finished = finishedCall(server, 'no-teardown');
      // Half a second of audio, sent at once (timestamps place it), then silence on the wire.
      for (let packet = 0; packet < 25; packet++) {
        const payload = new Uint8Array(160).fill(packet);
        client.socket.write(
          formatInterleaved(0, Buffer.from(serializeRtp({ payloadType: 0, sequenceNumber: packet, timestamp: packet * 160, ssrc: 7, payload }))),
        );
      }
      const call = await finished;
      expect(call.endReason).toBe('timeout');
      expect(call.tracks[0]?.stats.received).toBe(25);
      const { official } = await channels(call);
      expect(official.length).toBe(25 * 160 + official.indexOf(0x00));
      expect(server.stats.sessionTimeouts).toBe(1);
      await client.closed;
    } finally {
      await server.stop();
    }
  });
});
