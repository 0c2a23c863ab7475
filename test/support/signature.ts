/**
 * PNGs as a browser's signature pad makes them (8-bit RGBA, transparent background), written by hand so the tests
 * can draw a real signature, a blank pad or a broken file without a browser.
 */
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}

/** An RGBA PNG whose pixels `ink(x, y)` says are drawn (dark blue, opaque); every row Sub-filtered, as encoders do. */
export function rgbaPng(width: number, height: number, ink: (x: number, y: number) => boolean): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y += 1) {
    const pixels = Buffer.alloc(width * 4);
    for (let x = 0; x < width; x += 1) if (ink(x, y)) pixels.set([0x10, 0x20, 0x60, 0xff], x * 4);
    const filtered = Buffer.alloc(width * 4 + 1);
    filtered[0] = 1;
    for (let i = 0; i < pixels.length; i += 1) filtered[i + 1] = (pixels[i]! - (i >= 4 ? pixels[i - 4]! : 0)) & 0xff;
    rows.push(filtered);
  }
  return encodePng(width, height, Buffer.concat(rows));
}

/** A PNG of 8-bit RGBA with the given rows (each its filter byte, then the filtered pixels), compressed as they are. */
export function encodePng(width: number, height: number, filteredRows: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(filteredRows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A scribbled signature on a 600×200 pad: a wave across most of it, three pixels thick. */
export const SIGNATURE_PNG = rgbaPng(600, 200, (x, y) => x > 60 && x < 540 && Math.abs(y - (100 + 50 * Math.sin(x / 30))) < 3);
export const BLANK_PAD_PNG = rgbaPng(600, 200, () => false);

export const dataUrl = (png: Buffer): string => `data:image/png;base64,${png.toString('base64')}`;
