/**
 * RTSP messages (RFC 2326, and the RFC 7826 `RTSP/2.0` version line where it costs nothing) on one TCP
 * connection, where requests, responses and `$`-framed interleaved RTP/RTCP (RFC 2326 §10.12) arrive
 * mixed and split at any byte. The parser is incremental and bounded: a header block or body over the
 * limits is an error with the status to answer, never a growing buffer.
 */

export const MAX_HEADER_BYTES = 8 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;
const SUPPORTED_VERSIONS = new Set(['RTSP/1.0', 'RTSP/2.0']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface RtspRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  /** Lower-case names; a repeated header keeps its last value except where RTSP allows lists. */
  headers: Map<string, string>;
  body: Buffer;
}

export interface RtspResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: Map<string, string>;
  body: Buffer;
}

export interface InterleavedFrame {
  kind: 'interleaved';
  channel: number;
  data: Buffer;
}

export type RtspMessage = RtspRequest | RtspResponse | InterleavedFrame;

/** A message the peer got wrong: answer with `status` (when it was a request) and close the connection. */
export class RtspParseError extends Error {
  constructor(
    readonly status: 400 | 413 | 431 | 505,
    message: string,
  ) {
    super(message);
    this.name = 'RtspParseError';
  }
}

type Head = { kind: 'request'; method: string; uri: string; version: string } | { kind: 'response'; version: string; status: number; reason: string };

export class RtspParser {
  private buffer: Buffer = Buffer.alloc(0);
  private pendingHead: { head: Head; headers: Map<string, string>; bodyLength: number } | undefined;
  private failed = false;

  /** Feeds bytes; returns every message completed by them. After an error the parser takes nothing more. */
  push(chunk: Buffer): RtspMessage[] {
    if (this.failed) throw new RtspParseError(400, 'connection already failed');
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: RtspMessage[] = [];
    try {
      for (let message = this.next(); message; message = this.next()) messages.push(message);
    } catch (error) {
      this.failed = true;
      throw error;
    }
    return messages;
  }

  /** Bytes held waiting for the rest of a message (for memory accounting). */
  get buffered(): number {
    return this.buffer.length;
  }

  private next(): RtspMessage | undefined {
    if (this.pendingHead) return this.body();
    if (this.buffer.length === 0) return undefined;
    if (this.buffer[0] === 0x24) return this.interleaved();
    // Stray line breaks between messages are allowed (RFC 2326 §4 follows HTTP/1.1 here).
    while (this.buffer.length > 0 && (this.buffer[0] === 0x0d || this.buffer[0] === 0x0a)) this.buffer = this.buffer.subarray(1);
    if (this.buffer.length === 0) return undefined;
    if (this.buffer[0] === 0x24) return this.interleaved();
    const end = findHeaderEnd(this.buffer);
    if (end === undefined) {
      if (this.buffer.length > MAX_HEADER_BYTES) throw new RtspParseError(431, `header block over ${MAX_HEADER_BYTES} bytes`);
      return undefined;
    }
    if (end.headerBytes > MAX_HEADER_BYTES) throw new RtspParseError(431, `header block over ${MAX_HEADER_BYTES} bytes`);
    const text = this.buffer.subarray(0, end.headerBytes).toString('latin1');
    this.buffer = this.buffer.subarray(end.headerBytes + end.separatorBytes);
    const lines = text.split(/\r?\n/);
    const head = parseStartLine(lines[0] ?? '');
    const headers = parseHeaders(lines.slice(1));
    const lengthText = headers.get('content-length') ?? '0';
    if (!/^[0-9]{1,10}$/.test(lengthText)) throw new RtspParseError(400, `bad Content-Length: ${lengthText.slice(0, 20)}`);
    const bodyLength = Number(lengthText);
    if (bodyLength > MAX_BODY_BYTES) throw new RtspParseError(413, `body of ${bodyLength} bytes is over ${MAX_BODY_BYTES}`);
    this.pendingHead = { head, headers, bodyLength };
    return this.body();
  }

  private body(): RtspMessage | undefined {
    const pending = this.pendingHead as NonNullable<RtspParser['pendingHead']>;
    if (this.buffer.length < pending.bodyLength) return undefined;
    const body = Buffer.from(this.buffer.subarray(0, pending.bodyLength));
    this.buffer = this.buffer.subarray(pending.bodyLength);
    this.pendingHead = undefined;
    return { ...pending.head, headers: pending.headers, body };
  }

  private interleaved(): InterleavedFrame | undefined {
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readUInt16BE(2);
    if (this.buffer.length < 4 + length) return undefined;
    // A copy: the frame outlives the connection's receive buffer.
    const frame: InterleavedFrame = { kind: 'interleaved', channel: this.buffer[1] as number, data: Buffer.from(this.buffer.subarray(4, 4 + length)) };
    this.buffer = this.buffer.subarray(4 + length);
    return frame;
  }
}

function findHeaderEnd(buffer: Buffer): { headerBytes: number; separatorBytes: number } | undefined {
  const limit = Math.min(buffer.length, MAX_HEADER_BYTES + 4);
  for (let index = 0; index < limit; index += 1) {
    if (buffer[index] !== 0x0a) continue;
    if (buffer[index + 1] === 0x0a) return { headerBytes: index, separatorBytes: 2 };
    if (buffer[index + 1] === 0x0d && buffer[index + 2] === 0x0a) return { headerBytes: index, separatorBytes: 3 };
  }
  return undefined;
}

function parseStartLine(line: string): Head {
  const trimmed = line.replace(/\r$/, '');
  const response = /^(RTSP\/\d\.\d) ([0-9]{3}) ?(.*)$/.exec(trimmed);
  if (response) {
    const version = response[1] as string;
    if (!SUPPORTED_VERSIONS.has(version)) throw new RtspParseError(505, `unsupported version ${version}`);
    return { kind: 'response', version, status: Number(response[2]), reason: response[3] ?? '' };
  }
  const parts = trimmed.split(' ');
  if (parts.length !== 3) throw new RtspParseError(400, 'malformed request line');
  const [method, uri, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) throw new RtspParseError(400, 'malformed method');
  if (!/^RTSP\/\d\.\d$/.test(version)) throw new RtspParseError(400, 'malformed version');
  if (!SUPPORTED_VERSIONS.has(version)) throw new RtspParseError(505, `unsupported version ${version}`);
  if (uri.length === 0 || uri.length > 2048 || /[\x00-\x20\x7f]/.test(uri)) throw new RtspParseError(400, 'malformed URI');
  return { kind: 'request', method, uri, version };
}

function parseHeaders(lines: string[]): Map<string, string> {
  const headers = new Map<string, string>();
  if (lines.length > 64) throw new RtspParseError(431, 'too many header lines');
  let last: string | undefined;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      // Obsolete line folding: join with a space rather than refuse old devices.
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 1) throw new RtspParseError(400, 'malformed header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!TOKEN.test(name)) throw new RtspParseError(400, 'malformed header name');
    headers.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return headers;
}

/** RFC 2326 §7.1 reason phrases of the statuses the capture appliance answers with. */
export const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  451: 'Parameter Not Understood',
  431: 'Request Header Fields Too Large',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

function formatHeaders(headers: Record<string, string | number>, body: Buffer): string {
  const lines = Object.entries(headers).map(([name, value]) => {
    const text = String(value);
    if (/[\r\n]/.test(text) || !TOKEN.test(name)) throw new Error(`header ${name} cannot be sent as given`);
    return `${name}: ${text}\r\n`;
  });
  if (body.length > 0) lines.push(`Content-Length: ${body.length}\r\n`);
  return lines.join('');
}

export function formatResponse(status: number, headers: Record<string, string | number>, body: Buffer = Buffer.alloc(0), version = 'RTSP/1.0'): Buffer {
  const head = `${version} ${status} ${REASONS[status] ?? 'Unknown'}\r\n${formatHeaders(headers, body)}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export function formatRequest(method: string, uri: string, headers: Record<string, string | number>, body: Buffer = Buffer.alloc(0)): Buffer {
  if (!TOKEN.test(method) || /[\s]/.test(uri)) throw new Error('request line cannot be sent as given');
  const head = `${method} ${uri} RTSP/1.0\r\n${formatHeaders(headers, body)}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export function formatInterleaved(channel: number, data: Buffer): Buffer {
  if (data.length > 0xffff) throw new Error('interleaved frame over 65535 bytes');
  const header = Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]);
  return Buffer.concat([header, data]);
}

export type Transport =
  | { protocol: 'udp'; clientPorts: [number, number]; serverPorts?: [number, number]; mode: 'record' | 'play' }
  | { protocol: 'tcp'; interleaved: [number, number]; mode: 'record' | 'play' };

/** The first transport of a `Transport` header this appliance can use (RTP/AVP unicast over UDP or TCP). */
export function parseTransport(header: string): Transport | undefined {
  for (const option of header.split(',')) {
    const [spec, ...params] = option
      .trim()
      .split(';')
      .map((part) => part.trim());
    const values = new Map(
      params.map((param) => {
        const equals = param.indexOf('=');
        return equals < 0 ? [param.toLowerCase(), ''] : [param.slice(0, equals).toLowerCase(), param.slice(equals + 1)];
      }),
    );
    if (values.has('multicast')) continue;
    const mode = (values.get('mode') ?? 'play').replace(/"/g, '').toLowerCase();
    if (mode !== 'record' && mode !== 'play') continue;
    const pair = (text: string | undefined): [number, number] | undefined => {
      const match = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text ?? '');
      if (!match) return undefined;
      const first = Number(match[1]);
      const second = match[2] === undefined ? first + 1 : Number(match[2]);
      return first <= 65_535 && second <= 65_535 ? [first, second] : undefined;
    };
    const upper = (spec ?? '').toUpperCase();
    if (upper === 'RTP/AVP' || upper === 'RTP/AVP/UDP') {
      const clientPorts = pair(values.get('client_port'));
      if (clientPorts && clientPorts[0] > 0) return { protocol: 'udp', clientPorts, serverPorts: pair(values.get('server_port')), mode };
    } else if (upper === 'RTP/AVP/TCP') {
      const interleaved = pair(values.get('interleaved'));
      if (interleaved && interleaved[0] <= 255 && interleaved[1] <= 255) return { protocol: 'tcp', interleaved, mode };
    }
  }
  return undefined;
}

export function formatTransport(transport: Transport): string {
  const mode = transport.mode === 'record' ? ';mode=record' : '';
  if (transport.protocol === 'tcp') return `RTP/AVP/TCP;unicast;interleaved=${transport.interleaved.join('-')}${mode}`;
  const server = transport.serverPorts ? `;server_port=${transport.serverPorts.join('-')}` : '';
  return `RTP/AVP;unicast;client_port=${transport.clientPorts.join('-')}${server}${mode}`;
}
