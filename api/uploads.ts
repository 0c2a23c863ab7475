/**
 * Files sent with a form (evidence with a full-recording application; later the scans of the disclosure procedure).
 * They come from anyone's browser and end up opened on the managing department's PCs, so a file is accepted only
 * when its bytes are what an office expects — PDF, JPEG or PNG, told by their first bytes, never by the name or the
 * type the browser claims, and then read whole (api/upload-content.ts) — and within the size and count limits;
 * anything else refuses the whole request before a byte is stored.
 */
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { ApiError } from './errors';
import { checkJpeg, checkPdf, checkPng } from './upload-content';

export interface UploadRule {
  /** The form field the files come in. */
  field: string;
  maxFiles: number;
  maxFileBytes: number;
  /** What the files may be; office documents (PDF, JPEG, PNG) unless said otherwise. */
  accept?: readonly AcceptedType[];
}

export interface UploadedFile {
  /**
   * The name as the user's PC had it, made safe to show. Kept only as text to show (`Attachment.originalName`): the
   * file is stored and downloaded under a name the system gives it, with the extension of its detected type.
   */
  fileName: string;
  /** Told from the file's first bytes. */
  contentType: AcceptedType;
  content: Buffer;
}

/**
 * Each type with its first bytes, the extension of the name the system stores it under, and the check of the whole
 * file. A ZIP is accepted only where a provision package is brought back to be verified, and that verification reads
 * it whole.
 */
const SIGNATURES = [
  { type: 'application/pdf', magic: Buffer.from('%PDF-', 'latin1'), extension: 'pdf', check: checkPdf },
  { type: 'image/jpeg', magic: Buffer.from([0xff, 0xd8, 0xff]), extension: 'jpg', check: checkJpeg },
  { type: 'image/png', magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), extension: 'png', check: checkPng },
  { type: 'application/zip', magic: Buffer.from([0x50, 0x4b, 0x03, 0x04]), extension: 'zip', check: undefined },
] as const;
export type AcceptedType = (typeof SIGNATURES)[number]['type'];
export const DOCUMENT_TYPES: readonly AcceptedType[] = ['application/pdf', 'image/jpeg', 'image/png'];
const TYPE_LABELS: Record<AcceptedType, string> = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'application/zip': 'ZIP' };
export const typesLabel = (types: readonly AcceptedType[]) => types.map((type) => TYPE_LABELS[type]).join(', ');

export function sniffContentType(content: Buffer, accept: readonly AcceptedType[] = DOCUMENT_TYPES): AcceptedType | undefined {
  return SIGNATURES.find(({ type, magic }) => accept.includes(type) && content.subarray(0, magic.length).equals(magic))?.type;
}

/** The extension of a file of this type under the system's name; never the one the uploader's name had. */
export function extensionOf(type: AcceptedType): string {
  return SIGNATURES.find((signature) => signature.type === type)!.extension;
}

/** The whole file checked as what its first bytes say it is: `415 UNSAFE_FILE_CONTENT` with the reason otherwise. */
function checkContent(type: AcceptedType, content: Buffer, fileName: string): ApiError | undefined {
  const problem = SIGNATURES.find((signature) => signature.type === type)?.check?.(content);
  if (!problem) return undefined;
  return new ApiError(415, 'UNSAFE_FILE_CONTENT', `받을 수 없는 ${TYPE_LABELS[type]} 파일입니다 — ${problem.message} (${fileName})`, {
    fileName,
    contentType: type,
    reason: problem.reason,
  });
}

const FIELD_LIMIT_BYTES = 16 * 1024;
const MAX_FIELDS = 50;

/**
 * The name a browser sent, reduced to what is safe to keep: no folders (Windows browsers may send `C:\…\name`), no
 * control or bidirectional-override characters (a name that reads `pdf.exe` backwards), at most 150 characters.
 */
export function safeFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/["<>|:*?]/g, '_')
    .trim()
    .replace(/^\.+/, '');
  return [...cleaned].slice(0, 150).join('') || '첨부파일';
}

/** A file size as users read it: `120 KB`, `2.5 MB`. */
export function formatFileSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024)).toLocaleString('ko-KR')} KB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
}

function tooLarge(rule: UploadRule): ApiError {
  return new ApiError(413, 'FILE_TOO_LARGE', `첨부파일은 한 개에 ${formatFileSize(rule.maxFileBytes)}까지입니다.`, {
    maxFileBytes: rule.maxFileBytes,
  });
}

/** What one multipart read allows, and how its refusals name the files. */
export interface MultipartLimits {
  /** The form field the files come in. */
  field: string;
  maxFiles: number;
  maxFileBytes: number;
  maxFields: number;
  /** The refusal of one file more than `maxFiles`. */
  tooManyFiles(): ApiError;
}

export interface MultipartRead {
  /** The text fields so far; a repeated field becomes a list, as a urlencoded form gives it. */
  readonly fields: Record<string, unknown>;
  /** Refuses the request with `error` (the first refusal wins) and stops parsing; the rest of the body is drained. */
  fail(error: unknown): void;
  readonly failed: boolean;
}

/**
 * The part of reading a `multipart/form-data` request that every upload shares: the parser and its limits, the text
 * fields, files only in `limits.field` (each handed to `onFile`), and the refusals of too many files, fields or parts,
 * a malformed body and one cut short. `onEnd` runs once the body is read without a refusal; `onFail` once, with the
 * first refusal. The fields are a record without a prototype, so a field named `__proto__` is only a field.
 */
export function readMultipartParts(
  req: Request,
  limits: MultipartLimits,
  handlers: { onFile(read: MultipartRead, stream: Readable, info: busboy.FileInfo): void; onEnd(read: MultipartRead): void; onFail(error: unknown): void },
): void {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fields: limits.maxFields,
        fieldSize: FIELD_LIMIT_BYTES,
        parts: limits.maxFields + limits.maxFiles,
      },
    });
  } catch {
    handlers.onFail(new ApiError(400, 'MALFORMED_BODY', '요청 본문을 해석할 수 없습니다 (multipart 경계 없음).'));
    return;
  }
  const fields = Object.create(null) as Record<string, unknown>;
  let failed = false;
  const read: MultipartRead = {
    fields,
    get failed() {
      return failed;
    },
    fail(error) {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      handlers.onFail(error);
    },
  };
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) return read.fail(new ApiError(413, 'BODY_TOO_LARGE', '입력값 하나가 너무 깁니다.', { field: name }));
    fields[name] = name in fields ? [fields[name], value].flat() : value;
  });
  parser.on('file', (name, stream, info) => {
    if (name !== limits.field) {
      stream.resume();
      return read.fail(new ApiError(400, 'INVALID_INPUT', `파일은 '${limits.field}' 항목으로만 보냅니다.`, { field: name }));
    }
    handlers.onFile(read, stream, info);
  });
  parser.on('filesLimit', () => read.fail(limits.tooManyFiles()));
  parser.on('fieldsLimit', () => read.fail(new ApiError(413, 'BODY_TOO_LARGE', '입력 항목이 너무 많습니다.')));
  parser.on('partsLimit', () => read.fail(new ApiError(413, 'BODY_TOO_LARGE', '입력 항목이 너무 많습니다.')));
  parser.on('error', () => read.fail(new ApiError(400, 'MALFORMED_BODY', '요청 본문을 해석할 수 없습니다 (multipart 형식 오류).')));
  parser.on('close', () => {
    if (!failed) handlers.onEnd(read);
  });
  req.on('close', () => {
    if (!req.complete) read.fail(new ApiError(400, 'MALFORMED_BODY', '요청이 중간에 끊겼습니다.'));
  });
  req.pipe(parser);
}

/**
 * Reads a `multipart/form-data` request whole: the text fields and the files of `rule.field`, each checked whole
 * (upload-content.ts). Empty file inputs (a form sent with no file chosen) are skipped.
 */
export function readMultipart(req: Request, rule: UploadRule): Promise<{ fields: Record<string, unknown>; files: UploadedFile[] }> {
  return new Promise((resolve, reject) => {
    const files: UploadedFile[] = [];
    readMultipartParts(
      req,
      {
        field: rule.field,
        maxFiles: rule.maxFiles,
        maxFileBytes: rule.maxFileBytes,
        maxFields: MAX_FIELDS,
        tooManyFiles: () => new ApiError(413, 'TOO_MANY_FILES', `첨부파일은 ${rule.maxFiles}개까지입니다.`, { maxFiles: rule.maxFiles }),
      },
      {
        onFile(read, stream, info) {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('limit', () => read.fail(tooLarge(rule)));
          stream.on('close', () => {
            const content = Buffer.concat(chunks);
            if (read.failed || (content.length === 0 && !info.filename)) return;
            const fileName = safeFileName(info.filename ?? '');
            if (content.length === 0) return read.fail(new ApiError(400, 'EMPTY_FILE', `빈 파일입니다: ${fileName}`));
            const accept = rule.accept ?? DOCUMENT_TYPES;
            const contentType = sniffContentType(content, accept);
            if (!contentType) return read.fail(unsupportedFile(accept, fileName, info.mimeType));
            const unsafe = checkContent(contentType, content, fileName);
            if (unsafe) return read.fail(unsafe);
            files.push({ fileName, contentType, content });
          });
        },
        onEnd: ({ fields }) => resolve({ fields, files }),
        onFail: reject,
      },
    );
  });
}

/** A file whose first bytes are none of the accepted types. */
export function unsupportedFile(accept: readonly AcceptedType[], fileName: string, declaredType: string): ApiError {
  return new ApiError(415, 'UNSUPPORTED_FILE_TYPE', `보낼 수 있는 파일은 ${typesLabel(accept)}입니다: ${fileName}`, { fileName, declaredType });
}
