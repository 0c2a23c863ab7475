/**
 * RTP for the capture appliance, pure and I/O-free: the packet parser and serialiser (RFC 3550), RTCP told apart
 * on a shared port (RFC 5761), RFC 4733 telephone events, and `RtpStreamReceiver`, which turns one party's packets
 * into an ordered G.711 timeline with losses filled by silence.
 *
 * Nothing here throws on received bytes: a datagram is either a packet, RTCP, or a typed rejection.
 *
 * One file: the whole RFC 3550 parser and its golden-byte contract; splitting it would scatter the offsets from the
 * diagrams that define them.
 */
import { type Codec } from '../domain/recording';
import { SILENCE } from './g711';

/*
 * RFC 3550 §5.1, the fixed header:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * §5.3.1, the header extension (present when X is set), after the CSRCs:
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |    length (32-bit words)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * When P is set, the last octet of the packet counts the padding octets, itself included.
 */
const RTP_VERSION = 2;
const OFFSET_FLAGS = 0;
const OFFSET_MARKER_AND_TYPE = 1;
const OFFSET_SEQUENCE = 2;
const OFFSET_TIMESTAMP = 4;
const OFFSET_SSRC = 8;
const FIXED_HEADER_BYTES = 12;
const CSRC_BYTES = 4;
const EXTENSION_HEADER_BYTES = 4;
const MAX_CSRCS = 15;
const MAX_PAYLOAD_TYPE = 127;
const PADDING_BIT = 0x20;
const EXTENSION_BIT = 0x10;
const CSRC_COUNT_MASK = 0x0f;
const MARKER_BIT = 0x80;
const PAYLOAD_TYPE_MASK = 0x7f;

/*
 * RFC 3550 §6.4.1, the RTCP common header:
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|   RC    |      PT       |   length (32-bit words - 1)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 5761 §4: where RTP and RTCP share a port, RTP payload types 64–95 are not used, so a second octet of 192–223
 * (marker bit and payload type together) is an RTCP packet type: SR 200, RR 201, SDES 202, BYE 203, APP 204 and the
 * feedback and XR types beside them.
 */
const RTCP_HEADER_BYTES = 4;
const OFFSET_RTCP_LENGTH = 2;
const RTCP_TYPE_FIRST = 192;
const RTCP_TYPE_LAST = 223;

export type RtpRejectionReason = 'TRUNCATED' | 'BAD_VERSION' | 'BAD_PADDING' | 'CSRC_BEYOND_LENGTH' | 'EXTENSION_BEYOND_LENGTH';

export interface RtpRejection {
  readonly kind: 'rejected';
  readonly reason: RtpRejectionReason;
}

export interface RtpHeaderExtension {
  readonly profile: number;
  /** A view into the parsed datagram; a multiple of 4 bytes. */
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly kind: 'rtp';
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtension | undefined;
  readonly paddingBytes: number;
  /** A view into the parsed datagram (no copy): valid as long as the caller keeps that buffer unchanged. */
  readonly payload: Uint8Array;
}

export interface RtcpPacket {
  readonly kind: 'rtcp';
  readonly packetType: number;
}

export type RtpParseResult = RtpPacket | RtcpPacket | RtpRejection;

// Rejections are shared constants so that a flood of garbage allocates nothing.
const rejection = (reason: RtpRejectionReason): RtpRejection => Object.freeze({ kind: 'rejected', reason });
const REJECTED: Readonly<Record<RtpRejectionReason, RtpRejection>> = {
  TRUNCATED: rejection('TRUNCATED'),
  BAD_VERSION: rejection('BAD_VERSION'),
  BAD_PADDING: rejection('BAD_PADDING'),
  CSRC_BEYOND_LENGTH: rejection('CSRC_BEYOND_LENGTH'),
  EXTENSION_BEYOND_LENGTH: rejection('EXTENSION_BEYOND_LENGTH'),
};
const NO_CSRCS: readonly number[] = Object.freeze([]);

// Callers check the length before reading, hence the non-null assertions.
function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value & 0xff;
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** Parses one datagram (or one TCP-interleaved frame) as RTP, or recognises it as RTCP. Never throws. */
export function parseRtp(bytes: Uint8Array): RtpParseResult {
  if (bytes.length < RTCP_HEADER_BYTES) return REJECTED.TRUNCATED;
  const flags = bytes[OFFSET_FLAGS]!;
  if (flags >>> 6 !== RTP_VERSION) return REJECTED.BAD_VERSION;
  const markerAndType = bytes[OFFSET_MARKER_AND_TYPE]!;
  if (markerAndType >= RTCP_TYPE_FIRST && markerAndType <= RTCP_TYPE_LAST) {
    // Only the first packet of a compound RTCP packet is checked: the recorder counts RTCP, it does not use it.
    const declared = (readU16(bytes, OFFSET_RTCP_LENGTH) + 1) * 4;
    return declared > bytes.length ? REJECTED.TRUNCATED : { kind: 'rtcp', packetType: markerAndType };
  }
  if (bytes.length < FIXED_HEADER_BYTES) return REJECTED.TRUNCATED;

  const csrcCount = flags & CSRC_COUNT_MASK;
  let offset = FIXED_HEADER_BYTES + csrcCount * CSRC_BYTES;
  if (offset > bytes.length) return REJECTED.CSRC_BEYOND_LENGTH;

  let extension: RtpHeaderExtension | undefined;
  if (flags & EXTENSION_BIT) {
    if (offset + EXTENSION_HEADER_BYTES > bytes.length) return REJECTED.EXTENSION_BEYOND_LENGTH;
    const dataStart = offset + EXTENSION_HEADER_BYTES;
    const dataEnd = dataStart + readU16(bytes, offset + 2) * 4;
    if (dataEnd > bytes.length) return REJECTED.EXTENSION_BEYOND_LENGTH;
    extension = { profile: readU16(bytes, offset), data: bytes.subarray(dataStart, dataEnd) };
    offset = dataEnd;
  }

  let paddingBytes = 0;
  if (flags & PADDING_BIT) {
    paddingBytes = bytes[bytes.length - 1]!;
    // The count includes its own octet, so 0 is as invalid as a count reaching into the header.
    if (paddingBytes === 0 || offset + paddingBytes > bytes.length) return REJECTED.BAD_PADDING;
  }

  let csrcs = NO_CSRCS;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++) list.push(readU32(bytes, FIXED_HEADER_BYTES + i * CSRC_BYTES));
    csrcs = list;
  }
  return {
    kind: 'rtp',
    marker: (markerAndType & MARKER_BIT) !== 0,
    payloadType: markerAndType & PAYLOAD_TYPE_MASK,
    sequenceNumber: readU16(bytes, OFFSET_SEQUENCE),
    timestamp: readU32(bytes, OFFSET_TIMESTAMP),
    ssrc: readU32(bytes, OFFSET_SSRC),
    csrcs,
    extension,
    paddingBytes,
    payload: bytes.subarray(offset, bytes.length - paddingBytes),
  };
}

export interface RtpPacketInit {
  readonly marker?: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs?: readonly number[];
  readonly extension?: RtpHeaderExtension | undefined;
  /** Padding octets to append (zeros, then the count); 0 for none. */
  readonly paddingBytes?: number;
  readonly payload: Uint8Array;
}

function assertUint(value: number, max: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} must be an integer 0–${max}`);
}

/** Builds an RTP packet (our own RTSP client sends these). Throws RangeError on fields RTP cannot carry. */
export function serializeRtp(packet: RtpPacketInit): Uint8Array {
  const csrcs = packet.csrcs ?? NO_CSRCS;
  const paddingBytes = packet.paddingBytes ?? 0;
  assertUint(packet.payloadType, MAX_PAYLOAD_TYPE, 'payloadType');
  assertUint(packet.sequenceNumber, 0xffff, 'sequenceNumber');
  assertUint(packet.timestamp, 0xffffffff, 'timestamp');
  assertUint(packet.ssrc, 0xffffffff, 'ssrc');
  assertUint(csrcs.length, MAX_CSRCS, 'number of CSRCs');
  assertUint(paddingBytes, 0xff, 'paddingBytes');
  csrcs.forEach((csrc) => assertUint(csrc, 0xffffffff, 'csrc'));
  const extension = packet.extension;
  if (extension) {
    assertUint(extension.profile, 0xffff, 'extension profile');
    if (extension.data.length % 4 !== 0) throw new RangeError('extension data must be a multiple of 4 bytes');
    assertUint(extension.data.length / 4, 0xffff, 'extension length in words');
  }

  const headerBytes = FIXED_HEADER_BYTES + csrcs.length * CSRC_BYTES + (extension ? EXTENSION_HEADER_BYTES + extension.data.length : 0);
  const bytes = new Uint8Array(headerBytes + packet.payload.length + paddingBytes);
  bytes[OFFSET_FLAGS] = (RTP_VERSION << 6) | (paddingBytes > 0 ? PADDING_BIT : 0) | (extension ? EXTENSION_BIT : 0) | csrcs.length;
  bytes[OFFSET_MARKER_AND_TYPE] = (packet.marker ? MARKER_BIT : 0) | packet.payloadType;
  writeU16(bytes, OFFSET_SEQUENCE, packet.sequenceNumber);
  writeU32(bytes, OFFSET_TIMESTAMP, packet.timestamp);
  writeU32(bytes, OFFSET_SSRC, packet.ssrc);
  let offset = FIXED_HEADER_BYTES;
  for (const csrc of csrcs) {
    writeU32(bytes, offset, csrc);
    offset += CSRC_BYTES;
  }
  if (extension) {
    writeU16(bytes, offset, extension.profile);
    writeU16(bytes, offset + 2, extension.data.length / 4);
    bytes.set(extension.data, offset + EXTENSION_HEADER_BYTES);
    offset += EXTENSION_HEADER_BYTES + extension.data.length;
  }
  bytes.set(packet.payload, offset);
  if (paddingBytes > 0) bytes[bytes.length - 1] = paddingBytes;
  return bytes;
}

/*
 * RFC 4733 §2.3, the telephone-event payload:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const TELEPHONE_EVENT_BYTES = 4;
const OFFSET_EVENT = 0;
const OFFSET_END_AND_VOLUME = 1;
const OFFSET_DURATION = 2;
const END_BIT = 0x80;
const VOLUME_MASK = 0x3f;
/** RFC 4733 §3.2: events 0–15 are the DTMF digits in this order (16 is the hook flash). */
const DTMF_DIGITS = '0123456789*#ABCD';

export interface TelephoneEventPayload {
  readonly kind: 'telephone-event';
  readonly event: number;
  readonly end: boolean;
  /** Power level in −dBm0 (0–63). */
  readonly volume: number;
  /** In RTP timestamp units (samples at 8 kHz) since the event's timestamp. */
  readonly duration: number;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventPayload | RtpRejection {
  if (payload.length < TELEPHONE_EVENT_BYTES) return REJECTED.TRUNCATED;
  const endAndVolume = payload[OFFSET_END_AND_VOLUME]!;
  return {
    kind: 'telephone-event',
    event: payload[OFFSET_EVENT]!,
    end: (endAndVolume & END_BIT) !== 0,
    volume: endAndVolume & VOLUME_MASK,
    duration: readU16(payload, OFFSET_DURATION),
  };
}

/** G.711 as carried over RTP: one byte per sample, one RTP timestamp unit per sample (RFC 3551 §4.5.14). */
export const G711_SAMPLE_RATE = 8000;

/** A telephone event (RFC 4733) seen in a party's stream, reported once. */
export interface CallEvent {
  readonly event: number;
  /** '0'–'9', '*', '#', 'A'–'D' for DTMF events; undefined for the others (16 is the hook flash). */
  readonly digit: string | undefined;
  readonly volume: number;
  /** Where the event starts on the call timeline (see RtpStreamReceiver). */
  readonly sampleOffset: number;
  readonly durationSamples: number;
  /** False when no end packet arrived before the next event, an SSRC change or the flush. */
  readonly ended: boolean;
}

export interface RtpStreamSink {
  /**
   * Audio in call-timeline order: each call starts where the previous ended (`sampleOffset` is given for checking and
   * for aligning events). `samples` is a view that is only valid during the call and must not be modified: copy it to
   * keep it.
   */
  audio(sampleOffset: number, samples: Uint8Array): void;
  event(event: CallEvent): void;
}

export interface RtpStreamOptions {
  readonly codec: Codec;
  /** The audio payload type negotiated in the SDP (0 for PCMU and 8 for PCMA unless an rtpmap said otherwise). */
  readonly payloadType: number;
  readonly telephoneEventPayloadType?: number | undefined;
  /** Sample 0 of the call timeline, in the same clock as the `arrivalMs` given to push(); shared by both tracks. */
  readonly epochMs: number;
  /**
   * The jitter window in packets: a missing packet is waited for until one this many numbers later arrives, and
   * reordering within it is undone (5 × 20 ms = 100 ms of audio at most held back).
   */
  readonly jitterPackets?: number;
  /** Larger payloads are discarded; 1500 bytes holds ffmpeg's MTU-sized G.711 packets. */
  readonly maxPayloadBytes?: number;
  /** How far RTP timestamps may run ahead of the arrival clock before gaps stop being filled with silence. */
  readonly maxLeadMs?: number;
  /** How long a packet may wait in the jitter window for a missing one before tick() gives that one up (200 ms). */
  readonly maxHoldMs?: number;
}

export interface RtpStreamStats {
  /** Well-formed RTP packets, duplicates and late ones included. */
  received: number;
  /** Sequence numbers never received in time; their audio is replaced by silence. */
  lost: number;
  duplicates: number;
  /** Arrived after their place on the timeline had been passed (counted as lost then). */
  late: number;
  /** Arrived after a later packet and put back in order. */
  reordered: number;
  ssrcChanges: number;
  rtcp: number;
  /** Telephone events reported to the sink, one per event however often its end packet came. */
  events: number;
  /** Rejected by the parser, or a telephone-event payload too short to read. */
  malformed: number;
  /** Well-formed but of neither negotiated payload type. */
  unexpectedPayloadType: number;
  /** Oversized, or a new source or sequence jump that a second packet never confirmed. */
  discarded: number;
  /** Silence written in place of lost or suppressed audio. */
  silenceSamples: number;
  /**
   * Times the timeline had fallen behind the arrival clock by more than jitter explains (a sender whose timestamps
   * stood still during a hold, or restarted lower) and was brought up to it with silence.
   */
  resyncs: number;
}

const DEFAULT_JITTER_PACKETS = 5;
const MAX_JITTER_PACKETS = 64;
const DEFAULT_MAX_PAYLOAD_BYTES = 1500;
const DEFAULT_MAX_LEAD_MS = 2000;
const DEFAULT_MAX_HOLD_MS = 200;
/*
 * The lag behind the arrival clock still taken for network jitter: the jitter window at the usual 20 ms per packet
 * plus a margin. Well under CallAssembly's 2 s lead, so a lagging track is resynced before the assembly pads its
 * channel and drops what the track sends afterwards.
 */
const NOMINAL_PACKET_MS = 20;
const RESYNC_MARGIN_MS = 300;
const SAMPLES_PER_MS = G711_SAMPLE_RATE / 1000;
/** RFC 3550 appendix A.1: a jump further than this is a restarted sender or a stray packet, not loss. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQUENCE_MODULUS = 0x10000;
/** Released sequence numbers remembered to tell a duplicate of a released packet from a late one. */
const RELEASED_HISTORY = 32;
const EMPTY_SLOT = -1;
const SILENCE_CHUNK_SAMPLES = G711_SAMPLE_RATE;
const SILENCE_CHUNKS: Readonly<Record<Codec, Uint8Array>> = {
  PCMU: new Uint8Array(SILENCE_CHUNK_SAMPLES).fill(SILENCE.PCMU),
  PCMA: new Uint8Array(SILENCE_CHUNK_SAMPLES).fill(SILENCE.PCMA),
};

/** The signed distance a → b between two 16-bit sequence numbers. */
const sequenceDelta = (from: number, to: number): number => ((to - from) << 16) >> 16;

interface PendingEvent {
  readonly timestamp: number;
  readonly event: number;
  readonly volume: number;
  readonly sampleOffset: number;
  durationSamples: number;
  reported: boolean;
}

/**
 * One party's RTP stream of a call → ordered G.711 audio on the call timeline.
 *
 * Why a timeline shared by both tracks: sample n of every track of a call is the instant `epochMs + n / 8` ms. A
 * track's first packet is placed by its arrival time (silence before it), later packets by their RTP timestamps, and a
 * new source (SSRC change, sender restart, restart()) by its arrival time again. A track whose timestamps fall behind
 * the arrival clock by more than jitter explains (a sender that stops its clock during a hold, or restarts it lower
 * under the same SSRC) is brought up to its arrival time with silence: the pause stays a pause, and the rest of the
 * track is not placed early. Output is contiguous from sample 0, so a stereo writer simply interleaves byte n of one
 * track with byte n of the other, and pads the shorter track at the end.
 * Arrival-time placement is off by the network jitter of the first packet (milliseconds); RTCP sender reports could
 * do better but are not needed to keep two parties of a phone call in step.
 *
 * Memory is fixed at construction: `jitterPackets + 1` payload slots of `maxPayloadBytes` and a few counters (about
 * 9 KiB with the defaults). Packets are copied only when they must wait (until later packets or tick() release
 * them); the in-order path passes the parsed payload view straight to the sink, synchronously from push(), tick(),
 * flush() or restart(). Silence is capped by the arrival clock, so RTP timestamps from a hostile or broken sender
 * cannot pad the recording beyond real time plus `maxLeadMs`; audio that actually arrived is always kept.
 *
 * The first packet of a source starts its sequence space: an earlier one arriving after it counts as late. Holding
 * the first release until the window fills would save that packet when a call's very first packets are reordered,
 * which is rare and costs a few tens of milliseconds at the start of one source; the simpler rule is kept.
 */
export class RtpStreamReceiver {
  private readonly counters: RtpStreamStats = {
    received: 0,
    lost: 0,
    duplicates: 0,
    late: 0,
    reordered: 0,
    ssrcChanges: 0,
    rtcp: 0,
    events: 0,
    malformed: 0,
    unexpectedPayloadType: 0,
    discarded: 0,
    silenceSamples: 0,
    resyncs: 0,
  };
  private readonly silence: Uint8Array;
  private readonly payloadType: number;
  private readonly telephoneEventPayloadType: number | undefined;
  private readonly epochMs: number;
  private readonly window: number;
  private readonly maxPayloadBytes: number;
  private readonly leadSamples: number;
  private readonly resyncSamples: number;
  private readonly maxHoldMs: number;

  // The jitter window: a ring indexed by extended sequence number modulo its size.
  private readonly slotSequence: Float64Array;
  private readonly slotTimestamp: Uint32Array;
  private readonly slotPayloadType: Uint8Array;
  private readonly slotArrival: Float64Array;
  private readonly slotLength: Uint32Array;
  private readonly slotData: Uint8Array;

  // The current source's sequence space. Extended numbers start at 65536 + the first number so they never go negative.
  private ssrc: number | undefined;
  private nextSequence = 0;
  private highestSequence = 0;
  private releasedMask = 0;

  // RFC 3550 probation: one held packet of a new source or after a sequence jump, adopted when a second confirms it.
  private candidateSsrc: number | undefined;
  private candidateSequence = 0;
  private candidateTimestamp = 0;
  private candidatePayloadType = 0;
  private candidateArrival = 0;
  private candidateLength = 0;
  private readonly candidateData: Uint8Array;

  // The timeline: samples written so far, and the RTP timestamp the next sample of the current source should carry.
  private end = 0;
  private expectedTimestamp: number | undefined;
  private pendingEvent: PendingEvent | undefined;

  constructor(
    options: RtpStreamOptions,
    private readonly sink: RtpStreamSink,
  ) {
    assertUint(options.payloadType, MAX_PAYLOAD_TYPE, 'payloadType');
    if (options.telephoneEventPayloadType !== undefined) {
      assertUint(options.telephoneEventPayloadType, MAX_PAYLOAD_TYPE, 'telephoneEventPayloadType');
      if (options.telephoneEventPayloadType === options.payloadType) {
        throw new RangeError('the telephone-event payload type must differ from the audio payload type');
      }
    }
    const window = options.jitterPackets ?? DEFAULT_JITTER_PACKETS;
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const maxLeadMs = options.maxLeadMs ?? DEFAULT_MAX_LEAD_MS;
    const maxHoldMs = options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    if (!Number.isInteger(window) || window < 1 || window > MAX_JITTER_PACKETS) {
      throw new RangeError(`jitterPackets must be an integer 1–${MAX_JITTER_PACKETS}`);
    }
    assertUint(maxPayloadBytes, 0xffff, 'maxPayloadBytes');
    if (!Number.isFinite(options.epochMs)) throw new RangeError('epochMs must be a finite number');
    if (!(maxLeadMs >= 0)) throw new RangeError('maxLeadMs must not be negative');
    if (!(maxHoldMs >= 0)) throw new RangeError('maxHoldMs must not be negative');

    this.silence = SILENCE_CHUNKS[options.codec];
    this.payloadType = options.payloadType;
    this.telephoneEventPayloadType = options.telephoneEventPayloadType;
    this.epochMs = options.epochMs;
    this.window = window;
    this.maxPayloadBytes = maxPayloadBytes;
    this.leadSamples = Math.floor(maxLeadMs * SAMPLES_PER_MS);
    this.resyncSamples = (window * NOMINAL_PACKET_MS + RESYNC_MARGIN_MS) * SAMPLES_PER_MS;
    this.maxHoldMs = maxHoldMs;
    this.slotSequence = new Float64Array(window).fill(EMPTY_SLOT);
    this.slotTimestamp = new Uint32Array(window);
    this.slotPayloadType = new Uint8Array(window);
    this.slotArrival = new Float64Array(window);
    this.slotLength = new Uint32Array(window);
    this.slotData = new Uint8Array(window * maxPayloadBytes);
    this.candidateData = new Uint8Array(maxPayloadBytes);
  }

  /** Live counters (the same object on every read). */
  get stats(): Readonly<RtpStreamStats> {
    return this.counters;
  }

  /** Samples written to the sink so far: the length of this track's timeline. */
  get samplesWritten(): number {
    return this.end;
  }

  /** One datagram or interleaved frame: RTP of this track, or RTCP on the same port. Never throws on its bytes. */
  push(datagram: Uint8Array, arrivalMs: number): void {
    const packet = parseRtp(datagram);
    if (packet.kind === 'rejected') {
      this.counters.malformed++;
      return;
    }
    if (packet.kind === 'rtcp') {
      this.counters.rtcp++;
      return;
    }
    this.counters.received++;
    const { sequenceNumber, timestamp, payloadType, payload } = packet;
    if (payload.length > this.maxPayloadBytes) {
      this.counters.discarded++;
      return;
    }
    if (this.ssrc === undefined) this.startSource(packet.ssrc, sequenceNumber);
    if (packet.ssrc === this.ssrc) {
      const delta = sequenceDelta(this.highestSequence & 0xffff, sequenceNumber);
      if (delta > -MAX_MISORDER && delta <= MAX_DROPOUT) {
        this.accept(this.highestSequence + delta, timestamp, payloadType, payload, arrivalMs);
        return;
      }
    }
    this.probation(packet.ssrc, sequenceNumber, timestamp, payloadType, payload, arrivalMs);
  }

  /** End of the call (or of a source): releases everything held, in order, and reports an unfinished event. */
  flush(): void {
    this.flushSource();
    if (this.candidateSsrc !== undefined) {
      this.counters.discarded++;
      this.candidateSsrc = undefined;
    }
  }

  /**
   * Called periodically with the arrival clock. Held packets otherwise wait for the next packet to push them out,
   * which a sender that falls silent right after a loss (hold, hang-up without BYE) does not send: once the oldest
   * has waited `maxHoldMs`, the missing packets before it are given up (lost) and everything it waited on released.
   */
  tick(nowMs: number): void {
    let stale = EMPTY_SLOT;
    for (let slot = 0; slot < this.window; slot++) {
      const sequence = this.slotSequence[slot]!;
      if (sequence > stale && nowMs - this.slotArrival[slot]! > this.maxHoldMs) stale = sequence;
    }
    if (stale === EMPTY_SLOT) return;
    this.releaseBefore(stale + 1);
    this.releaseReady();
  }

  /**
   * The stream was set up anew (a reconnect): whatever is held is released as by flush(), and the next packet starts
   * a new source placed by its arrival time, even with the same SSRC and its sequence numbers and timestamps
   * restarted, which would otherwise count as duplicates or late, or wait in probation.
   */
  restart(): void {
    this.flush();
    this.ssrc = undefined;
  }

  private startSource(ssrc: number, firstSequence: number): void {
    this.ssrc = ssrc;
    this.highestSequence = SEQUENCE_MODULUS + firstSequence;
    this.nextSequence = this.highestSequence;
    this.releasedMask = 0;
  }

  private flushSource(): void {
    if (this.ssrc !== undefined) this.releaseBefore(this.highestSequence + 1);
    if (this.pendingEvent && !this.pendingEvent.reported) this.reportEvent(this.pendingEvent, false);
    this.pendingEvent = undefined;
    // The next packet is placed by its arrival time: a new source's timestamps have nothing to do with the old ones.
    this.expectedTimestamp = undefined;
  }

  /** A packet from another source, or far from the current sequence: held until a neighbour confirms it. */
  private probation(ssrc: number, sequence: number, timestamp: number, payloadType: number, payload: Uint8Array, arrivalMs: number): void {
    const candidateDelta = sequenceDelta(this.candidateSequence, sequence);
    if (ssrc === this.candidateSsrc && candidateDelta !== 0 && Math.abs(candidateDelta) <= this.window) {
      if (ssrc !== this.ssrc) this.counters.ssrcChanges++;
      this.flushSource();
      this.candidateSsrc = undefined;
      this.startSource(ssrc, candidateDelta < 0 ? sequence : this.candidateSequence);
      const held = this.candidateData.subarray(0, this.candidateLength);
      const first = this.highestSequence;
      this.accept(first + Math.max(0, -candidateDelta), this.candidateTimestamp, this.candidatePayloadType, held, this.candidateArrival);
      this.accept(first + Math.max(0, candidateDelta), timestamp, payloadType, payload, arrivalMs);
      return;
    }
    if (this.candidateSsrc !== undefined) this.counters.discarded++;
    this.candidateSsrc = ssrc;
    this.candidateSequence = sequence;
    this.candidateTimestamp = timestamp;
    this.candidatePayloadType = payloadType;
    this.candidateArrival = arrivalMs;
    this.candidateLength = payload.length;
    this.candidateData.set(payload);
  }

  private accept(sequence: number, timestamp: number, payloadType: number, payload: Uint8Array, arrivalMs: number): void {
    if (sequence < this.nextSequence) {
      const back = this.nextSequence - 1 - sequence;
      if (back < RELEASED_HISTORY && (this.releasedMask >>> back) & 1) this.counters.duplicates++;
      else this.counters.late++;
      return;
    }
    // A packet beyond the window pushes out (releases, or counts as lost) whatever must not wait any longer.
    if (sequence >= this.nextSequence + this.window) this.releaseBefore(sequence - this.window + 1);
    const slot = sequence % this.window;
    if (this.slotSequence[slot] === sequence) {
      this.counters.duplicates++;
      return;
    }
    if (sequence < this.highestSequence) this.counters.reordered++;
    else this.highestSequence = sequence;

    if (sequence === this.nextSequence) {
      this.advance(true);
      this.release(timestamp, payloadType, payload, arrivalMs);
    } else {
      this.slotSequence[slot] = sequence;
      this.slotTimestamp[slot] = timestamp;
      this.slotPayloadType[slot] = payloadType;
      this.slotArrival[slot] = arrivalMs;
      this.slotLength[slot] = payload.length;
      this.slotData.set(payload, slot * this.maxPayloadBytes);
    }
    // Held packets may now be next: the one just released preceded them, or a given-up gap did.
    this.releaseReady();
  }

  private advance(released: boolean): void {
    this.releasedMask = ((this.releasedMask << 1) | (released ? 1 : 0)) >>> 0;
    this.nextSequence++;
  }

  private releaseReady(): void {
    let slot = this.nextSequence % this.window;
    while (this.slotSequence[slot] === this.nextSequence) {
      this.releaseSlot(slot);
      slot = this.nextSequence % this.window;
    }
  }

  /** Releases every held packet before `sequence` and counts the missing ones as lost; O(window) however far. */
  private releaseBefore(sequence: number): void {
    const scanEnd = Math.min(sequence, this.nextSequence + this.window);
    while (this.nextSequence < scanEnd) {
      const slot = this.nextSequence % this.window;
      if (this.slotSequence[slot] === this.nextSequence) {
        this.releaseSlot(slot);
      } else {
        this.counters.lost++;
        this.advance(false);
      }
    }
    const missing = sequence - this.nextSequence;
    if (missing > 0) {
      this.counters.lost += missing;
      this.releasedMask = missing >= RELEASED_HISTORY ? 0 : (this.releasedMask << missing) >>> 0;
      this.nextSequence = sequence;
    }
  }

  private releaseSlot(slot: number): void {
    this.slotSequence[slot] = EMPTY_SLOT;
    this.advance(true);
    const start = slot * this.maxPayloadBytes;
    this.release(
      this.slotTimestamp[slot]!,
      this.slotPayloadType[slot]!,
      this.slotData.subarray(start, start + this.slotLength[slot]!),
      this.slotArrival[slot]!,
    );
  }

  private release(timestamp: number, payloadType: number, payload: Uint8Array, arrivalMs: number): void {
    if (payloadType === this.payloadType) this.writeAudio(timestamp, payload, arrivalMs);
    else if (payloadType === this.telephoneEventPayloadType) this.telephoneEvent(timestamp, payload, arrivalMs);
    else this.counters.unexpectedPayloadType++;
  }

  /** The arrival time as a timeline position: where a packet would go if nothing else were known. */
  private arrivalSamples(arrivalMs: number): number {
    const elapsedMs = arrivalMs - this.epochMs;
    return elapsedMs > 0 ? Math.floor(elapsedMs * SAMPLES_PER_MS) : 0;
  }

  private writeAudio(timestamp: number, payload: Uint8Array, arrivalMs: number): void {
    const arrival = this.arrivalSamples(arrivalMs);
    // A gap in RTP timestamps is lost (or suppressed) audio. A timestamp behind the expected one is a sender that
    // restarted its clock: its audio follows on (nothing would be gained by overwriting what was written) as long as
    // the timeline keeps up with the arrival clock.
    let gap = this.expectedTimestamp === undefined ? arrival - this.end : (timestamp - this.expectedTimestamp) | 0;
    // Timestamps alone never catch up with a sender that paused its clock or restarted it lower; once the timeline
    // lags the arrival clock by more than jitter explains, the arrival clock is where this packet belongs.
    if (this.expectedTimestamp !== undefined && arrival - this.end - Math.max(gap, 0) > this.resyncSamples) {
      gap = arrival - this.end;
      this.counters.resyncs++;
    }
    if (gap > 0) this.writeSilence(Math.min(gap, arrival + this.leadSamples - this.end));
    this.expectedTimestamp = (timestamp + payload.length) >>> 0;
    if (payload.length === 0) return;
    const offset = this.end;
    this.end += payload.length;
    this.sink.audio(offset, payload);
  }

  private writeSilence(samples: number): void {
    let remaining = samples;
    while (remaining > 0) {
      const chunk = Math.min(remaining, SILENCE_CHUNK_SAMPLES);
      const offset = this.end;
      this.end += chunk;
      this.counters.silenceSamples += chunk;
      remaining -= chunk;
      this.sink.audio(offset, this.silence.subarray(0, chunk));
    }
  }

  /**
   * RFC 4733 §2.5: all packets of one event carry the event's start timestamp, the duration grows, and the end
   * packet is repeated (three times, §2.5.1.4). An event is reported once: at its first end packet, or unended when
   * another event, a new source or the flush comes first.
   */
  private telephoneEvent(timestamp: number, payload: Uint8Array, arrivalMs: number): void {
    const parsed = parseTelephoneEvent(payload);
    if (parsed.kind === 'rejected') {
      this.counters.malformed++;
      return;
    }
    const pending = this.pendingEvent;
    if (pending && pending.timestamp === timestamp) {
      if (pending.reported) return;
      pending.durationSamples = Math.max(pending.durationSamples, parsed.duration);
      if (parsed.end) this.reportEvent(pending, true);
      return;
    }
    if (pending && !pending.reported) this.reportEvent(pending, false);
    const event: PendingEvent = {
      timestamp,
      event: parsed.event,
      volume: parsed.volume,
      sampleOffset: this.eventOffset(timestamp, arrivalMs),
      durationSamples: parsed.duration,
      reported: false,
    };
    this.pendingEvent = event;
    if (parsed.end) this.reportEvent(event, true);
  }

  /**
   * An event's place on the timeline: by its timestamp, but never before 0 nor further ahead than audio may run, and
   * at its arrival where audio would be resynced to it.
   */
  private eventOffset(timestamp: number, arrivalMs: number): number {
    const arrival = this.arrivalSamples(arrivalMs);
    const placed = Math.max(this.end, arrival);
    if (this.expectedTimestamp === undefined) return placed;
    const position = this.end + ((timestamp - this.expectedTimestamp) | 0);
    if (arrival - Math.max(position, this.end) > this.resyncSamples) return arrival;
    return Math.min(Math.max(position, 0), placed + this.leadSamples);
  }

  private reportEvent(pending: PendingEvent, ended: boolean): void {
    pending.reported = true;
    this.counters.events++;
    this.sink.event({
      event: pending.event,
      digit: DTMF_DIGITS[pending.event],
      volume: pending.volume,
      sampleOffset: pending.sampleOffset,
      durationSamples: pending.durationSamples,
      ended,
    });
  }
}
