/**
 * Verification of a provision package (capture/disclosure-package.ts, Art. 9): whether a copy someone holds is the one
 * the system issued. Opens the ZIP with its password, checks the Ed25519 signature of manifest.json against the
 * city's public key, every file's SHA-256 against the manifest, and that nothing is missing, added or doubled.
 *
 * Everything about the package is a result, never an exception: a wrong password, a file that is no ZIP, a tampered
 * manifest are what this is for, so each comes back as a problem with a stable code and a Korean message. Only a
 * public key that is not an Ed25519 public key throws (PackageKeyError): that is the caller's input, not the
 * package's, and no answer about the package could be given with it.
 *
 * Whoever may verify may hand in anything, so the work a package can cause is bounded before any of it is done. The
 * ZIP is read by ranges (from its file, never whole); its central directory, read first, must list at most
 * PACKAGE_LIMITS.entries entries whose declared sizes stay within the limits. Then only manifest.json and
 * manifest.sig are inflated — each up to a small bound, counted as it inflates in case the declared sizes lie — and the
 * signature is checked. A manifest the key did not sign vouches for nothing: no other entry is inflated, and the
 * answer is that the package is not genuine. A signed one says how large each file is, and each is hashed as it
 * is decrypted and inflated, never past that size. Nothing is written to disk.
 */
import { open } from 'node:fs/promises';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ERR_INVALID_PASSWORD, Reader, ZipReader, type FileEntry } from '@zip.js/zip.js';
import { z } from 'zod';
import { MANAGEMENT_NUMBER, MANIFEST_FILE, PACKAGE_FORMAT, SIGNATURE_FILE, type PackageManifest } from './disclosure-package';
import { packageSigningPublicKey } from '../infra/keys';

export type PackageProblemCode =
  | 'NOT_A_ZIP'
  | 'WRONG_PASSWORD'
  | 'NOT_ENCRYPTED'
  | 'ENTRY_UNREADABLE'
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'OTHER_KEY'
  | 'FILE_MISSING'
  | 'FILE_UNEXPECTED'
  | 'FILE_DUPLICATE'
  | 'HASH_MISMATCH'
  | 'TOO_MANY_ENTRIES'
  | 'TOO_LARGE'
  | 'RATIO_EXCEEDED';

export interface PackageProblem {
  readonly code: PackageProblemCode;
  /** Korean, for the person checking. */
  readonly message: string;
  readonly file?: string;
}

export type FileStatus = 'ok' | 'mismatch' | 'missing' | 'unexpected' | 'unreadable';

export interface VerifiedFile {
  readonly name: string;
  readonly status: FileStatus;
  /** What the manifest says; absent for a file it does not list. */
  readonly expectedSha256?: string;
  /** What the file holds; absent when it is missing or could not be read. */
  readonly sha256?: string;
  readonly bytes?: number;
}

export interface PackageVerification {
  /** Signature valid, every listed file present with its hash, nothing else, everything encrypted. */
  readonly ok: boolean;
  /** manifest.sig is a valid signature of manifest.json's exact bytes by the given key. */
  readonly signatureValid: boolean;
  /** The manifest as read; trust it only when `signatureValid`. */
  readonly manifest?: PackageManifest;
  readonly manifestSha256?: string;
  /** Fingerprint of the key checked against (SHA-256 of its DER SubjectPublicKeyInfo). */
  readonly publicKeySha256: string;
  /** Every file listed or found, in the manifest's order, then the ones it does not list. */
  readonly files: readonly VerifiedFile[];
  readonly problems: readonly PackageProblem[];
}

/** The key given is not an Ed25519 public key (PEM): nothing about the package could be said with it. */
export class PackageKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageKeyError';
  }
}

/** Far above a 50-recording manifest (about 25 KiB): a bigger one is not ours, and is not read into memory. */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_SIGNATURE_BYTES = 1024;

/** What a package may declare before anything in it is inflated; far above what the appliance builds. */
export const PACKAGE_LIMITS = {
  /** 50 recordings, the note, 5 extra files, the manifest and its signature make 58; an archiver may add a folder. */
  entries: 64,
  /** One file unpacked: about 9 hours of a call as 16-bit PCM stereo WAV (115 MB an hour). */
  entryBytes: 1024 ** 3,
  /** All files unpacked. */
  totalBytes: 4 * 1024 ** 3,
  /**
   * Unpacked to packed, of the entries inflated on the central directory's word alone (the manifest and its
   * signature; JSON and base64 deflate less than 5:1). Not of the recordings: a call that is silence from end to end
   * deflates about 1000:1 as any zeros do, and their sizes are bounded by the signed manifest instead.
   */
  ratio: 100,
};
/**
 * zip.js reads an entry in 256 KiB chunks and the end of the archive in at most 64 KiB plus a record; only the
 * central directory comes in one range, and one this large lists far more than PACKAGE_LIMITS.entries entries.
 */
const MAX_READ_BYTES = 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;
/** Base64 of the 64 bytes of an Ed25519 signature, and the line break written after it. */
const SIGNATURE_TEXT = /^([A-Za-z0-9+/]{86}==)\r?\n?$/;

const manifestSchema = z.object({
  format: z.literal(PACKAGE_FORMAT),
  managementNumber: z.string().regex(MANAGEMENT_NUMBER),
  createdAt: z.iso.datetime(),
  issuer: z.object({ municipality: z.string().nullable(), system: z.string() }),
  timeZone: z.string().refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }),
  signature: z.object({ algorithm: z.literal('Ed25519'), file: z.literal(SIGNATURE_FILE), publicKeySha256: z.string().regex(SHA256) }),
  recordings: z
    .array(
      z.object({
        recordingId: z.string(),
        callStartedAt: z.iso.datetime(),
        callEndedAt: z.iso.datetime().nullable(),
        extension: z.string(),
        durationMs: z.number().nullable(),
        storedAudioSha256: z.string().regex(SHA256),
        file: z.string().min(1),
        fileSha256: z.string().regex(SHA256),
        fileBytes: z.number().int().nonnegative(),
      }),
    )
    .min(1),
  files: z.array(z.object({ name: z.string().min(1), sha256: z.string().regex(SHA256), bytes: z.number().int().nonnegative() })),
});

/** The key to check against: a PEM (SubjectPublicKeyInfo) or a KeyObject, Ed25519 only. */
export function packagePublicKey(key: string | Buffer | KeyObject): KeyObject {
  let publicKey: KeyObject | undefined;
  try {
    publicKey = typeof key === 'string' || Buffer.isBuffer(key) ? createPublicKey({ key, format: 'pem' }) : key;
  } catch {
    // OpenSSL's own words say nothing more useful to the person checking.
  }
  if (publicKey?.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
    throw new PackageKeyError('공개키는 Ed25519 공개키(PEM, "-----BEGIN PUBLIC KEY-----")여야 합니다.');
  }
  return publicKey;
}

/** Verifies a package held in memory. */
export async function verifyPackage(zip: Uint8Array, password: string, key: string | Buffer | KeyObject): Promise<PackageVerification> {
  return verifyRanges(new RangeReader(zip.length, async (offset, length) => new Uint8Array(zip.subarray(offset, offset + length))), password, key);
}

/**
 * Verifies a package file, reading only the ranges it needs: a package of any size costs no more memory than a
 * small one. A file that cannot be opened throws its file-system error, the caller's input like a wrong key.
 */
export async function verifyPackageFile(file: string, password: string, key: string | Buffer | KeyObject): Promise<PackageVerification> {
  const publicKey = packagePublicKey(key);
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (offset: number, length: number) => {
      const range = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(range, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return range.subarray(0, filled);
    };
    return await verifyRanges(new RangeReader(size, read), password, publicKey);
  } finally {
    await handle.close();
  }
}

/** The central directory lists more than a package holds: more than PACKAGE_LIMITS.entries, or past MAX_READ_BYTES. */
class ListTooLong extends Error {}

/** Positional reads are independent of one another, so zip.js may ask for several ranges at once. */
class RangeReader extends Reader<number> {
  constructor(
    size: number,
    private readonly readRange: (offset: number, length: number) => Promise<Uint8Array>,
  ) {
    super(size);
    this.size = size;
  }

  override readUint8Array(offset: number, length: number): Promise<Uint8Array> {
    if (length > MAX_READ_BYTES) return Promise.reject(new ListTooLong());
    return this.readRange(offset, Math.max(0, Math.min(length, this.size - offset)));
  }
}

async function verifyRanges(source: RangeReader, password: string, key: string | Buffer | KeyObject): Promise<PackageVerification> {
  const publicKey = packagePublicKey(key);
  const check: Check = { password, publicKey, publicKeySha256: packageSigningPublicKey(publicKey).sha256, problems: [] };
  const reader = new ZipReader(source, { useWebWorkers: false });
  try {
    const entries: FileEntry[] = [];
    try {
      let count = 0;
      for await (const entry of reader.getEntriesGenerator()) {
        if (++count > PACKAGE_LIMITS.entries) throw new ListTooLong();
        if (!entry.directory) entries.push(entry);
      }
    } catch (error) {
      check.problems.push(
        error instanceof ListTooLong
          ? {
              code: 'TOO_MANY_ENTRIES',
              message: `ZIP의 파일 목록이 제공 패키지라기에 너무 깁니다 (파일 ${PACKAGE_LIMITS.entries}개까지): 발급된 패키지가 아닙니다.`,
            }
          : { code: 'NOT_A_ZIP', message: 'ZIP 파일이 아니거나 손상되어 열 수 없습니다.' },
      );
      return outcome(check);
    }
    if (!withinLimits(entries, check.problems)) return outcome(check);
    return await verifyEntries(entries, check);
  } finally {
    await reader.close().catch(() => undefined);
  }
}

const megabytes = (bytes: number) => `${Math.ceil(bytes / 1024 / 1024).toLocaleString('ko-KR')} MB`;

/** The central directory's declared sizes against PACKAGE_LIMITS, before anything is inflated. */
function withinLimits(entries: readonly FileEntry[], problems: PackageProblem[]): boolean {
  let total = 0;
  for (const entry of entries) {
    const { filename: file, uncompressedSize, compressedSize } = entry;
    total += uncompressedSize;
    if (uncompressedSize > PACKAGE_LIMITS.entryBytes) {
      problems.push({
        code: 'TOO_LARGE',
        file,
        message: `풀면 ${megabytes(uncompressedSize)}가 되는 파일이 있습니다 (한 파일에 ${megabytes(PACKAGE_LIMITS.entryBytes)}까지): ${file}`,
      });
    }
    if ((file === MANIFEST_FILE || file === SIGNATURE_FILE) && uncompressedSize > compressedSize * PACKAGE_LIMITS.ratio) {
      problems.push({
        code: 'RATIO_EXCEEDED',
        file,
        message: `압축률이 비정상적으로 높은 파일이 있습니다 (${PACKAGE_LIMITS.ratio}:1 초과, 압축 폭탄으로 보임): ${file}`,
      });
    }
  }
  if (total > PACKAGE_LIMITS.totalBytes) {
    problems.push({
      code: 'TOO_LARGE',
      message: `풀면 모두 ${megabytes(total)}가 되어 제공 패키지라기에 너무 큽니다 (${megabytes(PACKAGE_LIMITS.totalBytes)}까지).`,
    });
  }
  return problems.length === 0;
}

interface Check {
  readonly password: string;
  readonly publicKey: KeyObject;
  readonly publicKeySha256: string;
  readonly problems: PackageProblem[];
}

function outcome(
  check: Check,
  found: Partial<Pick<PackageVerification, 'signatureValid' | 'manifest' | 'manifestSha256' | 'files'>> = {},
): PackageVerification {
  const signatureValid = found.signatureValid ?? false;
  return {
    ok: signatureValid && check.problems.length === 0,
    signatureValid,
    publicKeySha256: check.publicKeySha256,
    files: [],
    problems: check.problems,
    ...found,
  };
}

function wrongPassword(check: Check): PackageVerification {
  // Nothing else can be said of a package that does not open; what was noticed without opening it would only distract.
  check.problems.splice(0, check.problems.length, { code: 'WRONG_PASSWORD', message: '비밀번호가 맞지 않아 패키지를 열 수 없습니다.' });
  return outcome(check);
}

async function verifyEntries(entries: readonly FileEntry[], check: Check): Promise<PackageVerification> {
  const { problems } = check;
  const byName = new Map<string, FileEntry>();
  for (const entry of entries) {
    // Of two entries under one name, an archiver may extract either: which one was checked would be a guess.
    if (byName.has(entry.filename))
      problems.push({ code: 'FILE_DUPLICATE', file: entry.filename, message: `같은 이름의 파일이 두 번 들어 있습니다: ${entry.filename}` });
    else byName.set(entry.filename, entry);
    if (!entry.encrypted || entry.zipCrypto) {
      problems.push({
        code: 'NOT_ENCRYPTED',
        file: entry.filename,
        message: `AES로 암호화되지 않은 파일이 있습니다 (발급된 패키지가 아닙니다): ${entry.filename}`,
      });
    }
  }
  const read: Read = (entry, limit, keep = false) => readEntry(entry, check.password, limit, keep);
  // One entry sealed under another password is that entry's problem; a password no entry opens is the password's.
  const noEntryOpens = async () => {
    for (const entry of entries) if (entry.encrypted && (await passwordOpens(entry, check.password))) return false;
    return entries.some((entry) => entry.encrypted);
  };

  const manifestEntry = byName.get(MANIFEST_FILE);
  if (!manifestEntry) {
    if (await noEntryOpens()) return wrongPassword(check);
    problems.push({ code: 'MANIFEST_MISSING', file: MANIFEST_FILE, message: `${MANIFEST_FILE}이(가) 없습니다: 무엇이 들어 있어야 하는지 알 수 없습니다.` });
    return outcome(check, { files: [...byName.keys()].map((name) => ({ name, status: 'unexpected' })) });
  }
  const manifestRead = await read(manifestEntry, MAX_MANIFEST_BYTES, true);
  if (manifestRead.error === 'password' && (await noEntryOpens())) return wrongPassword(check);
  if (!manifestRead.content) {
    problems.push({ code: 'MANIFEST_INVALID', file: MANIFEST_FILE, message: `${MANIFEST_FILE}을(를) 읽을 수 없습니다 (${describe(manifestRead.error)}).` });
    return outcome(check);
  }
  const manifestBytes = manifestRead.content;
  const manifestSha256 = manifestRead.sha256;

  const signatureValid = await checkSignature(byName.get(SIGNATURE_FILE), manifestBytes, check, read);
  let manifest: PackageManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
  } catch {
    problems.push({ code: 'MANIFEST_INVALID', file: MANIFEST_FILE, message: `${MANIFEST_FILE}이(가) 제공 패키지 목록 형식이 아닙니다.` });
    return outcome(check, { signatureValid, manifestSha256 });
  }
  if (manifest.signature.publicKeySha256 !== check.publicKeySha256) {
    problems.push({
      code: 'OTHER_KEY',
      message: `패키지는 다른 키(지문 ${manifest.signature.publicKeySha256})로 서명되었다고 적혀 있습니다. 확인에 쓴 공개키의 지문은 ${check.publicKeySha256}입니다.`,
    });
  }
  // Whatever an unsigned list names is not looked at: its sizes could be anyone's, and the answer is already no.
  if (!signatureValid) return outcome(check, { signatureValid, manifest, manifestSha256 });

  const expected = new Map<string, { sha256: string; bytes: number }>();
  for (const { file, fileSha256, fileBytes } of manifest.recordings) expected.set(file, { sha256: fileSha256, bytes: fileBytes });
  for (const { name, sha256, bytes } of manifest.files) expected.set(name, { sha256, bytes });
  const files: VerifiedFile[] = [];
  for (const [name, { sha256: expectedSha256, bytes }] of expected) {
    const entry = byName.get(name);
    if (!entry) {
      problems.push({ code: 'FILE_MISSING', file: name, message: `목록에 있는 파일이 없습니다: ${name}` });
      files.push({ name, status: 'missing', expectedSha256 });
      continue;
    }
    // The signed size bounds the work: an entry of another size is another file, and is not inflated to show it.
    const content = entry.uncompressedSize === bytes ? await read(entry, bytes) : { error: 'too-large' as const };
    if (content.error === 'too-large') {
      problems.push({ code: 'HASH_MISMATCH', file: name, message: `파일의 크기가 목록과 다릅니다 (바뀐 파일): ${name}` });
      files.push({ name, status: 'mismatch', expectedSha256 });
      continue;
    }
    if (content.error) {
      problems.push({ code: 'ENTRY_UNREADABLE', file: name, message: `파일을 열 수 없습니다 (${describe(content.error)}): ${name}` });
      files.push({ name, status: 'unreadable', expectedSha256 });
      continue;
    }
    const same = content.sha256 === expectedSha256;
    if (!same) problems.push({ code: 'HASH_MISMATCH', file: name, message: `파일의 SHA-256이 목록과 다릅니다 (바뀐 파일): ${name}` });
    files.push({ name, status: same ? 'ok' : 'mismatch', expectedSha256, sha256: content.sha256, bytes: content.bytes });
  }
  for (const name of byName.keys()) {
    if (name === MANIFEST_FILE || name === SIGNATURE_FILE || expected.has(name)) continue;
    problems.push({ code: 'FILE_UNEXPECTED', file: name, message: `목록에 없는 파일이 들어 있습니다: ${name}` });
    files.push({ name, status: 'unexpected' });
  }
  return outcome(check, { signatureValid, manifest, manifestSha256, files });
}

type Read = (entry: FileEntry, limit: number, keep?: boolean) => Promise<EntryRead>;

async function passwordOpens(entry: FileEntry, password: string): Promise<boolean> {
  try {
    await entry.getData(new WritableStream<Uint8Array>(), { password, checkPasswordOnly: true });
    return true;
  } catch (error) {
    return !(error instanceof Error && error.message === ERR_INVALID_PASSWORD);
  }
}

async function checkSignature(entry: FileEntry | undefined, manifest: Buffer, check: Check, read: Read): Promise<boolean> {
  const { problems } = check;
  if (!entry) {
    problems.push({ code: 'SIGNATURE_MISSING', file: SIGNATURE_FILE, message: `서명 파일 ${SIGNATURE_FILE}이(가) 없습니다.` });
    return false;
  }
  const outcome = await read(entry, MAX_SIGNATURE_BYTES, true);
  const text = SIGNATURE_TEXT.exec(outcome.content?.toString('latin1') ?? '');
  const valid = text !== null && verify(null, manifest, check.publicKey, Buffer.from(text[1] as string, 'base64'));
  if (!valid) {
    problems.push({
      code: 'SIGNATURE_INVALID',
      file: SIGNATURE_FILE,
      message: `${MANIFEST_FILE}의 서명이 맞지 않습니다: 목록이 바뀌었거나, 다른 키로 서명되었거나, 서명 파일이 손상되었습니다.`,
    });
  }
  return valid;
}

interface EntryRead {
  readonly sha256?: string;
  readonly bytes?: number;
  /** Kept only when asked for (the manifest, the signature). */
  readonly content?: Buffer;
  readonly error?: 'password' | 'too-large' | 'corrupt';
}

/**
 * Decrypts one entry, hashing as it goes; the AES authentication code is checked at its end. More than `limit`
 * bytes is refused as declared, before inflating, and as counted, should the declaration lie.
 */
async function readEntry(entry: FileEntry, password: string, limit: number, keep: boolean): Promise<EntryRead> {
  if (entry.uncompressedSize > limit) return { error: 'too-large' };
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let bytes = 0;
  try {
    await entry.getData(
      new WritableStream<Uint8Array>({
        write(chunk) {
          bytes += chunk.length;
          if (bytes > limit) throw new RangeError('too-large');
          hash.update(chunk);
          if (keep) kept.push(Buffer.from(chunk));
        },
      }),
      { password, checkAuthenticationCode: true },
    );
  } catch (error) {
    if (error instanceof Error && error.message === ERR_INVALID_PASSWORD) return { error: 'password' };
    if (bytes > limit) return { error: 'too-large' };
    return { error: 'corrupt' };
  }
  return { sha256: hash.digest('hex'), bytes, ...(keep ? { content: Buffer.concat(kept) } : {}) };
}

function describe(error: EntryRead['error']): string {
  if (error === 'password') return '비밀번호가 이 파일과 맞지 않음';
  if (error === 'too-large') return '제공 패키지의 목록이라기에 너무 큼';
  return '손상되었거나 인증 코드가 맞지 않음';
}
