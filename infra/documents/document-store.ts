/**
 * Generated documents hold applicants' personal data, so they are stored encrypted like recordings:
 * one file per document under `<DATA_DIR>/documents/`, named by the document's id only, sealed with its
 * own key that the database keeps wrapped by the master key.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { replaceFileDurably } from '../durable-files';
import path from 'node:path';
import { newDataKey, open, seal, unwrapKey, wrapKey } from '../crypto/envelope';

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface StoredDocument {
  wrappedKey: string;
  sha256: string;
  sizeBytes: number;
}

export interface DocumentStore {
  put(id: string, plaintext: Buffer): StoredDocument;
  get(id: string, wrappedKey: string): Buffer;
  remove(id: string): void;
  /** The ids of every sealed file in the store, for the retention inventory. */
  list(): string[];
}

export function createDocumentStore(options: { dataDir: string; masterKey: Buffer }): DocumentStore {
  const folder = path.join(options.dataDir, 'documents');
  const fileOf = (id: string) => {
    // Ids are ours (UUIDs); anything else would be a path we did not mean to touch.
    if (!ID_PATTERN.test(id)) throw new Error(`invalid document id: ${JSON.stringify(id)}`);
    return path.join(folder, `${id}.sealed`);
  };
  const additionalData = (id: string) => `document:${id}`;
  return {
    put(id, plaintext) {
      const dataKey = newDataKey();
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const file = fileOf(id);
      replaceFileDurably(file, seal(plaintext, dataKey, additionalData(id)));
      const stored = {
        wrappedKey: wrapKey(dataKey, options.masterKey),
        sha256: createHash('sha256').update(plaintext).digest('hex'),
        sizeBytes: plaintext.length,
      };
      dataKey.fill(0);
      return stored;
    },
    get(id, wrappedKey) {
      const dataKey = unwrapKey(wrappedKey, options.masterKey);
      try {
        return open(readFileSync(fileOf(id)), dataKey, additionalData(id));
      } finally {
        dataKey.fill(0);
      }
    },
    remove(id) {
      rmSync(fileOf(id), { force: true });
    },
    list() {
      if (!existsSync(folder)) return [];
      return readdirSync(folder)
        .filter((name) => name.endsWith('.sealed'))
        .map((name) => name.slice(0, -'.sealed'.length))
        .filter((id) => ID_PATTERN.test(id));
    },
  };
}
