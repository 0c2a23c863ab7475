/**
 * Audit retention with the chain intact (issue 19). 안전성 확보조치 기준 제8조 asks for access records to be kept at
 * least one year (two for large or sensitive systems) and to stay verifiable — not for the live table to grow for ever
 * (every search writes an entry). Entries older than AUDIT_RETENTION_PERIOD are therefore archived:
 *
 * 1. A **segment** is cut from the oldest live entries: consecutive entries of one calendar day (in TIME_ZONE), all
 *    older than the cutoff (the start of the day the period reaches back to), at most `maxEntriesPerSegment`. The chain
 *    is verified over it first: a broken chain is never sealed, it is reported.
 * 2. It is written to `<DATA_DIR>/audit-archive/audit-<day>-<first seq>-<last seq>.jsonl` — a header line, then one
 *    line per entry with exactly the fields its hash covers and the hash (JSON Lines, canonical JSON) — durably (synced,
 *    then renamed into place). The header names the range, the hash the first entry follows, the last entry's hash,
 *    the entries' time span, the SHA-256 of the entry lines, and the audit signing key's Ed25519 signature over all of
 *    these (audit-log.ts `signCheckpoint`). Signatures are deterministic: sealing the same entries again gives the same
 *    bytes. Not encrypted: it holds what the live table held in clear, owner-only like the database's files, and
 *    must stay verifiable with nothing but the public key.
 * 3. Then, in one transaction under the chain head's lock: the **checkpoint** row (the same facts and signature) is
 *    inserted, the archived entries are deleted — the database lets only entries at or below the newest checkpoint
 *    go — and an `audit.archived` entry is appended to the live chain after the cut, naming the segment, its range
 *    and hashes. The live chain now starts at the checkpoint: its first entry follows the checkpoint's signed hash.
 *
 * A crash between 2 and 3 leaves a segment file and no checkpoint: the entries are still live, and the next run seals
 * the same segment again (the same bytes, so the file is kept) and commits it. A file no checkpoint will name (the
 * cut came out different, or another run won the race) is removed once a checkpoint covers its range. Two archivers
 * at once (the schedule and the command) are serialised by the chain head's lock; the loser finds the checkpoint
 * moved and starts over. A run archives nothing after the chain's last entry when it started, so never its own
 * `audit.archived` entries, and always ends; and it signs with the key that signed the archive so far, or not at all
 * (`audit:verify` checks the whole archive with one key).
 *
 * Who could do what. Someone with write access to the database but not the key could insert a checkpoint that fits
 * the live rows (the database checks the fit, not the signature) and delete the rows under it; the checkpoint's
 * signature then fails and no sealed segment holds the rows, and `npm run audit:verify` says so. A segment file
 * changed by one byte fails its SHA-256 and its signature; a segment removed is missing for its checkpoint; a
 * checkpoint removed or changed breaks the chain of checkpoints or its signature. With the key (the worker's host
 * taken over) checkpoints could be forged: the key file is owner-only, outside the database, and backed up apart
 * from the data.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { AuditChainHead, AuditCheckpoint, AuditEvent } from '../db/entities';
import { rowLock } from '../db/row-lock';
import { replaceFileDurably } from '../durable-files';
import { addDays, LegalCalendar, type LocalDate } from '../../domain/legal-period';
import { CodedError } from '../../domain/coded-error';
import type { Period } from '../../domain/period';
import {
  appendAuditEvent,
  auditKeySha256,
  canonicalJson,
  hashedFields,
  checkpointFacts,
  checkpointSignatureHolds,
  GENESIS_HASH,
  hashAuditEvent,
  signCheckpoint,
  type CheckpointFacts,
} from './audit-log';

/** The archive's folder under DATA_DIR (backed up with the data: ops/backup-manifest.ts FILE_FOLDERS). */
export const AUDIT_ARCHIVE_FOLDER = 'audit-archive';
export const SEGMENT_FORMAT = 'gm-telephone-recording:audit-segment';
export const DEFAULT_SEGMENT_ENTRIES = 20_000;
const SEGMENT_NAME = /^audit-(\d{4}-\d{2}-\d{2})-(\d{10})-(\d{10})\.jsonl(\.partial)?$/;

export type AuditArchiveErrorCode = 'AUDIT_CHAIN_BROKEN' | 'AUDIT_CHAIN_HEAD_MISSING' | 'AUDIT_SIGNING_KEY_MISMATCH';
export class AuditArchiveError extends CodedError<AuditArchiveErrorCode> {}

export function auditArchiveFolder(dataDir: string): string {
  return path.join(dataDir, AUDIT_ARCHIVE_FOLDER);
}

export function segmentFileName(day: LocalDate, firstSeq: number, lastSeq: number): string {
  return `audit-${day}-${String(firstSeq).padStart(10, '0')}-${String(lastSeq).padStart(10, '0')}.jsonl`;
}

/** The header line of a segment: its checkpoint's facts, the key's fingerprint and the signature. */
export interface SegmentHeader extends CheckpointFacts {
  format: typeof SEGMENT_FORMAT;
  version: 1;
  keySha256: string;
  signature: string;
}

/** A local date `period` before `date`, by the calendar (a month back from 31 March is the last day of February). */
function periodBefore(date: LocalDate, period: Period): LocalDate {
  if (period.unit === 'day') return addDays(date, -period.amount);
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) - (period.unit === 'month' ? period.amount : period.amount * 12);
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth, 0)).getUTCDate();
  return `${targetYear}-${String(targetMonth).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`;
}

/**
 * Entries before this instant are due for the archive: the start (00:00 in `timeZone`) of the day `period` before
 * today, so every entry is kept live for the whole period and whole days are archived together.
 */
export function auditArchiveCutoff(now: Date, period: Period, timeZone: string): Date {
  const calendar = dayCalendar(timeZone);
  return calendar.startOfDay(periodBefore(calendar.localDate(now), period));
}

/** Local dates and the start of a day need no holiday table. */
function dayCalendar(timeZone: string): LegalCalendar {
  return new LegalCalendar(new Map(), timeZone);
}

/** An entry's line: exactly the fields its hash covers, and the hash. */
function entryLine(event: AuditEvent): string {
  return canonicalJson({ ...hashedFields(event), hash: event.hash });
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A sealed segment of consecutive, verified entries. */
export function sealSegment(events: readonly AuditEvent[], signingKey: KeyObject, day: LocalDate): { name: string; header: SegmentHeader; bytes: Buffer } {
  const first = events[0] as AuditEvent;
  const last = events[events.length - 1] as AuditEvent;
  const body = Buffer.from(events.map((event) => `${entryLine(event)}\n`).join(''), 'utf8');
  const facts: CheckpointFacts = {
    firstSeq: first.seq,
    lastSeq: last.seq,
    prevHash: first.prevHash,
    lastHash: last.hash,
    count: events.length,
    firstAt: first.at.toISOString(),
    lastAt: last.at.toISOString(),
    segmentSha256: sha256(body),
  };
  const header: SegmentHeader = {
    format: SEGMENT_FORMAT,
    version: 1,
    ...facts,
    keySha256: auditKeySha256(signingKey),
    signature: signCheckpoint(signingKey, facts),
  };
  return { name: segmentFileName(day, first.seq, last.seq), header, bytes: Buffer.concat([Buffer.from(`${canonicalJson(header)}\n`, 'utf8'), body]) };
}

export interface SegmentVerification {
  /** The header as read, when it could be. */
  header?: SegmentHeader;
  /** What is wrong, in Korean; empty when the segment verifies. */
  problems: string[];
}

const MAX_ENTRY_PROBLEMS = 5;

/**
 * One segment on its own: its header's signature by the audit signing key (whose public half is enough), the SHA-256
 * of its entry lines, and every entry's hash and link from the header's first hash to its last.
 */
export function verifySegment(bytes: Buffer, key: KeyObject): SegmentVerification {
  const problems: string[] = [];
  const newline = bytes.indexOf(0x0a);
  let header: SegmentHeader;
  try {
    header = JSON.parse(bytes.subarray(0, newline < 0 ? bytes.length : newline).toString('utf8')) as SegmentHeader;
  } catch {
    return { problems: ['머리 줄을 읽을 수 없습니다 (보관 구간 파일이 아니거나 손상됨)'] };
  }
  if (header?.format !== SEGMENT_FORMAT || header.version !== 1) return { problems: ['감사 기록 보관 구간 파일이 아닙니다'] };
  const body = bytes.subarray(newline + 1);
  if (sha256(body) !== header.segmentSha256) problems.push('기록 내용이 봉인 뒤 바뀌었습니다 (SHA-256 불일치)');
  if (header.keySha256 !== auditKeySha256(key)) problems.push(`다른 키로 서명되었습니다 (서명 키 지문 ${header.keySha256})`);
  else if (!checkpointSignatureHolds(key, header, header.signature)) problems.push('서명이 맞지 않습니다 (머리 줄이 바뀌었거나 위조됨)');

  const lines = body.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let expectedSeq = header.firstSeq;
  let prevHash = header.prevHash;
  const entryProblems: string[] = [];
  const entryProblem = (text: string) => {
    if (entryProblems.length < MAX_ENTRY_PROBLEMS) entryProblems.push(text);
  };
  let firstAt: string | undefined;
  let lastAt: string | undefined;
  for (const line of lines) {
    let entry: Omit<AuditEvent, 'at'> & { at: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entryProblem(`${expectedSeq}번 기록 줄을 읽을 수 없습니다`);
      expectedSeq += 1;
      continue;
    }
    const at = new Date(entry.at);
    if (entry.seq !== expectedSeq) entryProblem(`${expectedSeq}번 기록이 없습니다 (다음 줄은 ${entry.seq}번)`);
    else if (entry.prevHash !== prevHash) entryProblem(`${entry.seq}번 기록이 앞 기록과 이어지지 않습니다`);
    else if (Number.isNaN(at.getTime()) || at.toISOString() !== entry.at || hashAuditEvent({ ...entry, at }) !== entry.hash)
      entryProblem(`${entry.seq}번 기록이 기록된 뒤 바뀌었습니다 (해시 불일치)`);
    firstAt ??= entry.at;
    lastAt = entry.at;
    prevHash = entry.hash;
    expectedSeq = entry.seq + 1;
  }
  problems.push(...entryProblems);
  if (lines.length !== header.count || expectedSeq - 1 !== header.lastSeq)
    problems.push(`기록 수가 머리 줄(${header.firstSeq}–${header.lastSeq}번, ${header.count}건)과 다릅니다 (${lines.length}건)`);
  if (prevHash !== header.lastHash) problems.push('마지막 기록의 해시가 머리 줄의 것과 다릅니다');
  if (firstAt !== header.firstAt || lastAt !== header.lastAt) problems.push('기록 시각의 범위가 머리 줄과 다릅니다');
  return { header, problems };
}

/** A segment file on its own (`npm run audit:verify -- <file>`): the segment, and its name against its range. */
export function verifySegmentFile(file: string, key: KeyObject): SegmentVerification {
  const verification = verifySegment(readFileSync(file), key);
  const named = SEGMENT_NAME.exec(path.basename(file));
  const { header } = verification;
  if (header && named && (Number(named[2]) !== header.firstSeq || Number(named[3]) !== header.lastSeq)) {
    verification.problems.push(`파일 이름의 범위가 내용(${header.firstSeq}–${header.lastSeq}번)과 다릅니다`);
  }
  return verification;
}

export interface ArchiveVerification {
  ok: boolean;
  /** Segments named by checkpoints, and the entries they hold. */
  segments: number;
  entries: number;
  /** Per segment file (or checkpoint), what is wrong. */
  problems: { file: string; problem: string }[];
  /** Segment files no checkpoint names (a run stopped between sealing and committing): not part of the record. */
  unreferenced: string[];
}

/**
 * Every archived segment against its checkpoint and on its own, and the segments in order from the genesis hash to
 * the newest checkpoint (where the live chain continues: verifyAuditChain).
 */
export async function verifyAuditArchive(em: EntityManager, folder: string, key: KeyObject | undefined): Promise<ArchiveVerification> {
  const checkpoints = await em.fork({ clear: true }).find(AuditCheckpoint, {}, { orderBy: { lastSeq: 'asc' } });
  const problems: ArchiveVerification['problems'] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  for (const checkpoint of checkpoints) {
    const file = checkpoint.segmentFile;
    const location = path.join(folder, file);
    if (path.basename(file) !== file || !SEGMENT_NAME.test(file)) problems.push({ file, problem: '체크포인트의 파일 이름이 보관 구간 파일 이름이 아닙니다' });
    else if (!existsSync(location))
      problems.push({ file, problem: `보관 파일이 없습니다 (${checkpoint.firstSeq}–${checkpoint.lastSeq}번, ${checkpoint.entryCount}건)` });
    else if (!key) problems.push({ file, problem: '서명을 확인할 감사 기록 서명 키가 없습니다 (AUDIT_SIGNING_KEY_FILE 또는 --public-key)' });
    else {
      const { header, problems: own } = verifySegmentFile(location, key);
      for (const problem of own) problems.push({ file, problem });
      const facts = checkpointFacts(checkpoint);
      const matches =
        header !== undefined &&
        (Object.keys(facts) as (keyof CheckpointFacts)[]).every((name) => header[name] === facts[name]) &&
        header.signature === checkpoint.signature &&
        header.keySha256 === checkpoint.keySha256;
      if (header && !matches) problems.push({ file, problem: '데이터베이스의 체크포인트와 내용이 다릅니다' });
    }
    if (checkpoint.firstSeq !== expectedSeq || checkpoint.prevHash !== prevHash) {
      problems.push({ file, problem: `앞 구간(${expectedSeq - 1}번까지)과 이어지지 않습니다` });
    }
    expectedSeq = checkpoint.lastSeq + 1;
    prevHash = checkpoint.lastHash;
    entries += checkpoint.entryCount;
  }
  const named = new Set(checkpoints.map((checkpoint) => checkpoint.segmentFile));
  const unreferenced = existsSync(folder)
    ? readdirSync(folder)
        .filter((name) => SEGMENT_NAME.test(name) && !name.endsWith('.partial') && !named.has(name))
        .sort()
    : [];
  return { ok: problems.length === 0, segments: checkpoints.length, entries, problems, unreferenced };
}

export interface ArchivedSegment {
  file: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  firstAt: string;
  lastAt: string;
  segmentSha256: string;
  fileSha256: string;
}

export interface AuditArchiveOptions {
  folder: string;
  signingKey: KeyObject;
  period: Period;
  timeZone: string;
  now?: Date;
  maxEntriesPerSegment?: number;
  /** At most this many segments in one call (`more` says whether it stopped for that). */
  maxSegments?: number;
  /**
   * Archive no entry after this one: by default the chain's last entry when the call starts, so a run never archives
   * the `audit.archived` entries it appends itself (due at once if its clock runs ahead of theirs) and always ends.
   */
  throughSeq?: number;
  /** Where the archiving ran, for its audit entries (`worker`, or the command's host). */
  sourceAddress: string;
  /** More facts for the `audit.archived` entries (the command's operating-system user). */
  detail?: Record<string, unknown>;
  /** Called after each committed segment (the activity heartbeats). */
  onSegment?: (segment: ArchivedSegment) => void;
}

export interface AuditArchiveResult {
  cutoff: string;
  /** The last entry this call could archive (pass it on to the next call of the same run). */
  throughSeq: number;
  segments: ArchivedSegment[];
  /** Stopped at `maxSegments`: more may be due. */
  more: boolean;
}

/** Archives every entry older than the period, one segment at a time, each sealed before its rows are removed. */
export async function archiveAuditLog(orm: MikroORM, options: AuditArchiveOptions): Promise<AuditArchiveResult> {
  const cutoff = auditArchiveCutoff(options.now ?? new Date(), options.period, options.timeZone);
  const head = await orm.em.fork().findOne(AuditChainHead, 1, { disableIdentityMap: true });
  if (!head) throw new AuditArchiveError('AUDIT_CHAIN_HEAD_MISSING', '감사 기록 연쇄의 머리 행이 없습니다: 마이그레이션을 실행하십시오');
  const throughSeq = options.throughSeq ?? head.lastSeq;
  const segments: ArchivedSegment[] = [];
  const result = (more: boolean): AuditArchiveResult => ({ cutoff: cutoff.toISOString(), throughSeq, segments, more });
  mkdirSync(options.folder, { recursive: true, mode: 0o700 });
  for (;;) {
    if (segments.length >= (options.maxSegments ?? Number.POSITIVE_INFINITY)) return result(true);
    const step = await archiveOneSegment(orm, options, cutoff, throughSeq);
    if (step === 'nothing due') return result(false);
    if (step === 'raced') continue;
    segments.push(step);
    options.onSegment?.(step);
  }
}

async function archiveOneSegment(
  orm: MikroORM,
  options: AuditArchiveOptions,
  cutoff: Date,
  throughSeq: number,
): Promise<ArchivedSegment | 'nothing due' | 'raced'> {
  const em = orm.em.fork({ clear: true });
  const latest = await newestCheckpoint(em);
  const after = latest?.lastSeq ?? 0;
  // One key for the whole archive: audit:verify checks every checkpoint with it.
  if (latest && latest.keySha256 !== auditKeySha256(options.signingKey)) {
    throw new AuditArchiveError(
      'AUDIT_SIGNING_KEY_MISMATCH',
      `AUDIT_SIGNING_KEY_FILE의 키가 지금까지의 보관 구간을 서명한 키(지문 ${latest.keySha256})가 아닙니다: 보관하지 않습니다`,
    );
  }
  const calendar = dayCalendar(options.timeZone);
  const candidates = await em.find(
    AuditEvent,
    { seq: { $gt: after, $lte: throughSeq } },
    { orderBy: { seq: 'asc' }, limit: options.maxEntriesPerSegment ?? DEFAULT_SEGMENT_ENTRIES },
  );
  const first = candidates[0];
  if (!first || first.at >= cutoff) return 'nothing due';
  const day = calendar.localDate(first.at);
  const events: AuditEvent[] = [];
  for (const event of candidates) {
    if (event.at >= cutoff || calendar.localDate(event.at) !== day) break;
    events.push(event);
  }

  // Never seal what does not verify: a broken chain is reported, not archived out of sight. (Unless another archiver
  // committed between the two reads above: then the entries it archived are simply gone, and this run starts over.)
  let expectedSeq = after + 1;
  let prevHash = latest?.lastHash ?? GENESIS_HASH;
  for (const event of events) {
    const problem =
      event.seq !== expectedSeq
        ? `이 없습니다 (다음은 ${event.seq}번)`
        : event.prevHash !== prevHash
          ? '이 앞 기록과 이어지지 않습니다'
          : hashAuditEvent(event) !== event.hash
            ? '이 기록된 뒤 바뀌었습니다'
            : undefined;
    if (problem) {
      if (((await newestCheckpoint(em))?.lastSeq ?? 0) !== after) return 'raced';
      throw new AuditArchiveError('AUDIT_CHAIN_BROKEN', `감사 기록 ${expectedSeq}번${problem}: 보관하지 않습니다 (npm run audit:verify로 확인하십시오)`);
    }
    prevHash = event.hash;
    expectedSeq += 1;
  }

  const segment = sealSegment(events, options.signingKey, day);
  const file = path.join(options.folder, segment.name);
  // The same entries seal to the same bytes: a file a stopped run left is kept as it is. One a checkpoint names
  // (another run has just committed it) is never written over.
  if (!(existsSync(file) && readFileSync(file).equals(segment.bytes))) {
    if ((await em.count(AuditCheckpoint, { segmentFile: segment.name })) > 0) return 'raced';
    replaceFileDurably(file, segment.bytes);
  }
  const { header } = segment;
  const archived: ArchivedSegment = {
    file: segment.name,
    firstSeq: header.firstSeq,
    lastSeq: header.lastSeq,
    count: header.count,
    firstAt: header.firstAt,
    lastAt: header.lastAt,
    segmentSha256: header.segmentSha256,
    fileSha256: sha256(segment.bytes),
  };

  const committed = await orm.em.fork().transactional(async (tx) => {
    // Every writer of the chain takes this lock first: archivers, and the appends after them, one at a time.
    const head = await tx.findOne(AuditChainHead, 1, rowLock(tx));
    if (!head) throw new AuditArchiveError('AUDIT_CHAIN_HEAD_MISSING', '감사 기록 연쇄의 머리 행이 없습니다: 마이그레이션을 실행하십시오');
    if (((await newestCheckpoint(tx))?.lastSeq ?? 0) !== after) return false;
    tx.persist(
      new AuditCheckpoint(
        header.lastSeq,
        header.firstSeq,
        header.prevHash,
        header.lastHash,
        header.count,
        new Date(header.firstAt),
        new Date(header.lastAt),
        segment.name,
        header.segmentSha256,
        header.keySha256,
        header.signature,
        new Date(),
      ),
    );
    await tx.flush();
    await tx.nativeDelete(AuditEvent, { seq: { $gte: header.firstSeq, $lte: header.lastSeq } });
    await appendAuditEvent(tx, {
      actor: 'system:auditArchive',
      role: 'system',
      sourceAddress: options.sourceAddress,
      action: 'audit.archived',
      targetType: 'audit_segment',
      targetId: segment.name,
      reason: '감사 기록 보관 (보관 기간 경과)',
      detail: {
        ...options.detail,
        firstSeq: header.firstSeq,
        lastSeq: header.lastSeq,
        count: header.count,
        firstAt: header.firstAt,
        lastAt: header.lastAt,
        prevHash: header.prevHash,
        lastHash: header.lastHash,
        segmentSha256: header.segmentSha256,
        fileSha256: archived.fileSha256,
        keySha256: header.keySha256,
        cutoff: cutoff.toISOString(),
      },
    });
    return true;
  });
  await removeUnreferencedSegments(orm.em.fork({ clear: true }), options.folder);
  return committed ? archived : 'raced';
}

/**
 * Read, never managed: a flush of the same entity manager (the transaction's own appends) must not take a loaded
 * checkpoint for changed — SQLite's datetimes read back unequal to what was written — and try to update it, which the
 * database refuses.
 */
async function newestCheckpoint(em: EntityManager): Promise<AuditCheckpoint | null> {
  return em.findOne(AuditCheckpoint, { lastSeq: { $gte: 0 } }, { orderBy: { lastSeq: 'desc' }, disableIdentityMap: true });
}

/**
 * Segment files (and half-written ones) whose range a checkpoint now covers but which no checkpoint names: a run that
 * stopped before committing, or lost the race, and whose cut came out different. A file that starts after the newest
 * checkpoint may still be committed by a run under way, so it stays.
 */
async function removeUnreferencedSegments(em: EntityManager, folder: string): Promise<void> {
  const newest = (await newestCheckpoint(em))?.lastSeq ?? 0;
  const covered = readdirSync(folder).filter((name) => {
    const match = SEGMENT_NAME.exec(name);
    return match !== null && Number(match[2]) <= newest;
  });
  if (covered.length === 0) return;
  const named = new Set<string>();
  for (let index = 0; index < covered.length; index += 500) {
    const names = covered.slice(index, index + 500).map((name) => name.replace(/\.partial$/, ''));
    for (const row of await em.find(AuditCheckpoint, { segmentFile: { $in: names } }, { fields: ['segmentFile'] })) named.add(row.segmentFile);
  }
  for (const name of covered) {
    if (name.endsWith('.partial') || !named.has(name)) rmSync(path.join(folder, name), { force: true });
  }
}
