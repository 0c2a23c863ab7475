/**
 * Writing a file so that it survives a crash or a power cut: the content synced before the name appears, the name
 * synced into its folder, and a replacement made whole or not at all (write beside, sync, rename over, sync the
 * folder). One helper for every file the system must not lose or find half-written: sealed documents, manifests,
 * keys and journals (the recording store, which writes audio as it arrives, uses the same steps asynchronously).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

/** fsync of a file or a folder (a folder's entries: a new or renamed name in it). */
export function syncPath(target: string): void {
  const handle = openSync(target, 'r');
  try {
    fsyncSync(handle);
  } finally {
    closeSync(handle);
  }
}

/** The same, without blocking the event loop (the capture appliance writes while calls arrive). */
export async function syncPathAsync(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A new file (never an existing one: `wx`), owner-only by default, its content and name durable on return. */
export function writeNewFileDurably(file: string, content: string | Uint8Array, mode = 0o600): void {
  const handle = openSync(file, 'wx', mode);
  try {
    writeFileSync(handle, content);
    fsyncSync(handle);
  } finally {
    closeSync(handle);
  }
  syncPath(path.dirname(file));
}

/** Replaces `file` whole or not at all; a partial copy left by a crash before is discarded first. */
export function replaceFileDurably(file: string, content: string | Uint8Array, mode = 0o600): void {
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  writeNewFileDurably(partial, content, mode);
  renameSync(partial, file);
  syncPath(path.dirname(file));
}
