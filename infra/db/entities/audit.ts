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
