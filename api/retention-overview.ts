/**
 * R4 on the dashboard: the last retention run (from its report in the audit chain), when recordings fall due next,
 * and anything overdue — due for more than an hour (the runs delete within the hour) and not held. Read from the
 * database, so it shows what is true of the recordings whatever the workflows believe.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { AuditEvent, holdInForce, Recording, RecordingHold } from '../infra/db/entities';
import { heldDueRecordingIds, unheldDueFilter } from '../infra/db/recording-deletion';

export const retentionOverview = z.object({
  lastRun: z
    .object({ reportedAt: z.string(), day: z.string(), deleted: z.number().int(), held: z.number().int() })
    .nullable()
    .describe('마지막 삭제 실행의 보고'),
  nextDueAt: z.string().nullable().describe('다음에 보존기간이 끝나는 시각'),
  overdue: z.number().int().describe('보존기간이 끝난 지 한 시간이 넘었는데 남아 있는 녹취 (보존 중지 제외)'),
  oldestOverdueDueAt: z.string().nullable(),
  held: z.number().int().describe('보존기간이 지났지만 보존 중지로 남아 있는 녹취'),
  decidedHolds: z
    .array(z.object({ recordingId: z.string(), legalBasis: z.string().nullable(), endsAt: z.string(), reviewer: z.string().nullable() }))
    .describe('과장이 결정한 보존 중지 (끝나는 때가 가까운 순, 최대 10건)'),
  lastInventory: z
    .object({ at: z.string(), total: z.number().int(), counts: z.record(z.string(), z.number().int()) })
    .nullable()
    .describe('마지막 보존기간 점검 (매일): 기한이 지났는데 남은 음성·파일'),
});
export type RetentionOverview = z.infer<typeof retentionOverview>;

const GRACE_MS = 60 * 60_000;
const SHOWN_HOLDS = 10;

export async function readRetentionOverview(em: EntityManager, now = new Date()): Promise<RetentionOverview> {
  const [report] = await em.find(AuditEvent, { action: 'retention.run_reported' }, { orderBy: { seq: 'desc' }, limit: 1 });
  const inventory = await lastInventory(em);
  const decided = await em.find(
    RecordingHold,
    { ...holdInForce(now), endsAt: { $ne: null } },
    { orderBy: { endsAt: 'asc' }, limit: SHOWN_HOLDS, fields: ['recording', 'legalBasis', 'endsAt', 'reviewer'] },
  );
  const lastDetail = report ? (JSON.parse(report.detail) as { day: string; deleted: number; held: number }) : undefined;
  const [next] = await em.find(
    Recording,
    { deletedAt: null, retentionDueAt: { $gt: now } },
    { orderBy: { retentionDueAt: 'asc' }, limit: 1, fields: ['retentionDueAt'] },
  );
  const heldIds = await heldDueRecordingIds(em, now, now);
  const overdueFilter = await unheldDueFilter(em, new Date(now.getTime() - GRACE_MS), now);
  const overdue = await em.count(Recording, overdueFilter);
  const [oldest] = overdue > 0 ? await em.find(Recording, overdueFilter, { orderBy: { retentionDueAt: 'asc' }, limit: 1, fields: ['retentionDueAt'] }) : [];
  return {
    lastRun: report && lastDetail ? { reportedAt: report.at.toISOString(), day: lastDetail.day, deleted: lastDetail.deleted, held: lastDetail.held } : null,
    nextDueAt: next?.retentionDueAt.toISOString() ?? null,
    overdue,
    oldestOverdueDueAt: oldest?.retentionDueAt.toISOString() ?? null,
    held: heldIds.length,
    decidedHolds: decided.map((hold) => ({
      recordingId: hold.recording.id,
      legalBasis: hold.legalBasis ?? null,
      endsAt: (hold.endsAt as Date).toISOString(),
      reviewer: hold.reviewer ?? null,
    })),
    lastInventory: inventory ? { at: inventory.at.toISOString(), total: inventory.total, counts: inventory.counts } : null,
  };
}

/** The last daily inventory's report, from its audit entry (the metrics read it too). */
export async function lastInventory(em: EntityManager): Promise<{ at: Date; total: number; counts: Record<string, number> } | undefined> {
  const [entry] = await em.find(AuditEvent, { action: 'retention.inventory' }, { orderBy: { seq: 'desc' }, limit: 1 });
  if (!entry) return undefined;
  const detail = JSON.parse(entry.detail) as { total: number; counts: Record<string, number> };
  return { at: entry.at, total: detail.total, counts: detail.counts };
}
