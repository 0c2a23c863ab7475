/**
 * The Art. 9 provision package as the appliance builds it from calls ffmpeg pushed, checked with tools that are not
 * ours: 7-Zip opens it only with the password and lists every entry as AES-256; OpenSSL verifies the manifest's
 * signature exactly as 검증방법.txt tells a recipient to; sha256sum gives the manifest's hashes; each WAV is the
 * party export's conversion of the same call, byte for byte. Then our own verification (capture/package-verify.ts) on
 * the package and on copies 7-Zip re-packed with one change each, the refusals of the control API, its R6
 * declaration, the appliance's audit entries, the signing key's file handling, and the compiled `verify` command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CaptureControlError, type DisclosurePackageOrder, type SealedDisclosurePackage } from '../../capture/control-client';
import { INSTRUCTIONS_FILE, MANIFEST_FILE, SIGNATURE_FILE, type PackageManifest } from '../../capture/disclosure-package';
import { AuditEvent, Department, Extension, Recording } from '../../infra/db/entities';
import { CAPTURE_CLIENTS, loadPackageSigningKey, packageSigningPublicKey, readPackageSigningKey, SecretFileError } from '../../infra/keys';
import { PackageKeyError, verifyPackage } from '../../capture/package-verify';
import { loadSettings } from '../../infra/settings';
import { builtInTemplate } from '../../templates/forms';
import { sealPackage, testGrant } from '../support/grants';
import { seedFullRecordingExtension, startTestAppliance, type TestAppliance } from '../support/appliance';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { filesUnder } from '../support/files';

const toolsFound = ['7z', 'ffmpeg', 'openssl', 'sha256sum'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
if (!toolsFound && (process.env.REQUIRE_ALL_SUITES || process.env.CI)) {
  throw new Error(
    '7z, ffmpeg, openssl or sha256sum is not on PATH: the provision package suite cannot run (Debian packages p7zip-full, ffmpeg, openssl, coreutils)',
  );
}
const describeWithTools = toolsFound ? describe : describe.skip;

const EXTENSION = '02-2680-5150';
const PASSWORD = 'Handover-2026 #7';
const FORM3_NAME = '파기결과회신서(서식3).docx';
const PROJECT = path.resolve(__dirname, '..', '..');

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, { ...options, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
}

const sha256sum = (file: string, cwd: string) => run('sha256sum', [file], { cwd }).stdout.split(' ')[0];

describeWithTools.each(availableDrivers())('provision package from the appliance on %s', (driver) => {
  let db: TestDatabase;
  let capture: TestAppliance;
  let work: string;
  let publicKeyFile: string;
  let recordings: Recording[];
  let form3: Buffer;
  let sealed: SealedDisclosurePackage;
  let packageFile: string;
  let extracted: string;
  const managementNumber = driver === 'sqlite' ? '2026-0007' : '2026-0008';
  const order = (change: Partial<DisclosurePackageOrder> = {}): DisclosurePackageOrder => ({
    managementNumber,
    recordingIds: recordings.map((recording) => recording.id),
    password: PASSWORD,
    onBehalfOf: 'kim.operator',
    ...change,
  });
  const controlPost = (body: unknown, token = capture.tokens.api) =>
    fetch(`${capture.controlUrl}/disclosure-packages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** A body past the limit: the appliance answers 413 and closes without reading the rest, so writing it may fail after the answer. */
  const oversizedPost = (bytes: number) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(`${capture.controlUrl}/disclosure-packages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${capture.tokens.api}`, 'Content-Type': 'application/json', 'Content-Length': bytes },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', (error) => setTimeout(() => reject(error), 1000));
      request.end(Buffer.alloc(bytes, 0x20));
    });
  /** Extracts a package with 7-Zip into a fresh folder. */
  const extract = (zipFile: string, password: string, name: string) => {
    const out = path.join(work, name);
    const result = run('7z', ['x', '-y', `-p${password}`, `-o${out}`, zipFile]);
    return { out, ...result };
  };
  /** 7-Zip re-packs a folder as a ZIP with AES-256 under the package's password, as a tamperer would. */
  const repack = (folder: string, name: string) => {
    const zipFile = path.join(work, `${name}.zip`);
    const result = run('7z', ['a', '-tzip', '-mem=AES256', `-p${PASSWORD}`, zipFile, '.'], { cwd: folder });
    expect(result.status).toBe(0);
    return readFileSync(zipFile);
  };
  const copyOf = (name: string) => {
    const folder = path.join(work, name);
    execFileSync('cp', ['-r', extracted, folder]);
    return folder;
  };

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    work = mkdtempSync(path.join(os.tmpdir(), 'provision-package-'));
    await seedFullRecordingExtension(db.orm, { code: `P-${driver}`, name: '민원여권과' }, EXTENSION);
    capture = await startTestAppliance(db.orm);
    publicKeyFile = path.join(work, 'city-package-key.pem');
    writeFileSync(publicKeyFile, capture.packagePublicKeyPem);
    recordings = [];
    for (const index of [1, 2]) {
      const recording = await capture.pushWithFfmpeg({ callId: `provision-${driver}-${index}`, extension: EXTENSION, notice: 'announcement:played' });
      if (!recording) throw new Error('ffmpeg call was not recorded');
      recordings.push(recording);
    }
    form3 = await builtInTemplate('form3-destruction-report');

    const before = filesUnder(capture.dataDir);
    sealed = await sealPackage(capture.clients.api, order({ extraFiles: [{ name: FORM3_NAME, content: form3 }] }));
    // Built in memory: the appliance's disk holds what it held before, no plain WAV left behind.
    expect(filesUnder(capture.dataDir)).toEqual(before);
    packageFile = path.join(work, 'package.zip');
    writeFileSync(packageFile, sealed.zip);
    const opened = extract(packageFile, PASSWORD, 'extracted');
    expect(opened.status).toBe(0);
    extracted = opened.out;
  }, 60_000);

  afterAll(async () => {
    await capture?.close();
    await db?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('7-Zip lists every entry as AES-256 and opens it with the password into WAVs, the signed manifest, the note and the Form 3', () => {
    const listing = run('7z', ['l', '-slt', packageFile]);
    expect(listing.status).toBe(0);
    const blocks = listing.stdout.split(/\r?\n\r?\n/).filter((block) => /^Path = /m.test(block) && /^Method = /m.test(block));
    const names = blocks.map((block) => (/^Path = (.+)$/m.exec(block) as RegExpExecArray)[1] as string);
    const wavs = names.filter((name) => name.startsWith('recordings/'));
    expect(names.filter((name) => !wavs.includes(name)).sort()).toEqual([FORM3_NAME, INSTRUCTIONS_FILE, MANIFEST_FILE, SIGNATURE_FILE].sort());
    // Seoul time of each call's start and the extension, as the party export names its WAV.
    expect(wavs).toHaveLength(2);
    for (const name of wavs) expect(name).toMatch(/^recordings\/recording_\d{8}-\d{6}_02-2680-5150(_\d)?\.wav$/);
    for (const block of blocks) {
      expect(block).toMatch(/^Encrypted = \+$/m);
      expect(block).toMatch(/^Method = AES-256\b/m);
    }
    expect([...filesUnder(extracted).keys()].sort()).toEqual(names.map((name) => name.split('/').join(path.sep)).sort());
    // Nothing of the audio or the manifest is readable without the password.
    expect(sealed.zip.includes(Buffer.from('WAVEfmt ', 'latin1'))).toBe(false);
    expect(sealed.zip.includes(Buffer.from(managementNumber))).toBe(false);
  });

  test('a wrong password opens nothing', () => {
    const attempt = extract(packageFile, 'not-the-password', 'wrong');
    expect(attempt.status).not.toBe(0);
    expect(attempt.stdout + attempt.stderr).toMatch(/Wrong password/i);
    expect([...filesUnder(attempt.out).values()].every((size) => size === 0)).toBe(true);
  });

  test('the manifest: 관리번호, issuer, each call with its stored hash, and hashes sha256sum agrees with; headers name the package and manifest', async () => {
    const manifestBytes = readFileSync(path.join(extracted, MANIFEST_FILE));
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as PackageManifest;
    expect(manifest).toMatchObject({
      managementNumber,
      issuer: { municipality: '광명시', system: '행정전화 녹취시스템' },
      timeZone: 'Asia/Seoul',
      signature: { algorithm: 'Ed25519', file: SIGNATURE_FILE, publicKeySha256: packageSigningPublicKey(createPublicKey(capture.packagePublicKeyPem)).sha256 },
    });
    expect(Math.abs(Date.parse(manifest.createdAt) - Date.now())).toBeLessThan(60_000);
    expect(manifest.recordings.map((entry) => entry.recordingId)).toEqual(recordings.map((recording) => recording.id));
    for (const [index, entry] of manifest.recordings.entries()) {
      const row = await db.orm.em.fork().findOneOrFail(Recording, recordings[index]!.id);
      expect(entry).toEqual({
        recordingId: row.id,
        callStartedAt: row.startedAt.toISOString(),
        callEndedAt: row.endedAt?.toISOString() ?? null,
        extension: EXTENSION,
        durationMs: row.durationMs,
        storedAudioSha256: row.sha256,
        file: expect.stringMatching(/^recordings\/.+\.wav$/),
        fileSha256: sha256sum(entry.file, extracted),
        fileBytes: statSync(path.join(extracted, entry.file)).size,
      });
    }
    expect(manifest.files).toEqual([
      { name: INSTRUCTIONS_FILE, sha256: sha256sum(INSTRUCTIONS_FILE, extracted), bytes: expect.any(Number) },
      { name: FORM3_NAME, sha256: sha256sum(FORM3_NAME, extracted), bytes: form3.length },
    ]);
    expect(readFileSync(path.join(extracted, FORM3_NAME)).equals(form3)).toBe(true);
    expect(sealed.manifestSha256).toBe(sha256sum(MANIFEST_FILE, extracted));
    expect(sealed.packageSha256).toBe(sha256sum(packageFile, work));
  });

  test('each WAV is the party export of the same call, byte for byte: 16-bit PCM stereo 8 kHz', async () => {
    const manifest = JSON.parse(readFileSync(path.join(extracted, MANIFEST_FILE), 'utf8')) as PackageManifest;
    for (const [index, entry] of manifest.recordings.entries()) {
      const own = path.join(work, `own-${index}.zip`);
      writeFileSync(own, await capture.clients.api.exportRecording(entry.recordingId, PASSWORD, testGrant('party-export', [entry.recordingId])));
      const out = extract(own, PASSWORD, `own-${index}`);
      expect(out.status).toBe(0);
      const [exported] = [...filesUnder(out.out).keys()];
      const wav = readFileSync(path.join(extracted, entry.file));
      expect(wav.equals(readFileSync(path.join(out.out, exported as string)))).toBe(true);
      const probe = run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path.join(extracted, entry.file)]);
      expect((JSON.parse(probe.stdout) as { streams: unknown[] }).streams).toEqual([
        expect.objectContaining({ codec_name: 'pcm_s16le', channels: 2, sample_rate: '8000' }),
      ]);
    }
  });

  test('OpenSSL verifies the signature as 검증방법.txt says, with the fingerprint it names', () => {
    const note = readFileSync(path.join(extracted, INSTRUCTIONS_FILE), 'utf8');
    expect(note.startsWith('\ufeff')).toBe(true);
    expect(note).toContain(managementNumber);
    const fingerprint = run('sh', ['-c', `openssl pkey -pubin -in "${publicKeyFile}" -outform DER | sha256sum`]).stdout.split(' ')[0] as string;
    expect(note).toContain(`공개키 지문 (SHA-256): ${fingerprint}`);
    expect(note).toContain('openssl pkeyutl -verify -pubin -inkey 공개키.pem -rawin -in manifest.json -sigfile manifest.sig.bin');
    expect(note).toContain('sha256sum');

    const folder = copyOf('openssl');
    copyFileSync(publicKeyFile, path.join(folder, '공개키.pem'));
    expect(run('sh', ['-c', 'base64 -d manifest.sig > manifest.sig.bin'], { cwd: folder }).status).toBe(0);
    const verified = run(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', '공개키.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.sig.bin'],
      { cwd: folder },
    );
    expect(verified.stdout).toContain('Signature Verified Successfully');
    expect(verified.status).toBe(0);
    // One byte changed in the manifest: OpenSSL refuses it too.
    const manifest = readFileSync(path.join(folder, MANIFEST_FILE));
    const at = manifest.indexOf('"managementNumber"') + 21;
    manifest[at] = manifest[at]! ^ 1;
    writeFileSync(path.join(folder, MANIFEST_FILE), manifest);
    const refused = run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', '공개키.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.sig.bin'], {
      cwd: folder,
    });
    expect(refused.status).not.toBe(0);
  });

  test('verify(): the package as issued is verified; a wrong password or another key is a clear result, not an exception', async () => {
    const good = await verifyPackage(sealed.zip, PASSWORD, capture.packagePublicKeyPem);
    expect(good).toMatchObject({ ok: true, signatureValid: true, problems: [], manifestSha256: sealed.manifestSha256 });
    expect(good.files.map((file) => file.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(good.manifest?.managementNumber).toBe(managementNumber);

    const wrong = await verifyPackage(sealed.zip, 'not-the-password', capture.packagePublicKeyPem);
    expect(wrong).toMatchObject({ ok: false, signatureValid: false, problems: [{ code: 'WRONG_PASSWORD', message: expect.stringContaining('비밀번호') }] });

    const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const other = await verifyPackage(sealed.zip, PASSWORD, stranger);
    expect(other.ok).toBe(false);
    expect(other.problems.map((problem) => problem.code).sort()).toEqual(['OTHER_KEY', 'SIGNATURE_INVALID']);

    const notZip = await verifyPackage(Buffer.from('PK\x03\x04 but not really a zip'), PASSWORD, capture.packagePublicKeyPem);
    expect(notZip.problems.map((problem) => problem.code)).toEqual(['NOT_A_ZIP']);
    // The key is the caller's input: an RSA key or garbage is refused before the package is looked at.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await expect(verifyPackage(sealed.zip, PASSWORD, rsa)).rejects.toBeInstanceOf(PackageKeyError);
    await expect(verifyPackage(sealed.zip, PASSWORD, 'not a key')).rejects.toBeInstanceOf(PackageKeyError);
  });

  test('verify(): re-packed with one byte of manifest.json changed, the signature fails', async () => {
    const folder = copyOf('tampered-manifest');
    const manifest = readFileSync(path.join(folder, MANIFEST_FILE));
    const at = manifest.indexOf('"durationMs": ') + 14;
    manifest[at] = manifest[at] === 0x39 ? 0x38 : manifest[at]! + 1;
    writeFileSync(path.join(folder, MANIFEST_FILE), manifest);
    const result = await verifyPackage(repack(folder, 'tampered-manifest'), PASSWORD, capture.packagePublicKeyPem);
    expect(result.ok).toBe(false);
    expect(result.signatureValid).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ code: 'SIGNATURE_INVALID', file: SIGNATURE_FILE, message: expect.stringContaining('서명이 맞지 않습니다') }),
    ]);
  });

  test('verify(): re-packed with the two WAVs swapped, both fail their hash while the signature holds', async () => {
    const folder = copyOf('swapped');
    const [first, second] = readdirSync(path.join(folder, 'recordings')).map((name) => path.join(folder, 'recordings', name));
    const firstBytes = readFileSync(first as string);
    copyFileSync(second as string, first as string);
    writeFileSync(second as string, firstBytes);
    const result = await verifyPackage(repack(folder, 'swapped'), PASSWORD, capture.packagePublicKeyPem);
    expect(result).toMatchObject({ ok: false, signatureValid: true });
    expect(result.problems.map((problem) => problem.code)).toEqual(['HASH_MISMATCH', 'HASH_MISMATCH']);
    expect(
      result.files
        .filter((file) => file.status === 'mismatch')
        .map((file) => file.name)
        .sort(),
    ).toEqual(result.manifest!.recordings.map((entry) => entry.file).sort());
  });

  test('verify(): a file added, a file removed, the signature removed — each named', async () => {
    const added = copyOf('added');
    writeFileSync(path.join(added, 'recordings', 'extra.wav'), 'RIFF');
    const addedResult = await verifyPackage(repack(added, 'added'), PASSWORD, capture.packagePublicKeyPem);
    expect(addedResult).toMatchObject({ ok: false, signatureValid: true });
    expect(addedResult.problems).toEqual([expect.objectContaining({ code: 'FILE_UNEXPECTED', file: 'recordings/extra.wav' })]);

    const removed = copyOf('removed');
    rmSync(path.join(removed, FORM3_NAME));
    const removedResult = await verifyPackage(repack(removed, 'removed'), PASSWORD, capture.packagePublicKeyPem);
    expect(removedResult.problems).toEqual([expect.objectContaining({ code: 'FILE_MISSING', file: FORM3_NAME, message: expect.stringContaining(FORM3_NAME) })]);

    const unsigned = copyOf('unsigned');
    rmSync(path.join(unsigned, SIGNATURE_FILE));
    const unsignedResult = await verifyPackage(repack(unsigned, 'unsigned'), PASSWORD, capture.packagePublicKeyPem);
    expect(unsignedResult.problems.map((problem) => problem.code)).toEqual(['SIGNATURE_MISSING']);

    // Re-packed without encryption, contents untouched: not the package as issued.
    const plain = path.join(work, 'plain.zip');
    expect(run('7z', ['a', '-tzip', plain, '.'], { cwd: copyOf('plain') }).status).toBe(0);
    const plainResult = await verifyPackage(readFileSync(plain), PASSWORD, capture.packagePublicKeyPem);
    expect(plainResult).toMatchObject({ ok: false, signatureValid: true });
    expect(new Set(plainResult.problems.map((problem) => problem.code))).toEqual(new Set(['NOT_ENCRYPTED']));
  });

  test('a deleted or unknown recording refuses the whole package, naming it, as does one whose file differs from its hash; nothing is audited', async () => {
    const em = db.orm.em.fork();
    const auditedBefore = await em.count(AuditEvent, { action: 'recording.disclosure_package_sealed' });
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(sealPackage(capture.clients.api, order({ recordingIds: [recordings[0]!.id, unknown] }))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      message: expect.stringContaining(unknown),
    });

    // A third call, deleted as the retention run deletes: the file first, then the row.
    const doomed = (await capture.pushWithFfmpeg({ callId: `provision-${driver}-doomed`, extension: EXTENSION, notice: 'announcement:played' }))!;
    const row = await em.findOneOrFail(Recording, doomed.id);
    row.retentionDueAt = new Date(Date.now() - 1000);
    await em.flush();
    await capture.clients.worker.destroyRecording(doomed.id);
    const both = order({ recordingIds: [recordings[0]!.id, doomed.id] });
    await expect(sealPackage(capture.clients.api, both)).rejects.toMatchObject({
      code: 'DELETED',
      status: 410,
      message: expect.stringContaining(doomed.id),
    });
    row.deletedAt = new Date();
    row.storageKey = undefined;
    await em.flush();
    const refusal = await sealPackage(capture.clients.api, both).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CaptureControlError);
    expect(refusal).toMatchObject({
      code: 'DELETED',
      status: 410,
      message: expect.stringMatching(/^보존기간이 끝나 삭제된 녹취가 있어 제공 패키지를 만들지 않았습니다: /),
    });

    // A stored file that is not the audio the database's hash was fixed for is not handed out.
    const other = await em.findOneOrFail(Recording, recordings[1]!.id);
    const hash = other.sha256;
    other.sha256 = '0'.repeat(64);
    await em.flush();
    try {
      await expect(sealPackage(capture.clients.api, order())).rejects.toMatchObject({
        code: 'CORRUPT',
        status: 500,
        message: expect.stringContaining('해시'),
      });
    } finally {
      other.sha256 = hash;
      await em.flush();
    }
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'recording.disclosure_package_sealed' })).toBe(auditedBefore);
  });

  test("bad bodies are refused as INVALID_INPUT (or 413, 415, 401, and 403 for other clients' tokens) and build nothing", async () => {
    const ids = recordings.map((recording) => recording.id);
    const valid = { managementNumber, recordingIds: ids, password: PASSWORD, onBehalfOf: 'kim.operator' };
    const sealedCount = () => db.orm.em.fork().count(AuditEvent, { action: 'recording.disclosure_package_sealed' });
    const auditedBefore = await sealedCount();
    const bad: Record<string, unknown>[] = [
      { ...valid, managementNumber: '26-0001' },
      { ...valid, managementNumber: '2026-00001' },
      { ...valid, recordingIds: [] },
      { ...valid, recordingIds: Array.from({ length: 51 }, (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`) },
      { ...valid, recordingIds: [ids[0], ids[0]] },
      { ...valid, recordingIds: ['../etc/passwd'] },
      { ...valid, password: 'short' },
      { ...valid, password: '한글 비밀번호 2026!' },
      { ...valid, onBehalfOf: undefined },
      // The actor is the client its token proves, never a name the body gives.
      { ...valid, actor: 'system:disclosure' },
      { ...valid, unexpected: true },
      { ...valid, extraFiles: [{ name: '../form3.docx', contentBase64: 'AA==' }] },
      { ...valid, extraFiles: [{ name: 'sub\\form3.docx', contentBase64: 'AA==' }] },
      { ...valid, extraFiles: [{ name: 'form3\n.docx', contentBase64: 'AA==' }] },
      { ...valid, extraFiles: [{ name: `${'가'.repeat(96)}.docx`, contentBase64: 'AA==' }] },
      { ...valid, extraFiles: [{ name: 'Manifest.JSON', contentBase64: 'AA==' }] },
      { ...valid, extraFiles: [{ name: INSTRUCTIONS_FILE, contentBase64: 'AA==' }] },
      {
        ...valid,
        extraFiles: [
          { name: 'a.docx', contentBase64: 'AA==' },
          { name: 'A.docx', contentBase64: 'AA==' },
        ],
      },
      { ...valid, extraFiles: [{ name: 'a.docx', contentBase64: 'not base64!' }] },
      { ...valid, extraFiles: [{ name: 'a.docx', contentBase64: Buffer.alloc(2 * 1024 * 1024 + 1).toString('base64') }] },
      { ...valid, extraFiles: Array.from({ length: 6 }, (_, index) => ({ name: `${index}.docx`, contentBase64: 'AA==' })) },
    ];
    for (const body of bad) {
      const response = await controlPost(body);
      expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([400, 'INVALID_INPUT']);
    }
    expect(await oversizedPost(15 * 1024 * 1024)).toBe(413);
    const unauthorised = await controlPost(valid, 'wrong-token');
    expect(unauthorised.status).toBe(401);
    // The worker and the PBX integration hold no part of Art. 9: a token of theirs builds nothing.
    for (const token of [capture.tokens.worker, capture.tokens.pbx]) {
      const refused = await controlPost(valid, token);
      expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([403, 'CLIENT_NOT_ALLOWED']);
    }
    const plainText = await fetch(`${capture.controlUrl}/disclosure-packages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${capture.tokens.api}`, 'Content-Type': 'text/plain' },
      body: JSON.stringify(valid),
    });
    expect(plainText.status).toBe(415);
    expect(await sealedCount()).toBe(auditedBefore);

    // Exactly the limits pass validation: 100 characters, 2 MiB, five files.
    const atLimits = await sealPackage(
      capture.clients.api,
      order({
        recordingIds: [recordings[0]!.id],
        extraFiles: [
          { name: `${'가'.repeat(95)}.docx`, content: Buffer.alloc(2 * 1024 * 1024, 7) },
          ...Array.from({ length: 4 }, (_, index) => ({ name: `${index}.txt`, content: Buffer.from(String(index)) })),
        ],
      }),
    );
    expect((await verifyPackage(atLimits.zip, PASSWORD, capture.packagePublicKeyPem)).ok).toBe(true);
  });

  test('audited by the appliance once per recording under the API client, with the 관리번호, the recordings and the hashes, never the password', async () => {
    const entries = await db.orm.em
      .fork()
      .find(AuditEvent, { action: 'recording.disclosure_package_sealed', reason: `녹취정보 제공 패키지 ${managementNumber}` }, { orderBy: { seq: 'asc' } });
    const first = entries.filter((entry) => (JSON.parse(entry.detail) as { packageSha256?: string }).packageSha256 === sealed.packageSha256);
    expect(first.map((entry) => [entry.targetType, entry.targetId, entry.actor, entry.sourceAddress])).toEqual(
      recordings.map((recording) => ['recording', recording.id, 'capture-client:api', '127.0.0.1']),
    );
    for (const entry of first) {
      expect(JSON.parse(entry.detail)).toMatchObject({
        managementNumber,
        recordingIds: recordings.map((recording) => recording.id),
        manifestSha256: sealed.manifestSha256,
        extraFiles: [FORM3_NAME],
        fileSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        onBehalfOf: 'kim.operator',
      });
    }
    for (const entry of entries) expect(`${entry.detail}${entry.reason}`).not.toContain(PASSWORD);
  });

  test('R6: the control API answers audio only by the party export, the provision package and Art. 9 viewing', () => {
    const declared = Object.fromEntries(
      capture.appliance.controlRoutes
        .filter((route) => route.releasesAudio !== undefined)
        .map((route) => [`${route.method} ${route.path}`, route.releasesAudio]),
    );
    expect(declared).toEqual({
      'POST /recordings/<recording id>/export': 'party-export',
      'POST /disclosure-packages': 'disclosure',
      'POST /recordings/<recording id>/viewing': 'viewing',
    });
  });
});

describeWithTools('compiled: the `verify` command, and the appliance without its key', () => {
  let work: string;
  let db: TestDatabase;
  let capture: TestAppliance;
  let good: string;
  let bad: string;
  let keyFile: string;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [path.join(PROJECT, 'dist', 'ops', 'cli', 'package-verify.js'), ...args], {
      env: { PATH: process.env.PATH, ...env },
    });

  beforeAll(async () => {
    const compiled = run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: PROJECT });
    if (compiled.status !== 0) throw new Error(`tsc failed:\n${compiled.stdout}${compiled.stderr}`);
    work = mkdtempSync(path.join(os.tmpdir(), 'package-verify-cli-'));
    db = await createTestDatabase('sqlite');
    const em = db.orm.em.fork();
    const department = new Department('CLI', '민원여권과', 'department');
    const extension = new Extension(EXTENSION, department);
    em.persist([department, extension]);
    await em.flush();
    capture = await startTestAppliance(db.orm);
    const recording = await capture.record({ callId: 'provision-cli', extension: EXTENSION, durationMs: 400 });
    const sealed = await sealPackage(capture.clients.api, {
      managementNumber: '2026-0100',
      recordingIds: [recording.id],
      password: PASSWORD,
      onBehalfOf: 'cli.tester',
    });
    good = path.join(work, 'good.zip');
    writeFileSync(good, sealed.zip);
    // The same package with its signature made by another key (a forged manifest would look the same).
    const folder = path.join(work, 'forged');
    mkdirSync(folder);
    expect(run('7z', ['x', `-p${PASSWORD}`, `-o${folder}`, good]).status).toBe(0);
    writeFileSync(path.join(folder, SIGNATURE_FILE), `${Buffer.alloc(64, 1).toString('base64')}\n`);
    bad = path.join(work, 'bad.zip');
    expect(run('7z', ['a', '-tzip', '-mem=AES256', `-p${PASSWORD}`, bad, '.'], { cwd: folder }).status).toBe(0);
    keyFile = path.join(work, 'key.pem');
    writeFileSync(keyFile, capture.packagePublicKeyPem);
  }, 180_000);

  afterAll(async () => {
    await capture?.close();
    await db?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the compiled appliance in production refuses to start without its signing key, nor without the grant public key, naming the file', () => {
    const keys = path.join(work, 'prod-keys');
    mkdirSync(keys);
    writeFileSync(path.join(keys, 'master.key'), `${Buffer.alloc(32, 9).toString('base64')}\n`);
    for (const client of CAPTURE_CLIENTS) writeFileSync(path.join(keys, `capture-control-${client}.token`), `${client.repeat(40)}\n`);
    writeFileSync(path.join(keys, 'capture-devices'), 'pbx-1:a device password\n');
    const signingKeyFile = path.join(keys, 'package-signing.pem');
    const grantKeyFile = path.join(keys, 'grant-public.pem');
    const start = () =>
      run(process.execPath, [path.join(PROJECT, 'dist', 'app', 'capture-main.js')], {
        env: {
          PATH: process.env.PATH,
          APP_ENV: 'production',
          DATA_DIR: path.join(work, 'prod-data'),
          DB_DRIVER: 'postgresql',
          TEMPORAL_ADDRESS: '127.0.0.1:1',
          LDAP_URL: 'ldaps://ad.invalid',
          LDAP_BIND_DN: 'cn=reader,dc=gm',
          LDAP_BIND_PASSWORD_FILE: path.join(keys, 'absent'),
          LDAP_USER_BASE: 'ou=users,dc=gm',
          LDAP_GROUP_BASE: 'ou=groups,dc=gm',
          LDAP_ROLE_GROUPS: 'chief=cn=chief,ou=groups,dc=gm',
          MASTER_KEY_FILE: path.join(keys, 'master.key'),
          CAPTURE_CONTROL_API_TOKEN_FILE: path.join(keys, 'capture-control-api.token'),
          CAPTURE_CONTROL_WORKER_TOKEN_FILE: path.join(keys, 'capture-control-worker.token'),
          CAPTURE_CONTROL_PBX_TOKEN_FILE: path.join(keys, 'capture-control-pbx.token'),
          CAPTURE_DEVICES_FILE: path.join(keys, 'capture-devices'),
          PACKAGE_SIGNING_KEY_FILE: signingKeyFile,
          GRANT_PUBLIC_KEY_FILE: grantKeyFile,
        },
      });
    const started = start();
    expect(started.stderr).toContain(`제공 패키지 서명 키 파일이 없습니다: ${signingKeyFile} (PACKAGE_SIGNING_KEY_FILE)`);
    expect(started.status).toBe(1);
    expect(existsSync(signingKeyFile)).toBe(false);
    // With its package key but without the grant public key it could not tell a signed grant from any other.
    writeFileSync(signingKeyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const withoutGrantKey = start();
    expect(withoutGrantKey.stderr).toContain(`허가 공개키 파일이 없습니다: ${grantKeyFile} (GRANT_PUBLIC_KEY_FILE)`);
    expect(withoutGrantKey.status).toBe(1);
    expect(existsSync(grantKeyFile)).toBe(false);
  });

  test('exit 0 for the package as issued, 1 for a forged signature or a wrong password, 2 for usage', () => {
    const verified = cli([good, '--public-key', keyFile], { PACKAGE_PASSWORD: PASSWORD });
    expect(verified.stdout).toContain('결과: 검증됨');
    expect(verified.stdout).toContain('관리번호 2026-0100');
    expect(verified.status).toBe(0);

    const passwordFile = path.join(work, 'password.txt');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    expect(cli([good, '--public-key', keyFile, '--password-file', passwordFile]).status).toBe(0);
    const json = cli([good, '--public-key', keyFile, '--json'], { PACKAGE_PASSWORD: PASSWORD });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, signatureValid: true });

    const forged = cli([bad, '--public-key', keyFile], { PACKAGE_PASSWORD: PASSWORD });
    expect(forged.stdout).toContain('검증 실패');
    expect(forged.stdout).toContain('서명이 맞지 않습니다');
    expect(forged.status).toBe(1);
    const wrong = cli([good, '--public-key', keyFile], { PACKAGE_PASSWORD: 'not-the-password' });
    expect(wrong.stdout).toContain('비밀번호가 맞지 않아');
    expect(wrong.status).toBe(1);

    const plainArgument = cli([good, '--public-key', keyFile, '--password', PASSWORD]);
    expect(plainArgument.stderr).toContain('명령줄 인수로 주지 마십시오');
    expect(plainArgument.status).toBe(2);
    expect(cli([good, '--public-key', keyFile]).status).toBe(2);
    expect(cli([good], { PACKAGE_PASSWORD: PASSWORD }).status).toBe(2);
    expect(cli([path.join(work, 'absent.zip'), '--public-key', keyFile], { PACKAGE_PASSWORD: PASSWORD }).status).toBe(2);
    expect(cli([good, '--public-key', good], { PACKAGE_PASSWORD: PASSWORD }).status).toBe(2);
  });
});

describe('the package signing key (PACKAGE_SIGNING_KEY_FILE)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'package-key-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('defaults beside the master key, resolved like the other key files', () => {
    expect(loadSettings({}).packageSigningKeyFile).toBe(path.resolve('data', 'keys', 'package-signing.pem'));
    expect(loadSettings({ DATA_DIR: work }).packageSigningKeyFile).toBe(path.join(work, 'keys', 'package-signing.pem'));
    expect(loadSettings({ PACKAGE_SIGNING_KEY_FILE: 'elsewhere/signing.pem' }).packageSigningKeyFile).toBe(path.resolve('elsewhere/signing.pem'));
  });

  test('development creates an owner-only Ed25519 key once; its fingerprint is what OpenSSL computes', () => {
    const settings = { environment: 'development' as const, packageSigningKeyFile: path.join(work, 'dev', 'keys', 'package-signing.pem') };
    const key = loadPackageSigningKey(settings);
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(statSync(settings.packageSigningKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(settings.packageSigningKeyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = loadPackageSigningKey(settings);
    expect(packageSigningPublicKey(again)).toEqual(packageSigningPublicKey(key));
    const published = packageSigningPublicKey(key);
    const pemFile = path.join(work, 'published.pem');
    writeFileSync(pemFile, published.pem);
    expect(published.pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(run('sh', ['-c', `openssl pkey -pubin -in "${pemFile}" -outform DER | sha256sum`]).stdout.split(' ')[0]).toBe(published.sha256);
    expect(packageSigningPublicKey(createPublicKey(published.pem))).toEqual(published);
  });

  test('production refuses to start without it, or with something else in the file, naming the file but never its content', () => {
    const missing = path.join(work, 'prod', 'package-signing.pem');
    expect(() => loadPackageSigningKey({ environment: 'production', packageSigningKeyFile: missing })).toThrow(
      new SecretFileError(`제공 패키지 서명 키 파일이 없습니다: ${missing} (PACKAGE_SIGNING_KEY_FILE)`),
    );
    expect(existsSync(missing)).toBe(false);
    const rsaFile = path.join(work, 'rsa.pem');
    writeFileSync(rsaFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => readPackageSigningKey(rsaFile)).toThrow(/Ed25519 개인키\(PKCS#8 PEM\)여야 합니다: .*rsa\.pem/);
    const secretish = path.join(work, 'garbage.pem');
    writeFileSync(secretish, '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWNvbnRlbnQ=\n-----END PRIVATE KEY-----\n');
    let message = '';
    try {
      loadPackageSigningKey({ environment: 'production', packageSigningKeyFile: secretish });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(secretish);
    expect(message).not.toContain('c2VjcmV0');
  });
});
