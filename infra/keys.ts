/**
 * The master key that wraps every recording's own key (DESIGN: data protection by construction).
 * It lives in a file outside the database; in development the first start creates it, in production
 * a missing or malformed key file stops start-up.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { writeNewFileDurably } from './durable-files';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from './settings';
import { CodedError } from '../domain/coded-error';

export const MASTER_KEY_BYTES = 32;

export type MasterKeyErrorCode = 'MASTER_KEY_MISSING' | 'MASTER_KEY_INVALID' | 'KEY_ROTATION_IN_PROGRESS';

export class MasterKeyError extends CodedError<MasterKeyErrorCode> {}

/**
 * Where an unfinished master key rotation (ops/key-rotation.ts) keeps its journal and the new key: beside the
 * key file, so they share its folder's permissions and a rename between them stays on one filesystem.
 */
export function rotationFiles(masterKeyFile: string): { journal: string; nextKey: string } {
  return { journal: `${masterKeyFile}.rotation.json`, nextKey: `${masterKeyFile}.next` };
}

/**
 * The key file's key, without asking whether a rotation is under way: for the rotation itself, and for the
 * backup, which copies keys as they are.
 */
export function readMasterKeyFile(file: string): Buffer {
  if (!existsSync(file)) throw new MasterKeyError('MASTER_KEY_MISSING', `마스터 키 파일이 없습니다: ${file} (MASTER_KEY_FILE)`);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    key.fill(0);
    throw new MasterKeyError('MASTER_KEY_INVALID', `마스터 키 파일은 base64로 적은 ${MASTER_KEY_BYTES}바이트여야 합니다: ${file}`);
  }
  return key;
}

/**
 * The master key for a running component. Refused while a rotation is unfinished: some keys are then wrapped by the
 * new key and some by the old one, and a component started on either would fail on the others (or, worse, write new
 * recordings under the old key the rotation is about to retire).
 */
export function readMasterKey(file: string): Buffer {
  if (existsSync(rotationFiles(file).journal)) {
    throw new MasterKeyError(
      'KEY_ROTATION_IN_PROGRESS',
      `마스터 키 교체가 끝나지 않았습니다 (${rotationFiles(file).journal}): 시스템을 멈춘 채 npm run rotate-master-key 를 다시 실행해 교체를 마치십시오`,
    );
  }
  return readMasterKeyFile(file);
}

/**
 * A short, one-way name of a master key, for audit entries, backup manifests and the operator's screen: which key
 * is meant, never the key. Domain-separated, so it cannot be mistaken for (or matched against) any other hash of it.
 */
export function masterKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update('recording-system:master-key-fingerprint:v1\0').update(key).digest('hex').slice(0, 32);
}

/** Reads the master key; creates one (owner-only file) when development runs for the first time. */
export function loadMasterKey(settings: Pick<Settings, 'masterKeyFile' | 'environment'>): Buffer {
  if (!existsSync(settings.masterKeyFile) && settings.environment === 'development') {
    mkdirSync(path.dirname(settings.masterKeyFile), { recursive: true, mode: 0o700 });
    writeNewFileDurably(settings.masterKeyFile, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`);
    chmodSync(settings.masterKeyFile, 0o600);
  }
  return readMasterKey(settings.masterKeyFile);
}

/** A missing or malformed secret file of the capture appliance (the message names the file, never its content). */
export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFileError';
  }
}

/** The call generator's device name in the development device file. */
export const CALL_GENERATOR_DEVICE = 'call-generator';
const DEVICE_LINE = /^([A-Za-z0-9._-]{1,64}):(.{12,256})$/;

/**
 * The clients of the capture appliance's control API, each with its own token file and its own scope
 * (capture/control-api.ts): a leaked or rotated token is one client's, never the others'.
 */
export const CAPTURE_CLIENTS = ['api', 'worker', 'pbx'] as const;
export type CaptureClient = (typeof CAPTURE_CLIENTS)[number];

type TokenFileSetting = 'captureControlApiTokenFile' | 'captureControlWorkerTokenFile' | 'captureControlPbxTokenFile';
const TOKEN_FILES: Record<CaptureClient, { setting: TokenFileSetting; variable: string }> = {
  api: { setting: 'captureControlApiTokenFile', variable: 'CAPTURE_CONTROL_API_TOKEN_FILE' },
  worker: { setting: 'captureControlWorkerTokenFile', variable: 'CAPTURE_CONTROL_WORKER_TOKEN_FILE' },
  pbx: { setting: 'captureControlPbxTokenFile', variable: 'CAPTURE_CONTROL_PBX_TOKEN_FILE' },
};

/**
 * One client's bearer token for the control API: the API, the worker and the PBX integration each read their own
 * only. Development creates the file on first start; production refuses to start without it.
 */
export function loadCaptureControlToken(settings: Pick<Settings, 'environment' | TokenFileSetting>, client: CaptureClient): string {
  const { setting, variable } = TOKEN_FILES[client];
  const file = settings[setting];
  createOnce(settings.environment === 'development', file, () => `${randomBytes(32).toString('base64url')}\n`);
  const token = readSecretFile(file, variable).trim();
  if (!/^[\x21-\x7e]{32,512}$/.test(token)) throw new SecretFileError(`제어 토큰은 공백 없는 32자 이상이어야 합니다: ${file} (${variable})`);
  return token;
}

export interface CaptureSecrets {
  /** Every client's bearer token, which the appliance tells its clients apart by. */
  readonly controlTokens: Readonly<Record<CaptureClient, string>>;
  /** Digest passwords of the devices allowed to push calls, by name. */
  readonly devices: ReadonlyMap<string, string>;
}

/**
 * The capture appliance's secrets: every client's control API token and the device passwords. Development creates
 * the files on first start (the device file with the call generator only); production refuses to start without them.
 */
export function loadCaptureSecrets(settings: Pick<Settings, 'environment' | TokenFileSetting | 'captureDevicesFile'>): CaptureSecrets {
  const controlTokens = Object.fromEntries(CAPTURE_CLIENTS.map((client) => [client, loadCaptureControlToken(settings, client)])) as Record<
    CaptureClient,
    string
  >;
  createOnce(settings.environment === 'development', settings.captureDevicesFile, () => `${CALL_GENERATOR_DEVICE}:${randomBytes(24).toString('base64url')}\n`);
  const devices = new Map<string, string>();
  const lines = readSecretFile(settings.captureDevicesFile, 'CAPTURE_DEVICES_FILE').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = DEVICE_LINE.exec(line.trimEnd());
    if (!match) {
      // The line itself is not quoted: it holds a password.
      throw new SecretFileError(`장치 파일 ${index + 1}번째 줄은 "이름:비밀번호" (비밀번호 12자 이상) 형식이어야 합니다: ${settings.captureDevicesFile}`);
    }
    devices.set(match[1] as string, match[2] as string);
  }
  return { controlTokens, devices };
}

/**
 * The Ed25519 key that signs the manifest of every provision package (capture/disclosure-package.ts, Art. 9): a
 * recipient or a court checks a copy against the public key the city publishes. Only the capture appliance reads it
 * (it alone builds packages); development creates it on first start, production refuses to start without it.
 */
export function loadPackageSigningKey(settings: Pick<Settings, 'environment' | 'packageSigningKeyFile'>): KeyObject {
  createOnce(
    settings.environment === 'development',
    settings.packageSigningKeyFile,
    () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  );
  return readPackageSigningKey(settings.packageSigningKeyFile);
}

export function readPackageSigningKey(file: string): KeyObject {
  return readEd25519PrivateKey(file, 'PACKAGE_SIGNING_KEY_FILE', '제공 패키지 서명 키 파일');
}

/**
 * The Ed25519 key that signs each archived audit segment and its checkpoint (infra/audit/audit-archive.ts, issue 19):
 * the worker and `npm run audit:archive` sign with it, `npm run audit:verify` checks with its public half. A key of its
 * own, never rotated by a command: every checkpoint signed since the first archive is checked with it, for as long as
 * the archive is kept. Development creates it on first start; production refuses to start the worker without it.
 */
export function loadAuditSigningKey(settings: Pick<Settings, 'environment' | 'auditSigningKeyFile'>): KeyObject {
  createOnce(
    settings.environment === 'development',
    settings.auditSigningKeyFile,
    () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  );
  return readAuditSigningKey(settings.auditSigningKeyFile);
}

export function readAuditSigningKey(file: string): KeyObject {
  return readEd25519PrivateKey(file, 'AUDIT_SIGNING_KEY_FILE', '감사 기록 서명 키 파일');
}

function readEd25519PrivateKey(file: string, variable: string, what: string): KeyObject {
  if (!existsSync(file)) throw new SecretFileError(`${what}이 없습니다: ${file} (${variable})`);
  const pem = readFileSync(file, 'utf8');
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Not passed on: OpenSSL's message may quote what it could not parse, and this file is a secret.
  }
  if (key?.asymmetricKeyType !== 'ed25519') throw new SecretFileError(`${what}은 Ed25519 개인키(PKCS#8 PEM)여야 합니다: ${file} (${variable})`);
  return key;
}

export interface PublishedKey {
  /** SubjectPublicKeyInfo PEM, what the city publishes. */
  readonly pem: string;
  /**
   * SHA-256 of the key's DER SubjectPublicKeyInfo, lower-case hex: what a recipient compares by telephone or on the
   * city's website, and gets back with `openssl pkey -pubin -in key.pem -outform DER | sha256sum`.
   */
  readonly sha256: string;
}

/** The public half of the signing key (or of a published key given as a KeyObject) and its fingerprint. */
export function packageSigningPublicKey(key: KeyObject): PublishedKey {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return {
    pem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    sha256: createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}

export function createOnce(development: boolean, file: string, content: () => string): void {
  if (!development || existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeNewFileDurably(file, content());
  } catch (error) {
    // Another process of the system created it a moment ago: theirs is the one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function readSecretFile(file: string, variable: string): string {
  if (!existsSync(file)) throw new SecretFileError(`비밀 파일이 없습니다: ${file} (${variable})`);
  return readFileSync(file, 'utf8');
}
