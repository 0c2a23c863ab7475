/**
 * One file too large to hold in memory, sent with a form (a provision package brought back to be verified, up to
 * 256 MiB): written as it arrives, with backpressure, to a private temporary folder (0700, the file 0600), never
 * gathered in memory. Its first bytes must say it is of an accepted type and it must stay within its size, or the
 * upload is refused there. The folder goes with `remove()`, which the route registry calls once the handler is
 * done, and at once when the upload fails; nothing of it outlives the request.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import { ApiError } from './errors';
import { formatFileSize, readMultipartParts, safeFileName, sniffContentType, unsupportedFile, type AcceptedType } from './uploads';

export interface FileUploadRule {
  /** The form field the file comes in. */
  field: string;
  maxFileBytes: number;
  accept: readonly AcceptedType[];
  /** What the file is, in Korean, for the messages: `제공 파일`. */
  label: string;
}

export interface StoredUpload {
  /** The name as the user's PC had it, made safe to show. */
  fileName: string;
  /** Told from the file's first bytes. */
  contentType: AcceptedType;
  /** Readable by this process's user only; gone once the request is answered. */
  path: string;
  bytes: number;
}

export interface ReceivedUpload {
  fields: Record<string, unknown>;
  /** Absent when the form came without a file chosen. */
  file?: StoredUpload;
  remove(): Promise<void>;
}

/** The few text fields such a form has (a password, the CSRF token). */
const MAX_FIELDS = 8;
/** Enough for every signature sniffContentType knows. */
const SNIFF_BYTES = 8;

export async function receiveFileUpload(req: Request, rule: FileUploadRule): Promise<ReceivedUpload> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'telrec-upload-'));
  // Retried: a write stream being torn down may still be closing its file when a refusal removes the folder.
  const remove = () => rm(folder, { recursive: true, force: true, maxRetries: 3 });
  try {
    return { ...(await receive(req, rule, path.join(folder, 'upload'))), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

function receive(req: Request, rule: FileUploadRule, target: string): Promise<Omit<ReceivedUpload, 'remove'>> {
  return new Promise((resolve, reject) => {
    let file: StoredUpload | undefined;
    let upload: Readable | undefined;
    /** Settles (never rejects) once the file is on disk or its writing has been given up. */
    let written = Promise.resolve();
    readMultipartParts(
      req,
      {
        field: rule.field,
        maxFiles: 1,
        maxFileBytes: rule.maxFileBytes,
        maxFields: MAX_FIELDS,
        tooManyFiles: () => new ApiError(413, 'TOO_MANY_FILES', `${rule.label}은(는) 하나만 보낼 수 있습니다.`, { maxFiles: 1 }),
      },
      {
        onFile(read, stream, info) {
          upload = stream;
          const fileName = safeFileName(info.filename ?? '');
          let head = Buffer.alloc(0);
          let bytes = 0;
          const inspect = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              bytes += chunk.length;
              if (head.length < SNIFF_BYTES) {
                head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
                // Refused as soon as its first bytes are in, not after the whole of it has been written.
                if (head.length === SNIFF_BYTES && !sniffContentType(head, rule.accept)) return done(unsupportedFile(rule.accept, fileName, info.mimeType));
              }
              done(null, chunk);
            },
          });
          stream.on('limit', () =>
            read.fail(
              new ApiError(413, 'FILE_TOO_LARGE', `${rule.label}은(는) ${formatFileSize(rule.maxFileBytes)}까지 보낼 수 있습니다.`, {
                maxFileBytes: rule.maxFileBytes,
              }),
            ),
          );
          written = pipeline(stream, inspect, createWriteStream(target, { flags: 'wx', mode: 0o600 })).then(
            () => {
              if (read.failed || (bytes === 0 && !info.filename)) return;
              if (bytes === 0) return read.fail(new ApiError(400, 'EMPTY_FILE', `빈 파일입니다: ${fileName}`));
              const contentType = sniffContentType(head, rule.accept);
              if (!contentType) return read.fail(unsupportedFile(rule.accept, fileName, info.mimeType));
              file = { fileName, contentType, path: target, bytes };
            },
            (error: unknown) => read.fail(error),
          );
        },
        onEnd: ({ fields }) => void written.then(() => resolve({ fields, file })),
        onFail(error) {
          upload?.destroy();
          void written.then(() => reject(error));
        },
      },
    );
  });
}
