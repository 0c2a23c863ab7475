import { EntitySchema } from '@mikro-orm/core';
import { UnicodeTextType } from '../types';

/**
 * One entry of the append-only, hash-chained audit log (안전성 확보조치 기준 제8조: account, time,
 * address, subject, action). `seq` is assigned by the chain, gap-free, so a removed row shows as a gap.
 */
export class AuditEvent {
  constructor(
    public seq: number,
    public at: Date,
    public actor: string,
    public role: string,
    public sourceAddress: string,
    public action: string,
    public targetType: string,
    public targetId: string,
    public reason: string,
    /** Canonical JSON of action-specific facts. */
    public detail: string,
    public prevHash: string,
    public hash: string,
  ) {}
}

export const AuditEventSchema = new EntitySchema<AuditEvent>({
  class: AuditEvent,
  tableName: 'audit_event',
  indexes: [{ properties: ['targetType', 'targetId'] }, { properties: ['at'] }, { properties: ['actor'] }],
  properties: {
    seq: { type: 'integer', primary: true, autoincrement: false },
    at: { type: 'datetime' },
    actor: { type: 'string', length: 128 },
    role: { type: 'string', length: 32 },
    sourceAddress: { type: 'string', length: 64 },
    action: { type: 'string', length: 64 },
    targetType: { type: 'string', length: 64 },
    targetId: { type: 'string', length: 128 },
    reason: { type: 'string', length: 1000 },
    detail: { type: UnicodeTextType },
    prevHash: { type: 'string', length: 64 },
    hash: { type: 'string', length: 64, unique: true },
  },
});

/** The single row every append locks, so that concurrent writers extend the chain one at a time. */
export class AuditChainHead {
  constructor(
    public id: number,
    public lastSeq: number,
    public lastHash: string,
  ) {}
}

export const AuditChainHeadSchema = new EntitySchema<AuditChainHead>({
  class: AuditChainHead,
  tableName: 'audit_chain_head',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: false },
    lastSeq: { type: 'integer' },
    lastHash: { type: 'string', length: 64 },
  },
});

/**
 * Where the live audit chain starts after archiving (issue 19): entries `firstSeq`–`lastSeq`, older than
 * AUDIT_RETENTION_PERIOD, were written to the sealed segment `segmentFile` under `<DATA_DIR>/audit-archive/` and then
 * removed from `audit_event`. `signature` is Ed25519 by the audit signing key over the range, both end hashes, the
 * entries' time span and the segment's SHA-256 (infra/audit/audit-log.ts `checkpointStatement`), so the live chain is
 * verified from `lastHash` and the segment on its own. Append-only in the database, and only a checkpoint that
 * continues the one before it and matches the live rows' hashes may be inserted (migration `…_archived_audit_append_only`).
 */
export class AuditCheckpoint {
  constructor(
    /** The last archived entry: the live chain continues at `lastSeq + 1` from `lastHash`. */
    public lastSeq: number,
    public firstSeq: number,
    /** The hash the first archived entry follows: the previous checkpoint's `lastHash`, or the genesis hash. */
    public prevHash: string,
    public lastHash: string,
    public entryCount: number,
    public firstAt: Date,
    public lastAt: Date,
    /** The segment's file name in the archive folder. */
    public segmentFile: string,
    /** SHA-256 of the segment's entry lines (everything after its header line). */
    public segmentSha256: string,
    /** SHA-256 of the signing key's public key (DER SubjectPublicKeyInfo). */
    public keySha256: string,
    /** Ed25519 signature, base64. */
    public signature: string,
    /** When the segment was archived (informative: the `audit.archived` entry in the live chain carries it too). */
    public createdAt: Date,
  ) {}
}

export const AuditCheckpointSchema = new EntitySchema<AuditCheckpoint>({
  class: AuditCheckpoint,
  tableName: 'audit_checkpoint',
  properties: {
    lastSeq: { type: 'integer', primary: true, autoincrement: false },
    firstSeq: { type: 'integer', unique: true },
    prevHash: { type: 'string', length: 64 },
    lastHash: { type: 'string', length: 64 },
    entryCount: { type: 'integer' },
    firstAt: { type: 'datetime' },
    lastAt: { type: 'datetime' },
    segmentFile: { type: 'string', length: 128, unique: true },
    segmentSha256: { type: 'string', length: 64 },
    keySha256: { type: 'string', length: 64 },
    signature: { type: 'string', length: 128 },
    createdAt: { type: 'datetime' },
  },
});
