/**
 * R4 on the dashboard: the last retention run (from its report in the audit chain), when recordings fall due next,
 * and anything overdue — due for more than an hour (the runs delete within the hour) and not held. Read from the
 * database, so it shows what is true of the recordings whatever the workflows believe.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { AuditEvent, Recording, RecordingHold } from '../infra/db/entities';

export const retentionOverview = z.object({
  lastRun: z
    .object({ reportedAt: z.string(), day: z.string(), deleted: z.number().int(), held: z.number().int() })
    .nullable()
    .describe('마지막 삭제 실행의 보고'),
  nextDueAt: z.string().nullable().describe('다음에 보존기간이 끝나는 시각'),
  overdue: z.number().int().describe('보존기간이 끝난 지 한 시간이 넘었는데 남아 있는 녹취 (보존 중지 제외)'),
  oldestOverdueDueAt: z.string().nullable(),
  held: z.number().int().describe('보존기간이 지났지만 보존 중지로 남아 있는 녹취'),
});
export type RetentionOverview = z.infer<typeof retentionOverview>;

const GRACE_MS = 60 * 60_000;

export async function readRetentionOverview(em: EntityManager, now = new Date()): Promise<RetentionOverview> {
  const [report] = await em.find(AuditEvent, { action: 'retention.run_reported' }, { orderBy: { seq: 'desc' }, limit: 1 });
  const lastDetail = report ? (JSON.parse(report.detail) as { day: string; deleted: number; held: number }) : undefined;
  const [next] = await em.find(
    Recording,
    { deletedAt: null, retentionDueAt: { $gt: now } },
    { orderBy: { retentionDueAt: 'asc' }, limit: 1, fields: ['retentionDueAt'] },
  );
  const heldIds = [
    ...new Set(
      (await em.find(RecordingHold, { releasedAt: null, recording: { deletedAt: null, retentionDueAt: { $lte: now } } }, { fields: ['recording'] })).map(
        (hold) => hold.recording.id,
      ),
    ),
  ];
  const overdueFilter = {
    deletedAt: null,
    retentionDueAt: { $lte: new Date(now.getTime() - GRACE_MS) },
    ...(heldIds.length > 0 ? { id: { $nin: heldIds } } : {}),
  };
  const overdue = await em.count(Recording, overdueFilter);
  const [oldest] = overdue > 0 ? await em.find(Recording, overdueFilter, { orderBy: { retentionDueAt: 'asc' }, limit: 1, fields: ['retentionDueAt'] }) : [];
  return {
    lastRun: report && lastDetail ? { reportedAt: report.at.toISOString(), day: lastDetail.day, deleted: lastDetail.deleted, held: lastDetail.held } : null,
    nextDueAt: next?.retentionDueAt.toISOString() ?? null,
    overdue,
    oldestOverdueDueAt: oldest?.retentionDueAt.toISOString() ?? null,
    held: heldIds.length,
  };
}
