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
 * This file holds what both share: the connection, the Digest retry, the error codes, the local port pairs and the
 * keep-alive. Pushing is rtsp-push.ts, pulling rtsp-pull.ts (split by direction, issue 17).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../infra/logger';
import { answerChallenge, type DigestCredentials } from './digest';
import { G711_SAMPLE_RATE } from './rtp';
import { formatInterleaved, formatRequest, RtspParseError, RtspParser, type RtspResponse } from './rtsp-message';

export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = (G711_SAMPLE_RATE * PACKET_MS) / 1000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** RFC 2326 §12.37: the session timeout when the server does not give one. */
const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
/** A server that sends us more than this without our reading it is not a server we can keep up with. */
const MAX_UNSENT_BYTES = 1024 * 1024;

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
export class RtspConnection {
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
export function target(options: RtspClientOptions): { url: URL; uri: string; credentials: DigestCredentials | undefined } {
  const url = new URL(options.url);
  if (url.protocol !== 'rtsp:') throw new RangeError('the URL must be rtsp://');
  const fromUrl = url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  return { url, uri: url.href, credentials: options.credentials ?? fromUrl };
}

/** An even/odd local UDP port pair (RTP, RTCP), as RFC 3550 §11 asks of RTP over UDP. */
export async function bindPortPair(onMessage: (data: Buffer, from: dgram.RemoteInfo) => void): Promise<[dgram.Socket, dgram.Socket]> {
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

export function keepAlive(connection: RtspConnection, uri: string, onFailure: (error: RtspClientError) => void): NodeJS.Timeout {
  // Half the session timeout leaves room for one slow answer before the server gives up on us.
  return setInterval(
    () => {
      connection.request('GET_PARAMETER', uri).catch((error: RtspClientError) => onFailure(error));
    },
    Math.max(500, connection.sessionTimeoutMs / 2),
  );
}
