/**
 * The audit log: append-only and hash-chained. Each entry's hash covers a canonical encoding of its
 * fields and the previous entry's hash, so changing, removing or reordering any entry breaks every
 * hash after it. Appends happen inside the caller's transaction, so an audited change and its
 * audit entry commit or roll back together.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { AuditChainHead, AuditCheckpoint, AuditEvent } from '../db/entities';
import { rowLock } from '../db/row-lock';
import { packageSigningPublicKey } from '../keys';

export const GENESIS_HASH = '0'.repeat(64);
const CHAIN_HEAD_ID = 1;

/** What a caller says about an action; the chain adds sequence, time and hashes. */
export interface AuditInput {
  /** Directory user name, or `system:<component>` for the worker's own actions. */
  actor: string;
  role: string;
  sourceAddress: string;
  action: string;
  targetType: string;
  targetId: string;
  reason: string;
  detail?: Record<string, unknown>;
  at?: Date;
}

export class AuditError extends Error {
  constructor(
    readonly code: 'AUDIT_OUTSIDE_TRANSACTION' | 'AUDIT_CHAIN_HEAD_MISSING' | 'AUDIT_INVALID_DETAIL',
    message: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}

/**
 * JSON with object keys sorted and no whitespace, so that the same facts always hash the same.
 * Refuses values JSON cannot carry faithfully (undefined inside arrays, NaN, functions).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditError('AUDIT_INVALID_DETAIL', `감사 기록에 유한하지 않은 수: ${value}`);
    return JSON.stringify(value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new AuditError('AUDIT_INVALID_DETAIL', `감사 기록에 담을 수 없는 값의 형식: ${typeof value}`);
}

type HashedFields = Omit<AuditEvent, 'hash'>;

/** Exactly the fields an entry's hash covers: what is hashed, and what an archived segment keeps of each entry. */
export function hashedFields(event: HashedFields) {
  return {
    seq: event.seq,
    at: event.at.toISOString(),
    actor: event.actor,
    role: event.role,
    sourceAddress: event.sourceAddress,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    reason: event.reason,
    detail: event.detail,
    prevHash: event.prevHash,
  };
}

export function hashAuditEvent(event: HashedFields): string {
  return createHash('sha256')
    .update(canonicalJson(hashedFields(event)), 'utf8')
    .digest('hex');
}

/**
 * Appends one entry in the caller's open transaction. The chain head row is locked (FOR UPDATE where
 * the database has it; SQLite serialises writers itself), so concurrent appends queue instead of forking.
 */
export async function appendAuditEvent(em: EntityManager, input: AuditInput): Promise<AuditEvent> {
  return (await appendAuditEvents(em, [input]))[0] as AuditEvent;
}

/** Appends several entries in order under one lock of the chain head, in the caller's open transaction. */
export async function appendAuditEvents(em: EntityManager, inputs: readonly AuditInput[]): Promise<AuditEvent[]> {
  if (!em.isInTransaction()) {
    throw new AuditError('AUDIT_OUTSIDE_TRANSACTION', 'audit entries are written in the transaction of the change they record (use em.transactional)');
  }
  const head = await em.findOne(AuditChainHead, CHAIN_HEAD_ID, rowLock(em));
  if (!head) throw new AuditError('AUDIT_CHAIN_HEAD_MISSING', 'audit chain head row is missing: run the migrations');
  const events = inputs.map((input) => {
    // Stored datetimes keep milliseconds; hashing a finer value would not verify after a round trip.
    const at = new Date(Math.floor((input.at ?? new Date()).getTime()));
    const fields: HashedFields = {
      seq: head.lastSeq + 1,
      at,
      actor: input.actor,
      role: input.role,
      sourceAddress: input.sourceAddress,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId,
      reason: input.reason,
      detail: canonicalJson(input.detail ?? {}),
      prevHash: head.lastHash,
    };
    const event = new AuditEvent(
      fields.seq,
      fields.at,
      fields.actor,
      fields.role,
      fields.sourceAddress,
      fields.action,
      fields.targetType,
      fields.targetId,
      fields.reason,
      fields.detail,
      fields.prevHash,
      hashAuditEvent(fields),
    );
    head.lastSeq = event.seq;
    head.lastHash = event.hash;
    return event;
  });
  em.persist(events);
  await em.flush();
  return events;
}

/**
 * Entries that record a read or a refusal have no change of their own to ride in, and committing each
 * alone would queue every request on the chain head lock. They are appended in groups instead (group
 * commit): one transaction, one lock, many entries, while each caller still waits for its own entry to be
 * committed, so nothing is answered before its audit entry is safe.
 */
export class AuditBatcher {
  private readonly queue: { input: AuditInput; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly maxBatch = 200,
  ) {}

  async append(input: AuditInput): Promise<void> {
    // A value the chain cannot hold fails its own caller here, not the whole group later.
    canonicalJson(input.detail ?? {});
    const stamped = { ...input, at: input.at ?? new Date() };
    return new Promise((resolve, reject) => {
      this.queue.push({ input: stamped, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.orm.em.fork().transactional((em) =>
          appendAuditEvents(
            em,
            batch.map((entry) => entry.input),
          ),
        );
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.draining = false;
  }
}

/**
 * What a checkpoint's signature covers (issue 19): the archived range, the hash it follows and its last hash, the
 * entries' time span and the SHA-256 of the sealed segment holding them. The same facts head the segment's file.
 */
export interface CheckpointFacts {
  firstSeq: number;
  lastSeq: number;
  prevHash: string;
  lastHash: string;
  count: number;
  /** ISO 8601, as the entries' own `at` is hashed. */
  firstAt: string;
  lastAt: string;
  segmentSha256: string;
}

/** Signatures over anything else made with the key (were it ever used for more) never verify as a checkpoint's. */
const CHECKPOINT_DOMAIN = Buffer.from('gm-telephone-recording:audit-checkpoint:v1\0', 'utf8');

function checkpointStatement(facts: CheckpointFacts): Buffer {
  const { firstSeq, lastSeq, prevHash, lastHash, count, firstAt, lastAt, segmentSha256 } = facts;
  const canonical = canonicalJson({ firstSeq, lastSeq, prevHash, lastHash, count, firstAt, lastAt, segmentSha256 });
  return Buffer.concat([CHECKPOINT_DOMAIN, Buffer.from(canonical, 'utf8')]);
}

/** Ed25519 over the checkpoint's facts, base64; deterministic, so the same segment sealed twice is the same bytes. */
export function signCheckpoint(signingKey: KeyObject, facts: CheckpointFacts): string {
  return sign(null, checkpointStatement(facts), signingKey).toString('base64');
}

export function checkpointSignatureHolds(key: KeyObject, facts: CheckpointFacts, signature: string): boolean {
  try {
    return verify(null, checkpointStatement(facts), auditPublicKey(key), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The public half of the audit signing key (given either half). */
export function auditPublicKey(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** SHA-256 of the key's DER SubjectPublicKeyInfo: the fingerprint checkpoints and segments name their key by. */
export function auditKeySha256(key: KeyObject): string {
  return packageSigningPublicKey(auditPublicKey(key)).sha256;
}

export function checkpointFacts(checkpoint: AuditCheckpoint): CheckpointFacts {
  return {
    firstSeq: checkpoint.firstSeq,
    lastSeq: checkpoint.lastSeq,
    prevHash: checkpoint.prevHash,
    lastHash: checkpoint.lastHash,
    count: checkpoint.entryCount,
    firstAt: checkpoint.firstAt.toISOString(),
    lastAt: checkpoint.lastAt.toISOString(),
    segmentSha256: checkpoint.segmentSha256,
  };
}

export type ChainVerification =
  | {
      ok: true;
      /** Entries the chain holds from the genesis hash on, archived ones included. */
      entries: number;
      lastHash: string;
      /** Present once entries were archived: how many, in how many signed checkpoints, each verified. */
      archived?: { checkpoints: number; entries: number };
    }
  | { ok: false; entries: number; brokenAt: number; problem: string };

export interface ChainVerificationOptions {
  batchSize?: number;
  /**
   * The audit signing key (AUDIT_SIGNING_KEY_FILE, either half): once entries are archived, the live chain starts from
   * the newest checkpoint, and every checkpoint's signature is checked with it. Without it a chain with checkpoints
   * does not verify.
   */
  checkpointKey?: KeyObject;
}

/**
 * Reads the whole chain in order and names the first entry that does not verify. Archived entries (issue 19) are
 * stood for by their checkpoints: each must continue the one before it from the genesis hash and carry the audit
 * signing key's signature, and the live chain must continue the newest one. The sealed segments themselves are
 * checked by infra/audit/audit-archive.ts `verifyAuditArchive`.
 */
export async function verifyAuditChain(em: EntityManager, options: number | ChainVerificationOptions = {}): Promise<ChainVerification> {
  const { batchSize = 5_000, checkpointKey } = typeof options === 'number' ? { batchSize: options } : options;
  // An archive committed while the chain is read moves its start: read again from the new checkpoint.
  const newestCut = async () =>
    (await em.fork().findOne(AuditCheckpoint, { lastSeq: { $gte: 0 } }, { orderBy: { lastSeq: 'desc' }, fields: ['lastSeq'] }))?.lastSeq;
  for (let attempt = 1; ; attempt += 1) {
    const cut = await newestCut();
    const result = await verifyChainOnce(em, batchSize, checkpointKey);
    if (result.ok || attempt === 3 || (await newestCut()) === cut) return result;
  }
}

async function verifyChainOnce(em: EntityManager, batchSize: number, checkpointKey: KeyObject | undefined): Promise<ChainVerification> {
  const fork = em.fork({ clear: true });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  const broken = (problem: string): ChainVerification => ({
    ok: false,
    entries: expectedSeq - 1,
    brokenAt: expectedSeq,
    problem,
  });
  const checkpoints = await fork.find(AuditCheckpoint, {}, { orderBy: { lastSeq: 'asc' } });
  const keySha256 = checkpointKey && auditKeySha256(checkpointKey);
  for (const checkpoint of checkpoints) {
    const range = `${checkpoint.firstSeq}–${checkpoint.lastSeq}번`;
    if (checkpoint.firstSeq !== expectedSeq || checkpoint.prevHash !== prevHash) return broken(`보관 체크포인트(${range})가 앞 구간과 이어지지 않습니다`);
    if (checkpoint.entryCount !== checkpoint.lastSeq - checkpoint.firstSeq + 1) return broken(`보관 체크포인트(${range})의 건수가 범위와 다릅니다`);
    if (!checkpointKey) return broken(`보관된 구간(${range})이 있으나 그 서명을 확인할 감사 기록 서명 키가 없습니다 (AUDIT_SIGNING_KEY_FILE)`);
    if (checkpoint.keySha256 !== keySha256 || !checkpointSignatureHolds(checkpointKey, checkpointFacts(checkpoint), checkpoint.signature)) {
      return broken(`보관 체크포인트(${range})의 서명이 이 시스템의 감사 기록 서명 키로 만든 것이 아닙니다 (위조 또는 변조)`);
    }
    expectedSeq = checkpoint.lastSeq + 1;
    prevHash = checkpoint.lastHash;
  }
  const archivedEntries = expectedSeq - 1;
  if (archivedEntries > 0) {
    const stillLive = await fork.findOne(AuditEvent, { seq: { $lte: archivedEntries } }, { orderBy: { seq: 'asc' } });
    if (stillLive) {
      return { ok: false, entries: stillLive.seq - 1, brokenAt: stillLive.seq, problem: `보관된 기록 ${stillLive.seq}번이 운영 테이블에도 남아 있습니다` };
    }
  }
  for (;;) {
    const batch = await fork.find(AuditEvent, { seq: { $gte: expectedSeq } }, { orderBy: { seq: 'asc' }, limit: batchSize });
    for (const event of batch) {
      if (event.seq !== expectedSeq) return broken(`entry ${expectedSeq} is missing (next present is ${event.seq})`);
      if (event.prevHash !== prevHash) return broken(`entry ${event.seq} does not follow entry ${event.seq - 1}`);
      if (hashAuditEvent(event) !== event.hash) return broken(`entry ${event.seq} was changed after it was written`);
      prevHash = event.hash;
      expectedSeq += 1;
    }
    fork.clear();
    if (batch.length < batchSize) break;
  }
  const head = await fork.findOne(AuditChainHead, CHAIN_HEAD_ID);
  const entries = expectedSeq - 1;
  if (!head) return { ok: false, entries, brokenAt: expectedSeq, problem: 'audit chain head row is missing' };
  if (head.lastSeq !== entries || head.lastHash !== prevHash) {
    return {
      ok: false,
      entries,
      brokenAt: entries + 1,
      problem: `the chain head records ${head.lastSeq} entries but ${entries} verify: entries after ${entries} were removed`,
    };
  }
  return {
    ok: true,
    entries,
    lastHash: prevHash,
    ...(checkpoints.length > 0 ? { archived: { checkpoints: checkpoints.length, entries: archivedEntries } } : {}),
  };
}
