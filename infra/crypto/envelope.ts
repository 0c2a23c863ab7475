/**
 * Envelope encryption (DESIGN: data protection by construction): each stored object has its own
 * 256-bit data key; the data key is kept only wrapped by the master key. Destroying the wrapped key
 * makes the object unreadable, whatever copies of the file remain. AES-256-GCM throughout; the
 * additional data binds a ciphertext to what it is (e.g. `document:<id>`), so files cannot be swapped.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_WRAP_AAD = 'recording-system:key-wrap:v1';

export class DecryptionError extends Error {
  readonly code = 'DECRYPTION_FAILED';
  constructor(what: string) {
    super(`${what}: 복호화에 실패했습니다 (키가 다르거나 내용이 손상·변조되었습니다)`);
    this.name = 'DecryptionError';
  }
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** `iv | tag | ciphertext` */
export function seal(plaintext: Buffer, key: Buffer, additionalData: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

export function open(sealed: Buffer, key: Buffer, additionalData: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError(additionalData);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(additionalData, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  // The plaintext may be a data key: the pieces it is put together from are zeroed, only the returned copy is left.
  const parts: Buffer[] = [];
  try {
    parts.push(decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)));
    parts.push(decipher.final());
    return Buffer.concat(parts);
  } catch {
    throw new DecryptionError(additionalData);
  } finally {
    for (const part of parts) part.fill(0);
  }
}

/** The data key wrapped by the master key, as text for a database column. */
export function wrapKey(dataKey: Buffer, masterKey: Buffer): string {
  return seal(dataKey, masterKey, KEY_WRAP_AAD).toString('base64');
}

export function unwrapKey(wrapped: string, masterKey: Buffer): Buffer {
  return open(Buffer.from(wrapped, 'base64'), masterKey, KEY_WRAP_AAD);
}
