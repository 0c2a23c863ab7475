/**
 * G.711 (ITU-T Recommendation G.711, 1988): the 8-bit logarithmic codes telephones send, and the 16-bit linear
 * PCM they stand for. Recordings are kept as the G.711 bytes that arrived (no transcoding, so nothing is lost);
 * playback and the party's own export decode them to 16-bit PCM, and the call generator encodes test tones.
 *
 * The arithmetic is the reference one (Sun Microsystems' public-domain g711.c, as in ffmpeg and SoX): decoding
 * gives the midpoint of each quantisation interval scaled to 16 bits, encoding picks the interval a sample falls
 * in. Round trip decode → encode returns every one of the 256 codes unchanged, with one exception: µ-law has two
 * codes for zero, 0xFF (+0) and 0x7F (−0); both decode to 0, and 0 encodes to 0xFF, so 0x7F comes back as 0xFF.
 * A-law has no zero code (its smallest levels are ±8), so all 256 A-law codes round-trip exactly.
 */
import { type Codec } from '../domain/recording';

/**
 * The code a silent line carries: µ-law +0 (0xFF), and A-law's smallest positive level +8 (0xD5, the idle
 * pattern of A-law systems). The receiver writes it in place of lost packets so the timing of a call holds.
 */
export const SILENCE: Readonly<Record<Codec, number>> = { PCMU: 0xff, PCMA: 0xd5 };

const MULAW_BIAS = 0x84;
/** Largest magnitude µ-law encodes before it saturates: 32635 + bias fits exactly in the top segment. */
const MULAW_CLIP = 32635;
const ALAW_EVEN_BITS = 0x55;

function mulawToLinear(code: number): number {
  const inverted = ~code & 0xff;
  const magnitude = (((inverted & 0x0f) << 3) + MULAW_BIAS) << ((inverted & 0x70) >> 4);
  return inverted & 0x80 ? MULAW_BIAS - magnitude : magnitude - MULAW_BIAS;
}

function alawToLinear(code: number): number {
  const value = code ^ ALAW_EVEN_BITS;
  const segment = (value & 0x70) >> 4;
  const mantissa = (value & 0x0f) << 4;
  const magnitude = segment === 0 ? mantissa + 8 : (mantissa + 0x108) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

function linearToMulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const biased = Math.min(Math.abs(sample), MULAW_CLIP) + MULAW_BIAS;
  // biased >> 7 is 1..255: its highest set bit is the segment (exponent) 0..7.
  const segment = 31 - Math.clz32(biased >> 7);
  const mantissa = (biased >> (segment + 3)) & 0x0f;
  return ~(sign | (segment << 4) | mantissa) & 0xff;
}

function linearToAlaw(sample: number): number {
  // A-law works on 13 bits; negative values are folded onto 0..4095 as in the reference coder (−1 → 0).
  const thirteen = sample >> 3;
  const positive = thirteen >= 0;
  const magnitude = positive ? thirteen : -thirteen - 1;
  const mask = positive ? 0xd5 : ALAW_EVEN_BITS;
  if (magnitude > 0xfff) return 0x7f ^ mask;
  // Segment 0 and 1 share a step size; above that, each segment doubles the range (highest bit 5..11).
  const segment = magnitude < 0x20 ? 0 : 27 - Math.clz32(magnitude);
  const mantissa = (magnitude >> (segment < 2 ? 1 : segment)) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

const DECODE: Readonly<Record<Codec, Int16Array>> = {
  PCMU: Int16Array.from({ length: 256 }, (_, code) => mulawToLinear(code)),
  PCMA: Int16Array.from({ length: 256 }, (_, code) => alawToLinear(code)),
};
const ENCODE: Readonly<Record<Codec, (sample: number) => number>> = { PCMU: linearToMulaw, PCMA: linearToAlaw };

/** The 16-bit linear value of one G.711 code (0..255). */
export function decodeSample(codec: Codec, code: number): number {
  const value = DECODE[codec][code];
  if (value === undefined || !Number.isInteger(code)) throw new RangeError(`G.711 code out of range: ${code}`);
  return value;
}

/** The G.711 code of one 16-bit linear sample (−32768..32767). */
export function encodeSample(codec: Codec, sample: number): number {
  if (!Number.isInteger(sample) || sample < -32768 || sample > 32767) {
    throw new RangeError(`16-bit sample out of range: ${sample}`);
  }
  return ENCODE[codec](sample);
}

/** G.711 bytes (any channel layout) to signed 16-bit little-endian PCM, sample for sample. */
export function g711ToPcm16le(codec: Codec, g711: Uint8Array): Buffer {
  const table = DECODE[codec];
  const pcm = Buffer.allocUnsafe(g711.length * 2);
  for (let index = 0; index < g711.length; index++) {
    pcm.writeInt16LE(table[g711[index] as number] as number, index * 2);
  }
  return pcm;
}

/** 16-bit linear samples to G.711 bytes, sample for sample. */
export function pcm16ToG711(codec: Codec, samples: Int16Array): Buffer {
  const encode = ENCODE[codec];
  const g711 = Buffer.allocUnsafe(samples.length);
  for (let index = 0; index < samples.length; index++) g711[index] = encode(samples[index] as number);
  return g711;
}
