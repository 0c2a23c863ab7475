/**
 * R3 (Art. 7) and R1 (Art. 6(2)) on the dashboard: recent recorded calls without evidence that the other party was
 * told — a full recording without its announcement, a selective one started by the button without the PBX's short
 * notice or the official's confirmation — and calls recorded in full without an approval in force. Read from the recordings' rows, where registration put the exception, so it shows what
 * was recorded whatever the devices claimed afterwards. Bounded: the last `days` days, the latest `limit` calls, and
 * how many there were in all.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { Recording } from '../infra/db/entities';
import { COMPLIANCE_EXCEPTIONS, RECORDING_MODES, type ComplianceException, type RecordingMode } from '../domain/recording';

/** What the exception means, by the notice the call's mode owed. */
export const NOTICE_MISSING_LABELS: Readonly<Record<RecordingMode, string>> = {
  full: '전수 녹취 — 안내멘트 재생 증거 없음',
  selective: '선택적 녹취 — 녹음 버튼 사용 시 고지 증거 없음',
};

/** Each exception in one line, for a recording's page. */
export const COMPLIANCE_EXCEPTION_LABELS: Readonly<Record<ComplianceException, string>> = {
  notice_missing: '사전고지 증거 없음 (제7조)',
  full_without_approval: '승인 없이 전수 녹취됨 (제6조 제2항)',
};

export const complianceExceptionItem = z.object({
  recordingId: z.string(),
  startedAt: z.string(),
  extension: z.string(),
  department: z.object({ code: z.string(), name: z.string() }),
  mode: z.enum(RECORDING_MODES),
  exception: z.enum(COMPLIANCE_EXCEPTIONS),
  description: z.string().describe('예외의 뜻 (녹취 방식별로 빠진 고지)'),
});

export const complianceExceptions = z.object({
  since: z.string().describe('이 시각 뒤의 통화만 (최근 며칠)'),
  total: z.number().int().describe('그 기간의 사전고지 준수 예외 통화 수'),
  items: z.array(complianceExceptionItem).describe('가장 최근 통화부터, 최대 개수까지'),
});
export type ComplianceExceptions = z.infer<typeof complianceExceptions>;

const DAY_MS = 24 * 60 * 60_000;

export async function readComplianceExceptions(
  em: EntityManager,
  { now = new Date(), days, limit }: { now?: Date; days: number; limit: number },
): Promise<ComplianceExceptions> {
  const since = new Date(now.getTime() - days * DAY_MS);
  const filter = { complianceException: { $ne: null }, startedAt: { $gte: since } };
  const [rows, total] = await em.findAndCount(Recording, filter, {
    populate: ['extension', 'extension.department'],
    orderBy: { startedAt: 'desc', id: 'asc' },
    limit,
  });
  return {
    since: since.toISOString(),
    total,
    items: rows.map((recording) => ({
      recordingId: recording.id,
      startedAt: recording.startedAt.toISOString(),
      extension: recording.extension.number,
      department: { code: recording.extension.department.code, name: recording.extension.department.name },
      mode: recording.mode,
      exception: recording.complianceException as NonNullable<Recording['complianceException']>,
      description:
        recording.complianceException === 'full_without_approval'
          ? `전수 녹취 — ${COMPLIANCE_EXCEPTION_LABELS.full_without_approval}`
          : NOTICE_MISSING_LABELS[recording.mode],
    })),
  };
}
