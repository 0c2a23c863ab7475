/**
 * SDP (RFC 8866, which replaced RFC 4566) as the capture appliance meets it: the body of an RTSP ANNOUNCE from a
 * PBX or media gateway, and the answer to our DESCRIBE. Pure and I/O-free. `parseSdp` validates strictly and
 * never throws: a description is accepted only if the recorder can record it (one or two mono G.711 tracks at
 * 8 kHz, each with a control URL), or refused with a stable code the RTSP layer maps to a status. `formatSdp` writes
 * what our own RTSP client announces; parse(format(x)) gives x back.
 *
 * Call metadata travels as session-level attributes (one track per party names its party at media level):
 *
 *   a=x-gm-call-id:<id>              [A-Za-z0-9._:@-]{1,128}; the PBX's call id, the key that makes recording idempotent
 *   a=x-gm-extension:<number>        the official's extension: digits and '-', an optional leading '+' (≤ 32)
 *   a=x-gm-other-party:<number>      the other party's number, same form; omitted when withheld
 *   a=x-gm-direction:<direction>     inbound | outbound | internal
 *   a=x-gm-started-at:<instant>      ISO 8601 UTC, e.g. 2026-11-27T05:04:58Z (optional milliseconds)
 *   a=x-gm-notice:<evidence>         how the notice (사전고지) was given, e.g. announcement:played@2026-11-27T05:05:00Z;
 *                                    printable text (Korean allowed), ≤ 256 characters, repeatable up to 8 times
 *   a=x-gm-party:<party>             per media section: official | other
 *
 * One file: the SDP grammar (RFC 8866), the attributes above and their serialiser form one contract; a description
 * written here must parse here, and splitting parser from writer would let them drift.
 */
import { type CallDirection, type Codec } from '../domain/recording';
import { G711_SAMPLE_RATE } from './rtp';

/**
 * Why a description was refused. The RTSP layer answers TOO_LARGE with 413, the UNSUPPORTED_* codes with 415,
 * INVALID_METADATA with 451 (Parameter Not Understood) and the rest with 400.
 */
export type SdpErrorCode =
  | 'TOO_LARGE'
  | 'NOT_UTF8'
  | 'SYNTAX'
  | 'NO_AUDIO_TRACK'
  | 'TOO_MANY_TRACKS'
  | 'UNSUPPORTED_MEDIA'
  | 'UNSUPPORTED_TRANSPORT'
  | 'UNSUPPORTED_CODEC'
  | 'UNSUPPORTED_CLOCK_RATE'
  | 'MISSING_CONTROL'
  | 'INVALID_CONTROL'
  | 'INVALID_METADATA';

export interface SdpError {
  readonly code: SdpErrorCode;
  /** English, for logs and the RTSP reason; never repeats the offending value. */
  readonly detail: string;
  /** 1-based line of the SDP, when one line is at fault. */
  readonly line?: number;
}

export type SdpParseResult = { readonly ok: true; readonly description: SessionDescription } | { readonly ok: false; readonly error: SdpError };

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type Party = 'official' | 'other';

export interface CallMetadata {
  readonly callId?: string;
  readonly extension?: string;
  readonly otherParty?: string;
  readonly direction?: CallDirection;
  readonly startedAt?: Date;
  readonly notices: readonly string[];
}

export interface SdpOrigin {
  readonly username: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly addressType: 'IP4' | 'IP6';
  readonly address: string;
}

export interface SdpTrackFields {
  readonly port: number;
  readonly codec: Codec;
  readonly payloadType: number;
  readonly telephoneEventPayloadType: number | undefined;
  readonly ptimeMs: number | undefined;
  /** The media section's direction attribute, else the session's, else sendrecv. */
  readonly direction: MediaDirection;
  /** Absent when the sender does not say; a single track is then taken as the mixed call. */
  readonly party: Party | undefined;
  /** `a=control` as written: absolute, relative, or `*`. */
  readonly control: string;
}

export interface SdpTrack extends SdpTrackFields {
  /** The control URL resolved against the base URL: what SETUP is sent to. */
  readonly controlUrl: string;
}

/** What formatSdp writes; a parsed SessionDescription is one. */
export interface SessionDescriptionFields {
  readonly origin: SdpOrigin;
  readonly sessionName: string;
  /** Session-level `a=control`, if any. */
  readonly control: string | undefined;
  readonly metadata: CallMetadata;
  readonly tracks: readonly SdpTrackFields[];
}

export interface SessionDescription extends SessionDescriptionFields {
  readonly tracks: readonly SdpTrack[];
}

export interface SdpParseOptions {
  /** The URL the SDP belongs to (ANNOUNCE request URL, or the DESCRIBE answer's Content-Base). */
  readonly baseUrl: string;
}

/** Far above any real call description (under 1 KiB), low enough that a hostile body costs nothing. */
export const SDP_LIMITS = { maxBytes: 16_384, maxLines: 128, maxLineLength: 1024 } as const;
const MAX_TRACKS = 2;
const MAX_NOTICES = 8;
const MAX_PTIME_MS = 1000;
const FIRST_DYNAMIC_PAYLOAD_TYPE = 96;
const MAX_PAYLOAD_TYPE = 127;
const TELEPHONE_EVENT = 'TELEPHONE-EVENT';
const METADATA_PREFIX = 'x-gm-';
const SESSION_METADATA = ['x-gm-call-id', 'x-gm-extension', 'x-gm-other-party', 'x-gm-direction', 'x-gm-started-at', 'x-gm-notice'];
const MEDIA_METADATA = ['x-gm-party'];

/** RFC 3551 table 4: the static payload types we record, usable without an rtpmap. */
const STATIC_CODECS: ReadonlyMap<number, Codec> = new Map([
  [0, 'PCMU'],
  [8, 'PCMA'],
]);
const STATIC_PAYLOAD_TYPES: Readonly<Record<Codec, number>> = { PCMU: 0, PCMA: 8 };

/** The shapes of a call id and a phone or extension number, wherever they arrive (SDP, URL, control API). */
export const CALL_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
export const PHONE_NUMBER = /^\+?[0-9](?:[0-9-]{0,30}[0-9])?$/;
/** Notice evidence (사전고지), from the SDP, the ANNOUNCE URL or a record-button press. */
export const NOTICE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]{1,256}$/u;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;
const CALL_DIRECTIONS: readonly CallDirection[] = ['inbound', 'outbound', 'internal'];
const PARTIES: readonly Party[] = ['official', 'other'];
const MEDIA_DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;
const DECIMAL_ID = /^[0-9]{1,20}$/;
const ADDRESS = /^[0-9A-Za-z.:%_-]{1,255}$/;
const CONTROL = /^[\x21-\x7e]{1,512}$/;
const SESSION_NAME = /^[^\x00-\x08\x0a-\x1f\x7f]{1,256}$/;
const RTPMAP = /^([0-9]{1,3}) ([A-Za-z0-9_.+-]{1,32})\/([0-9]{1,9})(?:\/([0-9]{1,2}))?$/;
const PTIME = /^[0-9]{1,4}(?:\.[0-9]{1,3})?$/;
const PAYLOAD_TYPE = /^[0-9]{1,3}$/;
const PORT = /^[0-9]{1,5}$/;
/** C0 controls but tab, and DEL: never part of SDP text (RFC 8866 §9 excludes NUL, CR and LF; the rest is noise). */
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f]/;
const LONE_SURROGATE = /\p{Cs}/u;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Thrown inside this module only; parseSdp turns it into a result and formatSdp into a RangeError. */
class SdpFailure {
  constructor(readonly error: SdpError) {}
}

function fail(code: SdpErrorCode, detail: string, line?: number): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- caught in this module only (parseSdp), no stack wanted
  throw new SdpFailure(line === undefined ? { code, detail } : { code, detail, line });
}

interface Line {
  readonly type: string;
  readonly value: string;
  readonly number: number;
}

interface Attribute {
  readonly name: string;
  readonly value: string | undefined;
  readonly line: number;
}

interface MediaSection {
  readonly line: number;
  readonly port: number;
  readonly formats: readonly number[];
  readonly attributes: Attribute[];
}

export function parseSdp(body: Uint8Array | string, options: SdpParseOptions): SdpParseResult {
  try {
    return { ok: true, description: describe(splitLines(decode(body)), options) };
  } catch (error) {
    if (error instanceof SdpFailure) return { ok: false, error: error.error };
    throw error;
  }
}

function decode(body: Uint8Array | string): string {
  if (typeof body === 'string') {
    // A string is at least as many bytes as UTF-16 units, so the cheap check comes first.
    if (body.length > SDP_LIMITS.maxBytes) fail('TOO_LARGE', `the SDP exceeds ${SDP_LIMITS.maxBytes} bytes`);
    if (LONE_SURROGATE.test(body)) fail('NOT_UTF8', 'the SDP is not valid Unicode text');
    if (Buffer.byteLength(body, 'utf8') > SDP_LIMITS.maxBytes) {
      fail('TOO_LARGE', `the SDP exceeds ${SDP_LIMITS.maxBytes} bytes`);
    }
    return body;
  }
  if (body.length > SDP_LIMITS.maxBytes) fail('TOO_LARGE', `the SDP exceeds ${SDP_LIMITS.maxBytes} bytes`);
  try {
    return utf8.decode(body);
  } catch {
    return fail('NOT_UTF8', 'the SDP is not valid UTF-8');
  }
}

/** RFC 8866 §5: `<type>=<value>` lines ended by CRLF; a bare LF is accepted too, as §5 asks of parsers. */
function splitLines(text: string): Line[] {
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  if (raw.length > SDP_LIMITS.maxLines) fail('TOO_LARGE', `the SDP has more than ${SDP_LIMITS.maxLines} lines`);
  return raw.map((rawLine, index) => {
    const number = index + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length > SDP_LIMITS.maxLineLength) {
      fail('TOO_LARGE', `a line is longer than ${SDP_LIMITS.maxLineLength} characters`, number);
    }
    const type = line[0];
    if (type === undefined || type < 'a' || type > 'z' || line[1] !== '=') {
      fail('SYNTAX', 'every line must have the form <letter>=<value>', number);
    }
    if (CONTROL_CHARACTERS.test(line)) fail('SYNTAX', 'control characters are not allowed', number);
    return { type, value: line.slice(2), number };
  });
}

function describe(lines: readonly Line[], options: SdpParseOptions): SessionDescription {
  const [first, ...rest] = lines;
  if (first?.type !== 'v' || first.value !== '0') fail('SYNTAX', 'the SDP must start with v=0', first?.number);
  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  const sessionAttributes: Attribute[] = [];
  const media: MediaSection[] = [];

  for (const line of rest) {
    const section = media[media.length - 1];
    if (line.type === 'm') {
      const parsed = parseMediaLine(line);
      if (media.length === MAX_TRACKS) fail('TOO_MANY_TRACKS', `at most ${MAX_TRACKS} audio tracks are recorded`, line.number);
      media.push(parsed);
    } else if (line.type === 'a') {
      (section?.attributes ?? sessionAttributes).push(parseAttribute(line));
    } else if (line.type === 'v') {
      fail('SYNTAX', 'v= may appear only once, first', line.number);
    } else if (section === undefined && line.type === 'o') {
      if (origin) fail('SYNTAX', 'o= may appear only once', line.number);
      origin = parseOrigin(line);
    } else if (section === undefined && line.type === 's') {
      if (sessionName !== undefined) fail('SYNTAX', 's= may appear only once', line.number);
      if (!SESSION_NAME.test(line.value)) fail('SYNTAX', 's= must be 1 to 256 characters', line.number);
      sessionName = line.value;
    } else if (line.type === 'o' || line.type === 's') {
      fail('SYNTAX', `${line.type}= belongs to the session level`, line.number);
    }
    // Other lines (i, u, e, p, c, b, t, r, z, k) carry nothing the recorder uses.
  }
  if (!origin) fail('SYNTAX', 'the o= line is missing');
  if (sessionName === undefined) fail('SYNTAX', 'the s= line is missing');
  if (media.length === 0) fail('NO_AUDIO_TRACK', 'the SDP has no audio media section');

  const session = sessionLevel(sessionAttributes);
  const sessionBase = resolveSessionBase(options.baseUrl, session.control);
  const tracks = media.map((section) => mediaLevel(section, session.direction, sessionBase));
  const [a, b] = tracks;
  if (a?.party !== undefined && a.party === b?.party) {
    fail('INVALID_METADATA', 'two tracks cannot both be the same party (a=x-gm-party)', media[1]?.line);
  }
  return { origin, sessionName, control: session.control?.value, metadata: session.metadata, tracks };
}

function parseOrigin(line: Line): SdpOrigin {
  const [username, sessionId, sessionVersion, netType, addressType, address, extra] = line.value.split(' ');
  if (
    extra !== undefined ||
    username === undefined ||
    !TOKEN.test(username) ||
    sessionId === undefined ||
    !DECIMAL_ID.test(sessionId) ||
    sessionVersion === undefined ||
    !DECIMAL_ID.test(sessionVersion) ||
    netType !== 'IN' ||
    (addressType !== 'IP4' && addressType !== 'IP6') ||
    address === undefined ||
    !ADDRESS.test(address)
  ) {
    fail('SYNTAX', 'o= must be <username> <sess-id> <sess-version> IN IP4|IP6 <address>', line.number);
  }
  return { username, sessionId, sessionVersion, addressType, address };
}

/** `m=<media> <port> <proto> <fmt> ...` */
function parseMediaLine(line: Line): MediaSection {
  const [mediaType, port, proto, ...formats] = line.value.split(' ').filter((field) => field !== '');
  if (mediaType === undefined || port === undefined || proto === undefined || formats.length === 0) {
    fail('SYNTAX', 'm= must be <media> <port> <proto> <fmt> ...', line.number);
  }
  if (mediaType !== 'audio') fail('UNSUPPORTED_MEDIA', 'only audio media sections are recorded', line.number);
  if (proto !== 'RTP/AVP') fail('UNSUPPORTED_TRANSPORT', 'only RTP/AVP is supported', line.number);
  if (!PORT.test(port) || Number(port) > 0xffff) fail('SYNTAX', 'the m= port must be a number 0 to 65535', line.number);
  return { line: line.number, port: Number(port), formats: formats.map((format) => payloadType(format, line.number)), attributes: [] };
}

function payloadType(text: string, line: number): number {
  if (!PAYLOAD_TYPE.test(text) || Number(text) > MAX_PAYLOAD_TYPE) {
    fail('SYNTAX', `an RTP payload type must be a number 0 to ${MAX_PAYLOAD_TYPE}`, line);
  }
  return Number(text);
}

/** `a=<name>` or `a=<name>:<value>` */
function parseAttribute(line: Line): Attribute {
  const colon = line.value.indexOf(':');
  const name = colon < 0 ? line.value : line.value.slice(0, colon);
  if (!TOKEN.test(name)) fail('SYNTAX', 'an attribute name must be a token', line.number);
  // A misspelt metadata attribute would otherwise record a call without its id or parties: refuse it instead.
  if (name.startsWith(METADATA_PREFIX) && !SESSION_METADATA.includes(name) && !MEDIA_METADATA.includes(name)) {
    fail('INVALID_METADATA', 'unknown x-gm- attribute (see capture/sdp.ts for the list)', line.number);
  }
  return { name, value: colon < 0 ? undefined : line.value.slice(colon + 1), line: line.number };
}

/** The one attribute of that name in a section, if any. */
function single(attributes: readonly Attribute[], name: string): Attribute | undefined {
  const found = attributes.filter((attribute) => attribute.name === name);
  if (found.length > 1) fail(name.startsWith(METADATA_PREFIX) ? 'INVALID_METADATA' : 'SYNTAX', `a=${name} may appear only once here`, found[1]?.line);
  return found[0];
}

function valueOf(attribute: Attribute): string {
  if (attribute.value === undefined) fail('SYNTAX', `a=${attribute.name} needs a value`, attribute.line);
  return attribute.value;
}

/** The attribute's value if `check` finds no problem; else the problem, under `code`, at the attribute's line. */
function checked(attribute: Attribute, check: (value: string) => string | undefined, code: SdpErrorCode): string {
  const value = valueOf(attribute);
  const problem = check(value);
  return problem === undefined ? value : fail(code, problem, attribute.line);
}

function direction(attributes: readonly Attribute[]): MediaDirection | undefined {
  const found = attributes.filter((attribute) => MEDIA_DIRECTIONS.includes(attribute.name));
  if (found.length > 1) fail('SYNTAX', 'at most one of sendrecv/sendonly/recvonly/inactive per section', found[1]?.line);
  const attribute = found[0];
  if (attribute?.value !== undefined) fail('SYNTAX', `a=${attribute.name} takes no value`, attribute.line);
  return attribute?.name as MediaDirection | undefined;
}

function sessionLevel(attributes: readonly Attribute[]): {
  control: Attribute | undefined;
  direction: MediaDirection | undefined;
  metadata: CallMetadata;
} {
  const misplaced = attributes.find((attribute) => MEDIA_METADATA.includes(attribute.name));
  if (misplaced) fail('INVALID_METADATA', `a=${misplaced.name} belongs to a media section`, misplaced.line);
  const metadata = (name: string, check: (value: string) => string | undefined): string | undefined => {
    const attribute = single(attributes, name);
    return attribute && checked(attribute, check, 'INVALID_METADATA');
  };
  const notices = attributes.filter((attribute) => attribute.name === 'x-gm-notice');
  if (notices.length > MAX_NOTICES) fail('INVALID_METADATA', `at most ${MAX_NOTICES} a=x-gm-notice lines`, notices[MAX_NOTICES]?.line);
  const startedAt = metadata('x-gm-started-at', checkInstant);
  return {
    control: single(attributes, 'control'),
    direction: direction(attributes),
    metadata: {
      callId: metadata('x-gm-call-id', checkCallId),
      extension: metadata('x-gm-extension', (value) => checkNumber('x-gm-extension', value)),
      otherParty: metadata('x-gm-other-party', (value) => checkNumber('x-gm-other-party', value)),
      direction: metadata('x-gm-direction', checkCallDirection) as CallDirection | undefined,
      startedAt: startedAt === undefined ? undefined : new Date(startedAt),
      notices: notices.map((attribute) => checked(attribute, checkNotice, 'INVALID_METADATA')),
    },
  };
}

function mediaLevel(section: MediaSection, sessionDirection: MediaDirection | undefined, sessionBase: URL): SdpTrack {
  const { attributes } = section;
  const misplaced = attributes.find((attribute) => SESSION_METADATA.includes(attribute.name));
  if (misplaced) fail('INVALID_METADATA', `a=${misplaced.name} belongs to the session level`, misplaced.line);
  const ptime = single(attributes, 'ptime');
  const party = single(attributes, 'x-gm-party');
  const controlAttribute = single(attributes, 'control');
  if (!controlAttribute) fail('MISSING_CONTROL', 'every media section needs a=control', section.line);
  const control = checked(controlAttribute, checkControl, 'INVALID_CONTROL');
  return {
    port: section.port,
    ...selectCodecs(section),
    ptimeMs: ptime && Number(checked(ptime, checkPtime, 'SYNTAX')),
    direction: direction(attributes) ?? sessionDirection ?? 'sendrecv',
    party: party && (checked(party, checkParty, 'INVALID_METADATA') as Party),
    control,
    controlUrl: control === '*' ? sessionBase.href : resolveControl(control, sessionBase, controlAttribute.line).href,
  };
}

interface RtpMap {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
}

function rtpMaps(attributes: readonly Attribute[]): Map<number, RtpMap> {
  const maps = new Map<number, RtpMap>();
  for (const attribute of attributes) {
    if (attribute.name !== 'rtpmap') continue;
    const match = RTPMAP.exec(valueOf(attribute));
    if (!match) fail('SYNTAX', 'a=rtpmap must be <payload type> <encoding>/<clock rate>[/<channels>]', attribute.line);
    const type = payloadType(match[1] as string, attribute.line);
    if (maps.has(type)) fail('SYNTAX', 'a payload type is mapped twice', attribute.line);
    const encoding = (match[2] as string).toUpperCase();
    // A static type means what RFC 3551 says; our encodings may be remapped only onto dynamic types.
    const staticCodec = STATIC_CODECS.get(type);
    const ours = encoding === 'PCMU' || encoding === 'PCMA' || encoding === TELEPHONE_EVENT;
    if (staticCodec !== undefined ? encoding !== staticCodec : ours && type < FIRST_DYNAMIC_PAYLOAD_TYPE) {
      fail('SYNTAX', 'a=rtpmap contradicts the static payload type (RFC 3551)', attribute.line);
    }
    maps.set(type, { encoding, clockRate: Number(match[3]), channels: match[4] === undefined ? 1 : Number(match[4]) });
  }
  return maps;
}

/** The first format offered that we can record (the sender's preference), and the 8 kHz telephone-event type. */
function selectCodecs(section: MediaSection): Pick<SdpTrack, 'codec' | 'payloadType' | 'telephoneEventPayloadType'> {
  const maps = rtpMaps(section.attributes);
  let audio: { codec: Codec; payloadType: number } | undefined;
  let telephoneEventPayloadType: number | undefined;
  let wrongClockRate = false;
  for (const type of section.formats) {
    const staticCodec = STATIC_CODECS.get(type);
    const map = maps.get(type) ?? (staticCodec && { encoding: staticCodec, clockRate: G711_SAMPLE_RATE, channels: 1 });
    if (!map) continue;
    if (map.encoding === 'PCMU' || map.encoding === 'PCMA') {
      wrongClockRate ||= map.clockRate !== G711_SAMPLE_RATE;
      if (!audio && map.clockRate === G711_SAMPLE_RATE && map.channels === 1) audio = { codec: map.encoding, payloadType: type };
    } else if (map.encoding === TELEPHONE_EVENT && map.clockRate === G711_SAMPLE_RATE) {
      telephoneEventPayloadType ??= type;
    }
  }
  if (!audio) {
    return wrongClockRate
      ? fail('UNSUPPORTED_CLOCK_RATE', `G.711 is recorded at ${G711_SAMPLE_RATE} Hz only`, section.line)
      : fail('UNSUPPORTED_CODEC', 'no mono PCMU or PCMA format is offered', section.line);
  }
  return { ...audio, telephoneEventPayloadType };
}

function resolveSessionBase(baseUrl: string, controlAttribute: Attribute | undefined): URL {
  const base = resolveControl(baseUrl, undefined);
  if (!controlAttribute) return base;
  const control = checked(controlAttribute, checkControl, 'INVALID_CONTROL');
  return control === '*' ? base : resolveControl(control, base, controlAttribute.line);
}

/**
 * RFC 2326 C.1.1: a relative control URL is relative to the session's URL. Like ffmpeg, live555 and GStreamer, the
 * base is taken as a directory (`rtsp://host/call/1` + `trackID=0` → `rtsp://host/call/1/trackID=0`). The result
 * must stay on the base's scheme and host, so a description cannot send our SETUP elsewhere.
 */
function resolveControl(control: string, base: URL | undefined, line?: number): URL {
  let url: URL;
  try {
    const directory = base && new URL(base.href);
    if (directory && !directory.pathname.endsWith('/')) directory.pathname += '/';
    url = new URL(control, directory);
  } catch {
    return fail('INVALID_CONTROL', 'the control URL cannot be resolved', line);
  }
  if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') fail('INVALID_CONTROL', 'a control URL must be rtsp: or rtsps:', line);
  if (base && (url.protocol !== base.protocol || url.hostname !== base.hostname)) {
    fail('INVALID_CONTROL', 'a control URL must stay on the scheme and host of the base URL', line);
  }
  return url;
}

// Checks shared by the parser and the formatter: a problem in English, or undefined when the value is fine.

function checkCallId(value: string): string | undefined {
  return CALL_ID.test(value) ? undefined : 'a=x-gm-call-id must be 1 to 128 of A-Z a-z 0-9 . _ : @ -';
}

function checkNumber(name: string, value: string): string | undefined {
  return PHONE_NUMBER.test(value) ? undefined : `a=${name} must be digits and '-' with an optional leading '+' (at most 32)`;
}

function checkCallDirection(value: string): string | undefined {
  return (CALL_DIRECTIONS as readonly string[]).includes(value) ? undefined : 'a=x-gm-direction must be inbound, outbound or internal';
}

function checkParty(value: string): string | undefined {
  return (PARTIES as readonly string[]).includes(value) ? undefined : 'a=x-gm-party must be official or other';
}

function checkNotice(value: string): string | undefined {
  return NOTICE.test(value) ? undefined : 'a=x-gm-notice must be 1 to 256 printable characters';
}

/** ISO 8601 in UTC, checked field by field: Date.parse would turn 2026-02-30 into 2 March. */
function checkInstant(value: string): string | undefined {
  const problem = 'a=x-gm-started-at must be an ISO 8601 UTC instant such as 2026-11-27T05:04:58Z';
  const match = INSTANT.exec(value);
  if (!match) return problem;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const exact =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return exact ? undefined : problem;
}

function checkControl(value: string): string | undefined {
  return CONTROL.test(value) ? undefined : 'a=control must be a URL without spaces (at most 512 characters)';
}

function checkPtime(value: string): string | undefined {
  const ms = Number(value);
  return PTIME.test(value) && ms > 0 && ms <= MAX_PTIME_MS ? undefined : `a=ptime must be a number of milliseconds, 0 to ${MAX_PTIME_MS}`;
}

/**
 * Writes the SDP our RTSP client announces. Everything written is checked by the same rules the parser applies, so
 * the output always parses (against a base URL on the same host) back to the same description; a value that could
 * not travel throws a RangeError.
 */
export function formatSdp(description: SessionDescriptionFields): string {
  const problems: string[] = [];
  const check = (problem: string | undefined): void => {
    if (problem) problems.push(problem);
  };
  const { origin, metadata, tracks } = description;
  check(TOKEN.test(origin.username) ? undefined : 'origin username must be a token');
  check(DECIMAL_ID.test(origin.sessionId) && DECIMAL_ID.test(origin.sessionVersion) ? undefined : 'origin session id and version must be decimal');
  check(ADDRESS.test(origin.address) ? undefined : 'origin address must be a host name or IP address');
  check(SESSION_NAME.test(description.sessionName) ? undefined : 'the session name must be 1 to 256 characters without control characters');
  if (description.control !== undefined) check(checkControl(description.control));
  if (metadata.callId !== undefined) check(checkCallId(metadata.callId));
  if (metadata.extension !== undefined) check(checkNumber('x-gm-extension', metadata.extension));
  if (metadata.otherParty !== undefined) check(checkNumber('x-gm-other-party', metadata.otherParty));
  if (metadata.direction !== undefined) check(checkCallDirection(metadata.direction));
  const startedAt = metadata.startedAt && isoInstant(metadata.startedAt);
  if (startedAt !== undefined) check(checkInstant(startedAt));
  check(metadata.notices.length <= MAX_NOTICES ? undefined : `at most ${MAX_NOTICES} notices`);
  metadata.notices.forEach((notice) => check(checkNotice(notice)));
  check(tracks.length >= 1 && tracks.length <= MAX_TRACKS ? undefined : `one or ${MAX_TRACKS} tracks`);
  check(
    tracks.length === MAX_TRACKS && tracks[0]?.party !== undefined && tracks[0].party === tracks[1]?.party ? 'two tracks cannot be the same party' : undefined,
  );
  tracks.forEach((track) => checkTrack(track).forEach(check));
  if (problems.length > 0) throw new RangeError(`cannot format SDP: ${problems.join('; ')}`);

  const lines = [
    'v=0',
    `o=${origin.username} ${origin.sessionId} ${origin.sessionVersion} IN ${origin.addressType} ${origin.address}`,
    `s=${description.sessionName}`,
    `c=IN ${origin.addressType} ${origin.address}`,
    't=0 0',
  ];
  if (description.control !== undefined) lines.push(`a=control:${description.control}`);
  if (metadata.callId !== undefined) lines.push(`a=x-gm-call-id:${metadata.callId}`);
  if (metadata.extension !== undefined) lines.push(`a=x-gm-extension:${metadata.extension}`);
  if (metadata.otherParty !== undefined) lines.push(`a=x-gm-other-party:${metadata.otherParty}`);
  if (metadata.direction !== undefined) lines.push(`a=x-gm-direction:${metadata.direction}`);
  if (startedAt !== undefined) lines.push(`a=x-gm-started-at:${startedAt}`);
  for (const notice of metadata.notices) lines.push(`a=x-gm-notice:${notice}`);
  for (const track of tracks) {
    const event = track.telephoneEventPayloadType;
    lines.push(`m=audio ${track.port} RTP/AVP ${track.payloadType}${event === undefined ? '' : ` ${event}`}`);
    lines.push(`a=rtpmap:${track.payloadType} ${track.codec}/${G711_SAMPLE_RATE}`);
    if (event !== undefined) lines.push(`a=rtpmap:${event} telephone-event/${G711_SAMPLE_RATE}`);
    if (track.ptimeMs !== undefined) lines.push(`a=ptime:${track.ptimeMs}`);
    if (track.direction !== 'sendrecv') lines.push(`a=${track.direction}`);
    if (track.party !== undefined) lines.push(`a=x-gm-party:${track.party}`);
    lines.push(`a=control:${track.control}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** toISOString without its RangeError: an invalid date becomes text that checkInstant reports. */
function isoInstant(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'Invalid Date' : date.toISOString();
}

function checkTrack(track: SdpTrackFields): (string | undefined)[] {
  const audioType = track.payloadType;
  const eventType = track.telephoneEventPayloadType;
  const dynamic = (type: number): boolean => Number.isInteger(type) && type >= FIRST_DYNAMIC_PAYLOAD_TYPE && type <= MAX_PAYLOAD_TYPE;
  return [
    Number.isInteger(track.port) && track.port >= 0 && track.port <= 0xffff ? undefined : 'a port must be 0 to 65535',
    STATIC_PAYLOAD_TYPES[track.codec] === audioType || dynamic(audioType)
      ? undefined
      : `${track.codec} needs payload type ${STATIC_PAYLOAD_TYPES[track.codec]} or a dynamic one`,
    eventType === undefined || (dynamic(eventType) && eventType !== audioType) ? undefined : 'telephone-event needs its own dynamic payload type',
    track.ptimeMs === undefined ? undefined : checkPtime(String(track.ptimeMs)),
    MEDIA_DIRECTIONS.includes(track.direction) ? undefined : 'unknown media direction',
    track.party === undefined ? undefined : checkParty(track.party),
    checkControl(track.control),
  ];
}
