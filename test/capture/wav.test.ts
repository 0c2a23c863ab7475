/** WAV headers for G.711 and PCM, byte for byte, and a reader that refuses anything inconsistent. */
import fc from 'fast-check';
import { readWav, wavHeader, WavFormatError, type WavEncoding } from '../../capture/wav';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('G.711 µ-law stereo 8 kHz: WAVEFORMATEX with cbSize 0 and a fact chunk, 58 bytes', () => {
  expect(wavHeader({ encoding: 'PCMU', channels: 2, sampleRate: 8000 }, 16000)).toEqual(
    hex(`
      52494646 b23e0000 57415645
      666d7420 12000000 0700 0200 401f0000 803e0000 0200 0800 0000
      66616374 04000000 401f0000
      64617461 803e0000`),
  );
});

test('G.711 A-law differs only in the format tag (6)', () => {
  const mulaw = wavHeader({ encoding: 'PCMU', channels: 2, sampleRate: 8000 }, 320);
  const alaw = wavHeader({ encoding: 'PCMA', channels: 2, sampleRate: 8000 }, 320);
  expect(alaw.readUInt16LE(20)).toBe(6);
  alaw.writeUInt16LE(7, 20);
  expect(alaw).toEqual(mulaw);
});

test('16-bit PCM stereo 8 kHz: the canonical 44-byte header', () => {
  expect(wavHeader({ encoding: 'PCM16', channels: 2, sampleRate: 8000 }, 32000)).toEqual(
    hex(`
      52494646 247d0000 57415645
      666d7420 10000000 0100 0200 401f0000 007d0000 0400 1000
      64617461 007d0000`),
  );
});

test.each<[WavEncoding, number, number]>([
  ['PCMU', 2, 58],
  ['PCMA', 1, 58],
  ['PCM16', 2, 44],
])('%s with %i channels reads back as written', (encoding, channels, headerLength) => {
  const data = Buffer.alloc(channels * (encoding === 'PCM16' ? 2 : 1) * 800, 0x55);
  expect(readWav(Buffer.concat([wavHeader({ encoding, channels, sampleRate: 8000 }, data.length), data]))).toEqual({
    encoding,
    channels,
    sampleRate: 8000,
    bitsPerSample: encoding === 'PCM16' ? 16 : 8,
    blockAlign: channels * (encoding === 'PCM16' ? 2 : 1),
    dataOffset: headerLength,
    dataLength: data.length,
    sampleFrames: 800,
  });
});

test('an empty recording is a valid WAV', () => {
  expect(readWav(wavHeader({ encoding: 'PCMU', channels: 2, sampleRate: 8000 }, 0))).toMatchObject({ dataLength: 0, sampleFrames: 0 });
});

test('chunks the reader does not know (LIST) are skipped, pad byte included', () => {
  const header = wavHeader({ encoding: 'PCM16', channels: 1, sampleRate: 8000 }, 4);
  const list = Buffer.concat([Buffer.from('LIST'), hex('03000000'), Buffer.from('abc'), hex('00')]);
  const file = Buffer.concat([header.subarray(0, 36), list, header.subarray(36), hex('01000200')]);
  file.writeUInt32LE(file.length - 8, 4);
  expect(readWav(file)).toMatchObject({ dataOffset: 36 + list.length + 8, dataLength: 4 });
});

test('headers it cannot write honestly are refused', () => {
  const format = { encoding: 'PCMU' as const, channels: 2, sampleRate: 8000 };
  expect(() => wavHeader(format, 3)).toThrow(RangeError);
  expect(() => wavHeader({ ...format, channels: 1 }, 3)).toThrow(RangeError);
  expect(() => wavHeader({ ...format, channels: 0 }, 0)).toThrow(RangeError);
  expect(() => wavHeader(format, 0x1_0000_0000)).toThrow(RangeError);
});

describe('the reader refuses', () => {
  const good = () => Buffer.concat([wavHeader({ encoding: 'PCMU', channels: 2, sampleRate: 8000 }, 8), Buffer.alloc(8)]);
  const cases: [string, (file: Buffer) => Buffer, RegExp][] = [
    ['a file cut short', (file) => file.subarray(0, file.length - 1), /RIFF size/],
    ['a RIFF size that is not the file', (file) => (file.writeUInt32LE(1000, 4), file), /RIFF size/],
    ['another container', (file) => (file.write('RIFX', 0), file), /not a RIFF WAVE/],
    ['an unknown format tag', (file) => (file.writeUInt16LE(2, 20), file), /format tag 2/],
    ['G.711 with 16 bits', (file) => (file.writeUInt16LE(16, 34), file), /bits per sample/],
    ['a wrong block align', (file) => (file.writeUInt16LE(4, 32), file), /block align/],
    ['a wrong byte rate', (file) => (file.writeUInt32LE(8000, 28), file), /byte rate/],
    ['a fact that miscounts', (file) => (file.writeUInt32LE(5, 46), file), /fact says 5/],
    ['G.711 without fact', (file) => (file.write('junk', 38), file), /without a fact/],
    ['a data size past the end', (file) => (file.writeUInt32LE(10, 54), file), /past the end/],
    ['a second fmt', (file) => (file.write('fmt ', 50), file), /two fmt|fmt chunk/],
    [
      'data that is not whole frames',
      (file) => Buffer.concat([file.subarray(0, 54), hex('07000000'), file.subarray(58, 65), hex('00')]),
      /whole frames|RIFF size/,
    ],
  ];
  test.each(cases)('%s', (_name, damage, message) => {
    const file = damage(good());
    expect(() => readWav(file)).toThrow(WavFormatError);
    expect(() => readWav(file)).toThrow(message);
  });

  test('data before fmt', () => {
    const file = Buffer.concat([Buffer.from('RIFF'), hex('0c000000'), Buffer.from('WAVE'), Buffer.from('data'), hex('00000000')]);
    expect(() => readWav(file)).toThrow(/data before fmt/);
  });
});

test('random bytes and random damage never escape as anything but WavFormatError', () => {
  const good = Buffer.concat([wavHeader({ encoding: 'PCMA', channels: 2, sampleRate: 8000 }, 16), Buffer.alloc(16, 0xd5)]);
  const onlyFormatErrors = (bytes: Buffer) => {
    try {
      readWav(bytes);
    } catch (error) {
      if (!(error instanceof WavFormatError)) throw error;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => onlyFormatErrors(Buffer.from(bytes))));
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const damaged = Buffer.from(good);
      damaged[at] = (damaged[at] as number) ^ flip;
      onlyFormatErrors(damaged);
    }),
  );
});
