/**
 * WAV (RIFF WAVE, Microsoft/IBM 1991; G.711 tags from RFC 2361) as the decrypted recording is defined: a header
 * followed by the audio bytes. Recordings are G.711 stereo 8 kHz, one channel per party; playback and the party's
 * export hand out 16-bit PCM. All RIFF integers are little-endian.
 *
 * G.711 (`fmt ` is a WAVEFORMATEX, and non-PCM data needs a `fact` chunk), 58 bytes:
 * ```
 *  0 "RIFF"   4 riffSize = fileSize − 8   8 "WAVE"
 * 12 "fmt "  16 18                        20 formatTag 7 (µ-law) | 6 (A-law)   22 channels
 * 24 sampleRate  28 byteRate = sampleRate × blockAlign   32 blockAlign = channels   34 bitsPerSample 8   36 cbSize 0
 * 38 "fact"  42 4                         46 sampleFrames (samples per channel)
 * 50 "data"  54 dataSize                  58 data…
 * ```
 * 16-bit PCM (formatTag 1, plain `fmt `, no `fact`), 44 bytes:
 * ```
 *  0 "RIFF"  4 riffSize  8 "WAVE"  12 "fmt "  16 16  20 1  22 channels  24 sampleRate  28 byteRate
 * 32 blockAlign = 2 × channels  34 16  36 "data"  40 dataSize  44 data…
 * ```
 */
import { type Codec } from '../domain/recording';
import { CodedError } from '../domain/coded-error';

/** The stored G.711 codecs, and `PCM16`: signed 16-bit little-endian linear PCM (WAVE_FORMAT_PCM). */
export type WavEncoding = Codec | 'PCM16';

export interface WavFormat {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
}

export interface WavInfo extends WavFormat {
  bitsPerSample: number;
  blockAlign: number;
  dataOffset: number;
  dataLength: number;
  /** Samples per channel. */
  sampleFrames: number;
}

export class WavFormatError extends CodedError<'INVALID_WAV'> {
  constructor(reason: string) {
    super('INVALID_WAV', `WAV 형식이 올바르지 않습니다: ${reason}`);
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_ALAW = 6;
const WAVE_FORMAT_MULAW = 7;
const FORMAT_TAG: Readonly<Record<WavEncoding, number>> = {
  PCMU: WAVE_FORMAT_MULAW,
  PCMA: WAVE_FORMAT_ALAW,
  PCM16: WAVE_FORMAT_PCM,
};
const BITS_PER_SAMPLE: Readonly<Record<WavEncoding, number>> = { PCMU: 8, PCMA: 8, PCM16: 16 };

const CHUNK_HEADER_BYTES = 8;
const RIFF_PREAMBLE_BYTES = 12;
const PCM_FMT_BYTES = 16;
/** WAVEFORMATEX: the PCM fields plus cbSize, which non-PCM formats must carry. */
const EXTENDED_FMT_BYTES = 18;
const FACT_BYTES = 4;
const MAX_CHUNK_BYTES = 0xffff_ffff;

function encodingOf(formatTag: number): WavEncoding | undefined {
  return (Object.keys(FORMAT_TAG) as WavEncoding[]).find((encoding) => FORMAT_TAG[encoding] === formatTag);
}

function blockAlignOf(format: WavFormat): number {
  return (format.channels * BITS_PER_SAMPLE[format.encoding]) / 8;
}

/** Bytes of the header `wavHeader` writes for this encoding (58 for G.711, 44 for PCM). */
function wavHeaderLength(encoding: WavEncoding): number {
  const fmtBytes = encoding === 'PCM16' ? PCM_FMT_BYTES : EXTENDED_FMT_BYTES;
  const factChunk = encoding === 'PCM16' ? 0 : CHUNK_HEADER_BYTES + FACT_BYTES;
  return RIFF_PREAMBLE_BYTES + CHUNK_HEADER_BYTES + fmtBytes + factChunk + CHUNK_HEADER_BYTES;
}

/** The header for `dataLength` bytes of audio that follow it. */
export function wavHeader(format: WavFormat, dataLength: number): Buffer {
  const blockAlign = blockAlignOf(format);
  const headerLength = wavHeaderLength(format.encoding);
  if (!Number.isInteger(format.channels) || format.channels < 1 || format.channels > 0xffff) {
    throw new RangeError(`channels out of range: ${format.channels}`);
  }
  if (!Number.isInteger(format.sampleRate) || format.sampleRate < 1 || format.sampleRate * blockAlign > MAX_CHUNK_BYTES) {
    throw new RangeError(`sample rate out of range: ${format.sampleRate}`);
  }
  // Whole frames only; with whole frames our data is never odd-sized, so RIFF's pad byte never arises.
  if (!Number.isSafeInteger(dataLength) || dataLength < 0 || dataLength % blockAlign !== 0 || dataLength % 2 !== 0) {
    throw new RangeError(`WAV data must be whole frames of ${blockAlign} bytes and even: ${dataLength}`);
  }
  if (dataLength > MAX_CHUNK_BYTES - (headerLength - CHUNK_HEADER_BYTES)) {
    throw new RangeError(`WAV data too long for RIFF's 32-bit sizes: ${dataLength}`);
  }
  const header = Buffer.alloc(headerLength);
  let offset = 0;
  const text = (value: string) => (offset += header.write(value, offset, 'ascii'));
  const u16 = (value: number) => (offset = header.writeUInt16LE(value, offset));
  const u32 = (value: number) => (offset = header.writeUInt32LE(value, offset));
  text('RIFF');
  u32(headerLength - CHUNK_HEADER_BYTES + dataLength);
  text('WAVE');
  text('fmt ');
  const extended = format.encoding !== 'PCM16';
  u32(extended ? EXTENDED_FMT_BYTES : PCM_FMT_BYTES);
  u16(FORMAT_TAG[format.encoding]);
  u16(format.channels);
  u32(format.sampleRate);
  u32(format.sampleRate * blockAlign);
  u16(blockAlign);
  u16(BITS_PER_SAMPLE[format.encoding]);
  if (extended) {
    u16(0);
    text('fact');
    u32(FACT_BYTES);
    u32(dataLength / blockAlign);
  }
  text('data');
  u32(dataLength);
  return header;
}

interface FmtChunk {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function parseFmt(body: Buffer): FmtChunk {
  if (body.length < PCM_FMT_BYTES) throw new WavFormatError(`fmt chunk is ${body.length} bytes`);
  const formatTag = body.readUInt16LE(0);
  const encoding = encodingOf(formatTag);
  if (encoding === undefined) throw new WavFormatError(`unsupported format tag ${formatTag}`);
  const channels = body.readUInt16LE(2);
  const sampleRate = body.readUInt32LE(4);
  const byteRate = body.readUInt32LE(8);
  const blockAlign = body.readUInt16LE(12);
  const bitsPerSample = body.readUInt16LE(14);
  if (encoding === 'PCM16') {
    // A PCM fmt may be the plain 16 bytes or a WAVEFORMATEX with cbSize 0; nothing else.
    if (body.length !== PCM_FMT_BYTES && !(body.length === EXTENDED_FMT_BYTES && body.readUInt16LE(16) === 0)) {
      throw new WavFormatError(`PCM fmt chunk is ${body.length} bytes`);
    }
  } else if (body.length !== EXTENDED_FMT_BYTES || body.readUInt16LE(16) !== 0) {
    throw new WavFormatError(`G.711 fmt chunk must be an 18-byte WAVEFORMATEX with cbSize 0`);
  }
  if (bitsPerSample !== BITS_PER_SAMPLE[encoding]) {
    throw new WavFormatError(`${encoding} with ${bitsPerSample} bits per sample`);
  }
  if (channels < 1) throw new WavFormatError('no channels');
  if (sampleRate < 1) throw new WavFormatError('sample rate 0');
  if (blockAlign !== blockAlignOf({ encoding, channels, sampleRate })) {
    throw new WavFormatError(`block align ${blockAlign} for ${channels} channels of ${bitsPerSample} bits`);
  }
  if (byteRate !== sampleRate * blockAlign) throw new WavFormatError(`byte rate ${byteRate} ≠ ${sampleRate} × ${blockAlign}`);
  return { encoding, channels, sampleRate, bitsPerSample, blockAlign };
}

/**
 * Reads and checks a whole WAV file: RIFF size equal to the file, exactly one `fmt ` before exactly one `data`,
 * consistent rates and alignment, whole frames, and for G.711 a `fact` chunk counting the frames. Other chunks
 * (e.g. LIST) are skipped. Anything else is a `WavFormatError`.
 */
export function readWav(file: Buffer): WavInfo {
  if (file.length < RIFF_PREAMBLE_BYTES) throw new WavFormatError(`only ${file.length} bytes`);
  if (file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF WAVE file');
  }
  const riffSize = file.readUInt32LE(4);
  if (riffSize + CHUNK_HEADER_BYTES !== file.length) {
    throw new WavFormatError(`RIFF size ${riffSize} does not match the file's ${file.length} bytes`);
  }
  let fmt: FmtChunk | undefined;
  let factFrames: number | undefined;
  let data: { offset: number; length: number } | undefined;
  let offset = RIFF_PREAMBLE_BYTES;
  while (offset < file.length) {
    if (offset + CHUNK_HEADER_BYTES > file.length) throw new WavFormatError(`truncated chunk header at ${offset}`);
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const bodyOffset = offset + CHUNK_HEADER_BYTES;
    if (bodyOffset + size > file.length) throw new WavFormatError(`chunk "${id}" runs past the end of the file`);
    const body = file.subarray(bodyOffset, bodyOffset + size);
    if (id === 'fmt ') {
      if (fmt !== undefined) throw new WavFormatError('two fmt chunks');
      fmt = parseFmt(body);
    } else if (id === 'fact') {
      if (factFrames !== undefined || size !== FACT_BYTES) throw new WavFormatError('bad fact chunk');
      factFrames = body.readUInt32LE(0);
    } else if (id === 'data') {
      if (fmt === undefined) throw new WavFormatError('data before fmt');
      if (data !== undefined) throw new WavFormatError('two data chunks');
      data = { offset: bodyOffset, length: size };
    }
    // RIFF chunks are word-aligned: an odd-sized body is followed by one pad byte.
    offset = bodyOffset + size + (size % 2);
  }
  if (offset !== file.length) throw new WavFormatError('pad byte missing after the last chunk');
  if (fmt === undefined) throw new WavFormatError('no fmt chunk');
  if (data === undefined) throw new WavFormatError('no data chunk');
  if (data.length % fmt.blockAlign !== 0) {
    throw new WavFormatError(`data size ${data.length} is not whole frames of ${fmt.blockAlign} bytes`);
  }
  const sampleFrames = data.length / fmt.blockAlign;
  if (fmt.encoding !== 'PCM16') {
    if (factFrames === undefined) throw new WavFormatError('G.711 without a fact chunk');
    if (factFrames !== sampleFrames) throw new WavFormatError(`fact says ${factFrames} frames, data holds ${sampleFrames}`);
  }
  return { ...fmt, dataOffset: data.offset, dataLength: data.length, sampleFrames };
}
