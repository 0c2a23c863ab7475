/**
 * The recording store's files as the master key rotation (ops/key-rotation.ts) sees them with the appliance stopped:
 * every file that holds a wrapped key, what its header copy of the key is, and the re-keyed header put in place
 * durably. Apart from recording-store.ts because none of this runs inside the appliance; it reads and
 * writes the same file format, whose encoding stays there.
 */
import { syncPathAsync } from '../infra/durable-files';
import { open as openFile, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DecryptionError, unwrapKey } from '../infra/crypto/envelope';
import {
  DATE_FOLDERS,
  encodeHeader,
  type FileHeader,
  isNotFound,
  MAGIC,
  PARTIAL_NAME,
  readHeader,
  readInfo,
  RecordingCorruptError,
  STORAGE_KEY_PATTERN,
  writeAt,
} from './recording-store';

/** Suffix of the copy a key rotation writes before it renames it over the recording file. */
const REKEY_SUFFIX = '.rekey';

export interface StoredRecordingFile {
  /** Absolute path. */
  readonly file: string;
  readonly recordingId: string;
  /** `.partial`: left by a crash, for the appliance's recovery; otherwise a finished `.rec`. */
  readonly partial: boolean;
}

/**
 * Every file of the store in `<dataDir>/recordings` that can hold a wrapped key — finished recordings in their day
 * folders and `.partial` files a crash left — and the copies an interrupted key rotation left behind (`leftovers`,
 * never read by the appliance: their names match none of its patterns). For the master key rotation, run while the
 * appliance is stopped.
 */
export async function listRecordingFiles(dataDir: string): Promise<{ files: StoredRecordingFile[]; leftovers: string[] }> {
  const root = path.join(path.resolve(dataDir), 'recordings');
  const files: StoredRecordingFile[] = [];
  const leftovers: string[] = [];
  const names = async (folder: string) => (await readdir(folder).catch((error: unknown) => (isNotFound(error) ? [] : Promise.reject(error)))).sort();
  for (const name of await names(path.join(root, 'partial'))) {
    const recordingId = PARTIAL_NAME.exec(name)?.[1];
    if (recordingId !== undefined) files.push({ file: path.join(root, 'partial', name), recordingId, partial: true });
    else if (name.endsWith(REKEY_SUFFIX)) leftovers.push(path.join(root, 'partial', name));
  }
  const walk = async (folders: string[]): Promise<void> => {
    const pattern = DATE_FOLDERS[folders.length];
    for (const name of await names(path.join(root, ...folders))) {
      if (pattern !== undefined) {
        if (pattern.test(name)) await walk([...folders, name]);
        continue;
      }
      const match = STORAGE_KEY_PATTERN.exec([...folders, name].join('/'));
      if (match) files.push({ file: path.join(root, ...folders, name), recordingId: match[1] as string, partial: false });
      else if (name.endsWith(REKEY_SUFFIX)) leftovers.push(path.join(root, ...folders, name));
    }
  };
  await walk([]);
  return { files, leftovers };
}

export type FileKeyState =
  /** The header's key is wrapped by the given key and opens this recording's header. */
  | { state: 'opens'; recordingId: string; wrappedKey: string }
  /** A readable header whose key the given master key does not open. */
  | { state: 'other-key'; recordingId: string; wrappedKey: string }
  /** Torn before any audio was flushed: recovery discards it, it holds nothing to protect. */
  | { state: 'torn' }
  /** Its key region was overwritten by destroy() and only the unlink was lost. */
  | { state: 'destroyed' };

/** What a recording file's header copy of its key is, as far as `masterKey` can tell. */
export async function recordingFileKeyState(file: string, masterKey: Buffer): Promise<FileKeyState> {
  const handle = await openFile(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    let header: FileHeader | undefined;
    try {
      header = await readHeader(handle, fileSize, file);
    } catch (error) {
      if (!(error instanceof RecordingCorruptError)) throw error;
      const start = Buffer.alloc(Math.min(fileSize, MAGIC.length));
      await handle.read(start, 0, start.length, 0);
      if (start.every((byte) => byte === 0)) return { state: 'destroyed' };
      throw error;
    }
    if (header === undefined) return { state: 'torn' };
    let dataKey: Buffer;
    try {
      dataKey = unwrapKey(header.wrappedKey, masterKey);
    } catch (error) {
      if (error instanceof DecryptionError) return { state: 'other-key', recordingId: header.recordingId, wrappedKey: header.wrappedKey };
      throw error;
    }
    try {
      // The key must be this recording's, not merely one the master key wrapped.
      readInfo(header, dataKey);
    } finally {
      dataKey.fill(0);
    }
    return { state: 'opens', recordingId: header.recordingId, wrappedKey: header.wrappedKey };
  } finally {
    await handle.close();
  }
}

/**
 * Replaces the header's wrapped key of a recording file with `wrappedKey` (the same data key wrapped by another
 * master key) and changes nothing else: the sealed info and every audio chunk are copied byte for byte, never
 * decrypted. The new file is written beside the old one, synced, checked, and renamed over it (then the folder is
 * synced), so at every instant the file is either entirely the old one or entirely the new one.
 * `expectedRecordingId` guards against a file that is not what its name says.
 */
export async function replaceRecordingFileKey(file: string, expectedRecordingId: string, wrappedKey: string): Promise<void> {
  const copy = `${file}${REKEY_SUFFIX}`;
  const source = await openFile(file, 'r');
  let target: FileHandle | undefined;
  try {
    const fileSize = (await source.stat()).size;
    const header = await readHeader(source, fileSize, file);
    if (header === undefined) throw new RecordingCorruptError(file, 0, 'torn header');
    if (header.recordingId !== expectedRecordingId) throw new RecordingCorruptError(file, 0, 'header names another recording');
    const newHeader = encodeHeader(header.recordingId, wrappedKey, header.sealedInfo);
    // A copy left by an interrupted run is stale: the original is still whole, so the copy is made again.
    await rm(copy, { force: true });
    target = await openFile(copy, 'wx+', 0o600);
    await writeAt(target, newHeader, newHeader.length, 0);
    const piece = Buffer.allocUnsafe(1024 * 1024);
    let written = newHeader.length;
    for (let offset = header.end; offset < fileSize;) {
      const { bytesRead } = await source.read(piece, 0, Math.min(piece.length, fileSize - offset), offset);
      if (bytesRead === 0) throw new RecordingCorruptError(file, offset, 'changed while being copied');
      await writeAt(target, piece, bytesRead, written);
      offset += bytesRead;
      written += bytesRead;
    }
    await target.sync();
    const copied = await readHeader(target, written, copy);
    if (copied?.recordingId !== header.recordingId || copied.wrappedKey !== wrappedKey || !copied.sealedInfo.equals(header.sealedInfo)) {
      throw new RecordingCorruptError(copy, 0, 'the re-keyed copy does not read back as written');
    }
    if (written - copied.end !== fileSize - header.end) throw new RecordingCorruptError(copy, written, 'the re-keyed copy is short');
  } catch (error) {
    await target?.close().catch(() => undefined);
    target = undefined;
    await rm(copy, { force: true });
    throw error;
  } finally {
    await target?.close();
    await source.close();
  }
  await rename(copy, file);
  await syncPathAsync(path.dirname(file));
}
