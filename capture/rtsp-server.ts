/**
 * The RTSP server (RFC 2326; RTSP/2.0 request lines accepted) for calls pushed by the PBX or media gateway:
 * ANNOUNCE → SETUP per track → RECORD → TEARDOWN, RTP over UDP (a server port pair per track) or interleaved on the
 * RTSP connection. Each call becomes one encrypted stereo recording; when it is finished the server reports the
 * call's facts to `onRecordingFinished` listeners, which later register it (database row, audit, retention workflow).
 *
 * State per connection (one call per connection, as PBXs and ffmpeg push; the session ends with its connection):
 *
 *   init ──ANNOUNCE──▶ announced ──SETUP (each track)──▶ ready ──RECORD──▶ recording ──TEARDOWN──▶ closed
 *                                                          │                  │ session timeout, connection closed,
 *                                                          └──────────────────┴─▶ closed  server stopped
 *
 * A method outside its state is answered 455, a method this recorder does not implement 501, a Session header that
 * is not this connection's session 454. Any RTSP request or any RTP/RTCP packet accepted for the session counts as
 * activity; a session idle for `sessionTimeoutMs` is closed and its recording finished, never discarded.
 *
 * Call metadata: the SDP's `a=x-gm-*` attributes (capture/sdp.ts), or, for senders that cannot add attributes to
 * their SDP (ffmpeg, generic encoders), the ANNOUNCE URL:
 *
 *   rtsp://host:port/calls/<call id>?extension=<n>&other-party=<n>&direction=<d>&started-at=<instant>&notice=<e>
 *
 * The path's last segment after `/calls/` is the call id; the query keys are the attribute names without `x-gm-`
 * (`notice` repeatable) and are checked by the very same rules, by parsing them as those attributes. Where the URL
 * and the SDP both give a value they must agree: a conflict is refused with 451, since it means a misconfigured
 * sender and guessing which is right would put a recording under the wrong official. A call id is required (from
 * either); the start time defaults to the moment RECORD arrived.
 *
 * One file: the server, its connections and their request handlers share each session's state and the refusal rules
 * of the diagram above; splitting them would scatter one state machine. Its UDP port pairs are rtp-ports.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Codec, type RecordingMode } from '../domain/recording';
import type { Logger } from '../infra/logger';
import { addressMatcher } from '../infra/net';
import { AuthFailureLog, AuthThrottle } from './auth-throttle';
import { CallAssembly, type AssemblyStats, type CallLayout, type PartyEvent } from './call-assembly';
import { claimedUsername, DigestAuthority, type DigestVerdict } from './digest';
import type { FinishedRecording, RecordingStore } from './recording-store';
import { RecordingGate } from './recording-gate';
import { shouldRecord } from '../domain/recording';
import { type RecordButton } from './record-button';
import { RtpStreamReceiver, type RtpStreamStats } from './rtp';
import { plainAddress, RtpPortPool, type PortPair } from './rtp-ports';
import { formatResponse, formatTransport, parseTransport, RtspParseError, RtspParser, type RtspRequest, type Transport } from './rtsp-message';
import { parseSdp, type CallMetadata, type Party, type SdpErrorCode, type SdpTrack } from './sdp';

export interface RtspServerOptions {
  readonly store: RecordingStore;
  readonly logger: Logger;
  /** Digest realm, and the pushing devices' passwords by user name. */
  readonly realm: string;
  readonly devicePassword: (username: string) => string | undefined;
  readonly host?: string;
  /** 0 picks a free port (tests); see `port` after start(). */
  readonly port?: number;
  /** Server RTP ports, allocated in pairs (even RTP, odd RTCP) from `first` to `last` inclusive. */
  readonly rtpPorts: { readonly first: number; readonly last: number };
  readonly sessionTimeoutMs?: number;
  /** All connections together. */
  readonly maxConnections?: number;
  /**
   * The PBX's addresses (IP addresses and CIDR ranges). Connections from all other addresses together hold at most a
   * quarter of `maxConnections`; the rest are the trusted addresses' alone. Strangers' failed logins never block them
   * (auth-throttle.ts). Without any, every peer is a stranger and may take every slot.
   */
  readonly trustedAddresses?: readonly string[];
  /** Connections one stranger address may hold. */
  readonly maxConnectionsPerAddress?: number;
  /**
   * New connections one address may open per second (a token bucket holding `connectionBurstPerAddress`): a flood
   * from one address is answered 503 and counted, and the calls of other addresses go on.
   */
  readonly connectionsPerSecondPerAddress?: number;
  readonly connectionBurstPerAddress?: number;
  /**
   * R1: the mode of the call's extension when the call starts (undefined for an extension the table does not know,
   * which is then treated as selective). Without it every pushed call is recorded, as a PBX that pushes only the
   * calls it wants recorded expects. A rejection refuses RECORD with 503: neither recording a selective call
   * without its button nor missing a full call is a guess to make while the database is away.
   */
  readonly modeFor?: (call: { readonly callId: string; readonly extension?: string | undefined }) => Promise<RecordingMode | undefined>;
  /** The record-button presses of selective calls (see `recordButtonPressed`). */
  readonly recordButton?: RecordButton;
}

export type EndReason = 'teardown' | 'timeout' | 'connection-closed' | 'server-stopped';

/** What a finished call leaves behind: everything the registration (database row, audit, workflow) needs. */
export interface FinishedCall {
  readonly recordingId: string;
  readonly sessionId: string;
  readonly metadata: CallMetadata & { readonly callId: string; readonly startedAt: Date };
  /** The Digest user name of the device that pushed the call, and where from. */
  readonly device: string;
  readonly remoteAddress: string;
  readonly layout: CallLayout;
  readonly codec: Codec;
  /** The mode applied to the call: a selective recording starts at the record button (`metadata.startedAt`). */
  readonly mode: RecordingMode | undefined;
  readonly endReason: EndReason;
  readonly recording: FinishedRecording;
  readonly tracks: readonly { readonly party: Party | 'mixed'; readonly transport: 'udp' | 'tcp'; readonly stats: RtpStreamStats }[];
  readonly events: readonly PartyEvent[];
  readonly assembly: AssemblyStats;
}

export interface RtspServerStats {
  connections: number;
  /** Refused for capacity (503). */
  connectionsRefused: number;
  /** Unauthenticated connections of a trusted address closed to make room for its newer one. */
  connectionsEvicted: number;
  sessionsActive: number;
  recordingsStarted: number;
  recordingsFinished: number;
  recordingsFailed: number;
  /** Selective calls that ended without the record button: received, nothing kept. */
  callsNotRecorded: number;
  /** RECORD refused because the extension's mode could not be read. */
  modeUnavailable: number;
  sessionTimeouts: number;
  /** Digest attempts with a wrong user name or password. */
  authFailures: number;
  /** Digest headers whose nonce count did not grow, answered stale: a replay, or a device that never counts. */
  authReplays: number;
  /** Sources blocked after repeated failures (auth-throttle.ts). */
  authBlocks: number;
  /** Requests and connections refused unchecked (403) while their source was blocked. */
  authRefusedBlocked: number;
  /** Requests answered with a 4xx/5xx status other than 401. */
  requestsRefused: number;
  parseErrors: number;
  /** Faults in our own handling, caught per connection. */
  internalErrors: number;
  udpPackets: number;
  /** Datagrams from an address other than the one that set the session up. */
  udpForeign: number;
  /** Datagrams or interleaved frames with no recording to go to (before RECORD, unknown channel). */
  mediaDropped: number;
  /** RTP counters summed over finished and active tracks. */
  rtp: { received: number; lost: number; malformed: number; late: number; duplicates: number };
}

const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
/** A connection that has not authenticated is given this long, so unauthenticated peers cannot hold slots. */
const UNAUTHENTICATED_TIMEOUT_MS = 10_000;
/**
 * A PBX starting many calls at once (after a restart of either side) has that many connections in the Digest round
 * trip at the same time; a flood from one address gets no more slots than this, each for ten seconds at most.
 */
const MAX_UNAUTHENTICATED_PER_ADDRESS = 128;
/**
 * Requests a peer may have waiting for their answers before its connection is no longer read (devices send one at a
 * time): a peer pipelining guesses behind a held answer fills its own TCP window, not our memory.
 */
const MAX_QUEUED_REQUESTS = 8;
/** A refused or finished peer that never closes its side is cut off after this. */
const LINGER_MS = 2_000;
const METHODS = ['OPTIONS', 'ANNOUNCE', 'SETUP', 'RECORD', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER'] as const;
type Method = (typeof METHODS)[number];
/** A peer that does not read our answers is not allowed to pile them up in memory. */
const MAX_UNSENT_BYTES = 64 * 1024;
/** Sessions are checked this often for timeouts, and recordings for audio waiting to be sealed. */
const SWEEP_INTERVAL_MS = 200;
const SDP_STATUS: Record<SdpErrorCode, number> = {
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA: 415,
  UNSUPPORTED_TRANSPORT: 415,
  UNSUPPORTED_CODEC: 415,
  UNSUPPORTED_CLOCK_RATE: 415,
  INVALID_METADATA: 451,
  NOT_UTF8: 400,
  SYNTAX: 400,
  NO_AUDIO_TRACK: 400,
  TOO_MANY_TRACKS: 400,
  MISSING_CONTROL: 400,
  INVALID_CONTROL: 400,
};
/** URL query key → SDP attribute: the same names without the `x-gm-` prefix. */
const URL_METADATA = ['extension', 'other-party', 'direction', 'started-at', 'notice'];
const CALL_PATH = /^\/calls\/([^/]+)\/?$/;

/** A refusal with the status to answer; thrown by the request handlers. */
class RtspRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RtspRefusal';
  }
}

interface Track {
  readonly description: SdpTrack;
  readonly party: Party | 'mixed';
  transport?: { protocol: 'udp'; ports: PortPair; clientPorts: [number, number] } | { protocol: 'tcp'; channels: [number, number] };
  receiver?: RtpStreamReceiver;
}

type AnnouncedMetadata = CallMetadata & { readonly callId: string };

type State = 'init' | 'announced' | 'ready' | 'starting' | 'recording' | 'closed';

export class RtspServer {
  private readonly server: net.Server;
  private readonly authority: DigestAuthority;
  private readonly sessionTimeoutMs: number;
  private readonly connections = new Set<Connection>();
  private readonly listeners = new Set<(call: FinishedCall) => unknown>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly connectionRate: AddressRate;
  private readonly trusted: (address: string) => boolean;
  private readonly throttle: AuthThrottle;
  private readonly maxConnections: number;
  private readonly maxStrangerConnections: number;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly ports: RtpPortPool;
  /** The failed logins not yet written to the audit chain (the appliance drains it every minute and at stop). */
  readonly authFailureLog = new AuthFailureLog();
  readonly counters: Omit<RtspServerStats, 'connections' | 'sessionsActive' | 'rtp'> & { rtp: RtspServerStats['rtp'] } = {
    connectionsRefused: 0,
    connectionsEvicted: 0,
    recordingsStarted: 0,
    recordingsFinished: 0,
    recordingsFailed: 0,
    callsNotRecorded: 0,
    modeUnavailable: 0,
    sessionTimeouts: 0,
    authFailures: 0,
    authReplays: 0,
    authBlocks: 0,
    authRefusedBlocked: 0,
    requestsRefused: 0,
    parseErrors: 0,
    internalErrors: 0,
    udpPackets: 0,
    udpForeign: 0,
    mediaDropped: 0,
    rtp: { received: 0, lost: 0, malformed: 0, late: 0, duplicates: 0 },
  };

  constructor(readonly options: RtspServerOptions) {
    const { first, last } = options.rtpPorts;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first % 2 !== 0 || first < 1024 || last > 65_535 || last <= first) {
      throw new RangeError('rtpPorts must be an even first port ≥ 1024 and a last port above it');
    }
    this.ports = new RtpPortPool(options);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.authority = new DigestAuthority(options.realm, options.devicePassword);
    // A PBX re-pushing every call after a restart of either side opens hundreds at once: the burst allows for that.
    this.connectionRate = new AddressRate(options.connectionsPerSecondPerAddress ?? 200, options.connectionBurstPerAddress ?? 1000);
    const trustedAddresses = options.trustedAddresses ?? [];
    this.trusted = addressMatcher(trustedAddresses);
    this.throttle = new AuthThrottle(this.trusted);
    this.maxConnections = options.maxConnections ?? 1000;
    this.maxStrangerConnections = trustedAddresses.length > 0 ? Math.floor(this.maxConnections / 4) : this.maxConnections;
    this.server = net.createServer((socket) => this.accept(socket));
    // Beyond our own 503 answers, the kernel's backlog is the limit: no file descriptors for a flood.
    this.server.maxConnections = this.maxConnections + 64;
    this.server.on('error', (error) => options.logger.error('rtsp listener error', { error }));
  }

  /** Listeners are called once per finished recording; one that throws or rejects is logged, never fatal. */
  onRecordingFinished(listener: (call: FinishedCall) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the RTSP server is not listening');
    return address.port;
  }

  get stats(): RtspServerStats {
    const rtp = { ...this.counters.rtp };
    let sessionsActive = 0;
    for (const connection of this.connections) {
      if (connection.recording) sessionsActive++;
      for (const track of connection.tracks) if (track.receiver) addRtp(rtp, track.receiver.stats);
    }
    return { ...this.counters, rtp, connections: this.connections.size, sessionsActive };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.sweeper = setInterval(() => this.sweep(), Math.min(SWEEP_INTERVAL_MS, this.sessionTimeoutMs / 4));
  }

  /** Stops listening and finishes every open recording; resolves once listeners of those have run. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((connection) => connection.close('server-stopped')));
    await closed;
    await Promise.all([...this.pending]);
  }

  /**
   * R1's record button for a selective call in progress: opens its recording now if it is not open yet. The press
   * itself is already in `recordButton` (a press that arrives before the call's RECORD is found there then).
   */
  async recordButtonPressed(callId: string): Promise<'started' | 'already-recording' | 'no-active-call'> {
    const connection = [...this.connections].find((candidate) => candidate.callId === callId && candidate.recording);
    if (!connection) return 'no-active-call';
    return (await connection.openRecording()) ? 'started' : 'already-recording';
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const source = plainAddress(address);
    const trusted = this.trusted(source);
    if (!trusted && this.throttle.blocked(source, undefined)) {
      this.counters.authRefusedBlocked++;
      this.authFailureLog.record(source, undefined, 'refused-blocked');
      refuse(socket, 403);
      return;
    }
    if (!(trusted ? this.trustedSlot(address) : this.strangerSlot(address)) || !this.connectionRate.take(address)) {
      this.counters.connectionsRefused++;
      refuse(socket, 503);
      return;
    }
    this.connections.add(new Connection(this, socket, address, trusted));
  }

  /**
   * A trusted address is refused only when every slot is taken (strangers never hold more than theirs). Someone else
   * behind its address cannot keep it out with idle connections either: past the unauthenticated limit, the oldest
   * unauthenticated one makes room, and a PBX's new connection authenticates within a round trip.
   */
  private trustedSlot(address: string): boolean {
    if (this.connections.size >= this.maxConnections) return false;
    const waiting = [...this.connections].filter((connection) => connection.remoteAddress === address && !connection.authenticated && !connection.closed);
    if (waiting.length >= MAX_UNAUTHENTICATED_PER_ADDRESS) {
      this.counters.connectionsEvicted++;
      void (waiting[0] as Connection).close('connection-closed');
    }
    return true;
  }

  private strangerSlot(address: string): boolean {
    const strangers = [...this.connections].filter((connection) => !connection.trusted);
    const fromAddress = strangers.filter((connection) => connection.remoteAddress === address);
    return (
      this.connections.size < this.maxConnections &&
      strangers.length < this.maxStrangerConnections &&
      fromAddress.length < (this.options.maxConnectionsPerAddress ?? 600) &&
      fromAddress.filter((connection) => !connection.authenticated).length < MAX_UNAUTHENTICATED_PER_ADDRESS
    );
  }

  private sweep(): void {
    const now = performance.now();
    for (const connection of this.connections) {
      const timeout = connection.authenticated ? this.sessionTimeoutMs : Math.min(this.sessionTimeoutMs, UNAUTHENTICATED_TIMEOUT_MS);
      if (now - connection.lastActivity > timeout) {
        if (connection.recording) this.counters.sessionTimeouts++;
        void connection.close('timeout');
      } else {
        try {
          // Packets held for a loss that will not be filled go out now rather than when the sender speaks again.
          for (const track of connection.tracks) track.receiver?.tick(now);
          connection.assembly?.tick();
        } catch (error) {
          // A fault in one call's handling ends that call (its recording finished), never the process.
          this.counters.internalErrors++;
          this.options.logger.error('rtsp session tick failed', { error });
          void connection.close('connection-closed');
        }
      }
    }
  }

  // Used by Connection: the server owns what is shared between connections.

  /** @internal */ forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  /** @internal */ get timeoutSeconds(): number {
    return Math.max(1, Math.round(this.sessionTimeoutMs / 1000));
  }

  /**
   * @internal Digest, throttled (auth-throttle.ts): a failure is answered only after its delay, and the connection's
   * next request waits for that answer; a blocked source is refused unchecked. A connection that has authenticated as
   * a device goes on as that device while the name is blocked, so a stranger's guesses never cut a call.
   */
  async authenticate(request: RtspRequest, address: string, device: string | undefined): Promise<DigestVerdict | { refused: 'blocked' }> {
    const authorization = request.headers.get('authorization');
    const source = plainAddress(address);
    const claimed = claimedUsername(authorization);
    if (claimed !== device && this.throttle.blocked(source, claimed)) {
      this.counters.authRefusedBlocked++;
      this.authFailureLog.record(source, claimed, 'refused-blocked');
      return { refused: 'blocked' };
    }
    const verdict = this.authority.verify(authorization, request.method, request.uri);
    if (!('refused' in verdict)) return verdict;
    if (verdict.refused === 'replayed') this.counters.authReplays++;
    // A request without credentials is the normal first step of Digest; an expired or replayed nonce guesses nothing.
    if (authorization === undefined || verdict.refused !== 'invalid') return verdict;
    this.counters.authFailures++;
    this.authFailureLog.record(source, claimed, 'failed');
    const outcome = this.throttle.failed(source, claimed);
    const fields = { remoteAddress: source, device: claimed?.slice(0, 64), trusted: this.trusted(source) };
    if (outcome.blocked) {
      this.counters.authBlocks++;
      this.authFailureLog.record(source, claimed, 'blocked');
      this.options.logger.warn('rtsp authentication blocked after repeated failures', { ...fields, blockedForMs: outcome.blockedForMs });
      return { refused: 'blocked' };
    }
    this.options.logger.info('rtsp authentication failed', { ...fields, answerDelayMs: outcome.delayMs });
    await sleep(outcome.delayMs, undefined, { ref: false });
    return verdict;
  }

  /** @internal */ challenge(stale: boolean): string {
    return this.authority.challenge(Date.now(), stale);
  }

  /** @internal Binds the next free even/odd port pair of the range; undefined when the range is exhausted. */
  allocatePorts(onDatagram: (data: Buffer, from: dgram.RemoteInfo) => void): Promise<PortPair | undefined> {
    return this.ports.allocate(onDatagram);
  }

  /** @internal */ releasePorts(pair: PortPair): void {
    this.ports.release(pair);
  }

  /** @internal */ finished(call: FinishedCall, tracks: readonly Track[]): void {
    this.counters.recordingsFinished++;
    for (const track of tracks) if (track.receiver) addRtp(this.counters.rtp, track.receiver.stats);
    for (const listener of this.listeners) {
      const run = Promise.resolve()
        .then(() => listener(call))
        .catch((error: unknown) => this.options.logger.error('recording listener failed', { recordingId: call.recordingId, error }));
      this.pending.add(run);
      void run.finally(() => this.pending.delete(run));
    }
  }
}

/** A token bucket per remote address; bounded, the least recently seen address is forgotten first. */
class AddressRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private static readonly MAX_ADDRESSES = 10_000;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(address: string): boolean {
    const now = performance.now();
    const bucket = this.buckets.get(address) ?? { tokens: this.burst, at: now };
    this.buckets.delete(address);
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(address, bucket);
    if (this.buckets.size > AddressRate.MAX_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value as string);
    return allowed;
  }
}

/** Answers a connection not taken with `status` alone, and lets it go. */
function refuse(socket: net.Socket, status: number): void {
  socket.on('error', () => undefined);
  socket.end(formatResponse(status, {}));
  lingerThenDestroy(socket);
}

function lingerThenDestroy(socket: net.Socket): void {
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function addRtp(total: RtspServerStats['rtp'], stats: Readonly<RtpStreamStats>): void {
  total.received += stats.received;
  total.lost += stats.lost;
  total.malformed += stats.malformed;
  total.late += stats.late;
  total.duplicates += stats.duplicates;
}

/** One RTSP connection and the call pushed over it. */
class Connection {
  private readonly parser = new RtspParser();
  private readonly logger: Logger;
  private state: State = 'init';
  private queue: Promise<void> = Promise.resolve();
  private announced: AnnouncedMetadata | undefined;
  private announceUri: string | undefined;
  private call: FinishedCall['metadata'] | undefined;
  private mode: RecordingMode | undefined;
  private gate: RecordingGate | undefined;
  /** The opening of the recording file, awaited by close() so a call closed meanwhile is still finished. */
  private starting: Promise<boolean> | undefined;
  private device: string | undefined;
  private sessionId: string | undefined;
  private recordingId: string | undefined;
  private closing: Promise<void> | undefined;
  /** Requests read and not yet answered (see MAX_QUEUED_REQUESTS). */
  private queued = 0;
  tracks: Track[] = [];
  assembly: CallAssembly | undefined;
  lastActivity = performance.now();
  /** Set by the first request that passes Digest; until then the connection has a short timeout. */
  authenticated = false;

  constructor(
    private readonly server: RtspServer,
    private readonly socket: net.Socket,
    readonly remoteAddress: string,
    readonly trusted: boolean,
  ) {
    this.logger = server.options.logger.child({ remoteAddress, remotePort: socket.remotePort });
    socket.on('data', (chunk) => this.guard(() => this.data(chunk)));
    socket.on('error', (error) => this.logger.debug('rtsp connection error', { error }));
    socket.on('close', () => void this.close('connection-closed'));
  }

  get recording(): boolean {
    return this.state === 'recording';
  }

  get callId(): string | undefined {
    return this.announced?.callId;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Ends the session: finishes its recording (once, whatever calls first) and releases ports and socket. */
  close(reason: EndReason): Promise<void> {
    // Never rejects: callers close from socket events and timers, where a rejection would take the process down.
    this.closing ??= this.end(reason).catch((error: unknown) => {
      this.server.counters.internalErrors++;
      this.logger.error('rtsp session did not end cleanly', { error });
    });
    return this.closing;
  }

  private async end(reason: EndReason): Promise<void> {
    this.state = 'closed';
    // After TEARDOWN, or a refusal already ended with its answer, the answer still has to go out: the socket is
    // ended once it is written (reply()) and cut off if the peer does not close its side.
    if (reason === 'teardown' || this.socket.writableEnded) lingerThenDestroy(this.socket);
    else this.socket.destroy();
    for (const track of this.tracks) if (track.transport?.protocol === 'udp') this.server.releasePorts(track.transport.ports);
    await this.starting?.catch(() => undefined);
    if (this.assembly) await this.finishRecording(reason);
    else if (this.gate) {
      this.server.counters.callsNotRecorded++;
      this.logger.info('selective call ended without the record button: nothing kept', { callId: this.callId, reason });
    }
    if (this.callId !== undefined) this.server.options.recordButton?.forget(this.callId);
    this.server.forget(this);
  }

  private async finishRecording(reason: EndReason): Promise<void> {
    const assembly = this.assembly as CallAssembly;
    try {
      for (const track of this.tracks) track.receiver?.flush();
      const recording = await assembly.finish();
      this.server.finished(
        {
          recordingId: this.recordingId as string,
          sessionId: this.sessionId as string,
          // Presses after the file was opened may have brought notice evidence its header does not have.
          metadata: { ...(this.call as FinishedCall['metadata']), notices: this.notices() },
          device: this.device as string,
          remoteAddress: this.remoteAddress,
          layout: layoutOf(this.tracks),
          codec: (this.tracks[0] as Track).description.codec,
          mode: this.mode,
          endReason: reason,
          recording,
          tracks: this.tracks.map((track) => ({
            party: track.party,
            transport: track.transport?.protocol ?? 'udp',
            stats: { ...(track.receiver as RtpStreamReceiver).stats },
          })),
          events: assembly.events,
          assembly: assembly.stats,
        },
        this.tracks,
      );
      this.logger.info('recording finished', { recordingId: this.recordingId, reason, durationMs: recording.durationMs });
    } catch (error) {
      // The .partial file stays for recoverUnfinished: what was flushed is not lost.
      this.server.counters.recordingsFailed++;
      this.logger.error('recording could not be finished', { recordingId: this.recordingId, error });
    }
  }

  /** Nothing a peer sends may take the process down: a fault in our handling closes this connection only. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.server.counters.internalErrors++;
      this.logger.error('rtsp connection failed', { error });
      void this.close('connection-closed');
    }
  }

  private data(chunk: Buffer): void {
    if (this.state === 'closed') return;
    let messages;
    try {
      messages = this.parser.push(chunk);
    } catch (error) {
      if (!(error instanceof RtspParseError)) throw error;
      this.server.counters.parseErrors++;
      this.logger.info('rtsp parse error', { status: error.status, reason: error.message });
      this.socket.end(formatResponse(error.status, {}));
      void this.close('connection-closed');
      return;
    }
    for (const message of messages) {
      if (message.kind === 'interleaved') this.interleaved(message.channel, message.data);
      else if (message.kind === 'request') this.enqueue(message);
      // Responses: we send no requests on this connection, so there is nothing to match them to.
    }
  }

  private interleaved(channel: number, data: Buffer): void {
    const track = this.tracks.find((candidate) => candidate.transport?.protocol === 'tcp' && candidate.transport.channels.includes(channel));
    if (!track?.receiver) {
      this.server.counters.mediaDropped++;
      return;
    }
    this.lastActivity = performance.now();
    track.receiver.push(data, this.lastActivity);
  }

  private datagram(track: Track, data: Buffer, from: dgram.RemoteInfo): void {
    this.server.counters.udpPackets++;
    // Only from the device's address and the ports it declared in SETUP: late RTP of an earlier call from the same
    // PBX on a reused port pair, or anyone else's packets, never reach this recording.
    const ports: readonly number[] = track.transport?.protocol === 'udp' ? track.transport.clientPorts : [];
    if (plainAddress(from.address) !== plainAddress(this.remoteAddress) || !ports.includes(from.port)) {
      this.server.counters.udpForeign++;
      return;
    }
    if (!track.receiver) {
      this.server.counters.mediaDropped++;
      return;
    }
    this.lastActivity = performance.now();
    track.receiver.push(data, this.lastActivity);
  }

  /** Requests are handled one at a time, in order: RECORD and TEARDOWN wait for the disk. */
  private enqueue(request: RtspRequest): void {
    if (++this.queued > MAX_QUEUED_REQUESTS) this.socket.pause();
    this.queue = this.queue
      .then(() => this.handle(request))
      .catch((error: unknown) => {
        this.server.counters.internalErrors++;
        this.logger.error('rtsp request failed', { method: request.method, error });
        this.reply(request, 500);
      })
      .then(() => {
        if (--this.queued <= MAX_QUEUED_REQUESTS && this.socket.isPaused()) this.socket.resume();
      });
  }

  private async handle(request: RtspRequest): Promise<void> {
    if (this.state === 'closed') return;
    if (!request.headers.has('cseq')) {
      this.server.counters.requestsRefused++;
      this.reply(request, 400);
      return;
    }
    try {
      const method = METHODS.find((name) => name === request.method);
      if (!method) throw new RtspRefusal(501, `method ${request.method.slice(0, 32)} not implemented`);
      const verdict = await this.server.authenticate(request, this.remoteAddress, this.device);
      if ('refused' in verdict && verdict.refused === 'blocked') {
        // Nothing more is read from a blocked source: the answer goes out and the connection ends.
        this.reply(request, 403);
        this.socket.end();
        void this.close('connection-closed');
        return;
      }
      if ('refused' in verdict) {
        this.reply(request, 401, { 'WWW-Authenticate': this.server.challenge(verdict.refused !== 'invalid') });
        return;
      }
      const user = verdict.username;
      // Only an authenticated request keeps a session alive.
      this.authenticated = true;
      this.lastActivity = performance.now();
      if (this.device !== undefined && user !== this.device) throw new RtspRefusal(403, 'another device owns this session');
      this.device = user;
      const session = request.headers.get('session')?.split(';')[0]?.trim();
      if (session !== undefined && this.sessionId !== undefined && session !== this.sessionId) throw new RtspRefusal(454, 'unknown session');
      const headers = await this.dispatch(method, request);
      this.reply(request, 200, headers);
    } catch (error) {
      if (!(error instanceof RtspRefusal)) throw error;
      this.server.counters.requestsRefused++;
      this.logger.info('rtsp request refused', { method: request.method.slice(0, 32), status: error.status, reason: error.message });
      this.reply(request, error.status, error.headers);
    }
  }

  private dispatch(method: Method, request: RtspRequest): Promise<Record<string, string>> | Record<string, string> {
    switch (method) {
      case 'OPTIONS':
        return { Public: METHODS.join(', ') };
      case 'ANNOUNCE':
        return this.announce(request);
      case 'SETUP':
        return this.setup(request);
      case 'RECORD':
        return this.record();
      case 'TEARDOWN':
        return this.teardown();
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        // Keep-alive only: there are no parameters to read or change.
        return this.sessionHeaders();
    }
  }

  private announce(request: RtspRequest): Record<string, string> {
    this.requireState(['init']);
    const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/sdp') throw new RtspRefusal(415, 'ANNOUNCE takes an application/sdp body');
    const parsed = parseSdp(request.body, { baseUrl: request.uri });
    if (!parsed.ok) throw new RtspRefusal(SDP_STATUS[parsed.error.code], `SDP refused: ${parsed.error.code} ${parsed.error.detail}`);
    const description = parsed.description;
    const codecs = new Set(description.tracks.map((track) => track.codec));
    if (codecs.size > 1) throw new RtspRefusal(415, 'both tracks must use the same codec');
    const parties = description.tracks.map((track) => track.party);
    if (description.tracks.length === 2 && !(parties.includes('official') && parties.includes('other'))) {
      throw new RtspRefusal(451, 'two tracks must be a=x-gm-party:official and a=x-gm-party:other');
    }
    this.announced = mergeMetadata(description.metadata, metadataFromUrl(request.uri));
    this.announceUri = request.uri;
    this.tracks = description.tracks.map((track) => ({ description: track, party: track.party ?? 'mixed' }));
    this.state = 'announced';
    return {};
  }

  private async setup(request: RtspRequest): Promise<Record<string, string>> {
    this.requireState(['announced', 'ready']);
    const track = this.tracks.find((candidate) => controls(candidate, request.uri, this.announceUri as string));
    if (!track) throw new RtspRefusal(404, 'no announced track has this control URL');
    if (track.transport) throw new RtspRefusal(455, 'this track is already set up');
    const transport = parseTransport(request.headers.get('transport') ?? '');
    if (!transport || transport.mode !== 'record') throw new RtspRefusal(461, 'RTP/AVP over UDP or TCP interleaved, mode=record');
    let answer: Transport;
    if (transport.protocol === 'tcp') {
      const taken = this.tracks.some(
        (other) => other.transport?.protocol === 'tcp' && other.transport.channels.some((channel) => transport.interleaved.includes(channel)),
      );
      if (taken || transport.interleaved[0] === transport.interleaved[1]) throw new RtspRefusal(461, 'interleaved channels already in use');
      track.transport = { protocol: 'tcp', channels: transport.interleaved };
      answer = transport;
    } else {
      const ports = await this.server.allocatePorts((data, from) => this.guard(() => this.datagram(track, data, from)));
      if (!ports) throw new RtspRefusal(453, 'no RTP ports free');
      if (this.state === 'closed') {
        // The connection went away while the ports were bound.
        this.server.releasePorts(ports);
        return {};
      }
      track.transport = { protocol: 'udp', ports, clientPorts: transport.clientPorts };
      answer = { ...transport, serverPorts: [ports.rtp, ports.rtp + 1] };
    }
    this.sessionId ??= randomBytes(8).toString('hex');
    if (this.tracks.every((candidate) => candidate.transport)) this.state = 'ready';
    return { Transport: formatTransport(answer), ...this.sessionHeaders() };
  }

  private async record(): Promise<Record<string, string>> {
    if (this.state === 'recording') return this.sessionHeaders();
    this.requireState(['ready']);
    this.state = 'starting';
    const announced = this.announced as AnnouncedMetadata;
    try {
      this.mode = this.server.options.modeFor ? await this.server.options.modeFor(announced) : 'full';
    } catch (error) {
      this.server.counters.modeUnavailable++;
      this.logger.error('recording mode unavailable; RECORD refused', { callId: announced.callId, error });
      this.state = 'ready';
      throw new RtspRefusal(503, 'the recording mode of the extension cannot be read now');
    }
    this.receive();
    if (this.state === 'starting') this.state = 'recording';
    const button = this.server.options.recordButton;
    if (this.mode === 'full' || shouldRecord(this.mode, button?.intervals(announced.callId) ?? [], new Date())) {
      try {
        await this.openRecording();
      } catch (error) {
        // Nothing would be kept: the device is told at once (and may retry RECORD), never answered 200 for a call
        // that is not being recorded.
        this.logger.error('recording could not be opened; RECORD refused', { callId: announced.callId, error });
        for (const track of this.tracks) track.receiver = undefined;
        this.gate = undefined;
        if (this.state === 'recording') this.state = 'ready';
        throw new RtspRefusal(503, 'the recording cannot be stored now');
      }
    }
    return this.sessionHeaders();
  }

  /** RTP flows from RECORD on, through the gate that keeps only what R1 allows. */
  private receive(): void {
    const codec = (this.tracks[0] as Track).description.codec;
    const callId = (this.announced as AnnouncedMetadata).callId;
    const mode = this.mode;
    const button = this.server.options.recordButton;
    const gate = new RecordingGate(codec, Date.now(), mode === 'full' ? () => true : (at) => shouldRecord(mode, button?.intervals(callId) ?? [], at));
    this.gate = gate;
    const epochMs = performance.now();
    for (const track of this.tracks) {
      track.receiver = new RtpStreamReceiver(
        {
          codec,
          payloadType: track.description.payloadType,
          telephoneEventPayloadType: track.description.telephoneEventPayloadType,
          epochMs,
        },
        gate.sink(track.party),
      );
    }
  }

  /**
   * Opens the call's recording file, at RECORD for a full call and at the record button for a selective one.
   * Resolves false when it was already open (or the call is over). Serialised, so two presses open one file.
   */
  openRecording(): Promise<boolean> {
    const previous = this.starting ?? Promise.resolve(false);
    const opening = previous.catch(() => false).then(() => this.startRecording());
    this.starting = opening;
    return opening;
  }

  private async startRecording(): Promise<boolean> {
    const gate = this.gate;
    if (!gate || gate.opened || this.state === 'closed') return false;
    const codec = (this.tracks[0] as Track).description.codec;
    const layout = layoutOf(this.tracks);
    const announced = this.announced as AnnouncedMetadata;
    // A full recording is the whole call; a selective one starts at the button (the call's own start stays in the header).
    const startedAt = this.mode === 'full' ? (announced.startedAt ?? gate.nextStart()) : gate.nextStart();
    const call = { ...announced, startedAt, notices: this.notices() };
    const recordingId = randomUUID();
    const writer = await this.server.options.store
      .open({
        recordingId,
        codec,
        startedAt,
        // Kept in the file's encrypted header, so a recording recovered after a crash still says which call it was.
        metadata: {
          callId: call.callId,
          extension: call.extension ?? null,
          otherParty: call.otherParty ?? null,
          direction: call.direction ?? null,
          notices: JSON.stringify(call.notices),
          mode: this.mode ?? null,
          callStartedAt: announced.startedAt?.toISOString() ?? null,
          device: this.device as string,
          sessionId: this.sessionId as string,
          layout,
        },
      })
      .catch((error: unknown) => {
        this.server.counters.recordingsFailed++;
        throw error;
      });
    this.call = call;
    this.recordingId = recordingId;
    this.assembly = new CallAssembly(writer, { codec, layout });
    gate.open(this.assembly);
    this.server.counters.recordingsStarted++;
    this.logger.info('recording started', { recordingId, callId: call.callId, mode: this.mode, device: this.device });
    return true;
  }

  /** The notices sent with the call, then those its record-button presses brought (Art. 7). */
  private notices(): string[] {
    const announced = (this.announced as AnnouncedMetadata).notices;
    const pressed = this.callId === undefined ? [] : (this.server.options.recordButton?.notices(this.callId) ?? []);
    return [...new Set([...announced, ...pressed])];
  }

  private async teardown(): Promise<Record<string, string>> {
    this.requireState(['ready', 'recording']);
    const headers = this.sessionHeaders();
    // Answered once the recording is on disk, so a PBX that waits for the answer knows the call is stored.
    await this.close('teardown');
    return headers;
  }

  private sessionHeaders(): Record<string, string> {
    return this.sessionId === undefined ? {} : { Session: `${this.sessionId};timeout=${this.server.timeoutSeconds}` };
  }

  private requireState(allowed: State[]): void {
    if (!allowed.includes(this.state)) throw new RtspRefusal(455, `not valid in state ${this.state}`);
  }

  private reply(request: RtspRequest, status: number, headers: Record<string, string> = {}): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableLength > MAX_UNSENT_BYTES) {
      this.logger.warn('rtsp peer does not read its answers');
      void this.close('connection-closed');
      return;
    }
    const cseq = request.headers.get('cseq');
    const all: Record<string, string> = { ...(cseq !== undefined && /^[0-9]{1,10}$/.test(cseq) ? { CSeq: cseq } : {}), ...headers };
    this.socket.write(formatResponse(status, all, Buffer.alloc(0), request.version));
    if (this.state === 'closed') this.socket.end();
  }
}

function layoutOf(tracks: readonly Track[]): CallLayout {
  if (tracks.length === 2) return 'two-party';
  const party = tracks[0]?.party;
  return party === undefined || party === 'mixed' ? 'mixed' : party;
}

/**
 * Whether a SETUP's URL names this track: its control URL resolved as RFC 2326 C.1.1 says (compared as URLs, so
 * `rtsp://H:554/x` and `rtsp://h/x` are one), or the ANNOUNCE URL with `/<control>` appended as text, which is what
 * ffmpeg sends when that URL has a query (`…/calls/1?extension=2150/streamid=0`).
 */
function controls(track: Track, requestUri: string, announceUri: string): boolean {
  if (requestUri === `${announceUri}/${track.description.control}`) return true;
  try {
    return new URL(track.description.controlUrl).href === new URL(requestUri).href;
  } catch {
    return false;
  }
}

/**
 * The call metadata in an ANNOUNCE URL (see the top of this file), checked by parsing it as the SDP attributes it
 * stands for, so the URL and the SDP can never accept different values.
 */
function metadataFromUrl(uri: string): CallMetadata {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RtspRefusal(400, 'the request URL cannot be parsed');
  }
  const lines: string[] = [];
  const path = CALL_PATH.exec(url.pathname);
  if (path) lines.push(`a=x-gm-call-id:${decodeURIComponentSafe(path[1] as string)}`);
  for (const [key, value] of url.searchParams) {
    if (!URL_METADATA.includes(key)) throw new RtspRefusal(451, `unknown call metadata in the URL: ${key.slice(0, 32)}`);
    lines.push(`a=x-gm-${key}:${value}`);
  }
  // A line break in a value would smuggle in other SDP lines.
  if (lines.some((line) => /[\x00-\x1f\x7f]/.test(line))) throw new RtspRefusal(451, 'control characters in URL metadata');
  const sdp = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=-', 't=0 0', ...lines, 'm=audio 0 RTP/AVP 0', 'a=control:*', ''].join('\r\n');
  const parsed = parseSdp(sdp, { baseUrl: `rtsp://${url.host}/` });
  if (!parsed.ok) throw new RtspRefusal(451, `URL metadata refused: ${parsed.error.detail}`);
  return parsed.description.metadata;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RtspRefusal(451, 'the call id in the URL is not valid percent-encoding');
  }
}

/** SDP and URL metadata together; a value given by both must be the same (451 otherwise). A call id is required. */
function mergeMetadata(sdp: CallMetadata, url: CallMetadata): AnnouncedMetadata {
  const pick = <K extends 'callId' | 'extension' | 'otherParty' | 'direction'>(key: K): CallMetadata[K] => {
    if (sdp[key] !== undefined && url[key] !== undefined && sdp[key] !== url[key]) {
      throw new RtspRefusal(451, `${key} differs between the URL and the SDP`);
    }
    return sdp[key] ?? url[key];
  };
  if (sdp.startedAt && url.startedAt && sdp.startedAt.getTime() !== url.startedAt.getTime()) {
    throw new RtspRefusal(451, 'startedAt differs between the URL and the SDP');
  }
  if (sdp.notices.length > 0 && url.notices.length > 0 && sdp.notices.join('\n') !== url.notices.join('\n')) {
    throw new RtspRefusal(451, 'the notices differ between the URL and the SDP');
  }
  const callId = pick('callId');
  if (callId === undefined) throw new RtspRefusal(451, 'no call id: give a=x-gm-call-id or announce to /calls/<call id>');
  return {
    callId,
    extension: pick('extension'),
    otherParty: pick('otherParty'),
    direction: pick('direction'),
    startedAt: sdp.startedAt ?? url.startedAt,
    notices: sdp.notices.length > 0 ? sdp.notices : url.notices,
  };
}
