/** G.711 µ-law and A-law against the Recommendation's tables: every code, both directions. */
import { type Codec } from '../../domain/recording';
import { decodeSample, encodeSample, g711ToPcm16le, pcm16ToG711, SILENCE } from '../../capture/g711';

const CODECS: Codec[] = ['PCMU', 'PCMA'];
const CODES = Array.from({ length: 256 }, (_, code) => code);

test('decode → encode returns every code, except µ-law −0 (0x7F), which comes back as +0 (0xFF)', () => {
  const changed = (codec: Codec) =>
    CODES.filter((code) => encodeSample(codec, decodeSample(codec, code)) !== code).map((code) => [code, encodeSample(codec, decodeSample(codec, code))]);
  expect(changed('PCMU')).toEqual([[0x7f, 0xff]]);
  expect(changed('PCMA')).toEqual([]);
});

test('levels from the G.711 tables, scaled to 16 bits', () => {
  // µ-law: the two zeros, the extremes (±8031 in 14 bits), the top of segment 0.
  expect([0xff, 0x7f, 0x80, 0x00, 0xf0, 0x70].map((code) => decodeSample('PCMU', code))).toEqual([0, 0, 32124, -32124, 120, -120]);
  // A-law: sign bit set is positive, even bits inverted; smallest levels ±8, extremes ±32256 (±4032 in 13 bits).
  expect([0xd5, 0x55, 0xaa, 0x2a, 0x00, 0x80].map((code) => decodeSample('PCMA', code))).toEqual([8, -8, 32256, -32256, -5504, 5504]);
});

test.each(CODECS)('%s: the sign bit mirrors the level; 128 positive levels (127 for µ-law, whose +0 is not one)', (codec) => {
  for (const code of CODES) expect(decodeSample(codec, code) + decodeSample(codec, code ^ 0x80)).toBe(0);
  const positive = CODES.map((code) => decodeSample(codec, code))
    .filter((level) => level > 0)
    .sort((a, b) => a - b);
  expect(new Set(positive).size).toBe(codec === 'PCMU' ? 127 : 128);
});

test.each(CODECS)('%s: encoding every 16-bit sample is monotonic and at most half the widest step (512) off', (codec) => {
  const faults: string[] = [];
  let previous = -Infinity;
  for (let sample = -32768; sample <= 32767; sample++) {
    const level = decodeSample(codec, encodeSample(codec, sample));
    if (level < previous) faults.push(`${sample} → ${level} falls below ${previous}`);
    previous = level;
    // µ-law saturates above 32635 (that plus its bias is the top of its range); A-law's top level is 32256.
    const saturated = codec === 'PCMU' && Math.abs(sample) > 32635;
    if (!saturated && Math.abs(level - sample) > 512) faults.push(`${sample} → ${level}`);
  }
  expect(faults).toEqual([]);
});

test('the silence byte of each codec decodes to its quietest positive level', () => {
  expect(SILENCE).toEqual({ PCMU: 0xff, PCMA: 0xd5 });
  expect(decodeSample('PCMU', SILENCE.PCMU)).toBe(0);
  expect(decodeSample('PCMA', SILENCE.PCMA)).toBe(8);
  expect(encodeSample('PCMU', 0)).toBe(SILENCE.PCMU);
  expect(encodeSample('PCMA', 0)).toBe(SILENCE.PCMA);
});

test.each(CODECS)('%s: whole buffers convert sample for sample, PCM little-endian', (codec) => {
  const g711 = Buffer.from(CODES);
  const pcm = g711ToPcm16le(codec, g711);
  expect(pcm.length).toBe(512);
  for (const code of CODES) expect(pcm.readInt16LE(code * 2)).toBe(decodeSample(codec, code));
  const samples = new Int16Array([-32768, -1, 0, 1, 1000, 32767]);
  expect([...pcm16ToG711(codec, samples)]).toEqual([...samples].map((sample) => encodeSample(codec, sample)));
});

test('codes and samples out of range are refused', () => {
  expect(() => decodeSample('PCMU', 256)).toThrow(RangeError);
  expect(() => decodeSample('PCMA', -1)).toThrow(RangeError);
  expect(() => decodeSample('PCMA', 1.5)).toThrow(RangeError);
  expect(() => encodeSample('PCMU', 32768)).toThrow(RangeError);
  expect(() => encodeSample('PCMA', -32769)).toThrow(RangeError);
});
