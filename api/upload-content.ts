/**
 * What an uploaded PDF, PNG or JPEG must be inside, beyond its first bytes. A file that starts like a PDF may still be
 * a batch script, an HTA or a ZIP that Windows runs or opens by another program, and a real PDF may carry scripts
 * that run when the chief or an auditor opens it. So a file is kept only when it parses as what it claims from its
 * first byte to its last, holds nothing that acts on its own, and is nothing else besides. Each check answers the
 * first problem found, with a stable reason and a Korean message the sender can act on.
 */
import { constants, crc32, inflateSync } from 'node:zlib';

export type ContentReason =
  | 'pdf_structure'
  | 'pdf_active_content'
  | 'pdf_encrypted'
  | 'pdf_uninspectable'
  | 'png_structure'
  | 'jpeg_structure'
  | 'trailing_data'
  | 'embedded_archive'
  | 'embedded_markup';

export interface ContentProblem {
  reason: ContentReason;
  /** Korean, for the person who sent the file. */
  message: string;
}

class Refusal extends Error {
  constructor(
    readonly reason: ContentReason,
    message: string,
  ) {
    super(message);
  }
}

const refusalOf = (error: unknown): ContentProblem => {
  if (error instanceof Refusal) return { reason: error.reason, message: error.message };
  throw error;
};

// ---------------------------------------------------------------------------------------------------------------
// Other formats hiding in the file (polyglots)

const ZIP_END_OF_DIRECTORY = 0x06054b50;
const ZIP_DIRECTORY_ENTRY = 0x02014b50;
/** The end record (22 bytes) and the longest comment a ZIP reader looks back over for it. */
const ZIP_TAIL_BYTES = 22 + 0xffff;

/**
 * A ZIP reader starts from the end: it looks for the end-of-directory record in the last 64 KiB and follows it to the
 * central directory. Finding both means an archive program would open this file as a ZIP.
 */
function hidesZip(content: Buffer): boolean {
  for (let at = content.length - 22; at >= Math.max(0, content.length - ZIP_TAIL_BYTES); at -= 1) {
    if (content.readUInt32LE(at) !== ZIP_END_OF_DIRECTORY) continue;
    const directorySize = content.readUInt32LE(at + 12);
    const directoryOffset = content.readUInt32LE(at + 16);
    const candidates = [directoryOffset, at - directorySize].filter((offset) => offset >= 0 && offset + 4 <= at);
    if (candidates.some((offset) => content.readUInt32LE(offset) === ZIP_DIRECTORY_ENTRY)) return true;
  }
  return false;
}

/**
 * mshta (an HTA) and a browser render any bytes as HTML and run the scripts they find anywhere in them, whatever the
 * file's name; none of these belongs in a scan or a photo.
 */
const MARKUP = /<(?:script|hta:application|iframe|object|embed)[\s>/]|<[a-z][a-z0-9]*\s[^<>]{0,256}?\son[a-z]+\s*=/i;

function refuseOtherFormats(content: Buffer): void {
  if (hidesZip(content)) throw new Refusal('embedded_archive', '파일 안에 ZIP 압축 파일이 숨어 있습니다.');
  if (MARKUP.test(content.toString('latin1'))) throw new Refusal('embedded_markup', '파일 안에 웹 페이지 스크립트(HTML)가 들어 있습니다.');
}

// ---------------------------------------------------------------------------------------------------------------
// PNG (ISO/IEC 15948; RFC 2083)
//
//   signature (8) | chunk | chunk | … | IEND chunk
//   chunk:  length (4, big-endian, data only) | type (4, ASCII letters) | data (length) | CRC-32 of type + data (4)

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHUNK_OVERHEAD = 12;
const IHDR_LENGTH = 13;
/** Bit depths allowed for each colour type (ISO/IEC 15948 table 11.1). */
const PNG_BIT_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Critical chunks a decoder knows; any other critical (upper-case) chunk makes it give up. */
const PNG_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

export interface PngImage {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlace: number;
  /** The IDAT chunks' data joined: the zlib stream of the filtered rows. */
  data: Buffer;
}

export type PngReading = { ok: true; image: PngImage } | { ok: false; problem: 'not_png' | 'checksum' | 'structure' | 'trailing_data'; detail: string };

/**
 * Reads a PNG's chunks as a decoder does, refusing what a decoder would: a bad checksum, IHDR not first or impossible,
 * no image data or image data split by other chunks, an unknown critical chunk, no IEND, or anything after IEND.
 */
export function readPng(png: Buffer): PngReading {
  const fail = (problem: 'not_png' | 'checksum' | 'structure' | 'trailing_data', detail: string): PngReading => ({ ok: false, problem, detail });
  if (png.length < PNG_SIGNATURE.length || !png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return fail('not_png', 'PNG 서명 없음');
  let offset = PNG_SIGNATURE.length;
  let header: Omit<PngImage, 'data'> | undefined;
  const data: Buffer[] = [];
  let previous = '';
  while (offset + CHUNK_OVERHEAD <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const end = offset + 8 + length;
    if (length > 0x7fffffff || end + 4 > png.length) return fail('structure', `${type} 조각이 파일 끝을 넘음`);
    if (crc32(png.subarray(offset + 4, end)) !== png.readUInt32BE(end)) return fail('checksum', `${type} 조각의 검사합 불일치`);
    if (!/^[A-Za-z]{4}$/.test(type)) return fail('structure', '조각 종류가 글자가 아님');
    const body = png.subarray(offset + 8, end);
    if ((type === 'IHDR') !== (previous === '')) return fail('structure', 'IHDR이 맨 앞에 한 번 있어야 함');
    if (type === 'IHDR') {
      if (length !== IHDR_LENGTH) return fail('structure', 'IHDR 길이 오류');
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8]!, colourType: body[9]!, interlace: body[12]! };
      const validSize = header.width > 0 && header.height > 0 && header.width <= 0x7fffffff && header.height <= 0x7fffffff;
      const validDepth = PNG_BIT_DEPTHS[header.colourType]?.includes(header.bitDepth) ?? false;
      if (!validSize || !validDepth || body[10] !== 0 || body[11] !== 0 || header.interlace > 1) return fail('structure', 'IHDR 값이 PNG 규격에 없음');
    } else if (type === 'IDAT') {
      if (data.length > 0 && previous !== 'IDAT') return fail('structure', '이미지 데이터(IDAT)가 흩어져 있음');
      data.push(body);
    } else if (type === 'IEND') {
      if (!header || data.length === 0) return fail('structure', '이미지 데이터(IDAT) 없음');
      if (end + 4 !== png.length) return fail('trailing_data', 'IEND 뒤에 다른 데이터');
      return { ok: true, image: { ...header, data: Buffer.concat(data) } };
    } else if (type.charCodeAt(0) < 0x61 && !PNG_CRITICAL.has(type)) {
      return fail('structure', `알 수 없는 필수 조각 ${type}`);
    }
    previous = type;
    offset = end + 4;
  }
  return fail('structure', 'IEND로 끝나지 않음');
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/**
 * Undoes the PNG row filters (ISO/IEC 15948 §9; the same predictors PDF uses for its cross-reference streams):
 * `raw` holds `rows` rows of a filter byte and `rowBytes` bytes, `bytesPerPixel` apart. Undefined for a filter
 * that does not exist.
 */
export function unfilterRows(raw: Buffer, rowBytes: number, rows: number, bytesPerPixel: number): Buffer | undefined {
  const out = Buffer.alloc(rowBytes * rows);
  for (let row = 0; row < rows; row += 1) {
    const filter = raw[row * (rowBytes + 1)];
    const line = raw.subarray(row * (rowBytes + 1) + 1, (row + 1) * (rowBytes + 1));
    const at = row * rowBytes;
    for (let i = 0; i < rowBytes; i += 1) {
      const left = i >= bytesPerPixel ? out[at + i - bytesPerPixel]! : 0;
      const up = row > 0 ? out[at + i - rowBytes]! : 0;
      const upLeft = row > 0 && i >= bytesPerPixel ? out[at + i - rowBytes - bytesPerPixel]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter ?? -1];
      if (predictor === undefined) return undefined;
      out[at + i] = ((line[i] ?? 0) + predictor) & 0xff;
    }
  }
  return out;
}

export function checkPng(content: Buffer): ContentProblem | undefined {
  const reading = readPng(content);
  if (!reading.ok) {
    return reading.problem === 'trailing_data'
      ? { reason: 'trailing_data', message: 'PNG 이미지의 끝(IEND) 뒤에 다른 데이터가 붙어 있습니다.' }
      : { reason: 'png_structure', message: `PNG 이미지가 온전하지 않습니다 (${reading.detail}).` };
  }
  try {
    refuseOtherFormats(content);
  } catch (error) {
    return refusalOf(error);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// JPEG (ITU-T T.81 annex B)
//
//   SOI (FFD8) | segment … | SOS segment | entropy-coded data | [segment … SOS … data]* | EOI (FFD9)
//   segment: FF, marker, length (2, big-endian, counts itself), payload
//   entropy-coded data: any bytes, FF only as FF00 (a stuffed byte) or FFD0–FFD7 (restart markers)

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7;
/** Start of frame: C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function walkJpeg(jpeg: Buffer): void {
  const broken = (detail: string) => new Refusal('jpeg_structure', `JPEG 이미지가 온전하지 않습니다 (${detail}).`);
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== SOI) throw broken('SOI로 시작하지 않음');
  let at = 2;
  let frame = false;
  let scans = 0;
  for (;;) {
    if (at >= jpeg.length) throw broken('EOI로 끝나지 않음');
    if (jpeg[at] !== 0xff) throw broken(`${at}번째 바이트에 표지(marker)가 없음`);
    while (jpeg[at] === 0xff) at += 1; // fill bytes before a marker
    const marker = jpeg[at];
    at += 1;
    if (marker === undefined) throw broken('EOI로 끝나지 않음');
    if (marker === EOI) {
      if (scans === 0) throw broken('이미지 데이터(SOS) 없음');
      if (at !== jpeg.length) throw new Refusal('trailing_data', 'JPEG 이미지의 끝(EOI) 뒤에 다른 데이터가 붙어 있습니다.');
      return;
    }
    if (marker === TEM) continue;
    if (marker === SOI || marker === 0x00 || isRestart(marker)) throw broken('있을 수 없는 자리의 표지');
    if (at + 2 > jpeg.length) throw broken('구획이 파일 끝을 넘음');
    const length = jpeg.readUInt16BE(at);
    if (length < 2 || at + length > jpeg.length) throw broken('구획 길이 오류');
    if (isStartOfFrame(marker)) {
      const components = jpeg[at + 7] ?? 0;
      if (frame || length !== 8 + 3 * components || components === 0 || jpeg.readUInt16BE(at + 5) === 0) throw broken('프레임(SOF) 머리 오류');
      frame = true;
    }
    if (marker !== SOS) {
      at += length;
      continue;
    }
    const components = jpeg[at + 2] ?? 0;
    if (!frame || length !== 6 + 2 * components || components === 0) throw broken('스캔(SOS) 머리 오류');
    scans += 1;
    at += length;
    // Entropy-coded data runs to the first FF that is neither a stuffed byte, a restart marker nor fill.
    for (;;) {
      at = jpeg.indexOf(0xff, at);
      if (at < 0) throw broken('EOI로 끝나지 않음');
      const next = jpeg[at + 1];
      if (next === 0x00 || (next !== undefined && isRestart(next))) at += 2;
      else break;
    }
  }
}

export function checkJpeg(content: Buffer): ContentProblem | undefined {
  try {
    walkJpeg(content);
    refuseOtherFormats(content);
  } catch (error) {
    return refusalOf(error);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// PDF (ISO 32000-1 §7)
//
//   %PDF-1.7                header at byte 0
//   1 0 obj … endobj         objects; a stream is `<< dict >> stream EOL data EOL endstream`
//   xref … trailer << >>     a cross-reference table and trailer, or an object /Type /XRef stream instead
//   startxref NNN %%EOF      the last xref's offset, then the end marker; nothing but whitespace after
//
// Objects may also live inside object streams (/Type /ObjStm), usually Flate-compressed: those are inflated and
// read like the rest. Names may spell a character as #xx (`/J#61vaScript` is /JavaScript); they are read decoded.

/** Names that run code, start programs, carry other files or interactive media: refused wherever they occur. */
const ACTIVE_NAMES = new Map([
  ['JavaScript', '자바스크립트'],
  ['JS', '자바스크립트'],
  ['Launch', '프로그램 실행 동작(Launch)'],
  ['EmbeddedFile', '포함된 파일'],
  ['EmbeddedFiles', '포함된 파일'],
  ['RichMedia', '멀티미디어(RichMedia)'],
  ['XFA', 'XFA 양식'],
  ['AA', '자동 실행 동작(AA)'],
]);
/** Everything the object streams of one file may inflate to: well above any real scan, well below a memory problem. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set([...'()<>[]{}/%'].map((char) => char.charCodeAt(0)));
const PDF_HEADER = /^%PDF-[12]\.\d/;
const PDF_END = /startxref[\0\t\n\f\r ]+(\d+)[\0\t\n\f\r ]+%%EOF[\0\t\n\f\r ]*$/;

type TokenKind = 'name' | 'word' | 'string' | '<<' | '>>' | '[' | ']' | '{' | '}';
interface Token {
  kind: TokenKind;
  /** A name decoded (without its slash); a word as written; empty for the rest. */
  value: string;
  start: number;
}

const structure = (detail: string) => new Refusal('pdf_structure', `PDF 구조가 올바르지 않습니다 (${detail}). PDF로 다시 저장해 보내십시오.`);
const uninspectable = (detail: string) =>
  new Refusal('pdf_uninspectable', `PDF 안의 압축된 개체를 검사할 수 없습니다 (${detail}). PDF로 다시 저장해 보내십시오.`);
const isInteger = (token: Token | undefined): token is Token & { kind: 'word' } => token?.kind === 'word' && /^\d+$/.test(token.value);
const isWord = (token: Token | undefined, word: string) => token?.kind === 'word' && token.value === word;

/** PDF's lexical rules (ISO 32000-1 §7.2–7.3) over latin1 text, where a character is a byte at the same offset. */
class Lexer {
  constructor(
    private readonly text: string,
    public pos = 0,
  ) {}

  private code(at: number): number {
    return this.text.charCodeAt(at);
  }

  next(): Token | undefined {
    const { text } = this;
    for (;;) {
      while (this.pos < text.length && WHITESPACE.has(this.code(this.pos))) this.pos += 1;
      if (this.pos >= text.length) return undefined;
      if (text[this.pos] !== '%') break;
      while (this.pos < text.length && text[this.pos] !== '\n' && text[this.pos] !== '\r') this.pos += 1;
    }
    const start = this.pos;
    const char = text[start];
    if (char === '/') {
      this.pos += 1;
      while (this.pos < text.length && !WHITESPACE.has(this.code(this.pos)) && !DELIMITERS.has(this.code(this.pos))) this.pos += 1;
      const value = text.slice(start + 1, this.pos).replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return { kind: 'name', value, start };
    }
    if (char === '(') return this.literalString(start);
    if (char === '<' && text[start + 1] === '<') return this.punctuation('<<', start, 2);
    if (char === '>' && text[start + 1] === '>') return this.punctuation('>>', start, 2);
    if (char === '<') {
      const end = text.indexOf('>', start);
      if (end < 0 || !/^[0-9A-Fa-f\0\t\n\f\r ]*$/.test(text.slice(start + 1, end))) throw structure('16진 문자열 오류');
      this.pos = end + 1;
      return { kind: 'string', value: '', start };
    }
    if (char === '[' || char === ']' || char === '{' || char === '}') return this.punctuation(char, start, 1);
    if (char === ')' || char === '>') throw structure(`짝이 없는 '${char}'`);
    while (this.pos < text.length && !WHITESPACE.has(this.code(this.pos)) && !DELIMITERS.has(this.code(this.pos))) this.pos += 1;
    return { kind: 'word', value: text.slice(start, this.pos), start };
  }

  private punctuation(kind: TokenKind, start: number, length: number): Token {
    this.pos = start + length;
    return { kind, value: '', start };
  }

  /** `( … )`: balanced parentheses nest, a backslash escapes the next character. */
  private literalString(start: number): Token {
    const { text } = this;
    let depth = 0;
    for (let at = start; at < text.length; at += 1) {
      const char = text[at];
      if (char === '\\') at += 1;
      else if (char === '(') depth += 1;
      else if (char === ')' && --depth === 0) {
        this.pos = at + 1;
        return { kind: 'string', value: '', start };
      }
    }
    throw structure('끝나지 않은 문자열');
  }
}

/** The entries of a dictionary given as its tokens from `<<` to `>>`: each key's value as its tokens. */
function dictionary(tokens: readonly Token[]): Map<string, Token[]> {
  const entries = new Map<string, Token[]>();
  let at = tokens[0]?.kind === '<<' ? 1 : tokens.length;
  while (at < tokens.length && tokens[at]?.kind === 'name') {
    const key = tokens[at]!.value;
    const valueStart = (at += 1);
    const first = tokens[at];
    if (first?.kind === '<<' || first?.kind === '[') {
      let depth = 0;
      do {
        const kind = tokens[at]?.kind;
        if (kind === '<<' || kind === '[') depth += 1;
        if (kind === '>>' || kind === ']') depth -= 1;
        at += 1;
      } while (depth > 0 && at < tokens.length);
    } else if (isInteger(first) && isInteger(tokens[at + 1]) && isWord(tokens[at + 2], 'R')) {
      at += 3;
    } else {
      at += 1;
    }
    entries.set(key, tokens.slice(valueStart, at));
  }
  return entries;
}

const integerOf = (value: Token[] | undefined): number | undefined => (value?.length === 1 && isInteger(value[0]) ? Number(value[0].value) : undefined);

/** Reads one PDF and throws the first problem found. */
class PdfInspection {
  private readonly text: string;
  /** Where each object the top level holds begins (the offset of `N G obj`). */
  private readonly objectStarts = new Set<number>();
  /** How each object's value begins (`<<`, `[`, …), by object number, top level and object streams alike. */
  private readonly objectKinds = new Map<number, TokenKind>();
  /** Where each cross-reference section begins (`xref`, or the XRef stream's `N G obj`). */
  private readonly xrefStarts = new Set<number>();
  /** Offsets the cross-references point to: objects, and earlier or hybrid cross-reference sections. */
  private readonly objectOffsets: number[] = [];
  private readonly xrefOffsets: number[] = [];
  private readonly openActionTargets: number[] = [];
  private inflateBudget = MAX_INFLATED_BYTES;

  constructor(private readonly bytes: Buffer) {
    this.text = bytes.toString('latin1');
  }

  run(): void {
    const { text } = this;
    if (!PDF_HEADER.test(text.slice(0, 16))) throw structure('머리(%PDF-) 오류');
    const eof = text.lastIndexOf('%%EOF');
    if (eof < 0) throw structure('끝 표시(%%EOF) 없음');
    if (!/^[\0\t\n\f\r ]*$/.test(text.slice(eof + 5))) throw new Refusal('trailing_data', 'PDF의 끝(%%EOF) 뒤에 다른 데이터가 붙어 있습니다.');
    const end = PDF_END.exec(text.slice(Math.max(0, eof - 64)));
    if (!end) throw structure('파일 끝에 startxref 없음');
    this.readTopLevel();
    const startxref = Number(end[1]);
    if (!this.xrefStarts.has(startxref)) throw structure('startxref가 상호 참조 표를 가리키지 않음');
    if (this.xrefOffsets.some((offset) => !this.xrefStarts.has(offset))) throw structure('이전 상호 참조 표(/Prev)를 찾을 수 없음');
    if (this.objectOffsets.some((offset) => !this.objectStarts.has(this.skipWhitespace(offset)))) throw structure('상호 참조 표가 문서의 개체와 맞지 않음');
    // A destination array only moves the view; a dictionary is an action run on opening.
    if (this.openActionTargets.some((target) => this.objectKinds.get(target) !== '[')) throw active('문서를 열 때 실행되는 동작(OpenAction)');
  }

  private skipWhitespace(offset: number): number {
    let at = offset;
    while (at < this.text.length && WHITESPACE.has(this.text.charCodeAt(at))) at += 1;
    return at;
  }

  /** The file's top level: objects, cross-reference tables, trailers and startxref, nothing else. */
  private readTopLevel(): void {
    const lexer = new Lexer(this.text);
    for (let token = lexer.next(); token; token = lexer.next()) {
      if (isInteger(token)) {
        const generation = lexer.next();
        if (!isInteger(generation) || !isWord(lexer.next(), 'obj')) throw structure('개체 머리 오류');
        this.objectStarts.add(token.start);
        this.readObject(lexer, Number(token.value), token.start);
      } else if (isWord(token, 'xref')) {
        this.xrefStarts.add(token.start);
        lexer.pos = this.readXrefTable(lexer.pos);
      } else if (isWord(token, 'trailer')) {
        const trailer = this.readValue(lexer);
        this.noteCrossReferences(dictionary(trailer));
      } else if (isWord(token, 'startxref')) {
        if (!isInteger(lexer.next())) throw structure('startxref 값 오류');
      } else {
        throw structure('개체 밖에 알 수 없는 내용이 있음');
      }
    }
  }

  /** One value from the lexer, checked token by token: a dictionary or array whole, or a single token. */
  private readValue(lexer: Lexer): Token[] {
    const tokens: Token[] = [];
    let depth = 0;
    do {
      const token = lexer.next();
      if (!token) throw structure('값이 끝나지 않음');
      this.inspect(token, tokens);
      tokens.push(token);
      if (token.kind === '<<' || token.kind === '[') depth += 1;
      if (token.kind === '>>' || token.kind === ']') depth -= 1;
    } while (depth > 0);
    return tokens;
  }

  /** Refuses active names as they are read, and notes where /OpenAction points. */
  private inspect(token: Token, before: readonly Token[]): void {
    const activeName = token.kind === 'name' ? ACTIVE_NAMES.get(token.value) : undefined;
    if (activeName) throw active(activeName);
    if (token.kind === 'name' && token.value === 'Encrypt') {
      throw new Refusal('pdf_encrypted', '암호가 걸린 PDF는 내용을 검사할 수 없어 받지 않습니다. 암호를 풀고 다시 저장해 보내십시오.');
    }
    const key = before.at(-1);
    if (key?.kind !== 'name' || key.value !== 'OpenAction' || token.kind === '[') return;
    if (token.kind === '<<') throw active('문서를 열 때 실행되는 동작(OpenAction)');
    if (isInteger(token)) this.openActionTargets.push(Number(token.value));
  }

  /** `N G obj` has been read: its value, a stream's data if it has one, up to `endobj`. */
  private readObject(lexer: Lexer, number: number, start: number): void {
    const tokens: Token[] = [];
    for (let token = lexer.next(); ; token = lexer.next()) {
      if (!token) throw structure('endobj 없음');
      if (tokens.length === 0) this.objectKinds.set(number, token.kind);
      if (isWord(token, 'endobj')) return;
      if (isWord(token, 'obj')) throw structure('개체 안에 개체 머리');
      if (isWord(token, 'stream')) {
        lexer.pos = this.readStream(dictionary(tokens), lexer.pos, start);
        continue;
      }
      this.inspect(token, tokens);
      tokens.push(token);
    }
  }

  /** The data after `stream` (its /Length, or up to `endstream`): read if it holds objects or cross-references. */
  private readStream(dict: Map<string, Token[]>, afterKeyword: number, objectStart: number): number {
    const { text } = this;
    const dataStart = afterKeyword + (text.startsWith('\r\n', afterKeyword) ? 2 : text[afterKeyword] === '\n' ? 1 : 0);
    const length = integerOf(dict.get('Length'));
    let dataEnd = length === undefined ? -1 : dataStart + length;
    if (dataEnd < 0 || !/^[\0\t\n\f\r ]*endstream/.test(text.slice(dataEnd, dataEnd + 64))) dataEnd = text.indexOf('endstream', dataStart);
    if (dataEnd < 0) throw structure('endstream 없음');
    const type = dict.get('Type')?.[0]?.value;
    if (type === 'ObjStm') this.readObjectStream(dict, this.decode(dict, dataStart, dataEnd));
    if (type === 'XRef') {
      this.xrefStarts.add(objectStart);
      this.noteCrossReferences(dict);
      this.readXrefStream(dict, this.decode(dict, dataStart, dataEnd));
    }
    return text.indexOf('endstream', dataEnd) + 'endstream'.length;
  }

  /** A stream's data unfiltered: stored as it is or Flate-compressed; nothing else can be inspected. */
  private decode(dict: Map<string, Token[]>, start: number, end: number): Buffer {
    const raw = this.bytes.subarray(start, end);
    const filters = (dict.get('Filter') ?? []).filter((token) => token.kind === 'name').map((token) => token.value);
    if (filters.length === 0) return raw;
    if (filters.length > 1 || filters[0] !== 'FlateDecode') throw uninspectable(`압축 방식 ${filters.join(', ')}`);
    let inflated: Buffer;
    try {
      // A stream cut short is inflated as far as it goes, as viewers do, so what they would read is what is checked.
      inflated = inflateSync(raw, { maxOutputLength: Math.max(1, this.inflateBudget), finishFlush: constants.Z_SYNC_FLUSH });
    } catch (error) {
      throw uninspectable((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? '압축을 풀면 너무 큼' : '압축 해제 실패');
    }
    this.inflateBudget -= inflated.length;
    return this.unpredict(dict, inflated);
  }

  /** Undoes a PNG predictor (/DecodeParms /Predictor 10–15), as cross-reference streams are usually written. */
  private unpredict(dict: Map<string, Token[]>, data: Buffer): Buffer {
    const params = dictionary(dict.get('DecodeParms') ?? []);
    const predictor = integerOf(params.get('Predictor')) ?? 1;
    if (predictor === 1) return data;
    const columns = integerOf(params.get('Columns')) ?? 1;
    if (predictor < 10 || columns < 1 || data.length % (columns + 1) !== 0) throw uninspectable(`예측 방식 ${predictor}`);
    const rows = unfilterRows(data, columns, data.length / (columns + 1), 1);
    if (!rows) throw uninspectable('예측 방식 오류');
    return rows;
  }

  /** An object stream: N pairs of object number and offset (from /First), then the objects, none of them a stream. */
  private readObjectStream(dict: Map<string, Token[]>, data: Buffer): void {
    const count = integerOf(dict.get('N'));
    const first = integerOf(dict.get('First'));
    if (count === undefined || first === undefined || first > data.length) throw structure('개체 스트림 머리 오류');
    const text = data.toString('latin1');
    const header = new Lexer(text.slice(0, first));
    for (let index = 0; index < count; index += 1) {
      const number = header.next();
      const offset = header.next();
      if (!isInteger(number) || !isInteger(offset)) throw structure('개체 스트림 목록 오류');
      const lexer = new Lexer(text, first + Number(offset.value));
      const token = lexer.next();
      if (token) this.objectKinds.set(Number(number.value), token.kind);
    }
    const lexer = new Lexer(text, first);
    const tokens: Token[] = [];
    for (let token = lexer.next(); token; token = lexer.next()) {
      if (isWord(token, 'stream') || isWord(token, 'obj') || isWord(token, 'endobj')) throw structure('개체 스트림 안에 허용되지 않는 내용');
      this.inspect(token, tokens);
      tokens.push(token);
    }
  }

  /** A classic table: subsections of `first count`, then 20-byte entries `offset generation n|f`. */
  private readXrefTable(from: number): number {
    const subsection = /[\0\t\n\f\r ]*(\d+) (\d+)[ \t]*(?:\r\n|\r|\n)/y;
    // Entries are 20 bytes with a two-byte end of line; some writers end them with one or three, which viewers accept.
    const entry = /(\d{10}) (\d{5}) ([nf])[ \t]*(?:\r\n|\r|\n)/y;
    let at = from;
    for (;;) {
      subsection.lastIndex = at;
      const head = subsection.exec(this.text);
      if (!head) return at;
      at = subsection.lastIndex;
      for (let index = 0; index < Number(head[2]); index += 1) {
        entry.lastIndex = at;
        const line = entry.exec(this.text);
        if (!line) throw structure('상호 참조 표의 줄 오류');
        if (line[3] === 'n') this.objectOffsets.push(Number(line[1]));
        at = entry.lastIndex;
      }
    }
  }

  /** A cross-reference stream's entries (ISO 32000-1 §7.5.8): type 1 entries give an object's offset in the file. */
  private readXrefStream(dict: Map<string, Token[]>, data: Buffer): void {
    const widths = (dict.get('W') ?? []).filter(isInteger).map((token) => Number(token.value));
    const entryBytes = widths.reduce((sum, width) => sum + width, 0);
    if (widths.length !== 3 || entryBytes === 0 || widths.some((width) => width > 8) || data.length % entryBytes !== 0) {
      throw structure('상호 참조 스트림의 /W 오류');
    }
    const field = (at: number, width: number) => {
      let value = 0;
      for (let i = 0; i < width; i += 1) value = value * 256 + data[at + i]!;
      return value;
    };
    for (let at = 0; at < data.length; at += entryBytes) {
      const type = widths[0] === 0 ? 1 : field(at, widths[0]!);
      if (type === 1) this.objectOffsets.push(field(at + widths[0]!, widths[1]!));
    }
  }

  /** /Prev (an earlier section) and /XRefStm (a hybrid file's stream) must be sections this inspection read. */
  private noteCrossReferences(dict: Map<string, Token[]>): void {
    for (const key of ['Prev', 'XRefStm']) {
      const offset = integerOf(dict.get(key));
      if (offset !== undefined) this.xrefOffsets.push(offset);
    }
  }
}

const active = (what: string) =>
  new Refusal('pdf_active_content', `PDF에 ${what}이(가) 들어 있어 받을 수 없습니다. 스크립트나 실행 동작이 없는 PDF로 다시 저장해 보내십시오.`);

export function checkPdf(content: Buffer): ContentProblem | undefined {
  try {
    new PdfInspection(content).run();
    refuseOtherFormats(content);
  } catch (error) {
    return refusalOf(error);
  }
  return undefined;
}
