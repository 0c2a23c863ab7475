/**
 * Unregistered recordings (issue 19) for the managing department: the calls the capture appliance keeps but could not
 * register — why, since when, when they are destroyed — and those registered later or destroyed since. Read from the
 * rows the appliance writes (capture/unregistered.ts); the fix is the extension table's (an extension added), after
 * which the appliance registers the call at its next reconciliation with the due date it had.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { UnregisteredRecording } from '../infra/db/entities';
import { STARTED_AT_BASES, STARTED_AT_BASIS_LABELS, UNREGISTERED_CODE_LABELS, UNREGISTERED_CODES, unregisteredState } from '../domain/unregistered-recording';

export const UNREGISTERED_STATES = ['open', 'registered', 'destroyed'] as const;

export const unregisteredRecordingsQuery = z
  .object({
    state: z
      .enum([...UNREGISTERED_STATES, 'all'])
      .optional()
      .describe('open(보관 중) · registered(나중에 등록됨) · destroyed(삭제됨) · all (기본)'),
  })
  .strict();
export type UnregisteredRecordingsQuery = z.infer<typeof unregisteredRecordingsQuery>;

export const unregisteredRecordingItem = z.object({
  recordingId: z.string().describe('녹취 장치의 녹취 ID (등록되면 녹취정보의 ID)'),
  callId: z.string().nullable(),
  extension: z.string().nullable().describe('장치가 보낸 내선번호'),
  code: z.enum(UNREGISTERED_CODES),
  codeLabel: z.string(),
  reason: z.string().describe('등록하지 못한 까닭'),
  startedAt: z.string().describe('보존기간을 세는 시각'),
  startedAtBasis: z.enum(STARTED_AT_BASES),
  startedAtBasisLabel: z.string(),
  firstRefusedAt: z.string().describe('처음 등록하지 못한 시각 (이때부터 미등록)'),
  lastTriedAt: z.string(),
  attempts: z.number().int(),
  retentionDueAt: z.string().describe('이 시각에 녹취 장치가 파일을 삭제함 (등록되어도 같음)'),
  state: z.enum(UNREGISTERED_STATES),
  registeredAt: z.string().nullable(),
  destroyedAt: z.string().nullable(),
});
export type UnregisteredRecordingItem = z.infer<typeof unregisteredRecordingItem>;

export const unregisteredRecordingList = z.object({
  state: z.enum([...UNREGISTERED_STATES, 'all']),
  open: z.number().int().describe('지금 보관 중인 미등록 녹취 수'),
  total: z.number().int().describe('조건에 맞는 수'),
  items: z.array(unregisteredRecordingItem).describe('처음 등록하지 못한 시각이 늦은 것부터, 최대 개수까지'),
});
export type UnregisteredRecordingList = z.infer<typeof unregisteredRecordingList>;

const STATE_FILTERS: Readonly<Record<(typeof UNREGISTERED_STATES)[number] | 'all', FilterQuery<UnregisteredRecording>>> = {
  open: { registeredAt: null, destroyedAt: null },
  registered: { registeredAt: { $ne: null }, destroyedAt: null },
  destroyed: { destroyedAt: { $ne: null } },
  all: {},
};

export async function readUnregisteredRecordings(
  em: EntityManager,
  { state = 'all', limit = 200 }: { state?: UnregisteredRecordingsQuery['state']; limit?: number } = {},
): Promise<UnregisteredRecordingList> {
  const [rows, total] = await em.findAndCount(UnregisteredRecording, STATE_FILTERS[state], { orderBy: { firstRefusedAt: 'desc', id: 'asc' }, limit });
  const open = state === 'open' ? total : await em.count(UnregisteredRecording, STATE_FILTERS.open);
  return {
    state,
    open,
    total,
    items: rows.map((row) => ({
      recordingId: row.id,
      callId: row.callId ?? null,
      extension: row.extension ?? null,
      code: row.code,
      codeLabel: UNREGISTERED_CODE_LABELS[row.code],
      reason: row.reason,
      startedAt: row.startedAt.toISOString(),
      startedAtBasis: row.startedAtBasis,
      startedAtBasisLabel: STARTED_AT_BASIS_LABELS[row.startedAtBasis],
      firstRefusedAt: row.firstRefusedAt.toISOString(),
      lastTriedAt: row.lastTriedAt.toISOString(),
      attempts: row.attempts,
      retentionDueAt: row.retentionDueAt.toISOString(),
      state: unregisteredState(row),
      registeredAt: row.registeredAt?.toISOString() ?? null,
      destroyedAt: row.destroyedAt?.toISOString() ?? null,
    })),
  };
}
