/**
 * 보존 중지 (holds) set and released by the chief with a reason (issue 6; the disclosure lifecycle sets and releases its
 * own through its workflow). A hold keeps a recording past its retention date; releasing the last hold of a recording
 * that is past due hands it back to its day's retention run, which deletes it at once.
 *
 * The change and its audit entry are one transaction, as for every change the audit records.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Recording, RecordingHold } from '../infra/db/entities';
import { ApiError } from './errors';
import { recordingSummary } from './recording-search';
import type { RequestContext } from './routes';

export const holdView = z.object({
  id: z.string(),
  reason: z.string(),
  setBy: z.string(),
  setAt: z.string(),
  disclosureRequestId: z.string().nullable().describe('열람·제공 신청이 건 보존 중지이면 그 신청'),
});
export type HoldView = z.infer<typeof holdView>;

/** One recording as its detail shows it: the metadata and the holds in force. */
export const recordingDetail = recordingSummary.extend({ holds: z.array(holdView) });
export type RecordingDetail = z.infer<typeof recordingDetail>;

export const holdReason = z.object({ reason: z.string().trim().min(2, '사유를 적어 주세요').max(500) }).strict();

export function toHoldView(hold: RecordingHold): HoldView {
  return {
    id: hold.id,
    reason: hold.reason,
    setBy: hold.setBy,
    setAt: hold.createdAt.toISOString(),
    disclosureRequestId: hold.disclosureRequestId ?? null,
  };
}

/** The holds in force on a recording, oldest first. */
export async function openHolds(em: EntityManager, recordingId: string): Promise<HoldView[]> {
  const holds = await em.find(RecordingHold, { recording: recordingId, releasedAt: null }, { orderBy: { createdAt: 'asc' } });
  return holds.map(toHoldView);
}

function actorOf(context: RequestContext) {
  return {
    actor: context.principal?.username ?? 'anonymous',
    role: context.actingRole ?? 'anonymous',
    sourceAddress: context.sourceAddress,
  };
}

export async function setHold(em: EntityManager, context: RequestContext, recordingId: string, reason: string): Promise<HoldView> {
  return em.fork().transactional(async (tx) => {
    const recording = await tx.findOne(Recording, recordingId);
    if (!recording) throw new ApiError(404, 'NOT_FOUND', '녹취정보를 찾을 수 없습니다.');
    if (recording.deletedAt) {
      throw new ApiError(410, 'RECORDING_DELETED', `이미 삭제된 녹취입니다 (${recording.deletedAt.toISOString()}): 보존 중지를 걸 수 없습니다.`);
    }
    const hold = new RecordingHold(recording, reason, context.principal?.username ?? 'anonymous');
    tx.persist(hold);
    await tx.flush();
    await appendAuditEvent(tx, {
      ...actorOf(context),
      action: 'recording.hold_set',
      targetType: 'recording',
      targetId: recording.id,
      reason,
      detail: { holdId: hold.id, requestId: context.requestId },
    });
    return toHoldView(hold);
  });
}

/**
 * Releases one hold. Resolves to the recording when no hold is left on it and it is past due, so the caller can
 * hand it back to retention; otherwise to undefined.
 */
export async function releaseHold(
  em: EntityManager,
  context: RequestContext,
  recordingId: string,
  holdId: string,
  reason: string,
  now = new Date(),
): Promise<Recording | undefined> {
  return em.fork().transactional(async (tx) => {
    const hold = await tx.findOne(RecordingHold, { id: holdId, recording: recordingId }, { populate: ['recording'] });
    if (!hold) throw new ApiError(404, 'NOT_FOUND', '보존 중지를 찾을 수 없습니다.');
    if (hold.releasedAt) throw new ApiError(409, 'HOLD_ALREADY_RELEASED', `이미 해제된 보존 중지입니다 (${hold.releasedAt.toISOString()}).`);
    hold.releasedAt = now;
    hold.releasedBy = context.principal?.username ?? 'anonymous';
    await tx.flush();
    await appendAuditEvent(tx, {
      ...actorOf(context),
      action: 'recording.hold_released',
      targetType: 'recording',
      targetId: recordingId,
      reason,
      detail: { holdId, setBy: hold.setBy, setReason: hold.reason, requestId: context.requestId },
    });
    const left = await tx.count(RecordingHold, { recording: recordingId, releasedAt: null });
    const recording = hold.recording;
    return left === 0 && !recording.deletedAt && recording.retentionDueAt <= now ? recording : undefined;
  });
}
