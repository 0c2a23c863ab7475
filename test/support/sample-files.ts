/**
 * Small but complete PDF, PNG and JPEG files, written by hand so a test can give one of them exactly one flaw (a
 * script, a hidden archive, bytes after the end) and know that flaw is the only thing wrong with it.
 */
import { deflateSync } from 'node:zlib';
import { encodePng } from './signature';

const PAGE_OBJECTS = [
  '<< /Type /Catalog /Pages 2 0 R >>',
  '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
  '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
];

/**
 * A PDF 1.4 with a classic cross-reference table: objects 1–3 are a catalog, its page tree and one page, then
 * `extra` objects numbered from 4 on; `catalog` adds entries to the catalog (e.g. `/OpenAction 4 0 R`).
 */
export function samplePdf(options: { extra?: (string | Buffer)[]; catalog?: string; trailer?: string } = {}): Buffer {
  const objects = [...PAGE_OBJECTS, ...(options.extra ?? [])];
  if (options.catalog) objects[0] = `<< /Type /Catalog /Pages 2 0 R ${options.catalog} >>`;
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const at = () => parts.reduce((sum, part) => sum + part.length, 0);
  const offsets = objects.map((object, index) => {
    const offset = at();
    parts.push(
      Buffer.from(`${index + 1} 0 obj\n`, 'latin1'),
      typeof object === 'string' ? Buffer.from(object, 'latin1') : object,
      Buffer.from('\nendobj\n', 'latin1'),
    );
    return offset;
  });
  const xref = at();
  const entries = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  const trailer = `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${options.trailer ?? ''}>>\nstartxref\n${xref}\n%%EOF\n`;
  parts.push(Buffer.from(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}${trailer}`, 'latin1'));
  return Buffer.concat(parts);
}

/** A stream object as it sits in a file: its dictionary entries, /Length, and the bytes. */
export const streamObject = (entries: string, data: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`<< ${entries} /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]);

/**
 * A PDF 1.5 as current writers make it: the page objects and `hidden` ones inside a Flate-compressed object stream,
 * found through a cross-reference stream whose rows are PNG-Up predicted.
 */
export function samplePdfWithObjectStream(hidden: string[] = [], catalog = ''): Buffer {
  const compressed = [`<< /Type /Catalog /Pages 2 0 R ${catalog} >>`, ...PAGE_OBJECTS.slice(1), ...hidden];
  let objects = '';
  const offsets: number[] = [];
  for (const object of compressed) {
    offsets.push(objects.length);
    objects += `${object}\n`;
  }
  const header = compressed.map((_, index) => `${index + 1} ${offsets[index]}`).join(' ') + '\n';
  const objectStream = compressed.length + 1;
  const xrefStream = objectStream + 1;
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const at = () => parts.reduce((sum, part) => sum + part.length, 0);
  const objectStreamOffset = at();
  parts.push(
    Buffer.from(`${objectStream} 0 obj\n`, 'latin1'),
    streamObject(`/Type /ObjStm /N ${compressed.length} /First ${header.length} /Filter /FlateDecode`, deflateSync(Buffer.from(header + objects, 'latin1'))),
    Buffer.from('\nendobj\n', 'latin1'),
  );
  const xrefOffset = at();
  // Rows of W [1 4 2]: type, then offset (type 1) or object stream number (type 2), then generation or index.
  const row = (type: number, second: number, third: number) => {
    const bytes = Buffer.alloc(7);
    bytes[0] = type;
    bytes.writeUInt32BE(second, 1);
    bytes.writeUInt16BE(third, 5);
    return bytes;
  };
  const rows = [row(0, 0, 0xffff), ...compressed.map((_, index) => row(2, objectStream, index)), row(1, objectStreamOffset, 0), row(1, xrefOffset, 0)];
  let previous = Buffer.alloc(7);
  const predicted = rows.map((current) => {
    const up = Buffer.from(current.map((byte, index) => (byte - previous[index]!) & 0xff));
    previous = current;
    return Buffer.concat([Buffer.from([2]), up]);
  });
  parts.push(
    Buffer.from(`${xrefStream} 0 obj\n`, 'latin1'),
    streamObject(
      `/Type /XRef /Size ${xrefStream + 1} /Root 1 0 R /W [1 4 2] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>`,
      deflateSync(Buffer.concat(predicted)),
    ),
    Buffer.from(`\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'),
  );
  return Buffer.concat(parts);
}

/** A 2×2 RGBA PNG: signature, IHDR, one IDAT, IEND. */
export const samplePng = (): Buffer => encodePng(2, 2, Buffer.alloc(2 * (2 * 4 + 1)));

/**
 * A baseline JPEG's segments as T.81 lays them out — SOI, a quantisation table, the frame (8×8, one component), a
 * Huffman table, the scan with entropy-coded bytes (a stuffed FF00 and a restart marker among them), EOI — enough
 * for the structure to be checked, not a picture anyone would look at.
 */
export function sampleJpeg(): Buffer {
  const segment = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    ...segment(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0]),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    0x12,
    0xff,
    0x00,
    0x34,
    0xff,
    0xd0,
    0x56,
    0xff,
    0xd9,
  ]);
}
