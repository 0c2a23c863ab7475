/**
 * POST /api/disclosure-packages/verify against what an auditor could send it (issue 22): three 200 MiB packages at
 * once, two from one user, a body past the size limit, and small ZIPs that would unpack to gigabytes — through the real
 * API with a real capture appliance signing a real package. Big files are made here in a temporary folder by 7-Zip
 * (sparse zeros, so making them costs little), never committed. SQLite only: the route touches the database for the
 * session and the audit entry alone, both tested on PostgreSQL elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { open } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TextReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { MANIFEST_FILE, type PackageManifest } from '../../capture/disclosure-package';
import type { PackageVerification } from '../../capture/package-verify';
import { AuditEvent } from '../../infra/db/entities';
import { sealPackage } from '../support/grants';
import { auditOf, loggedIn, startTestApi, type TestApi, type TestClient } from '../support/api';
import { seedFullRecordingExtension, startTestAppliance, type TestAppliance } from '../support/appliance';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';

const sevenZip = spawnSync('sh', ['-c', 'command -v 7z']).status === 0;
if (!sevenZip && (process.env.REQUIRE_ALL_SUITES || process.env.CI))
  throw new Error('7z is not on PATH: the verification limits suite cannot run (Debian p7zip-full)');
const describeWith7z = sevenZip ? describe : describe.skip;

const MiB = 1024 * 1024;
const PASSWORD = 'Handover-2026 #7';
const EXTENSION = '02-2680-5190';
/** What three parallel 200 MiB uploads may add to the resident memory of the process running the API (and this test). */
const RSS_GROWTH_BOUND = 150 * MiB;
/** How long a package that would unpack to gigabytes may take to be answered. */
const BOMB_BOUND_MS = 1_000;
const UPLOAD_FOLDER = /^telrec-upload-/;

function sevenZ(args: string[], options: { cwd?: string } = {}): void {
  const result = spawnSync('7z', args, { ...options, maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`7z ${args.join(' ')} failed: ${result.stderr.toString()}`);
}

/** Packs a folder as the appliance does (AES-256), storing (`-mx=0`) or deflating. */
function pack(folder: string, zip: string, level = 5): string {
  sevenZ(['a', '-tzip', '-mem=AES256', `-mx=${level}`, `-p${PASSWORD}`, zip, '.'], { cwd: folder });
  return zip;
}

/** Upload folders of the API now in the temporary folder. */
const uploadFolders = () => new Set(readdirSync(os.tmpdir()).filter((name) => UPLOAD_FOLDER.test(name)));

interface Answer {
  status: number;
  body: PackageVerification & { code?: string; message?: string; requestId?: string };
  /** From sending the request to the answer's last byte. */
  ms: number;
}

/** A point the body stops at until `release()`; `fail()` makes the client give the request up there. */
function hold(afterBytes: number) {
  let release!: () => void;
  let fail!: (error: Error) => void;
  const until = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  until.catch(() => undefined);
  return { afterBytes, until, release, fail };
}

/**
 * Sends the form a browser would — the password, then the package, then `extraBytes` of zeros — through one buffer
 * refilled from the file once the API has taken the last chunk: the API's memory is measured in this process, and
 * the client must add next to nothing to it (fetch keeps hundreds of MiB of a streamed body). Resolves with the
 * answer as soon as it comes, whether the body has been sent or not.
 */
function verify(client: TestClient, file: string, options: { stop?: ReturnType<typeof hold>; extraBytes?: number } = {}): Promise<Answer> {
  const boundary = `verify-${randomBytes(12).toString('hex')}`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL('/api/disclosure-packages/verify', client.baseUrl),
      {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: client.cookieHeader, 'x-csrf-token': client.csrfToken ?? '' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'];
          resolve({ status: response.statusCode ?? 0, body, ms: performance.now() - started });
        });
      },
    );
    request.on('error', reject);
    const send = (chunk: Buffer) => new Promise<void>((sent, failed) => request.write(chunk, (error) => (error ? failed(error) : sent())));
    const body = async () => {
      await send(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n${PASSWORD}\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="package"; filename="package.zip"\r\nContent-Type: application/zip\r\n\r\n`,
        ),
      );
      const buffer = Buffer.alloc(256 * 1024);
      const handle = await open(file, 'r');
      try {
        for (let sent = 0, stop = options.stop; ;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          if (stop && sent + bytesRead > stop.afterBytes) {
            await stop.until;
            stop = undefined;
          }
          await send(buffer.subarray(0, bytesRead));
          sent += bytesRead;
        }
      } finally {
        await handle.close();
      }
      buffer.fill(0);
      for (let left = options.extraBytes ?? 0; left > 0; left -= buffer.length) await send(buffer.subarray(0, Math.min(buffer.length, left)));
      request.end(`\r\n--${boundary}--\r\n`);
    };
    // A body given up (the API answered first, or the test ended) is cut off; the answer or the error says the rest.
    body().catch(() => request.destroy());
  });
}

describeWith7z('verifying packages brought back: bounded in memory, CPU and concurrency (sqlite)', () => {
  let db: TestDatabase;
  let capture: TestAppliance;
  let api: TestApi;
  let work: string;
  let extracted: string;
  let genuine: string;
  let padded: string;
  let before: Set<string>;

  /** A copy of the genuine package's files to change. */
  const copyOfPackage = (name: string) => {
    const folder = path.join(work, name);
    spawnSync('cp', ['-r', extracted, folder]);
    return folder;
  };
  /** A manifest nobody signed, listing `entries` (name and unpacked size). */
  const forgeManifest = (folder: string, entries: { name: string; bytes: number }[]) => {
    const manifest = JSON.parse(readFileSync(path.join(folder, MANIFEST_FILE), 'utf8')) as PackageManifest;
    const forged = { ...manifest, recordings: entries.map(({ name, bytes }) => ({ ...manifest.recordings[0], file: name, fileBytes: bytes })) };
    writeFileSync(path.join(folder, MANIFEST_FILE), JSON.stringify(forged, null, 2));
  };

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    await seedFullRecordingExtension(db.orm, { code: 'VERIFY', name: '감사담당관' }, EXTENSION);
    capture = await startTestAppliance(db.orm);
    api = await startTestApi(db.orm, { capture: capture.clients.api });
    const recording = await capture.record({ callId: 'verify-limits', extension: EXTENSION, durationMs: 400 });
    const sealed = await sealPackage(capture.clients.api, {
      managementNumber: '2026-0301',
      recordingIds: [recording.id],
      password: PASSWORD,
      onBehalfOf: 'system:verify-test',
    });
    work = mkdtempSync(path.join(os.tmpdir(), 'verify-limits-'));
    genuine = path.join(work, 'genuine.zip');
    writeFileSync(genuine, sealed.zip);
    extracted = path.join(work, 'extracted');
    sevenZ(['x', `-p${PASSWORD}`, `-o${extracted}`, genuine]);
    // The genuine files and 200 MiB the manifest does not list, stored: a package of 200 MiB with a valid signature.
    const paddedFolder = copyOfPackage('padded');
    spawnSync('truncate', ['-s', String(200 * MiB), path.join(paddedFolder, 'padding.bin')]);
    padded = pack(paddedFolder, path.join(work, 'padded.zip'), 0);
    before = uploadFolders();
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await capture?.close();
    await db?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    // Whatever the answer, no upload outlives its request.
    expect([...uploadFolders()].filter((name) => !before.has(name))).toEqual([]);
  });

  test('the package as issued, streamed in, is verified', async () => {
    const operator = await loggedIn(api.url, 'operator');
    const answer = await verify(operator, genuine);
    expect(answer).toMatchObject({ status: 200, body: { ok: true, signatureValid: true, problems: [] } });
    expect(answer.body.files.map((file) => file.status)).toEqual(['ok', 'ok']);
  });

  test('three 200 MiB uploads at once: two verified from private temporary files, the third refused 429 VERIFY_BUSY before its body is read, and audited; memory grows less than 150 MiB', async () => {
    const operator = await loggedIn(api.url, 'operator');
    const deputy = await loggedIn(api.url, 'deputy');
    const chief = await loggedIn(api.url, 'chief');
    await verify(operator, genuine);
    let peak = process.memoryUsage().rss;
    const baseline = peak;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const stops = [hold(64 * MiB), hold(64 * MiB)];
    const running = [verify(operator, padded, { stop: stops[0] }), verify(deputy, padded, { stop: stops[1] })];
    try {
      const folders = await eventually(
        () => {
          const found = [...uploadFolders()].filter((name) => !before.has(name));
          return found.length === 2 && found;
        },
        { within: '20s', what: 'both uploads being written' },
      );
      for (const folder of folders) {
        const full = path.join(os.tmpdir(), folder);
        expect(statSync(full).mode & 0o777).toBe(0o700);
        expect(readdirSync(full).map((name) => statSync(path.join(full, name)).mode & 0o777)).toEqual([0o600]);
      }

      // The third stops after its first MiB: answered all the same, so nothing waited for the rest of its body.
      const third = hold(MiB);
      const refused = await verify(chief, padded, { stop: third });
      third.fail(new Error('given up after the refusal'));
      expect(refused).toMatchObject({ status: 429, body: { code: 'VERIFY_BUSY', message: expect.stringContaining('동시에 2건까지') } });
      const audit = await auditOf(db.orm, refused.body.requestId as string);
      expect(audit).toMatchObject({ action: 'request.refused', actor: 'choi.chief', targetId: 'POST /api/disclosure-packages/verify' });
      expect(audit.reason).toContain('VERIFY_BUSY');

      for (const stop of stops) stop.release();
      for (const answer of await Promise.all(running)) {
        expect(answer).toMatchObject({ status: 200, body: { ok: false, signatureValid: true } });
        expect(answer.body.problems).toEqual([expect.objectContaining({ code: 'FILE_UNEXPECTED', file: 'padding.bin' })]);
      }
    } finally {
      clearInterval(sampler);
      for (const stop of stops) stop.fail(new Error('the test ended'));
      await Promise.allSettled(running);
    }
    const growth = peak - baseline;
    process.stdout.write(
      `three 200 MiB uploads: resident memory ${Math.round(baseline / MiB)} MiB → peak ${Math.round(peak / MiB)} MiB (+${Math.round(growth / MiB)} MiB)\n`,
    );
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
  });

  test("one user's second verification while the first runs is refused 429 in Korean and audited; once the first is answered, the next is taken", async () => {
    const auditor = await loggedIn(api.url, 'auditor');
    const stop = hold(0);
    const first = verify(auditor, genuine, { stop });
    try {
      await eventually(() => [...uploadFolders()].some((name) => !before.has(name)), { within: '10s', what: 'the first upload being written' });
      const second = await verify(auditor, genuine);
      expect(second).toMatchObject({ status: 429, body: { code: 'VERIFY_BUSY', message: expect.stringContaining('이미 있습니다') } });
      expect(await auditOf(db.orm, second.body.requestId as string)).toMatchObject({ action: 'request.refused', actor: 'han.auditor', role: 'auditor' });
      stop.release();
      expect(await first).toMatchObject({ status: 200, body: { ok: true } });
    } finally {
      stop.fail(new Error('the test ended'));
      await Promise.allSettled([first]);
    }
    expect(await verify(auditor, genuine)).toMatchObject({ status: 200, body: { ok: true } });
  });

  test('a body past 256 MiB is refused 413 FILE_TOO_LARGE and nothing of it is kept', async () => {
    const chief = await loggedIn(api.url, 'chief');
    const answer = await verify(chief, padded, { extraBytes: 60 * MiB });
    expect(answer).toMatchObject({ status: 413, body: { code: 'FILE_TOO_LARGE', message: expect.stringContaining('제공 파일은') } });
  });

  test('a forged manifest listing 512 MiB of zeros packed into under a megabyte: answered within a second as not genuine, nothing it lists inflated', async () => {
    const folder = copyOfPackage('zeros');
    rmSync(path.join(folder, 'recordings'), { recursive: true });
    forgeManifest(folder, [{ name: 'recordings/zeros.wav', bytes: 512 * MiB }]);
    const bomb = pack(folder, path.join(work, 'zeros.zip'));
    // From /dev/zero through a pipe: 7-Zip deflates 512 MiB without a byte of it in this process.
    const added = spawnSync('sh', ['-c', `head -c ${512 * MiB} /dev/zero | 7z a -tzip -mem=AES256 -mx=1 -p"$PASSWORD" -sirecordings/zeros.wav "$ZIP"`], {
      env: { ...process.env, PASSWORD, ZIP: bomb },
    });
    expect(added.status).toBe(0);
    expect(statSync(bomb).size).toBeLessThan(MiB);

    const auditor = await loggedIn(api.url, 'auditor');
    const answer = await verify(auditor, bomb);
    expect(answer).toMatchObject({ status: 200, body: { ok: false, signatureValid: false, files: [] } });
    expect(answer.body.problems).toEqual([expect.objectContaining({ code: 'SIGNATURE_INVALID' })]);
    expect(answer.ms).toBeLessThan(BOMB_BOUND_MS);
  });

  test('sizes declared past the limits — a listed file said to unpack to 3 GiB, a manifest at 1000:1, 80 files, a file list over 1 MiB — are refused within a second before anything is inflated', async () => {
    const auditor = await loggedIn(api.url, 'auditor');
    const wav = readdirSync(path.join(extracted, 'recordings'))[0] as string;
    const huge = pack(copyOfPackage('huge'), path.join(work, 'huge.zip'));
    declareSize(huge, `recordings/${wav}`, 3 * 1024 * MiB);
    const squeezed = copyOfPackage('squeezed');
    writeFileSync(
      path.join(squeezed, MANIFEST_FILE),
      readFileSync(path.join(squeezed, MANIFEST_FILE), 'utf8').replace(/\n}\s*$/, `${' '.repeat(900 * 1024)}}\n`),
    );
    const crowded = copyOfPackage('crowded');
    mkdirSync(path.join(crowded, 'many'));
    for (let index = 0; index < 80; index++) writeFileSync(path.join(crowded, 'many', `${index}.txt`), String(index));
    // Few files, but each directory record carries a 60 KiB comment: the list alone is 1.2 MiB and is not read.
    const wordy = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
    for (let index = 0; index < 20; index++) await wordy.add(`${index}.txt`, new TextReader(String(index)), { comment: '가'.repeat(20 * 1024) });
    const longList = path.join(work, 'long-list.zip');
    writeFileSync(longList, await wordy.close());

    for (const [zip, code, file] of [
      [huge, 'TOO_LARGE', `recordings/${wav}`],
      [pack(squeezed, path.join(work, 'squeezed.zip')), 'RATIO_EXCEEDED', MANIFEST_FILE],
      [pack(crowded, path.join(work, 'crowded.zip')), 'TOO_MANY_ENTRIES', undefined],
      [longList, 'TOO_MANY_ENTRIES', undefined],
    ] as const) {
      const answer = await verify(auditor, zip);
      expect(answer).toMatchObject({ status: 200, body: { ok: false, signatureValid: false, files: [] } });
      expect(answer.body.problems).toEqual([{ code, message: expect.stringMatching(/[가-힣]/), ...(file ? { file } : {}) }]);
      expect(answer.ms).toBeLessThan(BOMB_BOUND_MS);
      const [audit] = await db.orm.em.fork().find(AuditEvent, { action: 'disclosure.package_verified' }, { orderBy: { seq: 'desc' }, limit: 1 });
      expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({ ok: false, problems: [code], fileName: 'package.zip' });
    }
  });
});

/** Rewrites what the central directory says an entry unpacks to; its data and local header stay as they were. */
function declareSize(zip: string, name: string, bytes: number): void {
  const data = readFileSync(zip);
  const end = data.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  const count = data.readUInt16LE(end + 10);
  for (let offset = data.readUInt32LE(end + 16), index = 0; index < count; index++) {
    const nameLength = data.readUInt16LE(offset + 28);
    if (data.toString('utf8', offset + 46, offset + 46 + nameLength) === name) data.writeUInt32LE(bytes, offset + 24);
    offset += 46 + nameLength + data.readUInt16LE(offset + 30) + data.readUInt16LE(offset + 32);
  }
  writeFileSync(zip, data);
}
