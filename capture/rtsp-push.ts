/**
 * Our RTSP client pushing a call (`pushCall`): what the built-in call generator and the tests use to send a two-party
 * call to an RTSP recorder such as ours, at real time. Apart from pulling (rtsp-pull.ts) because it only sends; the
 * connection, Digest retry and error codes they share are rtsp-client.ts.
 */
import { randomBytes, randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { type Codec } from '../domain/recording';
import { serializeRtp } from './rtp';
import { formatTransport, parseTransport } from './rtsp-message';
import { formatSdp, type CallMetadata, type Party } from './sdp';
import {
  bindPortPair,
  DEFAULT_REQUEST_TIMEOUT_MS,
  keepAlive,
  PACKET_MS,
  RtspClientError,
  type RtspClientOptions,
  RtspConnection,
  SAMPLES_PER_PACKET,
  target,
} from './rtsp-client';

const PAYLOAD_TYPE: Readonly<Record<Codec, number>> = { PCMU: 0, PCMA: 8 };
const PARTIES: readonly Party[] = ['official', 'other'];

export interface PushCallOptions extends RtspClientOptions {
  readonly codec: Codec;
  /** The call's facts, announced as x-gm attributes (the call id is what the recorder files the call under). */
  readonly metadata: CallMetadata & { readonly callId: string };
  readonly durationMs: number;
  /** The G.711 payload of packet `index` (0, 1, …) of a party: SAMPLES_PER_PACKET bytes. */
  readonly audio: (party: Party, index: number) => Uint8Array;
  /** Ends the call early: sending stops and the call is torn down as a hung-up call would be. */
  readonly signal?: AbortSignal;
}

export interface PushResult {
  readonly sessionId: string;
  /** RTP packets sent per party. */
  readonly packets: number;
}

interface PushTrack {
  readonly party: Party;
  readonly ssrc: number;
  readonly firstSequence: number;
  readonly firstTimestamp: number;
  send?: (packet: Uint8Array) => void;
  sockets?: dgram.Socket[];
}

/** Pushes one call at real time; resolves once the server has answered TEARDOWN. */
export async function pushCall(options: PushCallOptions): Promise<PushResult> {
  const { url, uri, credentials } = target(options);
  const packets = Math.ceil(options.durationMs / PACKET_MS);
  const tracks: PushTrack[] = PARTIES.map((party) => ({
    party,
    // RFC 3550 §5.1: random initial sequence number, timestamp and SSRC.
    ssrc: randomInt(0, 0x1_0000_0000),
    firstSequence: randomInt(0, 0x10000),
    firstTimestamp: randomInt(0, 0x1_0000_0000),
  }));
  const connection = await RtspConnection.connect(url, credentials, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, options.logger);
  let keepAliveTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  try {
    await connection.request('OPTIONS', uri);
    const sdp = formatSdp({
      origin: {
        username: '-',
        sessionId: BigInt(`0x${randomBytes(7).toString('hex')}`).toString(),
        sessionVersion: '1',
        addressType: 'IP4',
        address: connection.localAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      },
      sessionName: 'call',
      control: undefined,
      metadata: options.metadata,
      tracks: tracks.map((track, index) => ({
        port: 0,
        codec: options.codec,
        payloadType: PAYLOAD_TYPE[options.codec],
        telephoneEventPayloadType: undefined,
        ptimeMs: PACKET_MS,
        direction: 'sendonly',
        party: track.party,
        control: `track${index + 1}`,
      })),
    });
    await connection.request('ANNOUNCE', uri, { 'Content-Type': 'application/sdp' }, Buffer.from(sdp));
    for (const [index, track] of tracks.entries()) await setupPushTrack(connection, options, url, `${uri}/track${index + 1}`, track, index);
    await connection.request('RECORD', uri, { Range: 'npt=0.000-' });
    const sessionId = connection.session as string;

    let stopSending: (error: RtspClientError) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (stopSending = reject));
    keepAliveTimer = keepAlive(connection, uri, (error) => stopSending(error));
    void connection.closed.then((error) => stopSending(error ?? new RtspClientError('connection', 'RECORD', 'closed')));
    const hungUp = new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    const progress = { sent: 0 };
    await Promise.race([sendAtRealTime(tracks, packets, options, () => stopped, progress), failed, hungUp]);
    stopped = true;
    clearInterval(keepAliveTimer);
    await connection.request('TEARDOWN', uri);
    return { sessionId, packets: progress.sent };
  } finally {
    stopped = true;
    clearInterval(keepAliveTimer);
    for (const track of tracks) for (const socket of track.sockets ?? []) socket.close();
    connection.close();
  }
}

async function setupPushTrack(
  connection: RtspConnection,
  options: PushCallOptions,
  url: URL,
  trackUri: string,
  track: PushTrack,
  index: number,
): Promise<void> {
  if (options.transport === 'tcp') {
    const channel = 2 * index;
    const response = await connection.request('SETUP', trackUri, {
      Transport: formatTransport({ protocol: 'tcp', interleaved: [channel, channel + 1], mode: 'record' }),
    });
    const answer = parseTransport(response.headers.get('transport') ?? '');
    if (answer?.protocol !== 'tcp') throw new RtspClientError('protocol', 'SETUP', 'the server did not accept TCP interleaving');
    track.send = (packet) => {
      if (!connection.sendInterleaved(answer.interleaved[0], packet))
        throw new RtspClientError('connection', 'RECORD', 'the server does not read the interleaved stream');
    };
    return;
  }
  // RTCP from the recorder (receiver reports) arrives on the odd port; nothing in it changes what we send.
  const sockets = await bindPortPair(() => undefined);
  track.sockets = sockets;
  const clientPorts: [number, number] = [sockets[0].address().port, sockets[1].address().port];
  const response = await connection.request('SETUP', trackUri, { Transport: formatTransport({ protocol: 'udp', clientPorts, mode: 'record' }) });
  const answer = parseTransport(response.headers.get('transport') ?? '');
  if (answer?.protocol !== 'udp' || !answer.serverPorts) throw new RtspClientError('protocol', 'SETUP', 'the server gave no server_port for RTP over UDP');
  const [rtpPort] = answer.serverPorts;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  track.send = (packet) => sockets[0].send(packet, rtpPort, host);
}

/**
 * One timer per call sends every party's packet that is due. Packet n is due at start + n × 20 ms, computed from the
 * start rather than from the previous tick, so timer lateness never accumulates: a late tick sends what it owes.
 */
function sendAtRealTime(
  tracks: readonly PushTrack[],
  packets: number,
  options: PushCallOptions,
  stopped: () => boolean,
  /** Packets sent per party so far, for the caller's result. */
  progress: { sent: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const tick = () => {
      // The call failed elsewhere (keep-alive, connection): its sockets are gone, so is the caller.
      if (stopped()) return;
      try {
        const due = Math.min(packets, Math.floor((performance.now() - start) / PACKET_MS) + 1);
        for (; progress.sent < due; progress.sent++) {
          const sent = progress.sent;
          for (const track of tracks) {
            (track.send as (packet: Uint8Array) => void)(
              serializeRtp({
                marker: sent === 0,
                payloadType: PAYLOAD_TYPE[options.codec],
                sequenceNumber: (track.firstSequence + sent) % 0x10000,
                timestamp: (track.firstTimestamp + sent * SAMPLES_PER_PACKET) % 0x1_0000_0000,
                ssrc: track.ssrc,
                payload: options.audio(track.party, sent),
              }),
            );
          }
        }
      } catch (error) {
        reject(error);
        return;
      }
      if (progress.sent >= packets) resolve();
      else setTimeout(tick, start + progress.sent * PACKET_MS - performance.now());
    };
    tick();
  });
}
