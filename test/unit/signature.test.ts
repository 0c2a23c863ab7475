/** The on-screen signature is decoded, not trusted: each refusal says what to do, in Korean, with its code. */
import { crc32 } from 'node:zlib';
import { parseSignature, SIGNATURE_MIN_INK_PIXELS } from '../../api/signature';
import { BLANK_PAD_PNG, dataUrl, encodePng, rgbaPng, SIGNATURE_PNG } from '../support/signature';

const refusal = (value: string) => {
  try {
    parseSignature(value);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('accepted');
};

test('a drawn signature is accepted with its size and how much of it is ink', () => {
  const signature = parseSignature(dataUrl(SIGNATURE_PNG));
  expect(signature).toMatchObject({ width: 600, height: 200 });
  expect(signature.inkPixels).toBeGreaterThan(2000);
  expect(signature.png.equals(SIGNATURE_PNG)).toBe(true);
});

test('every PNG row filter is undone (None, Sub, Up, Average, Paeth) before the ink is counted', () => {
  // A PNG whose rows use each filter in turn, made by filtering a known picture by hand.
  const width = 300;
  const height = 100;
  const inked = (x: number, y: number) => (x + y) % 7 === 0;
  const pixels = Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(width * 4);
    for (let x = 0; x < width; x += 1) if (inked(x, y)) row.set([1, 2, 3, 200], x * 4);
    return row;
  });
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  const rows = pixels.map((row, y) => {
    const filter = y % 5;
    const up = y > 0 ? pixels[y - 1]! : Buffer.alloc(row.length);
    const out = Buffer.alloc(row.length + 1);
    out[0] = filter;
    for (let i = 0; i < row.length; i += 1) {
      const a = i >= 4 ? row[i - 4]! : 0;
      const b = up[i]!;
      const c = i >= 4 ? up[i - 4]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!;
      out[i + 1] = (row[i]! - predictor) & 0xff;
    }
    return out;
  });
  const png = encodePng(width, height, Buffer.concat(rows));
  let expected = 0;
  for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) if (inked(x, y)) expected += 1;
  expect(parseSignature(dataUrl(png)).inkPixels).toBe(expected);
});

test('a blank pad, a dot, and no signature at all are refused', () => {
  expect(refusal(dataUrl(BLANK_PAD_PNG))).toEqual({ code: 'INVALID_SIGNATURE', message: '서명란이 비어 있습니다. 인수자가 서명한 뒤 기록하십시오.' });
  const dot = rgbaPng(600, 200, (x, y) => Math.abs(x - 300) < 5 && Math.abs(y - 100) < 5);
  expect(SIGNATURE_MIN_INK_PIXELS).toBeGreaterThan(100);
  expect(refusal(dataUrl(dot)).message).toContain('비어 있습니다');
  expect(refusal('').message).toContain('서명이 없습니다');
  expect(refusal('data:image/jpeg;base64,/9j/4AAQ').message).toContain('서명이 없습니다');
});

test('what is not a PNG from the pad is refused before it is decoded', () => {
  expect(refusal(dataUrl(Buffer.from('%PDF-1.7 not an image'))).message).toBe('서명 이미지가 PNG가 아닙니다.');
  const corrupted = Buffer.from(SIGNATURE_PNG);
  corrupted[40] = corrupted[40]! ^ 0xff;
  expect(refusal(dataUrl(corrupted)).message).toContain('손상');
  expect(refusal(dataUrl(SIGNATURE_PNG.subarray(0, 60))).message).toContain('온전한 PNG가 아닙니다');
  expect(refusal(dataUrl(rgbaPng(50, 20, () => true))).message).toContain('50×20');
  expect(refusal(dataUrl(rgbaPng(4000, 200, () => true))).message).toContain('4000×200');
  // A greyscale PNG: header says colour type 0.
  const grey = Buffer.from(SIGNATURE_PNG);
  grey[25] = 0;
  grey.writeUInt32BE(crc32(grey.subarray(12, 29)), 29);
  expect(refusal(dataUrl(grey)).message).toContain('8비트 RGBA');
});

test('a decompression bomb is refused: the data may not inflate beyond the size its header declares', () => {
  // The header claims 600×200 (about 480 KB of pixels); the image data inflates to 50 MB, yet compresses to 50 KB.
  const bomb = encodePng(600, 200, Buffer.alloc(50 * 1024 * 1024));
  expect(bomb.length).toBeLessThan(100 * 1024);
  expect(refusal(dataUrl(bomb)).message).toContain('온전한 PNG가 아닙니다');
});
