/**
 * The audit log: append-only and hash-chained. Each entry's hash covers a canonical encoding of its
 * fields and the previous entry's hash, so changing, removing or reordering any entry breaks every
 * hash after it. Appends happen inside the caller's transaction, so an audited change and its
 * audit entry commit or roll back together.
 */
import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { AuditChainHead, AuditEvent } from '../db/entities';
import { rowLock } from '../db/row-lock';

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

export function hashAuditEvent(event: HashedFields): string {
  const canonical = canonicalJson({
    seq: event.seq,
    at: event.at,
    actor: event.actor,
    role: event.role,
    sourceAddress: event.sourceAddress,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    reason: event.reason,
    detail: event.detail,
    prevHash: event.prevHash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
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

export type ChainVerification = { ok: true; entries: number; lastHash: string } | { ok: false; entries: number; brokenAt: number; problem: string };

/** Reads the whole chain in order and names the first entry that does not verify. */
export async function verifyAuditChain(em: EntityManager, batchSize = 5_000): Promise<ChainVerification> {
  const fork = em.fork({ clear: true });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const batch = await fork.find(AuditEvent, { seq: { $gte: expectedSeq } }, { orderBy: { seq: 'asc' }, limit: batchSize });
    for (const event of batch) {
      const broken = (problem: string): ChainVerification => ({
        ok: false,
        entries: expectedSeq - 1,
        brokenAt: expectedSeq,
        problem,
      });
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
  return { ok: true, entries, lastHash: prevHash };
}
