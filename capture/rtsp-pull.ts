/**
 * Our RTSP client pulling a call (`pullCall`) from an appliance that exposes calls as streams, into one encrypted
 * recording, reconnecting within its budget. Apart from pushing (rtsp-push.ts) because only this records, reconnects
 * and guards its UDP ports against other senders; the shared connection is rtsp-client.ts.
 */
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { type Codec } from '../domain/recording';
import { CallAssembly, type CallLayout } from './call-assembly';
import type { FinishedRecording, RecordingStore } from './recording-store';
import { RtpStreamReceiver, type RtpStreamStats } from './rtp';
import { formatTransport, parseTransport, type Transport } from './rtsp-message';
import { parseSdp, type CallMetadata, type Party, type SdpTrack } from './sdp';
import { bindPortPair, DEFAULT_REQUEST_TIMEOUT_MS, keepAlive, RtspClientError, type RtspClientOptions, RtspConnection, target } from './rtsp-client';

/** Assembled audio is handed to the writer (and sealed on its schedule) this often while pulling. */
const TICK_MS = 200;
const DEFAULT_RECONNECT = { attempts: 5, initialDelayMs: 250, maxDelayMs: 5000, total: 20 };

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
  /** The delay waited before each reconnect attempt, in order: the backoff as planned, for operators and tests. */
  readonly backoffMs: readonly number[];
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
  const backoffMs: number[] = [];
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
        const delay = Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * 2 ** attemptsInARow);
        backoffMs.push(delay);
        await new Promise((wait) => setTimeout(wait, delay));
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
    backoffMs,
    gapMs,
    foreignDatagrams,
    tracks: pulled.map((track) => ({ party: track.party, stats: { ...(track.receiver as RtpStreamReceiver).stats } })),
  };
}
