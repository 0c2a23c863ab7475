/**
 * The provision package (제공 패키지) of the Art. 9 disclosure procedure: what the recipient takes away once Form 2 is
 * signed. Built by the appliance, which alone holds the audio, in memory — no plain audio reaches a disk — and sealed
 * like the party export (party-export.ts): one AES-256 encrypted ZIP (WinZip AE-2) under the password the managing
 * department gives the recipient. Inside:
 *
 *   recordings/<name>.wav   each recording, 16-bit PCM stereo 8 kHz, the party export's conversion
 *   manifest.json           관리번호, when, who issued it, and per recording its facts, the stored audio's SHA-256 as
 *                           the database has it and the WAV's SHA-256; the other files' SHA-256 too
 *   manifest.sig            Ed25519 signature (base64) over the exact bytes of manifest.json
 *   검증방법.txt            how to check it with openssl and sha256sum, and the public key's fingerprint
 *   <extra files>           what the caller adds, e.g. the blank Form 3 to return
 *
 * The signature covers every file but itself (the manifest lists them all), so a recipient or a court can tell an
 * untouched copy from one whose audio or documents were changed (DESIGN: data protection by construction).
 * capture/package-verify.ts checks a package the same way.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { TextReader, Uint8ArrayReader } from '@zip.js/zip.js';
import { packageSigningPublicKey } from '../infra/keys';
import { closeSealedZip, partyExportName, pcmWavOf, sealedZipWriter } from './party-export';
import type { StoredRecording } from './recording-store';

export const PACKAGE_FORMAT = 'gm-telephone-recording/provision-package/1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const INSTRUCTIONS_FILE = '검증방법.txt';
export const RECORDINGS_FOLDER = 'recordings/';
export const SYSTEM_NAME = '행정전화 녹취시스템';

export const MANAGEMENT_NUMBER = /^\d{4}-\d{4}$/;
export const MAX_PACKAGE_RECORDINGS = 50;
export const MAX_EXTRA_FILES = 5;
export const MAX_EXTRA_FILE_BYTES = 2 * 1024 * 1024;
const MAX_EXTRA_FILE_NAME = 100;

/** What a recipient reads in manifest.json; field names are the contract capture/package-verify.ts checks. */
export interface PackageManifest {
  readonly format: typeof PACKAGE_FORMAT;
  readonly managementNumber: string;
  readonly createdAt: string;
  readonly issuer: { readonly municipality: string | null; readonly system: string };
  /** The zone the WAV names' times are written in; every instant here is UTC. */
  readonly timeZone: string;
  readonly signature: { readonly algorithm: 'Ed25519'; readonly file: string; readonly publicKeySha256: string };
  readonly recordings: readonly ManifestRecording[];
  /** Every other file but the manifest and its signature. */
  readonly files: readonly ManifestFile[];
}

export interface ManifestRecording {
  readonly recordingId: string;
  readonly callStartedAt: string;
  readonly callEndedAt: string | null;
  readonly extension: string;
  readonly durationMs: number | null;
  /** SHA-256 of the stored G.711 WAV as the database has it, fixed when the call was finalised. */
  readonly storedAudioSha256: string;
  readonly file: string;
  readonly fileSha256: string;
  readonly fileBytes: number;
}

export interface ManifestFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** A recording to package: its row's facts, and its file opened only when its turn comes. */
export interface PackageRecording {
  readonly recordingId: string;
  readonly startedAt: Date;
  readonly endedAt?: Date;
  readonly extension: string;
  readonly durationMs?: number;
  /** The database's SHA-256 of the stored audio; the store's trailer must agree. */
  readonly audioSha256: string;
  open(): Promise<StoredRecording>;
}

export interface ExtraFile {
  readonly name: string;
  readonly content: Buffer;
}

export interface DisclosurePackageInput {
  readonly managementNumber: string;
  readonly recordings: readonly PackageRecording[];
  readonly password: string;
  readonly extraFiles?: readonly ExtraFile[];
  readonly signingKey: KeyObject;
  readonly municipalityName?: string;
  readonly timeZone: string;
  readonly createdAt?: Date;
}

export interface DisclosurePackage {
  /** `provision_<관리번호>.zip`, ASCII so that any HTTP header carries it. */
  readonly fileName: string;
  readonly zip: Buffer;
  readonly sha256: string;
  readonly manifest: PackageManifest;
  readonly manifestSha256: string;
}

/** The stored audio does not match the database's hash: handing it out would hand out something else. */
export class PackageAudioMismatchError extends Error {
  constructor(readonly recordingId: string) {
    super(`recording ${recordingId}: the stored audio's hash differs from the database's`);
    this.name = 'PackageAudioMismatchError';
  }
}

const RESERVED_NAMES = new Set([MANIFEST_FILE, SIGNATURE_FILE, INSTRUCTIONS_FILE, RECORDINGS_FOLDER.slice(0, -1)].map(comparableFileName));

/**
 * Why an extra file's name cannot go into a package (Korean), or undefined. Beyond separators and control characters,
 * what Windows cannot write is refused too: recipients (lawyers, police, citizens) mostly extract on Windows.
 */
export function extraFileNameProblem(name: string): string | undefined {
  if (name.trim() !== name || name === '') return '파일 이름이 비어 있거나 앞뒤에 공백이 있습니다';
  if ([...name].length > MAX_EXTRA_FILE_NAME) return `파일 이름은 ${MAX_EXTRA_FILE_NAME}자까지입니다`;
  if (/[/\\]/.test(name)) return '파일 이름에 경로 구분자(/, \\)를 쓸 수 없습니다';
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(name)) return '파일 이름에 제어 문자를 쓸 수 없습니다';
  if (/[<>:"|?*]/.test(name) || /\.$/.test(name) || /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) {
    return 'Windows에서 만들 수 없는 파일 이름입니다';
  }
  if (RESERVED_NAMES.has(comparableFileName(name))) return '패키지가 쓰는 이름입니다';
  return undefined;
}

/** A name as a file system that folds case and Unicode forms (Windows, macOS) sees it: two equal ones collide. */
export function comparableFileName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/**
 * Decrypts and verifies each recording in turn (chunks, trailer, the database's hash), converts it, and seals all
 * with the manifest, its signature and the instructions. Each plain WAV is wiped once sealed (best effort: copies
 * inside zip.js are left to the GC). Throws RangeError for input the control API should have refused.
 */
export async function buildDisclosurePackage(input: DisclosurePackageInput): Promise<DisclosurePackage> {
  const createdAt = input.createdAt ?? new Date();
  const extraFiles = input.extraFiles ?? [];
  if (!MANAGEMENT_NUMBER.test(input.managementNumber)) throw new RangeError('management number must be YYYY-NNNN');
  if (input.recordings.length < 1 || input.recordings.length > MAX_PACKAGE_RECORDINGS) throw new RangeError('a package holds 1–50 recordings');
  if (new Set(input.recordings.map((recording) => recording.recordingId)).size !== input.recordings.length) throw new RangeError('a recording is listed twice');
  if (extraFiles.length > MAX_EXTRA_FILES) throw new RangeError(`at most ${MAX_EXTRA_FILES} extra files`);
  const extraNames = new Set<string>();
  for (const file of extraFiles) {
    const problem = extraFileNameProblem(file.name);
    if (problem) throw new RangeError(`extra file name refused: ${problem}`);
    if (extraNames.has(comparableFileName(file.name))) throw new RangeError('two extra files have the same name');
    if (file.content.length > MAX_EXTRA_FILE_BYTES) throw new RangeError('an extra file is larger than 2 MiB');
    extraNames.add(comparableFileName(file.name));
  }
  // Before any decryption: a refused password costs nothing.
  const writer = sealedZipWriter(input.password, createdAt);
  const publicKey = packageSigningPublicKey(input.signingKey);

  const recordings: ManifestRecording[] = [];
  const wavNames = new Set<string>();
  for (const recording of input.recordings) {
    const file = `${RECORDINGS_FOLDER}${uniqueName(partyExportName(recording.startedAt, recording.extension, input.timeZone), wavNames)}.wav`;
    const stored = await recording.open();
    // The hash the manifest promises is the database's; the file must be the audio it was fixed for.
    if (stored.sha256 !== recording.audioSha256) throw new PackageAudioMismatchError(recording.recordingId);
    const wav = await pcmWavOf(stored);
    try {
      await writer.add(file, new Uint8ArrayReader(wav));
      recordings.push({
        recordingId: recording.recordingId,
        callStartedAt: recording.startedAt.toISOString(),
        callEndedAt: recording.endedAt?.toISOString() ?? null,
        extension: recording.extension,
        durationMs: recording.durationMs ?? null,
        storedAudioSha256: recording.audioSha256,
        file,
        fileSha256: sha256(wav),
        fileBytes: wav.length,
      });
    } finally {
      wav.fill(0);
    }
  }

  const instructions = Buffer.from(instructionsText(input.managementNumber, publicKey.sha256), 'utf8');
  const files: ManifestFile[] = [];
  for (const { name, content } of [{ name: INSTRUCTIONS_FILE, content: instructions }, ...extraFiles]) {
    await writer.add(name, new Uint8ArrayReader(content));
    files.push({ name, sha256: sha256(content), bytes: content.length });
  }

  const manifest: PackageManifest = {
    format: PACKAGE_FORMAT,
    managementNumber: input.managementNumber,
    createdAt: createdAt.toISOString(),
    issuer: { municipality: input.municipalityName ?? null, system: SYSTEM_NAME },
    timeZone: input.timeZone,
    signature: { algorithm: 'Ed25519', file: SIGNATURE_FILE, publicKeySha256: publicKey.sha256 },
    recordings,
    files,
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  // Ed25519 signs the message itself (no separate digest): `openssl pkeyutl -rawin` checks exactly these bytes.
  const signature = sign(null, manifestBytes, input.signingKey);
  await writer.add(MANIFEST_FILE, new Uint8ArrayReader(manifestBytes));
  await writer.add(SIGNATURE_FILE, new TextReader(`${signature.toString('base64')}\n`));
  const zip = await closeSealedZip(writer);
  return {
    fileName: `provision_${input.managementNumber}.zip`,
    zip,
    sha256: sha256(zip),
    manifest,
    manifestSha256: sha256(manifestBytes),
  };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Two calls of one extension in the same second would share a name: the later ones get `_2`, `_3`, … */
function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let index = 2; taken.has(name); index++) name = `${base}_${index}`;
  taken.add(name);
  return name;
}

/**
 * The note for the recipient. CRLF and a BOM: most recipients open it in Windows Notepad, and older versions show
 * UTF-8 without a BOM as mojibake.
 */
function instructionsText(managementNumber: string, fingerprint: string): string {
  const lines = [
    `녹취정보 제공 패키지 검증 방법 (관리번호 ${managementNumber})`,
    '',
    '이 패키지의 녹음 파일(recordings 폴더의 WAV)과 문서는 시스템이 서명한 manifest.json에 SHA-256 해시로 적혀 있습니다.',
    '아래 두 가지를 확인하면 받은 그대로의 사본인지 알 수 있습니다.',
    '',
    '1. 서명 확인',
    '   시(市)가 공개한 제공 패키지 서명 공개키(PEM)를 받아, 그 지문이 아래와 같은지 먼저 확인합니다.',
    `   공개키 지문 (SHA-256): ${fingerprint}`,
    '   지문 계산: openssl pkey -pubin -in 공개키.pem -outform DER | sha256sum',
    '',
    '   OpenSSL 3.0 이상으로 서명을 확인합니다 (manifest.sig는 base64이므로 먼저 풉니다):',
    '   base64 -d manifest.sig > manifest.sig.bin',
    '   openssl pkeyutl -verify -pubin -inkey 공개키.pem -rawin -in manifest.json -sigfile manifest.sig.bin',
    '   "Signature Verified Successfully"가 나오면 manifest.json은 시스템이 만든 그대로입니다.',
    '',
    '   또는 녹취시스템의 검증 명령으로 패키지 전체를 한 번에 확인합니다:',
    '   PACKAGE_PASSWORD=<비밀번호> npm run verify -- 패키지.zip --public-key 공개키.pem',
    '',
    '2. 파일 해시 확인',
    '   sha256sum recordings/*.wav 검증방법.txt',
    '   각 값이 manifest.json의 fileSha256(녹음 파일) 또는 files의 sha256(그 밖의 파일)과 같아야 합니다.',
    '   manifest.json의 storedAudioSha256은 시스템에 보관된 원본 녹취(G.711)의 해시로, 제공된 WAV는 그 원본을',
    '   16비트 PCM으로 그대로 변환한 것입니다.',
    '',
    '녹취정보는 목적이 달성되면 지체 없이 파기하고, 받은 날부터 정해진 기간 안에 파기 결과를 회신하여야 합니다',
    '(행정전화 녹취시스템 운영 규정 제9조 제4항).',
  ];
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
