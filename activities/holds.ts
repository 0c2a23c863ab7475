/**
 * Holds end by themselves (issue 19): the hourly retention sweep marks every decided hold whose end has passed as
 * expired — its reviewer told, the audit written — before it looks for recordings to delete, so a recording whose last
 * hold has just ended is deleted in the same sweep. A hold past its end keeps nothing even before it is marked
 * (`holdInForce`); marking it is the record that it ended.
 */
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { RecordingHold } from '../infra/db/entities';
import { holdReviewerNotice } from '../infra/db/hold-notice';

const ACTOR = 'system:retention';
const BATCH = 200;

export function createHoldActivities({ orm }: { orm: MikroORM }) {
  return {
    /** Marks the decided holds ended by `asOf` as expired; resolves to how many. Idempotent: a retry finds them marked. */
    async expireHolds(input: { asOf: string }): Promise<{ expired: number }> {
      const asOf = new Date(input.asOf);
      let expired = 0;
      for (;;) {
        const done = await orm.em.fork().transactional(async (tx) => {
          const holds = await tx.find(
            RecordingHold,
            { releasedAt: null, endsAt: { $lte: asOf } },
            { orderBy: { endsAt: 'asc', id: 'asc' }, limit: BATCH, populate: ['recording'] },
          );
          for (const hold of holds) {
            hold.releasedAt = hold.endsAt;
            hold.releasedBy = ACTOR;
            hold.releaseReason = '정한 기간 만료';
            const notice = holdReviewerNotice(
              hold,
              hold.recording.id,
              '[알림] 보존 중지 기간 만료',
              `녹취 ${hold.recording.id}의 보존 중지(근거: ${hold.legalBasis ?? '—'})가 정한 기간이 끝나 풀렸습니다. 보존기간이 지난 녹취는 곧 삭제됩니다.`,
              asOf,
            );
            if (notice) tx.persist(notice);
          }
          await tx.flush();
          for (const hold of holds) {
            await appendAuditEvent(tx, {
              actor: ACTOR,
              role: 'system',
              sourceAddress: 'worker',
              action: 'recording.hold_expired',
              targetType: 'recording',
              targetId: hold.recording.id,
              reason: '보존 중지 기간 만료',
              detail: { holdId: hold.id, endsAt: hold.endsAt?.toISOString(), legalBasis: hold.legalBasis, setBy: hold.setBy },
            });
          }
          return holds.length;
        });
        expired += done;
        if (done < BATCH) return { expired };
      }
    },
  };
}
