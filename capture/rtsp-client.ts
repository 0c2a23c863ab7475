/**
 * Our RTSP client (RFC 2326), both directions:
 *
 * - Push (`pushCall`): what the built-in call generator and the tests use to send a two-party call to an RTSP
 *   recorder such as ours. OPTIONS → ANNOUNCE (SDP from formatSdp: one track per party, our x-gm metadata) → SETUP
 *   per track (RTP over UDP from a bound local port pair, or interleaved on the RTSP connection) → RECORD → RTP at
 *   real time, 20 ms per packet → TEARDOWN. GET_PARAMETER keeps the session alive meanwhile.
 * - Pull (`pullCall`): for appliances that expose calls as streams. DESCRIBE → SETUP per track → PLAY, the RTP
 *   going through RtpStreamReceivers and CallAssembly into one encrypted recording, TEARDOWN at the end. A connection
 *   that drops mid-stream is re-established with exponential backoff into the same recording, within a budget of
 *   attempts in a row without media and of attempts in all; the receivers are restarted, so the new stream is placed
 *   by its arrival time, the gap becomes silence (counted) and the timeline keeps real time. A reconnect must find
 *   the same tracks (parties, codec, payload types) or the pull ends rather than mix up channels. RTP over UDP is
 *   taken only from the RTSP server's address (and its server_port), never from whoever else sends to our ports.
 *
 * Both answer a Digest challenge (401) with answerChallenge and retry that request once; the answer is then sent
 * with every later request, because servers (ours included) authenticate each request. Every failure is an
 * RtspClientError with a code saying which kind, the method, and the status where there was one. Nothing the server
 * sends may take the process down: a fault in handling its data or datagrams fails that connection only.
 *
 * One file: pushing and pulling share the connection, its Digest retry and its error codes; splitting them would
 * part one RTSP client from itself.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { type Codec } from '../domain/recording';
import type { Logger } from '../infra/logger';
import { CallAssembly, type CallLayout } from './call-assembly';
import { answerChallenge, type DigestCredentials } from './digest';
import type { FinishedRecording, RecordingStore } from './recording-store';
import { G711_SAMPLE_RATE, RtpStreamReceiver, serializeRtp, type RtpStreamStats } from './rtp';
import {
  formatInterleaved,
  formatRequest,
  formatTransport,
  parseTransport,
  RtspParseError,
  RtspParser,
  type RtspResponse,
  type Transport,
} from './rtsp-message';
import { formatSdp, parseSdp, type CallMetadata, type Party, type SdpTrack } from './sdp';

export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = (G711_SAMPLE_RATE * PACKET_MS) / 1000;
const PAYLOAD_TYPE: Readonly<Record<Codec, number>> = { PCMU: 0, PCMA: 8 };
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** RFC 2326 §12.37: the session timeout when the server does not give one. */
const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
/** Assembled audio is handed to the writer (and sealed on its schedule) this often while pulling. */
const TICK_MS = 200;
/** A server that sends us more than this without our reading it is not a server we can keep up with. */
const MAX_UNSENT_BYTES = 1024 * 1024;
const PARTIES: readonly Party[] = ['official', 'other'];
const DEFAULT_RECONNECT = { attempts: 5, initialDelayMs: 250, maxDelayMs: 5000, total: 20 };

export type RtspClientErrorCode =
  /** The server answered with a failure status (`status` holds it). */
  | 'status'
  /** Still 401 after answering the challenge, or a challenge we cannot answer (no credentials, not Digest). */
  | 'unauthorized'
  | 'timeout'
  /** Connecting failed, or the connection closed while a request or the stream needed it. */
  | 'connection'
  /** The server's answer cannot be used: unparseable, an SDP we refuse, a transport we did not ask for. */
  | 'protocol';

export class RtspClientError extends Error {
  constructor(
    readonly code: RtspClientErrorCode,
    readonly method: string,
    message: string,
    readonly status?: number,
  ) {
    super(`${method}: ${message}`);
    this.name = 'RtspClientError';
  }
}

export interface RtspClientOptions {
  /** `rtsp://[user:password@]host[:port]/path`; credentials in the URL are used when `credentials` is not given. */
  readonly url: string;
  readonly transport: 'udp' | 'tcp';
  readonly credentials?: DigestCredentials;
  readonly logger: Logger;
  readonly requestTimeoutMs?: number;
}

/**
 * One RTSP connection: requests one at a time (CSeq-matched), Digest answered, the session id and timeout kept,
 * interleaved frames handed to `onInterleaved`.
 */
class RtspConnection {
  private readonly parser = new RtspParser();
  private cseq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: { cseq: string; resolve: (response: RtspResponse) => void; reject: (error: Error) => void } | undefined;
  private challenge: string | undefined;
  private nonceCount = 0;
  private closedByUs = false;
  private failure: RtspClientError | undefined;
  session: string | undefined;
  sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS;
  onInterleaved: (channel: number, data: Buffer) => void = () => undefined;
  /** Resolves when the connection is gone: with undefined after close(), with the reason when it dropped. */
  readonly closed: Promise<RtspClientError | undefined>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly credentials: DigestCredentials | undefined,
    private readonly requestTimeoutMs: number,
    logger: Logger,
  ) {
    socket.on('data', (chunk) => {
      try {
        this.data(chunk);
      } catch (error) {
        logger.error('handling data from the rtsp server failed', { error });
        this.abort(new RtspClientError('connection', 'connection', `internal error handling the server's data: ${String(error)}`));
      }
    });
    socket.on('error', (error) => this.fail(new RtspClientError('connection', 'connection', error.message)));
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.fail(new RtspClientError('connection', 'connection', 'closed by the server'));
        resolve(this.closedByUs ? undefined : this.failure);
      }),
    );
  }

  static connect(url: URL, credentials: DigestCredentials | undefined, requestTimeoutMs: number, logger: Logger): Promise<RtspConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 554) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RtspClientError('timeout', 'connect', `no connection to ${url.host} within ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new RtspClientError('connection', 'connect', `${url.host}: ${error.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new RtspConnection(socket, credentials, requestTimeoutMs, logger));
      });
    });
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** The server's address as a udp4 socket reports a sender's, without the IPv4-mapped prefix. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress?.replace(/^::ffff:/, '');
  }

  /**
   * Sends a request and resolves with its 2xx answer. A 401 is answered with Digest and the request sent once more;
   * any other failure status rejects with an RtspClientError.
   */
  request(method: string, uri: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RtspResponse> {
    const run = this.queue.then(async () => {
      let response = await this.send(method, uri, headers, body);
      if (response.status === 401) {
        const challenge = response.headers.get('www-authenticate');
        if (!this.credentials || !challenge) throw new RtspClientError('unauthorized', method, 'the server wants credentials and none were given', 401);
        this.challenge = challenge;
        this.nonceCount = 0;
        response = await this.send(method, uri, headers, body);
        if (response.status === 401) throw new RtspClientError('unauthorized', method, 'the credentials were refused', 401);
      }
      if (response.status < 200 || response.status > 299) {
        throw new RtspClientError('status', method, `${response.status} ${response.reason}`, response.status);
      }
      const session = response.headers.get('session');
      if (session !== undefined) {
        const [id, ...params] = session.split(';').map((part) => part.trim());
        this.session = id;
        const timeout = params.map((param) => /^timeout=([0-9]{1,6})$/i.exec(param)).find(Boolean);
        if (timeout) this.sessionTimeoutMs = Number(timeout[1]) * 1000;
      }
      return response;
    });
    // The next request waits for this one whatever its outcome.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** An RTP or RTCP packet interleaved on the connection; false when the connection cannot take it. */
  sendInterleaved(channel: number, packet: Uint8Array): boolean {
    if (this.socket.destroyed || this.socket.writableLength > MAX_UNSENT_BYTES) return false;
    this.socket.write(formatInterleaved(channel, Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength)));
    return true;
  }

  close(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }

  /** Ends the connection as failed: pending and later requests reject, and `closed` resolves with `error`. */
  abort(error: RtspClientError): void {
    this.fail(error);
    this.socket.destroy();
  }

  private send(method: string, uri: string, headers: Record<string, string>, body: Buffer | undefined): Promise<RtspResponse> {
    if (this.failure) return Promise.reject(new RtspClientError(this.failure.code, method, this.failure.message));
    const cseq = String(++this.cseq);
    const all: Record<string, string> = { CSeq: cseq, 'User-Agent': 'gm-capture', ...headers };
    if (this.session !== undefined) all.Session = this.session;
    if (this.challenge && this.credentials) {
      const authorization = answerChallenge(this.challenge, this.credentials, method, uri, ++this.nonceCount);
      if (!authorization) return Promise.reject(new RtspClientError('unauthorized', method, 'the server offers no Digest challenge we can answer', 401));
      all.Authorization = authorization;
    }
    return new Promise<RtspResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new RtspClientError('timeout', method, `no answer within ${this.requestTimeoutMs} ms`));
        this.socket.destroy();
      }, this.requestTimeoutMs);
      this.waiting = {
        cseq,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(new RtspClientError(error instanceof RtspClientError ? error.code : 'connection', method, error.message));
        },
      };
      this.socket.write(formatRequest(method, uri, all, body));
    });
  }

  private data(chunk: Buffer): void {
    let messages;
    try {
      messages = this.parser.push(chunk);
    } catch (error) {
      if (!(error instanceof RtspParseError)) throw error;
      this.abort(new RtspClientError('protocol', 'connection', `unparseable data from the server: ${error.message}`));
      return;
    }
    for (const message of messages) {
      if (message.kind === 'interleaved') this.onInterleaved(message.channel, message.data);
      else if (message.kind === 'response' && this.waiting && message.headers.get('cseq') === this.waiting.cseq) {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting.resolve(message);
      }
      // Requests from the server (ANNOUNCE, GET_PARAMETER of RFC 7826) and stray answers are not needed: ignored.
    }
  }

  private fail(error: RtspClientError): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }
}

/** The request URL without its user information, and the credentials to use. */
function target(options: RtspClientOptions): { url: URL; uri: string; credentials: DigestCredentials | undefined } {
  const url = new URL(options.url);
  if (url.protocol !== 'rtsp:') throw new RangeError('the URL must be rtsp://');
  const fromUrl = url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  return { url, uri: url.href, credentials: options.credentials ?? fromUrl };
}

/** An even/odd local UDP port pair (RTP, RTCP), as RFC 3550 §11 asks of RTP over UDP. */
async function bindPortPair(onMessage: (data: Buffer, from: dgram.RemoteInfo) => void): Promise<[dgram.Socket, dgram.Socket]> {
  const bind = (port: number) =>
    new Promise<dgram.Socket>((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', (error) => {
        socket.close();
        reject(error);
      });
      socket.bind(port, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        socket.on('message', onMessage);
        resolve(socket);
      });
    });
  for (let attempt = 0; attempt < 32; attempt++) {
    const rtp = await bind(0);
    const port = rtp.address().port;
    if (port % 2 === 0 && port < 65_535) {
      try {
        return [rtp, await bind(port + 1)];
      } catch {
        // port + 1 is taken: try another pair.
      }
    }
    rtp.close();
  }
  throw new RtspClientError('connection', 'SETUP', 'no free local UDP port pair');
}

function keepAlive(connection: RtspConnection, uri: string, onFailure: (error: RtspClientError) => void): NodeJS.Timeout {
  // Half the session timeout leaves room for one slow answer before the server gives up on us.
  return setInterval(
    () => {
      connection.request('GET_PARAMETER', uri).catch((error: RtspClientError) => onFailure(error));
    },
    Math.max(500, connection.sessionTimeoutMs / 2),
  );
}

// ─── push ───────────────────────────────────────────────────────────────────────────────────────────────────────

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

// ─── pull ───────────────────────────────────────────────────────────────────────────────────────────────────────

export interface PullCallOptions extends RtspClientOptions {
  readonly store: RecordingStore;
  /** Facts the stream's SDP does not carry (most appliances send none); the SDP's own x-gm values win. */
  readonly metadata?: Partial<CallMetadata>;
  /** Stop (TEARDOWN) after this long; without it the pull runs until the stream ends. */
  readonly durationMs?: number;
  /**
   * No RTP for this long means the stream has ended. The clock runs on across reconnects: a reconnect must bring RTP
   * back within it, or the pull ends as given up.
   */
  readonly mediaTimeoutMs?: number;
  /**
   * Reconnects after a drop, the delay starting at initialDelayMs and doubling up to maxDelayMs. `attempts` counts
   * attempts in a row without RTP in between, so a server that answers PLAY and drops before sending anything uses
   * them up; `total` counts attempts in the whole pull (default 20), so a server that sends a little and drops, again
   * and again, is given up too.
   */
  readonly reconnect?: { readonly attempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number; readonly total?: number };
}

export type PullEndReason = 'duration' | 'stream-ended' | 'gave-up';

export interface PullResult {
  readonly recordingId: string;
  readonly codec: Codec;
  readonly layout: CallLayout;
  readonly metadata: CallMetadata & { readonly callId: string; readonly startedAt: Date };
  readonly recording: FinishedRecording;
  readonly endReason: PullEndReason;
  /**
   * Why the pull gave up (endReason 'gave-up'): the last drop or failed reconnect when the attempts or the media
   * timeout ran out, a stream that changed across a reconnect, or an internal error.
   */
  readonly error?: RtspClientError;
  readonly reconnects: number;
  /** Time without media across reconnects, written as silence. */
  readonly gapMs: number;
  /** Datagrams on our UDP ports from another address or port than the server's, dropped. */
  readonly foreignDatagrams: number;
  readonly tracks: readonly { readonly party: Party | 'mixed'; readonly stats: RtpStreamStats }[];
}

interface PullTrack {
  readonly description: SdpTrack;
  readonly party: Party | 'mixed';
  receiver?: RtpStreamReceiver;
}

/** One DESCRIBE → SETUP → PLAY session; torn down and replaced on reconnect, while the tracks and recording stay. */
interface PullSession {
  readonly connection: RtspConnection;
  readonly playUri: string;
  readonly sockets: dgram.Socket[];
  readonly keepAlive: NodeJS.Timeout;
  closed: boolean;
}

/**
 * Whether a reconnect found the stream it left. Another party order, codec or payload type would put audio on the
 * wrong channel or make it unreadable, so anything else ends the pull.
 */
function sameTracks(pulled: readonly PullTrack[], found: readonly SdpTrack[]): boolean {
  return (
    pulled.length === found.length &&
    pulled.every((track, index) => {
      const now = found[index] as SdpTrack;
      return (
        now.codec === track.description.codec &&
        (now.party ?? 'mixed') === track.party &&
        now.payloadType === track.description.payloadType &&
        now.telephoneEventPayloadType === track.description.telephoneEventPayloadType
      );
    })
  );
}

const asClientError = (error: unknown, method: string): RtspClientError =>
  error instanceof RtspClientError ? error : new RtspClientError('connection', method, String(error));

/**
 * Pulls one stream into one recording. Rejects when the first session cannot be set up (nothing is recorded then);
 * after that it always resolves with the finished recording, saying why it ended.
 */
export async function pullCall(options: PullCallOptions): Promise<PullResult> {
  const { url, uri, credentials } = target(options);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT;
  const totalAttempts = options.reconnect?.total ?? DEFAULT_RECONNECT.total;
  const mediaTimeoutMs = options.mediaTimeoutMs ?? 5000;
  const logger = options.logger.child({ component: 'rtsp-pull', url: uri });
  let tracks: PullTrack[] | undefined;
  let described: CallMetadata | undefined;
  let ended = false;
  let reconnecting = false;
  let lastMediaMs = performance.now();
  /** Reconnect attempts since RTP last arrived: what the backoff and `reconnect.attempts` count. */
  let attemptsInARow = 0;
  let gapMs = 0;
  let gapStartMs: number | undefined;
  let foreignDatagrams = 0;

  const media = (track: PullTrack, data: Buffer) => {
    const receiver = track.receiver;
    // Before the recording is open there is nowhere to put it; after the end, the recording is being finished.
    if (!receiver || ended) return;
    const now = performance.now();
    const received = receiver.stats.received;
    receiver.push(data, now);
    // Only RTP is media: a server that sends reports (RTCP) and no audio is not streaming.
    if (receiver.stats.received === received) return;
    if (gapStartMs !== undefined) {
      gapMs += now - gapStartMs;
      gapStartMs = undefined;
    }
    lastMediaMs = now;
    attemptsInARow = 0;
  };

  const foreign = (from: dgram.RemoteInfo) => {
    // The first is logged: a server that sends from another address (NAT, a second interface) records only silence.
    if (foreignDatagrams++ === 0) logger.warn('datagram from another address or port than the rtsp server dropped', { from: `${from.address}:${from.port}` });
  };

  const open = async (): Promise<PullSession> => {
    const connection = await RtspConnection.connect(url, credentials, requestTimeoutMs, logger);
    const serverAddress = connection.remoteAddress;
    const sockets: dgram.Socket[] = [];
    // A fault in handling a datagram fails this session (a reconnect follows), never the process.
    const guard = (action: () => void) => {
      try {
        action();
      } catch (error) {
        logger.error('handling a datagram failed', { error });
        connection.abort(new RtspClientError('connection', 'PLAY', `internal error handling the stream: ${String(error)}`));
      }
    };
    try {
      const describeResponse = await connection.request('DESCRIBE', uri, { Accept: 'application/sdp' });
      const base = describeResponse.headers.get('content-base') ?? describeResponse.headers.get('content-location') ?? uri;
      const parsed = parseSdp(describeResponse.body, { baseUrl: base });
      if (!parsed.ok) throw new RtspClientError('protocol', 'DESCRIBE', `SDP refused: ${parsed.error.code} ${parsed.error.detail}`);
      const description = parsed.description;
      if (new Set(description.tracks.map((track) => track.codec)).size > 1)
        throw new RtspClientError('protocol', 'DESCRIBE', 'the tracks use different codecs');
      if (tracks && !sameTracks(tracks, description.tracks)) {
        throw new RtspClientError('protocol', 'DESCRIBE', 'the stream changed its tracks across a reconnect (number, parties, codec or payload types)');
      }
      tracks ??= description.tracks.map((track) => ({ description: track, party: track.party ?? 'mixed' }));
      described ??= description.metadata;
      const current = tracks;
      connection.onInterleaved = (channel, data) => {
        const track = current[Math.floor(channel / 2)];
        if (track) media(track, data);
      };
      for (const [index, track] of description.tracks.entries()) {
        let request: Transport;
        // Known once SETUP is answered; until then (no media flows before PLAY) the address alone is checked.
        let serverPorts: readonly [number, number] | undefined;
        if (options.transport === 'tcp') {
          request = { protocol: 'tcp', interleaved: [2 * index, 2 * index + 1], mode: 'play' };
        } else {
          // RTP and RTCP alike go to the receiver, which counts and ignores RTCP; either may come from either server port.
          const pair = await bindPortPair((data, from) =>
            guard(() => {
              if (from.address === serverAddress && (!serverPorts || serverPorts.includes(from.port))) media(current[index] as PullTrack, data);
              else foreign(from);
            }),
          );
          sockets.push(...pair);
          request = { protocol: 'udp', clientPorts: [pair[0].address().port, pair[1].address().port], mode: 'play' };
        }
        const response = await connection.request('SETUP', track.controlUrl, { Transport: formatTransport(request) });
        const answer = parseTransport(response.headers.get('transport') ?? '');
        if (answer?.protocol !== request.protocol || (answer.protocol === 'tcp' && answer.interleaved[0] !== 2 * index)) {
          throw new RtspClientError('protocol', 'SETUP', `the server answered a different transport: ${response.headers.get('transport') ?? 'none'}`);
        }
        if (answer.protocol === 'udp') serverPorts = answer.serverPorts;
      }
      const control = description.control;
      const playUri = control === undefined || control === '*' ? base : new URL(control, base).href;
      await connection.request('PLAY', playUri, { Range: 'npt=0.000-' });
      return { connection, playUri, sockets, keepAlive: keepAlive(connection, playUri, (error) => logger.warn('keep-alive failed', { error })), closed: false };
    } catch (error) {
      for (const socket of sockets) socket.close();
      connection.close();
      throw error;
    }
  };

  // Idempotent: a dropped session is closed when the drop is seen, and again on the way out.
  const close = (session: PullSession) => {
    if (session.closed) return;
    session.closed = true;
    clearInterval(session.keepAlive);
    for (const socket of session.sockets) socket.close();
    session.connection.close();
  };

  let session = await open();
  const pulled = tracks as PullTrack[];
  const codec = (pulled[0] as PullTrack).description.codec;
  const layout: CallLayout = pulled.length === 2 ? 'two-party' : (pulled[0] as PullTrack).party;
  const sdp = described as CallMetadata;
  // A stream that names no call still becomes a recording; a fresh id keeps it apart from every other.
  const callId = sdp.callId ?? options.metadata?.callId ?? randomUUID();
  const metadata = {
    extension: sdp.extension ?? options.metadata?.extension,
    otherParty: sdp.otherParty ?? options.metadata?.otherParty,
    direction: sdp.direction ?? options.metadata?.direction,
    notices: sdp.notices.length > 0 ? sdp.notices : (options.metadata?.notices ?? []),
    callId,
    startedAt: sdp.startedAt ?? options.metadata?.startedAt ?? new Date(),
  };
  const recordingId = randomUUID();
  let writer;
  try {
    writer = await options.store.open({
      recordingId,
      codec,
      startedAt: metadata.startedAt,
      metadata: {
        callId,
        extension: metadata.extension ?? null,
        otherParty: metadata.otherParty ?? null,
        direction: metadata.direction ?? null,
        notices: JSON.stringify(metadata.notices),
        source: uri,
        layout,
      },
    });
  } catch (error) {
    close(session);
    throw error;
  }
  const assembly = new CallAssembly(writer, { codec, layout });
  // The epoch is now, just after PLAY was answered: the first packet lands at its arrival, a few ms in.
  const epochMs = performance.now();
  for (const track of pulled) {
    track.receiver = new RtpStreamReceiver(
      { codec, payloadType: track.description.payloadType, telephoneEventPayloadType: track.description.telephoneEventPayloadType, epochMs },
      assembly.sink(track.party),
    );
  }
  lastMediaMs = epochMs;

  let reconnects = 0;
  let attemptsInAll = 0;
  let failure: RtspClientError | undefined;
  const endReason = await new Promise<PullEndReason>((resolve) => {
    const end = (reason: PullEndReason) => {
      if (ended) return;
      ended = true;
      clearInterval(ticker);
      resolve(reason);
    };
    const ticker = setInterval(() => {
      try {
        const now = performance.now();
        // Packets held for a lost one are released after a while even if the server has gone quiet.
        for (const track of pulled) track.receiver?.tick(now);
        assembly.tick();
        if (options.durationMs !== undefined && now - epochMs >= options.durationMs) end('duration');
        // Reconnecting does not stop this clock: without RTP for this long the stream is over, connected or not.
        else if (now - lastMediaMs > mediaTimeoutMs) end(reconnecting ? 'gave-up' : 'stream-ended');
      } catch (error) {
        logger.error('pull tick failed', { error });
        failure = asClientError(error, 'PLAY');
        end('gave-up');
      }
    }, TICK_MS);

    const reconnectAfter = async (dropped: RtspClientError) => {
      logger.warn('connection dropped, reconnecting', { error: dropped });
      reconnecting = true;
      gapStartMs = lastMediaMs;
      failure = dropped;
      while (!ended) {
        if (attemptsInARow >= reconnect.attempts || attemptsInAll >= totalAttempts) return end('gave-up');
        await new Promise((wait) => setTimeout(wait, Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * 2 ** attemptsInARow)));
        if (ended) return;
        attemptsInARow++;
        attemptsInAll++;
        // Before the new session can send: its packets start new sources placed by their arrival, even where the
        // server restarts sequence numbers and timestamps under the same SSRC.
        for (const track of pulled) track.receiver?.restart();
        try {
          session = await open();
        } catch (error) {
          failure = asClientError(error, 'reconnect');
          logger.warn('reconnect failed', { attempt: attemptsInAll, error });
          // Another stream, or answers we cannot use: asking again would get the same.
          if (failure.code === 'protocol') return end('gave-up');
          continue;
        }
        reconnects++;
        reconnecting = false;
        if (ended) close(session);
        else watch(session);
        return;
      }
    };
    const watch = (current: PullSession): void => {
      current.connection.closed
        .then((dropped) => {
          if (!dropped || ended) return;
          close(current);
          return reconnectAfter(dropped);
        })
        .catch((error: unknown) => {
          logger.error('reconnecting failed', { error });
          failure = asClientError(error, 'reconnect');
          end('gave-up');
        });
    };
    watch(session);
  });

  if (endReason !== 'gave-up') {
    clearInterval(session.keepAlive);
    // The stream is over either way; a failed TEARDOWN only means the server cleans up on its own timeout.
    await session.connection.request('TEARDOWN', session.playUri).catch((error: unknown) => logger.info('teardown failed', { error }));
  }
  close(session);
  for (const track of pulled) track.receiver?.flush();
  const recording = await assembly.finish();
  return {
    recordingId,
    codec,
    layout,
    metadata,
    recording,
    endReason,
    ...(endReason === 'gave-up' && failure ? { error: failure } : {}),
    reconnects,
    gapMs,
    foreignDatagrams,
    tracks: pulled.map((track) => ({ party: track.party, stats: { ...(track.receiver as RtpStreamReceiver).stats } })),
  };
}
