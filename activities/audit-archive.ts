/**
 * Audit retention (issue 19): entries older than AUDIT_RETENTION_PERIOD sealed into signed segments under
 * `<DATA_DIR>/audit-archive` and removed from the live table, the chain verifiable from the checkpoint on
 * (infra/audit/audit-archive.ts). Idempotent: a run stopped anywhere is finished by the next, nothing archived twice.
 */
import type { KeyObject } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { archiveAuditLog as archive } from '../infra/audit/audit-archive';
import { parsePeriod } from '../domain/period';

export interface AuditArchiveActivityDeps {
  orm: MikroORM;
  /** Where segments are written (`<DATA_DIR>/audit-archive`) and the audit signing key (AUDIT_SIGNING_KEY_FILE). */
  auditArchive: { folder: string; signingKey: KeyObject };
}

export interface AuditArchiveInput {
  /** AUDIT_RETENTION_PERIOD as written (`2y`). */
  retentionPeriod: string;
  /** TIME_ZONE: whose days are archived whole. */
  timeZone: string;
  /** Workflow time of the run (ISO): entries older than the period before its day are due. */
  asOf: string;
  /** From the run's first call on: the last entry the run may archive (never the entries it appends itself). */
  throughSeq?: number;
}

export interface AuditArchiveRunResult {
  cutoff: string;
  throughSeq: number;
  segments: { file: string; firstSeq: number; lastSeq: number; count: number }[];
  entries: number;
  /** Stopped after its share of segments: the workflow calls again. */
  more: boolean;
}

/** Segments per call: each a transaction and a heartbeat; a long backlog is taken over several calls. */
const SEGMENTS_PER_CALL = 25;

export function createAuditArchiveActivities({ orm, auditArchive }: AuditArchiveActivityDeps) {
  return {
    async archiveAuditLog(input: AuditArchiveInput): Promise<AuditArchiveRunResult> {
      const period = parsePeriod(input.retentionPeriod);
      if (!period) throw ApplicationFailure.nonRetryable(`감사 기록 보관 기간이 올바르지 않습니다: ${input.retentionPeriod}`, 'AUDIT_RETENTION_PERIOD_INVALID');
      const result = await archive(orm, {
        ...auditArchive,
        period,
        timeZone: input.timeZone,
        now: new Date(input.asOf),
        throughSeq: input.throughSeq,
        maxSegments: SEGMENTS_PER_CALL,
        sourceAddress: 'worker',
        onSegment: (segment) => Context.current().heartbeat(segment.lastSeq),
      });
      return {
        cutoff: result.cutoff,
        throughSeq: result.throughSeq,
        segments: result.segments.map(({ file, firstSeq, lastSeq, count }) => ({ file, firstSeq, lastSeq, count })),
        entries: result.segments.reduce((sum, segment) => sum + segment.count, 0),
        more: result.more,
      };
    },
  };
}
