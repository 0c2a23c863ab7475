/**
 * Audit retention with the chain intact (issue 19), on SQLite and a real PostgreSQL: entries older than the period
 * sealed into signed segments and removed from the live table; the live chain verified from the checkpoint and each
 * segment on its own; a changed segment byte, a deleted live row, a forged checkpoint and a missing segment reported;
 * the database still refusing to delete what no checkpoint covers; a run stopped between sealing and committing
 * finished by the next; two archivers at once; backup and restore carrying the archive and its key; and the compiled
 * `npm run audit:archive` / `npm run audit:verify` (SQLite).
 */
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  archiveAuditLog,
  AuditArchiveError,
  sealSegment,
  verifyAuditArchive,
  verifySegmentFile,
  type AuditArchiveOptions,
} from '../../infra/audit/audit-archive';
import { appendAuditEvent, GENESIS_HASH, verifyAuditChain, type AuditInput } from '../../infra/audit/audit-log';
import { newDataKey } from '../../infra/crypto/envelope';
import { AuditCheckpoint, AuditEvent } from '../../infra/db/entities';
import { initOrm, type DatabaseSettings } from '../../infra/db/orm';
import { replaceFileDurably } from '../../infra/durable-files';
import { backup } from '../../ops/backup';
import { BackupError, type BackupSettings } from '../../ops/backup-manifest';
import { restore } from '../../ops/restore';
import { readCaseTimeline } from '../../api/timeline';
import { createDocumentStore } from '../../infra/documents/document-store';
import { disclosureRequestRow } from '../support/disclosure';
import { availableDrivers, createTestDatabase, emptyDatabase, type TestDatabase } from '../support/databases';
import { withoutAppendOnlyGuard } from '../support/audit';

const run = promisify(execFile);
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Noon in Seoul on 8 December 2026: with two years, entries before 8 December 2024 00:00 KST are due. */
const NOW = new Date('2026-12-08T03:00:00Z');
const CUTOFF = new Date('2024-12-07T15:00:00Z');
const DAY_ONE = ['2024-11-20T01:00:00Z', '2024-11-20T02:00:00Z', '2024-11-20T03:00:00Z'];
const DAY_TWO = ['2024-11-21T01:00:00Z', '2024-11-21T02:00:00Z'];
const RECENT = ['2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z', '2026-12-03T00:00:00Z'];

const event = (n: number, at: string): AuditInput => ({
  actor: 'lee.operator',
  role: 'operator',
  sourceAddress: '10.1.2.3',
  action: 'recording.search',
  targetType: 'recording',
  targetId: 'search',
  reason: `민원 확인 ${n}`,
  detail: { query: { otherParty: `010-${String(n).padStart(4, '0')}` }, resultCount: n },
  at: new Date(at),
});

async function append(db: TestDatabase, times: readonly string[], first = 1): Promise<void> {
  for (const [index, at] of times.entries()) {
    await db.orm.em.fork().transactional((em) => appendAuditEvent(em, event(first + index, at)));
  }
}

const appendOnly = { message: expect.stringMatching(/append-only/) };

describe.each(availableDrivers())('audit archive on %s', (driver) => {
  let db: TestDatabase;
  let folder: string;
  let signingKey: KeyObject;
  let options: AuditArchiveOptions;
  beforeEach(async () => {
    db = await createTestDatabase(driver);
    folder = mkdtempSync(path.join(os.tmpdir(), 'audit-archive-'));
    signingKey = generateKeyPairSync('ed25519').privateKey;
    options = { folder, signingKey, period: { amount: 2, unit: 'year' }, timeZone: 'Asia/Seoul', now: NOW, sourceAddress: 'test' };
  });
  afterEach(async () => {
    await db?.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  const live = async () => (await db.orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } })).map((row) => row.seq);
  const segmentFiles = () => readdirSync(folder).sort();

  /** Two old days archived (entries 1–3 and 4–5), three recent entries (6–8) and the two `audit.archived` ones (9, 10) live. */
  async function archivedTwoDays(): Promise<void> {
    await append(db, [...DAY_ONE, ...DAY_TWO]);
    await append(db, RECENT, 6);
    const result = await archiveAuditLog(db.orm, options);
    expect(result.segments.map(({ file, firstSeq, lastSeq, count }) => ({ file, firstSeq, lastSeq, count }))).toEqual([
      { file: 'audit-2024-11-20-0000000001-0000000003.jsonl', firstSeq: 1, lastSeq: 3, count: 3 },
      { file: 'audit-2024-11-21-0000000004-0000000005.jsonl', firstSeq: 4, lastSeq: 5, count: 2 },
    ]);
  }

  test('entries older than the period are sealed, signed and removed; the live chain verifies from the checkpoint', async () => {
    await archivedTwoDays();
    expect(await live()).toEqual([6, 7, 8, 9, 10]);
    expect(segmentFiles()).toEqual(['audit-2024-11-20-0000000001-0000000003.jsonl', 'audit-2024-11-21-0000000004-0000000005.jsonl']);
    for (const file of segmentFiles()) expect(statSync(path.join(folder, file)).mode & 0o777).toBe(0o600);

    const checkpoints = await db.orm.em.fork().find(AuditCheckpoint, {}, { orderBy: { lastSeq: 'asc' } });
    expect(checkpoints.map((row) => [row.firstSeq, row.lastSeq, row.entryCount])).toEqual([
      [1, 3, 3],
      [4, 5, 2],
    ]);
    expect(checkpoints[0]?.prevHash).toBe(GENESIS_HASH);
    expect(checkpoints[1]?.prevHash).toBe(checkpoints[0]?.lastHash);
    const [firstLive] = await db.orm.em.fork().find(AuditEvent, { seq: 6 });
    expect(firstLive?.prevHash).toBe(checkpoints[1]?.lastHash);

    // The audit entries about the archiving are in the live chain, after the cut, naming each segment.
    const archivedEntries = await db.orm.em.fork().find(AuditEvent, { action: 'audit.archived' }, { orderBy: { seq: 'asc' } });
    expect(archivedEntries.map((row) => [row.seq, row.targetId])).toEqual([
      [9, 'audit-2024-11-20-0000000001-0000000003.jsonl'],
      [10, 'audit-2024-11-21-0000000004-0000000005.jsonl'],
    ]);
    expect(JSON.parse(archivedEntries[0]!.detail)).toMatchObject({
      firstSeq: 1,
      lastSeq: 3,
      count: 3,
      prevHash: GENESIS_HASH,
      lastHash: checkpoints[0]?.lastHash,
      segmentSha256: checkpoints[0]?.segmentSha256,
      fileSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      cutoff: CUTOFF.toISOString(),
    });

    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toEqual({
      ok: true,
      entries: 10,
      lastHash: archivedEntries[1]?.hash,
      archived: { checkpoints: 2, entries: 5 },
    });
    // The public half is enough; without any key the archived part cannot be vouched for.
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: generateKeyPairSync('ed25519').publicKey })).toMatchObject({ ok: false, brokenAt: 1 });
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: false, brokenAt: 1, problem: expect.stringContaining('AUDIT_SIGNING_KEY_FILE') });

    // Each segment on its own, with nothing but the public key: every entry, its hash and link, the seal.
    const publicKey = createPublicKey(signingKey);
    for (const file of segmentFiles()) expect(verifySegmentFile(path.join(folder, file), publicKey)).toMatchObject({ problems: [] });
    const lines = readFileSync(path.join(folder, segmentFiles()[0]!), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[2]!)).toMatchObject({ seq: 2, reason: '민원 확인 2', at: DAY_ONE[1]!.replace('Z', '.000Z') });
    expect(await verifyAuditArchive(db.orm.em, folder, publicKey)).toEqual({ ok: true, segments: 2, entries: 5, problems: [], unreferenced: [] });
  });

  test('entries newer than the period are never archived, not even behind an older one', async () => {
    // The last instant before the cutoff goes; the cutoff itself stays, and so does everything after it.
    await append(db, ['2024-12-07T14:59:59.999Z', '2024-12-07T15:00:00.000Z', '2024-12-01T00:00:00Z']);
    const result = await archiveAuditLog(db.orm, options);
    expect(result).toMatchObject({ cutoff: CUTOFF.toISOString(), more: false });
    expect(result.segments.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([[1, 1]]);
    expect(await live()).toEqual([2, 3, 4]);
    // Nothing else is due: a second run does nothing, and a run a day later takes nothing newer than its cutoff.
    expect((await archiveAuditLog(db.orm, options)).segments).toEqual([]);
    // (Each day its own segment: 8 December 00:00 KST, then 1 December.)
    expect((await archiveAuditLog(db.orm, { ...options, now: new Date('2026-12-09T03:00:00Z') })).segments.map((s) => [s.firstSeq, s.lastSeq])).toEqual([
      [2, 2],
      [3, 3],
    ]);
    expect(await live()).toEqual([4, 5, 6]);
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: true, entries: 6, archived: { checkpoints: 3, entries: 3 } });
  });

  test('a run never archives the entries it appends itself, however far its clock runs ahead of theirs', async () => {
    await append(db, [...DAY_ONE, ...RECENT]);
    const farAhead = { ...options, now: new Date('2040-01-01T00:00:00Z') };
    const first = await archiveAuditLog(db.orm, farAhead);
    expect(first).toMatchObject({ throughSeq: 6, more: false });
    expect(first.segments.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([
      [1, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    expect(await live()).toEqual([7, 8, 9, 10]);
    // The next run takes those (they are due by its clock), and again leaves its own.
    const second = await archiveAuditLog(db.orm, farAhead);
    expect(second.throughSeq).toBe(10);
    expect(second.segments.reduce((sum, segment) => sum + segment.count, 0)).toBe(4);
    expect((await live())[0]).toBe(11);
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: true, archived: { entries: 10 } });
  });

  test("another signing key than the archive's is refused before anything is written", async () => {
    await append(db, [...DAY_ONE, ...DAY_TWO]);
    await archiveAuditLog(db.orm, { ...options, maxSegments: 1 });
    await expect(archiveAuditLog(db.orm, { ...options, signingKey: generateKeyPairSync('ed25519').privateKey })).rejects.toMatchObject({
      code: 'AUDIT_SIGNING_KEY_MISMATCH',
    });
    expect(segmentFiles()).toEqual(['audit-2024-11-20-0000000001-0000000003.jsonl']);
    expect(await live()).toEqual([4, 5, 6]);
  });

  test('a long day is cut into segments of at most the given size, all verifying', async () => {
    await append(
      db,
      Array.from({ length: 7 }, (_, n) => `2024-11-20T0${n}:00:00Z`),
    );
    const result = await archiveAuditLog(db.orm, { ...options, maxEntriesPerSegment: 3, maxSegments: 2 });
    expect(result.segments.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(result.more).toBe(true);
    expect((await archiveAuditLog(db.orm, { ...options, maxEntriesPerSegment: 3 })).segments.map((s) => [s.firstSeq, s.lastSeq])).toEqual([[7, 7]]);
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: true, entries: 10 });
    expect(await verifyAuditArchive(db.orm.em, folder, signingKey)).toMatchObject({ ok: true, segments: 3, entries: 7 });
  });

  describe('tampering and loss are reported', () => {
    beforeEach(archivedTwoDays);

    test('one changed byte in a segment: its seal and the entry are named, the database side still verifies', async () => {
      const file = path.join(folder, 'audit-2024-11-20-0000000001-0000000003.jsonl');
      const bytes = readFileSync(file);
      const at = bytes.indexOf(Buffer.from('민원 확인 2'));
      bytes[at + Buffer.byteLength('민원 확인 ')] = '7'.charCodeAt(0);
      writeFileSync(file, bytes);
      const { problems } = verifySegmentFile(file, signingKey);
      expect(problems).toEqual(
        expect.arrayContaining([expect.stringContaining('SHA-256 불일치'), expect.stringContaining('2번 기록이 기록된 뒤 바뀌었습니다')]),
      );
      const archive = await verifyAuditArchive(db.orm.em, folder, signingKey);
      expect(archive.ok).toBe(false);
      expect(archive.problems.map((problem) => problem.file)).toEqual(expect.arrayContaining(['audit-2024-11-20-0000000001-0000000003.jsonl']));
      expect(archive.problems.some((problem) => problem.file.includes('0000000004'))).toBe(false);
      expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: true });
    });

    test('a header changed, or a segment rewritten whole and signed with another key, or removed', async () => {
      const first = path.join(folder, 'audit-2024-11-20-0000000001-0000000003.jsonl');
      const second = path.join(folder, 'audit-2024-11-21-0000000004-0000000005.jsonl');
      writeFileSync(first, readFileSync(first, 'utf8').replace(/"lastAt":"[^"]+"/, '"lastAt":"2024-11-20T03:00:01.000Z"'));
      expect(verifySegmentFile(first, signingKey).problems).toEqual(expect.arrayContaining([expect.stringContaining('서명이 맞지 않습니다')]));

      // A consistent forgery: the segment's entries, re-sealed with the forger's own key.
      const entries = readFileSync(second, 'utf8').trimEnd().split('\n').slice(1);
      const rows = entries.map((line) => {
        const entry = JSON.parse(line) as Omit<AuditEvent, 'at'> & { at: string };
        return { ...entry, at: new Date(entry.at) };
      });
      writeFileSync(second, sealSegment(rows, generateKeyPairSync('ed25519').privateKey, '2024-11-21').bytes);
      expect(verifySegmentFile(second, signingKey).problems).toEqual([expect.stringContaining('다른 키로 서명되었습니다')]);

      const problems = (await verifyAuditArchive(db.orm.em, folder, signingKey)).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          { file: path.basename(first), problem: expect.stringContaining('서명이 맞지 않습니다') },
          { file: path.basename(first), problem: '데이터베이스의 체크포인트와 내용이 다릅니다' },
          { file: path.basename(second), problem: expect.stringContaining('다른 키로 서명되었습니다') },
        ]),
      );
      rmSync(second);
      expect((await verifyAuditArchive(db.orm.em, folder, signingKey)).problems).toEqual(
        expect.arrayContaining([{ file: path.basename(second), problem: '보관 파일이 없습니다 (4–5번, 2건)' }]),
      );
    });

    test('the first live entry after the checkpoint deleted', async () => {
      await withoutAppendOnlyGuard(db, 'delete from audit_event where seq = 6');
      const result = await verifyAuditChain(db.orm.em, { checkpointKey: signingKey });
      expect(result).toMatchObject({ ok: false, brokenAt: 6, entries: 5 });
      expect(result.ok || result.problem).toMatch(/missing/);
    });

    test('a live entry further on deleted', async () => {
      await withoutAppendOnlyGuard(db, 'delete from audit_event where seq = 8');
      expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: false, brokenAt: 8 });
    });

    test('the database deletes only what a checkpoint covers, changes nothing, and takes only a checkpoint that continues the chain', async () => {
      const connection = db.orm.em.getConnection();
      await expect(connection.execute('delete from audit_event where seq = 6')).rejects.toMatchObject(appendOnly);
      await expect(connection.execute('delete from audit_event')).rejects.toMatchObject(appendOnly);
      await expect(connection.execute(`update audit_event set reason = 'x' where seq = 7`)).rejects.toMatchObject(appendOnly);
      await expect(connection.execute(`update audit_checkpoint set signature = 'x'`)).rejects.toMatchObject(appendOnly);
      await expect(connection.execute('delete from audit_checkpoint')).rejects.toMatchObject(appendOnly);
      expect(await live()).toEqual([6, 7, 8, 9, 10]);

      const [sixth, seventh] = await db.orm.em.fork().find(AuditEvent, { seq: { $in: [6, 7] } }, { orderBy: { seq: 'asc' } });
      const [last] = await db.orm.em.fork().find(AuditCheckpoint, { lastSeq: 5 });
      const forged = (firstSeq: number, prevHash: string, lastHash: string) =>
        new AuditCheckpoint(
          7,
          firstSeq,
          prevHash,
          lastHash,
          8 - firstSeq,
          sixth!.at,
          seventh!.at,
          'audit-2026-12-01-0000000006-0000000007.jsonl',
          'f'.repeat(64),
          last!.keySha256,
          Buffer.alloc(64).toString('base64'),
          new Date(),
        );
      const insert = async (checkpoint: AuditCheckpoint) => {
        const em = db.orm.em.fork();
        em.persist(checkpoint);
        await em.flush();
      };
      const refused = { message: expect.stringMatching(/must continue/) };
      // Leaving a gap, not following the previous checkpoint, or not naming the live entries' own hashes: refused.
      await expect(insert(forged(7, seventh!.prevHash, seventh!.hash))).rejects.toMatchObject(refused);
      await expect(insert(forged(6, GENESIS_HASH, seventh!.hash))).rejects.toMatchObject(refused);
      await expect(insert(forged(6, last!.lastHash, sixth!.hash))).rejects.toMatchObject(refused);

      // One that fits goes in (the database cannot check a signature) and lets 6 and 7 be deleted, but it is not
      // signed by the audit key and seals nothing: both are reported.
      await insert(forged(6, last!.lastHash, seventh!.hash));
      await connection.execute('delete from audit_event where seq <= 7');
      expect(await live()).toEqual([8, 9, 10]);
      expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({
        ok: false,
        brokenAt: 6,
        problem: expect.stringContaining('서명이 이 시스템의 감사 기록 서명 키로 만든 것이 아닙니다'),
      });
      expect((await verifyAuditArchive(db.orm.em, folder, signingKey)).problems).toEqual([
        { file: 'audit-2026-12-01-0000000006-0000000007.jsonl', problem: '보관 파일이 없습니다 (6–7번, 2건)' },
      ]);
    });
  });

  test("a case's timeline checks its first live entry against the checkpoint it follows", async () => {
    const em = db.orm.em.fork();
    const request = disclosureRequestRow(1, '02-2680-1234');
    em.persist(request);
    await em.flush();
    const caseEntry = (at: string, reason: string): AuditInput => ({
      ...event(0, at),
      action: 'disclosure.read',
      targetType: 'disclosure_request',
      targetId: request.id,
      reason,
    });
    // The case's first entry is archived with the one after it; its second is the first live entry after the cut.
    for (const input of [caseEntry(DAY_ONE[0]!, '신청 조회 (보관됨)'), event(2, DAY_ONE[1]!), caseEntry(RECENT[0]!, '신청 조회')]) {
      await db.orm.em.fork().transactional((tx) => appendAuditEvent(tx, input));
    }
    await archiveAuditLog(db.orm, options);
    expect(await live()).toEqual([3, 4]);
    const timeline = await readCaseTimeline(
      db.orm.em.fork(),
      { documents: createDocumentStore({ dataDir: folder, masterKey: newDataKey() }), timeZone: 'Asia/Seoul' },
      'disclosure_request',
      request.id,
    );
    expect(timeline.chain).toMatchObject({ ok: true, entries: 1, problems: [] });
  });

  test('a broken chain is never sealed: the archive refuses and leaves everything as it was', async () => {
    await append(db, [...DAY_ONE, ...RECENT]);
    await withoutAppendOnlyGuard(db, `update audit_event set reason = '정당한 사유' where seq = 2`);
    await expect(archiveAuditLog(db.orm, options)).rejects.toMatchObject({ code: 'AUDIT_CHAIN_BROKEN' });
    await expect(archiveAuditLog(db.orm, options)).rejects.toBeInstanceOf(AuditArchiveError);
    expect(await live()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(segmentFiles()).toEqual([]);
    expect(await db.orm.em.fork().count(AuditCheckpoint)).toBe(0);
  });

  test('a run stopped between sealing and committing is finished by the next, and nothing is archived twice', async () => {
    await append(db, [...DAY_ONE, ...RECENT]);
    const oldRows = await db.orm.em.fork().find(AuditEvent, { seq: { $lte: 3 } }, { orderBy: { seq: 'asc' } });
    // Stopped after writing its segment (the same cut as the next run's), and another stopped with a different cut,
    // half-way through writing it.
    const sealed = sealSegment(oldRows, signingKey, '2024-11-20');
    replaceFileDurably(path.join(folder, sealed.name), sealed.bytes);
    const before = statSync(path.join(folder, sealed.name)).mtimeMs;
    const other = sealSegment(oldRows.slice(0, 2), signingKey, '2024-11-20');
    writeFileSync(path.join(folder, other.name), other.bytes);
    writeFileSync(path.join(folder, `${other.name}.partial`), other.bytes.subarray(0, 100));
    expect(await live()).toEqual([1, 2, 3, 4, 5, 6]);
    // Until committed, the files are no part of the record: audit:verify names them, the chain is whole.
    expect(await verifyAuditArchive(db.orm.em, folder, signingKey)).toMatchObject({ ok: true, unreferenced: [other.name, sealed.name] });
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: true, entries: 6 });

    const result = await archiveAuditLog(db.orm, options);
    expect(result.segments.map((segment) => segment.file)).toEqual([sealed.name]);
    // The sealed file was kept as it was (the same bytes); the other cut's files are gone.
    expect(readFileSync(path.join(folder, sealed.name)).equals(sealed.bytes)).toBe(true);
    expect(statSync(path.join(folder, sealed.name)).mtimeMs).toBe(before);
    expect(segmentFiles()).toEqual([sealed.name]);
    expect(await live()).toEqual([4, 5, 6, 7]);

    expect((await archiveAuditLog(db.orm, options)).segments).toEqual([]);
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'audit.archived' })).toBe(1);
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({ ok: true, entries: 7, archived: { checkpoints: 1, entries: 3 } });
    expect(await verifyAuditArchive(db.orm.em, folder, signingKey)).toEqual({ ok: true, segments: 1, entries: 3, problems: [], unreferenced: [] });
  });

  test('two archivers at once (the schedule and the command) take turns: each segment once, the chain whole', async () => {
    await append(
      db,
      Array.from({ length: 12 }, (_, n) => `2024-11-${String(10 + n).padStart(2, '0')}T01:00:00Z`),
    );
    await append(db, RECENT, 13);
    const [a, b] = await Promise.all([archiveAuditLog(db.orm, options), archiveAuditLog(db.orm, { ...options, sourceAddress: 'other' })]);
    const archived = [...a.segments, ...b.segments].map((segment) => segment.firstSeq).sort((x, y) => x - y);
    expect(archived).toEqual(Array.from({ length: 12 }, (_, n) => n + 1));
    expect(await db.orm.em.fork().count(AuditCheckpoint)).toBe(12);
    expect(segmentFiles()).toHaveLength(12);
    expect(await verifyAuditChain(db.orm.em, { checkpointKey: signingKey })).toMatchObject({
      ok: true,
      entries: 27,
      archived: { checkpoints: 12, entries: 12 },
    });
    expect(await verifyAuditArchive(db.orm.em, folder, signingKey)).toMatchObject({ ok: true, segments: 12, unreferenced: [] });
  });

  test('backup carries the archive and its key; restore verifies the chain from the checkpoint', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'audit-archive-data-'));
    const targets = mkdtempSync(path.join(os.tmpdir(), 'audit-archive-backup-'));
    const restoredDir = mkdtempSync(path.join(os.tmpdir(), 'audit-archive-restored-'));
    const target = await emptyDatabase(driver, restoredDir);
    try {
      mkdirSync(path.join(dataDir, 'keys'), { mode: 0o700 });
      writeFileSync(path.join(dataDir, 'keys', 'master.key'), `${newDataKey().toString('base64')}\n`, { mode: 0o600 });
      writeFileSync(path.join(dataDir, 'keys', 'audit-signing.pem'), signingKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      options.folder = path.join(dataDir, 'audit-archive');
      await archivedTwoDays();
      const source = backupSettings(dataDir, db.settings);
      await backup({ settings: source, orm: db.orm, target: path.join(targets, 'data'), keysTarget: path.join(targets, 'keys'), operator: 'test' });
      expect(readdirSync(path.join(targets, 'data', 'audit-archive')).sort()).toEqual(readdirSync(options.folder).sort());
      expect(readdirSync(options.folder)).toHaveLength(2);
      expect(readdirSync(path.join(targets, 'keys'))).toContain('audit-signing.pem');

      // Without the audit key (none given, none in place), refused before anything is written.
      const keyless = { ...backupSettings(restoredDir, target.settings), masterKeyFile: source.masterKeyFile };
      await expect(restore({ settings: keyless, source: path.join(targets, 'data'), operator: 'test' })).rejects.toMatchObject({ code: 'KEY_MISSING' });
      await expect(restore({ settings: keyless, source: path.join(targets, 'data'), operator: 'test' })).rejects.toBeInstanceOf(BackupError);
      expect(readdirSync(restoredDir)).toEqual([]);

      const report = await restore({
        settings: backupSettings(restoredDir, target.settings),
        source: path.join(targets, 'data'),
        keysSource: path.join(targets, 'keys'),
        operator: 'test',
      });
      expect(report.keysRestored).toEqual(expect.arrayContaining(['master-key', 'audit-signing-key']));
      // The live entries, with the restore's own: `backup.restored` and the backup it came from put on the clock.
      expect(report.auditChain).toMatchObject({ ok: true, entries: 13, archived: { checkpoints: 2, entries: 5 } });
      const orm = await initOrm(target.settings);
      try {
        expect(await verifyAuditArchive(orm.em, path.join(restoredDir, 'audit-archive'), signingKey)).toMatchObject({ ok: true, segments: 2 });
        expect((await orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } })).map((row) => row.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
      } finally {
        await orm.close(true);
      }
    } finally {
      await target.dispose();
      for (const created of [dataDir, targets, restoredDir]) rmSync(created, { recursive: true, force: true });
    }
  });

  if (driver === 'sqlite') {
    test('`npm run audit:archive` archives, `npm run audit:verify` checks both parts and one segment alone, and names what was changed', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'audit-archive-cli-'));
      try {
        const keyFile = path.join(dataDir, 'audit-signing.pem');
        writeFileSync(keyFile, signingKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        const env = { ...process.env, DATA_DIR: dataDir, DB_DRIVER: 'sqlite', DB_NAME: db.settings.databaseName, AUDIT_SIGNING_KEY_FILE: keyFile };
        const cli = (name: string, args: string[] = []) =>
          run('node', [path.join(PROJECT_ROOT, `dist/ops/cli/${name}.js`), ...args], { env, cwd: PROJECT_ROOT }).then(
            ({ stdout }) => ({ code: 0, stdout }),
            (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: `${error.stdout}${error.stderr}` }),
          );
        // Entries three years old by the real clock, and one of now.
        const old = new Date(Date.now() - 3 * 366 * 86_400_000);
        old.setUTCHours(3, 0, 0, 0);
        await append(db, [old.toISOString(), new Date(old.getTime() + 1000).toISOString(), new Date().toISOString()]);

        const archived = await cli('audit-archive');
        expect(archived).toMatchObject({ code: 0, stdout: expect.stringContaining('감사 기록 2건을 1개 구간으로 보관했습니다') });
        const [segment] = readdirSync(path.join(dataDir, 'audit-archive'));
        const verified = await cli('audit-verify');
        expect(verified).toMatchObject({ code: 0, stdout: expect.stringContaining('4건 모두 정상') });
        expect(verified.stdout).toContain('보관: 1개 구간 2건');
        expect(verified.stdout).toContain('운영 중: 2건 (3–4번)');
        // One segment alone, with only the public key.
        const publicKeyFile = path.join(dataDir, 'audit-public.pem');
        writeFileSync(publicKeyFile, createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }));
        const segmentFile = path.join(dataDir, 'audit-archive', segment!);
        expect(await cli('audit-verify', [segmentFile, '--public-key', publicKeyFile])).toMatchObject({
          code: 0,
          stdout: expect.stringContaining('1–2번 2건'),
        });

        const bytes = readFileSync(segmentFile);
        bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 1;
        writeFileSync(segmentFile, bytes);
        const tampered = await cli('audit-verify');
        expect(tampered.code).toBe(1);
        expect(tampered.stdout).toContain('보관 구간 변조 또는 손상 발견');
        expect(tampered.stdout).toContain(`${segment}: 기록 내용이 봉인 뒤 바뀌었습니다`);
        expect(await cli('audit-verify', [segmentFile, '--public-key', publicKeyFile])).toMatchObject({ code: 1 });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

function backupSettings(dataDir: string, database: DatabaseSettings): BackupSettings {
  const keys = path.join(dataDir, 'keys');
  return {
    ...database,
    dataDir,
    masterKeyFile: path.join(keys, 'master.key'),
    packageSigningKeyFile: path.join(keys, 'package-signing.pem'),
    grantSigningKeyFile: path.join(keys, 'grant-signing.pem'),
    grantPublicKeyFile: path.join(keys, 'grant-public.pem'),
    auditSigningKeyFile: path.join(keys, 'audit-signing.pem'),
    captureControlApiTokenFile: path.join(keys, 'capture-control-api.token'),
    captureControlWorkerTokenFile: path.join(keys, 'capture-control-worker.token'),
    captureControlPbxTokenFile: path.join(keys, 'capture-control-pbx.token'),
    captureDevicesFile: path.join(keys, 'capture-devices'),
    timeZone: 'Asia/Seoul',
    retentionPeriod: { amount: 30, unit: 'day' },
  };
}
