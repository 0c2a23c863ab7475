/**
 * The encrypted, crash-safe recording store (issue 4, "Store"; DESIGN: data protection by construction).
 *
 * One file per call, G.711 stereo 8 kHz (one channel per party), sealed in authenticated chunks of at most one
 * second of audio under a fresh 256-bit key per recording. The key exists on disk only wrapped by the master key:
 * in the file header (so a crashed recording can be finalised without the database) and in the database row.
 *
 * Layout under `<dataDir>/recordings/`:
 * - `partial/<id>.partial` while a call is recorded (one folder, so start-up recovery lists only these);
 * - `unacknowledged/<id>` holding the storage key, from open() until the caller acknowledges the recording as
 *   registered: a crash after the file was finished but before the database row was committed loses no call;
 * - `YYYY/MM/DD/<id>.rec` once finished (UTC date of the call start; keeps folders to a day's calls). The
 *   storage key is that relative path. File names are the recording's id (a UUID), never anything from the network.
 *
 * File format (integers big-endian):
 * ```
 * header   magic "TELREC" 0x00 0x01 (8 bytes: format name, NUL, version 1)
 *          u16 idLength        | recording id (ASCII UUID)
 *          u16 wrappedKeyLength | wrapped data key (ASCII base64, envelope.wrapKey: sealed by the master key)
 *          u32 infoLength      | info: envelope.seal of JSON {codec, startedAt, metadata}, AD "recording:<id>:info"
 * frame*   u8 kind | u32 sealedLength | sealed = envelope.seal: iv (12) | tag (16) | ciphertext
 *          kind 1 audio:   plaintext = 2..16,000 bytes of interleaved stereo G.711 (whole frames),
 *                          AD "recording:<id>:audio:<n>", n = 0, 1, 2… the chunk's position
 *          kind 2 trailer: plaintext = u32 audio chunk count | u64 sample frames | 32-byte SHA-256 of the WAV |
 *                          u8 flags (bit 0: recovered after a crash), AD "recording:<id>:trailer"; last in a .rec
 * ```
 * The additional data binds every chunk to its recording and position, so a chunk cannot be moved, dropped or
 * taken from another file without failing authentication, and the trailer's chunk count catches a cut-off end.
 * The decrypted recording is the WAV `wavHeader(codec, stereo, 8 kHz, data length)` followed by the chunks'
 * audio in order; the trailer's SHA-256 is over exactly those bytes.
 *
 * Durability: each chunk is one positional write (from a buffer allocated once per writer) followed by
 * fdatasync, so a kill -9 or a power cut loses at most the audio not yet sealed (under one second) plus a chunk
 * whose write had not reached the kernel. Against a kill alone write() would do (the page cache outlives the
 * process); the fdatasync is for power cuts and kernel crashes, and costs a journal commit per call per second.
 * Measured on the development VM (ext4, virtio disk with a write-back cache): a 16 KiB chunk write 0.03 ms
 * alone, 0.26 ms mean / 2.5 ms p99 with fdatasync; 500 writers flushing at once sustained about 6,000 chunks/s,
 * twelve times what 500 calls need. A disk that honours flushes without a power-safe cache costs more (several
 * ms per sync): the syncs run on libuv's thread pool (UV_THREADPOOL_SIZE, default 4), which should then grow.
 *
 * One file: the format above with its encoder, the writer, the reader and crash recovery that check it, sharing its
 * offsets and limits; splitting them would put the encoding of a frame apart from its decoding. What runs with the
 * appliance stopped (listing the files, re-keying for a master key rotation) is recording-files.ts.
 */
import { createHash } from 'node:crypto';
import { syncPathAsync } from '../infra/durable-files';
import { access, mkdir, open as openFile, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { type Codec } from '../domain/recording';
import { DecryptionError, newDataKey, open as openSealed, seal, unwrapKey, wrapKey } from '../infra/crypto/envelope';
import { wavHeader, type WavFormat } from './wav';
import { CodedError } from '../domain/coded-error';

const CHANNELS = 2;
const SAMPLE_RATE = 8000;
/** One second of stereo 8 kHz 8-bit audio: the most a chunk holds, so the most a crash can lose unsealed. */
export const CHUNK_AUDIO_BYTES = CHANNELS * SAMPLE_RATE;
/**
 * Audio accepted but not yet in the chunk buffer (appends waiting while the disk is behind). Bounded so a stalled
 * disk cannot grow memory without limit: past it, append refuses with RecordingOverrunError. Exported so a caller
 * can keep within it and decide itself what becomes of audio there is no room for (call-assembly writes silence).
 */
export const MAX_QUEUED_BYTES = 4 * CHUNK_AUDIO_BYTES;

export const MAGIC = Buffer.from('TELREC\x00\x01', 'latin1');
/** envelope.seal's iv (12) and tag (16) in front of the ciphertext. */
const SEAL_OVERHEAD = 12 + 16;
const FRAME_PREFIX_BYTES = 5;
const KIND_AUDIO = 1;
const KIND_TRAILER = 2;
const TRAILER_BYTES = 4 + 8 + 32 + 1;
const TRAILER_FRAME_BYTES = FRAME_PREFIX_BYTES + SEAL_OVERHEAD + TRAILER_BYTES;
const MAX_AUDIO_FRAME_BYTES = FRAME_PREFIX_BYTES + SEAL_OVERHEAD + CHUNK_AUDIO_BYTES;
const RECOVERED_FLAG = 1;
const MAX_WRAPPED_KEY_BYTES = 255;
const MAX_SEALED_INFO_BYTES = 16 * 1024;
/** From the start of a file to the end of its wrapped key at the longest: what destroy() overwrites. */
const KEY_REGION_BYTES = MAGIC.length + 2 + 36 + 2 + MAX_WRAPPED_KEY_BYTES;
const MAX_HEADER_BYTES = MAGIC.length + 2 + 36 + 2 + MAX_WRAPPED_KEY_BYTES + 4 + MAX_SEALED_INFO_BYTES;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ID_PATTERN = new RegExp(`^${UUID}$`);
/** The store's folders beside the day folders: recordings being written, and the journal of those not yet acknowledged. */
export const PARTIAL_FOLDER = 'partial';
export const JOURNAL_FOLDER = 'unacknowledged';
export const PARTIAL_NAME = new RegExp(`^(${UUID})\\.partial$`);
export const STORAGE_KEY_PATTERN = new RegExp(`^\\d{4}/\\d{2}/\\d{2}/(${UUID})\\.rec$`);
/** The folder names of a storage key's year, month and day. */
export const DATE_FOLDERS = [/^\d{4}$/, /^\d{2}$/, /^\d{2}$/] as const;

/** Call metadata kept (encrypted) in the header, so a recovered recording says what call it was. */
export type RecordingMetadata = Readonly<Record<string, string | number | boolean | null>>;

export interface FinishedRecording {
  /** Where the file is, relative to the store: `YYYY/MM/DD/<id>.rec`. */
  storageKey: string;
  /** The recording's key wrapped by the master key, for the database row. */
  wrappedKey: string;
  /** SHA-256 (hex) of the decrypted WAV, header and data. */
  sha256: string;
  durationMs: number;
  /** Bytes of the decrypted WAV (what the hash covers, and what an export hands out). */
  sizeBytes: number;
  /** Samples per channel. */
  sampleFrames: number;
}

export interface RecordingWriter {
  readonly recordingId: string;
  /** Known from the start, so the database row can hold them while the call is recorded. */
  readonly storageKey: string;
  readonly wrappedKey: string;
  /**
   * Interleaved stereo G.711 (left, right, left, …), whole frames, at most one second per call. The bytes are
   * copied; a full second is sealed and written in the background. Rejects after a write failed (the failure
   * itself), and with RecordingOverrunError when more than four seconds wait for a disk that is behind.
   */
  append(stereo: Uint8Array): Promise<void>;
  /** Seals what is buffered and resolves once every chunk so far is on disk (written and fdatasync'd). */
  flush(): Promise<void>;
  /** Writes the rest and the trailer, and moves the file to its final name. */
  finish(): Promise<FinishedRecording>;
}

export interface StoredRecording {
  readonly recordingId: string;
  readonly codec: Codec;
  readonly startedAt: Date;
  readonly metadata: RecordingMetadata;
  readonly sha256: string;
  readonly durationMs: number;
  readonly sizeBytes: number;
  readonly sampleFrames: number;
  /** Finalised by crash recovery from what had been flushed. */
  readonly recovered: boolean;
  /**
   * The WAV header, then the audio chunk by chunk, each authenticated before it is yielded. Throws
   * RecordingCorruptError at a bad chunk, or at the end when the whole does not match the trailer.
   */
  wav(): AsyncGenerator<Buffer>;
  /** The whole WAV, verified before it is returned. */
  readWav(): Promise<Buffer>;
}

export type RecoveryReport =
  | ({
      /** `recovered`: finalised with what was flushed; `completed`: it was finished, only the rename was lost. */
      outcome: 'recovered' | 'completed';
      recordingId: string;
      codec: Codec;
      startedAt: Date;
      metadata: RecordingMetadata;
      /** Bytes of torn or unauthenticated tail that were dropped. */
      droppedBytes: number;
    } & FinishedRecording)
  /** The header itself was torn: the file died before any audio was flushed, and was removed. */
  | { outcome: 'discarded'; recordingId: string; reason: string }
  /** Could not be finalised (e.g. the master key does not open it); the file is left as it is. */
  | { outcome: 'failed'; recordingId: string; error: Error; modifiedAt?: Date };

export interface RecordingStore {
  open(call: { recordingId: string; codec: Codec; startedAt: Date; metadata: RecordingMetadata }): Promise<RecordingWriter>;
  openRecording(storageKey: string, wrappedKey: string): Promise<StoredRecording>;
  /**
   * Finalises every `.partial` file left by a crash. Meant for start-up; files of writers this store has open are
   * skipped, but another process recording into the same folder would not be known, so run one capture process
   * per data folder.
   */
  recoverUnfinished(): Promise<RecoveryReport[]>;
  /**
   * Finished recordings not yet acknowledged (registered by the caller), read from their headers: what a crash or
   * a failed registration left to do. Every recording is unacknowledged from open() until acknowledge(). A file
   * that cannot be read is listed under `failed` and does not hold up the others.
   */
  unacknowledged(): Promise<{ found: FinalisedRecovery[]; failed: UnreadableRecording[] }>;
  /** The caller has registered the recording: it leaves the unacknowledged list. Idempotent. */
  acknowledge(recordingId: string): Promise<void>;
  destroy(storageKey: string): Promise<void>;
  /**
   * Destroys every file this store holds of a recording that was never registered (issue 19), as thoroughly as
   * destroy(): its finished file (at `storageKey`, or wherever its journal or its day folders have it), a `.partial`
   * left by a failed recovery, and its journal entry. Idempotent.
   */
  purge(recordingId: string, storageKey?: string): Promise<void>;
}

/** A finished recording whose header or trailer cannot be read: what is known of its file. */
export interface UnreadableRecording {
  recordingId: string;
  error: Error;
  /** Where the file is, when its journal or its day folder said. */
  storageKey?: string;
  /** The file's last change (when it was finished), when it could be asked. */
  modifiedAt?: Date;
}

export type FinalisedRecovery = Extract<RecoveryReport, { outcome: 'recovered' | 'completed' }>;

/** A recording file that is torn, tampered with, or does not match its trailer. */
export class RecordingCorruptError extends CodedError<'RECORDING_CORRUPT'> {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, reason: string) {
    super('RECORDING_CORRUPT', `녹취 파일이 손상되었거나 변조되었습니다: ${path.basename(file)} @${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
  }
}

export class RecordingNotFoundError extends CodedError<'RECORDING_NOT_FOUND'> {
  constructor(storageKey: string) {
    super('RECORDING_NOT_FOUND', `녹취 파일이 없습니다: ${storageKey}`);
  }
}

export class RecordingOverrunError extends CodedError<'RECORDING_OVERRUN'> {
  constructor(recordingId: string) {
    super('RECORDING_OVERRUN', `녹취 저장이 밀려 오디오를 받지 못했습니다 (디스크 지연): ${recordingId}`);
  }
}

const infoData = (id: string) => `recording:${id}:info`;
const audioData = (id: string, index: number) => `recording:${id}:audio:${index}`;
const trailerData = (id: string) => `recording:${id}:trailer`;

const wavFormat = (codec: Codec): WavFormat => ({ encoding: codec, channels: CHANNELS, sampleRate: SAMPLE_RATE });
const durationOf = (sampleFrames: number) => Math.round((sampleFrames * 1000) / SAMPLE_RATE);

/** What a trailer says of the finished recording, as FinishedRecording and the reports carry it. */
function summaryOf(codec: Codec, trailer: Pick<Trailer, 'sha256' | 'sampleFrames'>) {
  const dataBytes = trailer.sampleFrames * CHANNELS;
  return {
    sha256: trailer.sha256,
    sampleFrames: trailer.sampleFrames,
    durationMs: durationOf(trailer.sampleFrames),
    sizeBytes: wavHeader(wavFormat(codec), dataBytes).length + dataBytes,
  };
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** A new file whose content survives a power cut (its folder entry is the caller's to sync). */
async function writeNewFile(file: string, content: string): Promise<void> {
  const handle = await openFile(file, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p whose new folders survive a power cut: each new folder's entry is synced in its parent. */
async function ensureDirectory(folder: string): Promise<void> {
  const first = await mkdir(folder, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let created = folder; ; created = path.dirname(created)) {
    await syncPathAsync(path.dirname(created));
    if (created === path.resolve(first) || path.dirname(created) === created) return;
  }
}

/** One positional write (repeated only if the kernel writes short, i.e. near a full disk). */
export async function writeAt(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  for (let written = 0; written < length;) {
    const { bytesWritten } = await handle.write(buffer, written, length - written, position + written);
    if (bytesWritten === 0) throw new Error(`write made no progress at ${position + written}`);
    written += bytesWritten;
  }
}

export interface FileHeader {
  recordingId: string;
  wrappedKey: string;
  sealedInfo: Buffer;
  /** Offset of the first frame. */
  end: number;
}

interface RecordingInfo {
  codec: Codec;
  startedAt: Date;
  metadata: RecordingMetadata;
}

export function encodeHeader(recordingId: string, wrappedKey: string, sealedInfo: Buffer): Buffer {
  const id = Buffer.from(recordingId, 'ascii');
  const key = Buffer.from(wrappedKey, 'ascii');
  const lengths = Buffer.alloc(8);
  lengths.writeUInt16BE(id.length, 0);
  lengths.writeUInt16BE(key.length, 2);
  lengths.writeUInt32BE(sealedInfo.length, 4);
  return Buffer.concat([MAGIC, lengths.subarray(0, 2), id, lengths.subarray(2, 4), key, lengths.subarray(4, 8), sealedInfo]);
}

/** The header, or undefined when the file ends inside it (torn at creation, before any audio). */
export async function readHeader(handle: FileHandle, fileSize: number, file: string): Promise<FileHeader | undefined> {
  const bytes = Buffer.alloc(Math.min(fileSize, MAX_HEADER_BYTES));
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
  let offset = 0;
  const corrupt = (reason: string) => new RecordingCorruptError(file, offset, `header: ${reason}`);
  const take = (length: number): Buffer | undefined => {
    if (offset + length > bytesRead) return undefined;
    offset += length;
    return bytes.subarray(offset - length, offset);
  };
  const seen = Math.min(bytesRead, MAGIC.length);
  if (!bytes.subarray(0, seen).equals(MAGIC.subarray(0, seen))) throw corrupt('not a recording file');
  if (take(MAGIC.length) === undefined) return undefined;
  const idLength = take(2)?.readUInt16BE(0);
  if (idLength === undefined) return undefined;
  if (idLength !== 36) throw corrupt(`id of ${idLength} bytes`);
  const id = take(idLength)?.toString('ascii');
  if (id === undefined) return undefined;
  if (!ID_PATTERN.test(id)) throw corrupt('malformed id');
  const keyLength = take(2)?.readUInt16BE(0);
  if (keyLength === undefined) return undefined;
  if (keyLength === 0 || keyLength > MAX_WRAPPED_KEY_BYTES) throw corrupt(`wrapped key of ${keyLength} bytes`);
  const wrappedKey = take(keyLength)?.toString('ascii');
  if (wrappedKey === undefined) return undefined;
  const infoLength = take(4)?.readUInt32BE(0);
  if (infoLength === undefined) return undefined;
  if (infoLength <= SEAL_OVERHEAD || infoLength > MAX_SEALED_INFO_BYTES) throw corrupt(`info of ${infoLength} bytes`);
  const sealedInfo = take(infoLength);
  if (sealedInfo === undefined) return undefined;
  return { recordingId: id, wrappedKey, sealedInfo: Buffer.from(sealedInfo), end: offset };
}

/** Decrypts the header's info; a key that is not this recording's fails here, as a DecryptionError. */
export function readInfo(header: FileHeader, dataKey: Buffer): RecordingInfo {
  const json = JSON.parse(openSealed(header.sealedInfo, dataKey, infoData(header.recordingId)).toString('utf8')) as {
    codec: Codec;
    startedAt: string;
    metadata: RecordingMetadata;
  };
  return { codec: json.codec, startedAt: new Date(json.startedAt), metadata: json.metadata };
}

interface Trailer {
  chunks: number;
  sampleFrames: number;
  sha256: string;
  recovered: boolean;
}

function encodeTrailer(trailer: Trailer): Buffer {
  const bytes = Buffer.alloc(TRAILER_BYTES);
  bytes.writeUInt32BE(trailer.chunks, 0);
  bytes.writeBigUInt64BE(BigInt(trailer.sampleFrames), 4);
  bytes.write(trailer.sha256, 12, 'hex');
  bytes.writeUInt8(trailer.recovered ? RECOVERED_FLAG : 0, 44);
  return bytes;
}

function decodeTrailer(bytes: Buffer): Trailer {
  return {
    chunks: bytes.readUInt32BE(0),
    sampleFrames: Number(bytes.readBigUInt64BE(4)),
    sha256: bytes.toString('hex', 12, 44),
    recovered: (bytes.readUInt8(44) & RECOVERED_FLAG) !== 0,
  };
}

type Frame = { kind: 'audio'; audio: Buffer; end: number } | { kind: 'trailer'; trailer: Trailer; end: number };

/**
 * The frames between `start` and `end`, each authenticated: audio chunks numbered from 0 at `start`. A frame that
 * is short (torn), malformed or fails authentication throws RecordingCorruptError at its offset.
 */
async function* readFrames(
  handle: FileHandle,
  recordingId: string,
  dataKey: Buffer,
  range: { start: number; end: number },
  file: string,
): AsyncGenerator<Frame> {
  const buffer = Buffer.allocUnsafe(MAX_AUDIO_FRAME_BYTES);
  let index = 0;
  for (let offset = range.start; offset < range.end;) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, range.end - offset), offset);
    const corrupt = (reason: string) => new RecordingCorruptError(file, offset, reason);
    if (bytesRead < FRAME_PREFIX_BYTES) throw corrupt('torn frame');
    const kind = buffer.readUInt8(0);
    const sealedLength = buffer.readUInt32BE(1);
    const wellFormed =
      kind === KIND_AUDIO
        ? sealedLength > SEAL_OVERHEAD && sealedLength <= SEAL_OVERHEAD + CHUNK_AUDIO_BYTES
        : kind === KIND_TRAILER && sealedLength === SEAL_OVERHEAD + TRAILER_BYTES;
    if (!wellFormed) throw corrupt(`malformed frame (kind ${kind}, ${sealedLength} bytes)`);
    if (FRAME_PREFIX_BYTES + sealedLength > bytesRead) throw corrupt('torn frame');
    const sealed = buffer.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + sealedLength);
    const end = offset + FRAME_PREFIX_BYTES + sealedLength;
    const additionalData = kind === KIND_AUDIO ? audioData(recordingId, index) : trailerData(recordingId);
    let plaintext: Buffer;
    try {
      plaintext = openSealed(sealed, dataKey, additionalData);
    } catch (error) {
      if (error instanceof DecryptionError) throw corrupt(`${additionalData} fails authentication`);
      throw error;
    }
    if (kind === KIND_TRAILER) {
      yield { kind: 'trailer', trailer: decodeTrailer(plaintext), end };
    } else {
      if (plaintext.length % CHANNELS !== 0) throw corrupt('audio chunk of a half frame');
      index += 1;
      yield { kind: 'audio', audio: plaintext, end };
    }
    offset = end;
  }
}

interface Finalising {
  handle: FileHandle;
  file: string;
  recordingId: string;
  dataKey: Buffer;
  codec: Codec;
  /** Where the audio chunks start and end; the trailer goes at `end`, anything after it is cut off. */
  start: number;
  end: number;
  chunks: number;
  dataBytes: number;
  recovered: boolean;
}

/**
 * Reads the chunks back (authenticating them once more: the hash is of what is on disk), hashes the WAV they
 * make, writes the trailer and syncs. Shared by a normal finish and by crash recovery.
 */
async function writeTrailer(target: Finalising): Promise<Omit<FinishedRecording, 'storageKey' | 'wrappedKey'>> {
  const header = wavHeader(wavFormat(target.codec), target.dataBytes);
  const hash = createHash('sha256').update(header);
  let chunks = 0;
  let dataBytes = 0;
  const range = { start: target.start, end: target.end };
  for await (const frame of readFrames(target.handle, target.recordingId, target.dataKey, range, target.file)) {
    if (frame.kind !== 'audio') throw new RecordingCorruptError(target.file, frame.end, 'trailer among the audio');
    hash.update(frame.audio);
    chunks += 1;
    dataBytes += frame.audio.length;
  }
  if (chunks !== target.chunks || dataBytes !== target.dataBytes) {
    throw new RecordingCorruptError(target.file, target.end, `read back ${chunks} chunks / ${dataBytes} bytes`);
  }
  const sampleFrames = dataBytes / CHANNELS;
  const sha256 = hash.digest('hex');
  const sealed = seal(encodeTrailer({ chunks, sampleFrames, sha256, recovered: target.recovered }), target.dataKey, trailerData(target.recordingId));
  const frame = Buffer.alloc(TRAILER_FRAME_BYTES);
  frame.writeUInt8(KIND_TRAILER, 0);
  frame.writeUInt32BE(sealed.length, 1);
  sealed.copy(frame, FRAME_PREFIX_BYTES);
  await target.handle.truncate(target.end);
  await writeAt(target.handle, frame, frame.length, target.end);
  await target.handle.sync();
  return { sha256, sampleFrames, durationMs: durationOf(sampleFrames), sizeBytes: header.length + dataBytes };
}

/** The trailer, read from the end of a finished file; anything else there means the file was cut or altered. */
async function readTrailerAtEnd(handle: FileHandle, header: FileHeader, dataKey: Buffer, fileSize: number, file: string): Promise<Trailer> {
  const start = fileSize - TRAILER_FRAME_BYTES;
  const missing = new RecordingCorruptError(file, start, 'no trailer at the end (truncated or altered)');
  if (start < header.end) throw missing;
  try {
    for await (const frame of readFrames(handle, header.recordingId, dataKey, { start, end: fileSize }, file)) {
      if (frame.kind === 'trailer') return frame.trailer;
    }
  } catch (error) {
    if (!(error instanceof RecordingCorruptError)) throw error;
  }
  throw missing;
}

interface WriterContext {
  recordingId: string;
  storageKey: string;
  wrappedKey: string;
  codec: Codec;
  dataKey: Buffer;
  handle: FileHandle;
  file: string;
  headerEnd: number;
  /** Gives the finished file its final name. */
  publish: () => Promise<void>;
  /** Called once the writer is done with its file, finished or failed. */
  release: () => void;
}

/** Buffers up to one chunk until it is sealed; serialises the appends, flushes and finish of one recording. */
class ChunkWriter implements RecordingWriter {
  readonly recordingId: string;
  readonly storageKey: string;
  readonly wrappedKey: string;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_AUDIO_BYTES);
  /** One frame buffer, reused: a chunk is sealed into it only after the previous one is on disk. */
  private readonly frame = Buffer.allocUnsafe(MAX_AUDIO_FRAME_BYTES);
  private buffered = 0;
  private position: number;
  private chunks = 0;
  private dataBytes = 0;
  private queuedBytes = 0;
  private serial: Promise<unknown> = Promise.resolve();
  /** The chunk write in flight; it never rejects, its failure is kept in `failure`. */
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** The close of the file after a failure; it never rejects. */
  private closing: Promise<void> = Promise.resolve();
  private finishing = false;

  constructor(private readonly context: WriterContext) {
    this.recordingId = context.recordingId;
    this.storageKey = context.storageKey;
    this.wrappedKey = context.wrappedKey;
    this.position = context.headerEnd;
  }

  async append(stereo: Uint8Array): Promise<void> {
    if (this.finishing) throw new Error(`recording ${this.recordingId} is finished`);
    if (stereo.length % CHANNELS !== 0 || stereo.length > CHUNK_AUDIO_BYTES) {
      throw new RangeError(`append takes whole stereo frames, at most one second: ${stereo.length} bytes`);
    }
    if (this.queuedBytes + stereo.length > MAX_QUEUED_BYTES) throw new RecordingOverrunError(this.recordingId);
    // Copied now: the caller may reuse its buffer as soon as append returns.
    const audio = Buffer.from(stereo);
    this.queuedBytes += audio.length;
    try {
      await this.serially(() => this.take(audio));
    } finally {
      this.queuedBytes -= audio.length;
    }
  }

  async flush(): Promise<void> {
    if (this.finishing) throw new Error(`recording ${this.recordingId} is finished`);
    await this.serially(() => this.sealAndWait());
  }

  async finish(): Promise<FinishedRecording> {
    if (this.finishing) throw new Error(`recording ${this.recordingId} is finished`);
    this.finishing = true;
    try {
      return await this.serially(async () => {
        try {
          await this.sealAndWait();
          const { handle, file, recordingId, dataKey, codec, headerEnd } = this.context;
          const summary = await writeTrailer({
            handle,
            file,
            recordingId,
            dataKey,
            codec,
            start: headerEnd,
            end: this.position,
            chunks: this.chunks,
            dataBytes: this.dataBytes,
            recovered: false,
          });
          await handle.close();
          await this.context.publish();
          this.context.release();
          return { ...summary, storageKey: this.storageKey, wrappedKey: this.wrappedKey };
        } catch (error) {
          this.fail(error as Error);
          throw error;
        } finally {
          this.context.dataKey.fill(0);
        }
      });
    } finally {
      // Failed or not, the file is closed once the caller hears: recoverUnfinished may take the .partial at once.
      await this.closing;
    }
  }

  /** Runs operations one after another, in call order; after a failure every later one rejects with it. */
  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.serial.then(() => {
      if (this.failure) throw this.failure;
      return operation();
    });
    this.serial = result.catch(() => undefined);
    return result;
  }

  private async take(audio: Buffer): Promise<void> {
    for (let offset = 0; offset < audio.length;) {
      const copied = audio.copy(this.buffer, this.buffered, offset);
      this.buffered += copied;
      offset += copied;
      if (this.buffered === CHUNK_AUDIO_BYTES) await this.seal();
    }
  }

  private async sealAndWait(): Promise<void> {
    if (this.buffered > 0) await this.seal();
    await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /** Seals the buffered audio into the frame buffer and starts writing it; waits only for the previous write. */
  private async seal(): Promise<void> {
    await this.inFlight;
    if (this.failure) throw this.failure;
    const sealed = seal(this.buffer.subarray(0, this.buffered), this.context.dataKey, audioData(this.recordingId, this.chunks));
    this.frame.writeUInt8(KIND_AUDIO, 0);
    this.frame.writeUInt32BE(sealed.length, 1);
    sealed.copy(this.frame, FRAME_PREFIX_BYTES);
    const length = FRAME_PREFIX_BYTES + sealed.length;
    const position = this.position;
    this.position += length;
    this.chunks += 1;
    this.dataBytes += this.buffered;
    this.buffered = 0;
    this.inFlight = this.writeChunk(length, position).catch((error: Error) => this.fail(error));
  }

  private async writeChunk(length: number, position: number): Promise<void> {
    await writeAt(this.context.handle, this.frame, length, position);
    await this.context.handle.datasync();
  }

  /**
   * After a failed write the file may end in a torn chunk, so nothing more is written: the file is closed and
   * left as `.partial` for recoverUnfinished, and every later call rejects with this error.
   */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.context.dataKey.fill(0);
    // The failure above is what the caller hears about; a second error from closing would add nothing.
    this.closing = this.context.handle.close().catch(() => undefined);
    this.context.release();
  }
}

export function createRecordingStore(options: { dataDir: string; masterKey: Buffer }): RecordingStore {
  const root = path.join(path.resolve(options.dataDir), 'recordings');
  const partialFolder = path.join(root, PARTIAL_FOLDER);
  const partialFile = (recordingId: string) => path.join(partialFolder, `${recordingId}.partial`);
  const journalFolder = path.join(root, JOURNAL_FOLDER);
  const journalFile = (recordingId: string) => path.join(journalFolder, recordingId);
  /** Recordings this store is writing: their `.partial` files are live, not crashed. */
  const writing = new Set<string>();
  const fileOf = (storageKey: string) => {
    // Storage keys come from the database; anything but our own shape would be a path we did not mean to touch.
    const match = STORAGE_KEY_PATTERN.exec(storageKey);
    if (!match) throw new Error(`invalid storage key: ${JSON.stringify(storageKey)}`);
    return { file: path.join(root, ...storageKey.split('/')), recordingId: match[1] as string };
  };
  const storageKeyOf = (recordingId: string, startedAt: Date) => {
    const [year, month, day] = startedAt.toISOString().slice(0, 10).split('-');
    return `${year}/${month}/${day}/${recordingId}.rec`;
  };

  /** Atomically gives a finished `.partial` its final name, durably (both folders synced). */
  async function publish(recordingId: string, storageKey: string): Promise<void> {
    const { file } = fileOf(storageKey);
    await ensureDirectory(path.dirname(file));
    // rename() would silently replace an existing recording; ids are unique, so this only guards against a bug.
    const exists = await access(file).then(
      () => true,
      (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
    );
    if (exists) throw new Error(`recording ${storageKey} already exists`);
    await rename(partialFile(recordingId), file);
    await syncPathAsync(path.dirname(file));
    await syncPathAsync(partialFolder);
  }

  async function open(call: { recordingId: string; codec: Codec; startedAt: Date; metadata: RecordingMetadata }): Promise<RecordingWriter> {
    if (!ID_PATTERN.test(call.recordingId)) throw new Error(`invalid recording id: ${JSON.stringify(call.recordingId)}`);
    const storageKey = storageKeyOf(call.recordingId, call.startedAt);
    const dataKey = newDataKey();
    const wrappedKey = wrapKey(dataKey, options.masterKey);
    const info = Buffer.from(JSON.stringify({ codec: call.codec, startedAt: call.startedAt.toISOString(), metadata: call.metadata }), 'utf8');
    const sealedInfo = seal(info, dataKey, infoData(call.recordingId));
    if (sealedInfo.length > MAX_SEALED_INFO_BYTES) {
      dataKey.fill(0);
      throw new RangeError(`recording metadata too large: ${info.length} bytes`);
    }
    const header = encodeHeader(call.recordingId, wrappedKey, sealedInfo);
    const file = partialFile(call.recordingId);
    let handle: FileHandle | undefined;
    try {
      await ensureDirectory(partialFolder);
      handle = await openFile(file, 'wx+', 0o600);
      // Header, data and the folder entry are durable before any audio is accepted, so a torn header can
      // only mean that nothing was recorded yet.
      await writeAt(handle, header, header.length, 0);
      await handle.datasync();
      await syncPathAsync(partialFolder);
      await ensureDirectory(journalFolder);
      await writeNewFile(journalFile(call.recordingId), storageKey);
      await syncPathAsync(journalFolder);
    } catch (error) {
      dataKey.fill(0);
      // Only a file this call created is removed (with 'wx+', an existing one was never opened). The error above
      // is the one to report; one from closing must not leave the file behind.
      if (handle) {
        await handle.close().catch(() => undefined);
        await rm(file, { force: true });
      }
      throw error;
    }
    writing.add(call.recordingId);
    return new ChunkWriter({
      recordingId: call.recordingId,
      storageKey,
      wrappedKey,
      codec: call.codec,
      dataKey,
      handle,
      file,
      headerEnd: header.length,
      publish: () => publish(call.recordingId, storageKey),
      release: () => writing.delete(call.recordingId),
    });
  }

  async function openRecording(storageKey: string, wrappedKey: string): Promise<StoredRecording> {
    const { file, recordingId } = fileOf(storageKey);
    const handle = await openFile(file, 'r').catch((error: unknown) => Promise.reject(isNotFound(error) ? new RecordingNotFoundError(storageKey) : error));
    let header: FileHeader | undefined;
    let info: RecordingInfo;
    let trailer: Trailer;
    let fileSize: number;
    try {
      fileSize = (await handle.stat()).size;
      header = await readHeader(handle, fileSize, file);
      if (header === undefined) throw new RecordingCorruptError(file, 0, 'torn header');
      if (header.recordingId !== recordingId) throw new RecordingCorruptError(file, 0, 'header names another recording');
      // The database's wrapped key, never the header's copy: once the database has destroyed it, this fails.
      const dataKey = unwrapKey(wrappedKey, options.masterKey);
      try {
        info = readInfo(header, dataKey);
        trailer = await readTrailerAtEnd(handle, header, dataKey, fileSize, file);
      } finally {
        dataKey.fill(0);
      }
    } finally {
      await handle.close();
    }
    const audioRange = { start: header.end, end: fileSize - TRAILER_FRAME_BYTES };
    const dataBytes = trailer.sampleFrames * CHANNELS;
    async function* wav(): AsyncGenerator<Buffer> {
      const dataKey = unwrapKey(wrappedKey, options.masterKey);
      let reading: FileHandle | undefined;
      try {
        reading = await openFile(file, 'r');
        if ((await reading.stat()).size !== fileSize) throw new RecordingCorruptError(file, 0, 'changed while being read');
        const wavStart = wavHeader(wavFormat(info.codec), dataBytes);
        const hash = createHash('sha256').update(wavStart);
        yield wavStart;
        let chunks = 0;
        let bytes = 0;
        for await (const frame of readFrames(reading, recordingId, dataKey, audioRange, file)) {
          if (frame.kind !== 'audio') throw new RecordingCorruptError(file, frame.end, 'trailer among the audio');
          chunks += 1;
          bytes += frame.audio.length;
          if (bytes > dataBytes) throw new RecordingCorruptError(file, frame.end, 'more audio than the trailer counts');
          hash.update(frame.audio);
          yield frame.audio;
        }
        if (chunks !== trailer.chunks || bytes !== dataBytes || hash.digest('hex') !== trailer.sha256) {
          throw new RecordingCorruptError(file, audioRange.end, 'audio does not match the trailer');
        }
      } finally {
        dataKey.fill(0);
        await reading?.close();
      }
    }
    return {
      recordingId,
      ...info,
      ...summaryOf(info.codec, trailer),
      recovered: trailer.recovered,
      wav,
      async readWav() {
        const parts: Buffer[] = [];
        for await (const part of wav()) parts.push(part);
        return Buffer.concat(parts);
      },
    };
  }

  /**
   * The storage key an unacknowledged recording's journal names, or undefined when there is no such file. A journal
   * a power cut left empty or torn does not say, so the day folders are searched, newest first (a torn journal is
   * a recent one): the key's date is the call's, known only from the header.
   */
  async function journalledKey(recordingId: string): Promise<string | undefined> {
    const journalled = (await readFile(journalFile(recordingId), 'utf8')).trim();
    if (STORAGE_KEY_PATTERN.exec(journalled)?.[1] === recordingId) return journalled;
    return searchDays(recordingId);
  }

  /** The storage key of a finished recording found in the day folders, newest first; undefined when there is none. */
  async function searchDays(recordingId: string): Promise<string | undefined> {
    const search = async (folders: string[]): Promise<string | undefined> => {
      const pattern = DATE_FOLDERS[folders.length];
      if (pattern === undefined) {
        const storageKey = [...folders, `${recordingId}.rec`].join('/');
        const exists = await access(fileOf(storageKey).file).then(
          () => true,
          (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
        );
        return exists ? storageKey : undefined;
      }
      const names = await readdir(path.join(root, ...folders)).catch((error: unknown) => (isNotFound(error) ? [] : Promise.reject(error)));
      for (const name of names
        .filter((candidate) => pattern.test(candidate))
        .sort()
        .reverse()) {
        const found = await search([...folders, name]);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    return search([]);
  }

  /** A finished recording as its header and trailer describe it (the header's copy of the key opens it). */
  async function describeFinished(storageKey: string): Promise<FinalisedRecovery> {
    const { file, recordingId } = fileOf(storageKey);
    const handle = await openFile(file, 'r');
    try {
      const fileSize = (await handle.stat()).size;
      const header = await readHeader(handle, fileSize, file);
      if (header === undefined) throw new RecordingCorruptError(file, 0, 'torn header');
      if (header.recordingId !== recordingId) throw new RecordingCorruptError(file, 0, 'header names another recording');
      const dataKey = unwrapKey(header.wrappedKey, options.masterKey);
      try {
        const info = readInfo(header, dataKey);
        const trailer = await readTrailerAtEnd(handle, header, dataKey, fileSize, file);
        return {
          outcome: trailer.recovered ? 'recovered' : 'completed',
          recordingId,
          ...info,
          ...summaryOf(info.codec, trailer),
          storageKey,
          wrappedKey: header.wrappedKey,
          droppedBytes: 0,
        };
      } finally {
        dataKey.fill(0);
      }
    } finally {
      await handle.close();
    }
  }

  async function recoverOne(recordingId: string): Promise<RecoveryReport> {
    const file = partialFile(recordingId);
    const handle = await openFile(file, 'r+');
    let closed = false;
    try {
      const fileSize = (await handle.stat()).size;
      const header = await readHeader(handle, fileSize, file);
      if (header === undefined) {
        await handle.close();
        closed = true;
        await rm(file);
        await syncPathAsync(partialFolder);
        return { outcome: 'discarded', recordingId, reason: `header torn at ${fileSize} bytes: no audio was flushed` };
      }
      if (header.recordingId !== recordingId) throw new RecordingCorruptError(file, 0, 'header names another recording');
      const dataKey = unwrapKey(header.wrappedKey, options.masterKey);
      try {
        const info = readInfo(header, dataKey);
        // Walk the chunks until the first one that is missing, torn or unauthenticated: that tail is dropped.
        let end = header.end;
        let chunks = 0;
        let dataBytes = 0;
        let trailer: Trailer | undefined;
        try {
          for await (const frame of readFrames(handle, recordingId, dataKey, { start: header.end, end: fileSize }, file)) {
            if (frame.kind === 'trailer') {
              if (frame.end === fileSize && frame.trailer.chunks === chunks && frame.trailer.sampleFrames * CHANNELS === dataBytes) {
                trailer = frame.trailer;
              }
              break;
            }
            chunks += 1;
            dataBytes += frame.audio.length;
            end = frame.end;
          }
        } catch (error) {
          if (!(error instanceof RecordingCorruptError)) throw error;
        }
        const summary = trailer
          ? summaryOf(info.codec, trailer)
          : await writeTrailer({ handle, file, recordingId, dataKey, codec: info.codec, start: header.end, end, chunks, dataBytes, recovered: true });
        await handle.close();
        closed = true;
        const storageKey = storageKeyOf(recordingId, info.startedAt);
        await publish(recordingId, storageKey);
        return {
          outcome: trailer ? 'completed' : 'recovered',
          recordingId,
          ...info,
          ...summary,
          storageKey,
          wrappedKey: header.wrappedKey,
          droppedBytes: trailer ? 0 : fileSize - end,
        };
      } finally {
        dataKey.fill(0);
      }
    } finally {
      if (!closed) await handle.close();
    }
  }

  return {
    open,
    openRecording,
    async recoverUnfinished() {
      let names: string[];
      try {
        names = await readdir(partialFolder);
      } catch (error) {
        if (isNotFound(error)) return [];
        throw error;
      }
      const reports: RecoveryReport[] = [];
      for (const name of names.sort()) {
        const recordingId = PARTIAL_NAME.exec(name)?.[1];
        if (recordingId === undefined || writing.has(recordingId)) continue;
        reports.push(
          await recoverOne(recordingId).catch(async (error: Error): Promise<RecoveryReport> => ({
            outcome: 'failed',
            recordingId,
            error,
            modifiedAt: await modifiedAtOf(partialFile(recordingId)),
          })),
        );
      }
      return reports;
    },
    async unacknowledged() {
      let names: string[];
      const found: FinalisedRecovery[] = [];
      const failed: UnreadableRecording[] = [];
      try {
        names = await readdir(journalFolder);
      } catch (error) {
        if (isNotFound(error)) return { found, failed };
        throw error;
      }
      for (const recordingId of names.sort()) {
        // Still being recorded, or left for recoverUnfinished(): not finished yet.
        if (!ID_PATTERN.test(recordingId) || writing.has(recordingId)) continue;
        if (
          await access(partialFile(recordingId)).then(
            () => true,
            () => false,
          )
        )
          continue;
        // Discarded by recovery (nothing was flushed) or destroyed since: there is nothing left to register.
        const forget = () => rm(journalFile(recordingId), { force: true });
        let storageKey: string | undefined;
        try {
          storageKey = await journalledKey(recordingId);
          if (storageKey === undefined) await forget();
          else found.push(await describeFinished(storageKey));
        } catch (error) {
          if (isNotFound(error)) await forget();
          else
            failed.push({
              recordingId,
              error: error instanceof Error ? error : new Error(String(error)),
              ...(storageKey === undefined ? {} : { storageKey, modifiedAt: await modifiedAtOf(fileOf(storageKey).file) }),
            });
        }
      }
      return { found, failed };
    },
    async acknowledge(recordingId) {
      if (!ID_PATTERN.test(recordingId)) throw new Error(`invalid recording id: ${JSON.stringify(recordingId)}`);
      await rm(journalFile(recordingId), { force: true });
    },
    /**
     * Removes the file; idempotent. Destroying the key is the database's part (it clears the row's wrappedKey).
     * What puts the audio beyond recovery is crypto-shredding: with both copies of its key gone, what is left of
     * the file on the disk is ciphertext. The header's copy is overwritten in place and synced before the unlink;
     * on ext4 or XFS that reaches the block, while on SSDs (wear levelling) and copy-on-write filesystems an old
     * block may survive, still wrapped by the master key: rotating the master key (re-wrapping the live keys,
     * destroying the old one) is what retires those.
     */
    async destroy(storageKey) {
      await destroyRecordingFile(fileOf(storageKey).file);
    },
    async purge(recordingId, storageKey) {
      if (!ID_PATTERN.test(recordingId)) throw new Error(`invalid recording id: ${JSON.stringify(recordingId)}`);
      if (writing.has(recordingId)) throw new Error(`recording ${recordingId} is being recorded`);
      if (storageKey !== undefined && fileOf(storageKey).recordingId !== recordingId)
        throw new Error(`storage key ${storageKey} is not recording ${recordingId}'s`);
      // Without a key: the journal's, or (the journal gone or torn) a search of the day folders.
      const finished =
        storageKey ?? (await journalledKey(recordingId).catch((error: unknown) => (isNotFound(error) ? searchDays(recordingId) : Promise.reject(error))));
      if (finished !== undefined) await destroyRecordingFile(fileOf(finished).file);
      await destroyRecordingFile(partialFile(recordingId));
      // Last: while a file is left, the journal still names the recording for the next attempt.
      await rm(journalFile(recordingId), { force: true });
      await syncPathAsync(journalFolder).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
    },
  };
}

/** A file's last change, or undefined when it cannot be asked (gone, not permitted). */
async function modifiedAtOf(file: string): Promise<Date | undefined> {
  return stat(file).then(
    (stats) => new Date(stats.mtimeMs),
    () => undefined,
  );
}

/** Overwrites a recording file's copy of its wrapped key, then unlinks it, durably; idempotent (see destroy()). */
export async function destroyRecordingFile(file: string): Promise<void> {
  const handle = await openFile(file, 'r+').catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
  if (handle) {
    try {
      const length = Math.min((await handle.stat()).size, KEY_REGION_BYTES);
      await writeAt(handle, Buffer.alloc(length), length, 0);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
  await rm(file, { force: true });
  // The unlink is durable once the folder is synced, so a power cut cannot bring a deleted recording back.
  await syncPathAsync(path.dirname(file)).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
}
