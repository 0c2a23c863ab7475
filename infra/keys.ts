/**
 * The master key that wraps every recording's own key (DESIGN: data protection by construction).
 * It lives in a file outside the database; in development the first start creates it, in production
 * a missing or malformed key file stops start-up.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from './settings';

export const MASTER_KEY_BYTES = 32;

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export function readMasterKey(file: string): Buffer {
  if (!existsSync(file)) throw new MasterKeyError(`마스터 키 파일이 없습니다: ${file} (MASTER_KEY_FILE)`);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new MasterKeyError(`마스터 키 파일은 base64로 적은 ${MASTER_KEY_BYTES}바이트여야 합니다: ${file}`);
  }
  return key;
}

/** Reads the master key; creates one (owner-only file) when development runs for the first time. */
export function loadMasterKey(settings: Pick<Settings, 'masterKeyFile' | 'environment'>): Buffer {
  if (!existsSync(settings.masterKeyFile) && settings.environment === 'development') {
    mkdirSync(path.dirname(settings.masterKeyFile), { recursive: true, mode: 0o700 });
    writeFileSync(settings.masterKeyFile, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(settings.masterKeyFile, 0o600);
  }
  return readMasterKey(settings.masterKeyFile);
}
