/**
 * Recording search (녹취정보 조회): metadata only, never audio. The managing department sees every
 * call; a party (staff, heads of using departments) sees only calls on their own extension. Search is
 * always bounded by a date range in the configured time zone, and paged by a cursor so that page 100
 * costs what page 1 does.
 */
import { raw, type EntityManager, type FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Recording, RECORDING_MODES } from '../infra/db/entities';
import { addDays, type LegalCalendar } from '../infra/legal-period';
import type { Principal, Scope } from './access';
import { ApiError } from './errors';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_RANGE_DAYS = 366;
export const PAGE_SIZE_MAX = 100;

const localDate = (label: string) =>
  z
    .string()
    .regex(LOCAL_DATE, { message: `${label}은(는) 2026-11-27 형식의 날짜여야 합니다` })
    .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), {
      message: `${label}이(가) 없는 날짜입니다`,
    });

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

export const recordingSearchQuery = z
  .object({
    from: z.preprocess(emptyToUndefined, localDate('시작일').optional()).describe('통화 시작일(이날 00:00부터, 기본: 보관 기간의 첫날)'),
    to: z.preprocess(emptyToUndefined, localDate('종료일').optional()).describe('통화 종료일(이날 24:00까지, 기본: 오늘)'),
    extension: z
      .preprocess(emptyToUndefined, z.string().regex(/^[0-9][0-9-]{0,31}$/, { message: '내선번호는 숫자와 - 만 쓸 수 있습니다' }).optional())
      .describe('내선번호 (정확히 일치)'),
    department: z
      .preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: '부서 코드는 영문, 숫자, _ - 만 쓸 수 있습니다' }).optional())
      .describe('부서 코드'),
    otherParty: z
      .preprocess(
        emptyToUndefined,
        z.string().regex(/^[0-9-]{2,32}$/, { message: '상대방 번호는 숫자와 - 로 2자 이상 적습니다' }).optional(),
      )
      .describe('상대방 번호의 일부 (- 는 무시)'),
    mode: z.preprocess(emptyToUndefined, z.enum(RECORDING_MODES, { message: '녹취 방식은 selective 또는 full 입니다' }).optional()).describe('녹취 방식'),
    cursor: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, { message: '페이지 표시가 올바르지 않습니다' }).optional()).describe('다음 페이지 표시 (이전 응답의 nextCursor)'),
    limit: z
      .preprocess(emptyToUndefined, z.coerce.number({ message: '한 페이지 건수는 숫자입니다' }).int().min(1).max(PAGE_SIZE_MAX, { message: `한 페이지는 ${PAGE_SIZE_MAX}건까지입니다` }).default(50))
      .describe(`한 페이지 건수 (1–${PAGE_SIZE_MAX})`),
  })
  .strict();
export type RecordingSearchQuery = z.output<typeof recordingSearchQuery>;

export const recordingSummary = z.object({
  id: z.string(),
  startedAt: z.string().describe('UTC'),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  extension: z.string(),
  department: z.object({ code: z.string(), name: z.string() }),
  otherPartyNumber: z.string().nullable(),
  direction: z.enum(['inbound', 'outbound', 'internal']),
  mode: z.enum(RECORDING_MODES),
  noticeGiven: z.boolean(),
  recovered: z.boolean(),
  retentionDueAt: z.string(),
  deletedAt: z.string().nullable().describe('삭제되었으면 그 시각 (개인정보는 비워짐)'),
});
export type RecordingSummary = z.infer<typeof recordingSummary>;

export const recordingSearchResult = z.object({
  from: z.string(),
  to: z.string(),
  scope: z.enum(['everything', 'ownCalls']),
  items: z.array(recordingSummary),
  nextCursor: z.string().nullable(),
});
export type RecordingSearchResult = z.infer<typeof recordingSearchResult>;

export const recordingIdParams = z.object({ id: z.uuid({ message: '녹취 번호 형식이 올바르지 않습니다' }) });

/** A party is the official at the call's extension: its registered owner, or the directory's number. */
export function partyFilter(principal: Principal): FilterQuery<Recording> {
  const conditions: FilterQuery<Recording>[] = [{ extension: { owner: principal.username } }];
  if (principal.extension) conditions.push({ extension: { number: principal.extension } });
  return { $or: conditions } as FilterQuery<Recording>;
}

export async function isPartyToRecording(em: EntityManager, principal: Principal, id: string): Promise<boolean> {
  return (await em.count(Recording, { $and: [{ id }, partyFilter(principal)] } as FilterQuery<Recording>)) > 0;
}

function encodeCursor(recording: Recording): string {
  return Buffer.from(`${recording.startedAt.toISOString()}|${recording.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const startedAt = new Date(time ?? '');
  if (Number.isNaN(startedAt.getTime()) || !id || !z.uuid().safeParse(id).success) {
    throw new ApiError(400, 'INVALID_INPUT', '입력값이 올바르지 않습니다 — cursor: 페이지 표시가 올바르지 않습니다');
  }
  return { startedAt, id };
}

export function toSummary(recording: Recording): RecordingSummary {
  return {
    id: recording.id,
    startedAt: recording.startedAt.toISOString(),
    endedAt: recording.endedAt?.toISOString() ?? null,
    durationMs: recording.durationMs ?? null,
    extension: recording.extension.number,
    department: { code: recording.extension.department.code, name: recording.extension.department.name },
    otherPartyNumber: recording.otherPartyNumber ?? null,
    direction: recording.direction,
    mode: recording.mode,
    noticeGiven: recording.noticeGiven,
    recovered: recording.recovered,
    retentionDueAt: recording.retentionDueAt.toISOString(),
    deletedAt: recording.deletedAt?.toISOString() ?? null,
  };
}

export interface SearchOptions {
  calendar: LegalCalendar;
  /** The default range covers the storage period: a live recording is never older than this. */
  defaultRangeDays: number;
  now?: Date;
}

export async function searchRecordings(
  em: EntityManager,
  principal: Principal,
  scope: Scope,
  query: RecordingSearchQuery,
  options: SearchOptions,
): Promise<RecordingSearchResult> {
  const today = options.calendar.localDate(options.now ?? new Date());
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -options.defaultRangeDays);
  if (from > to) throw new ApiError(400, 'INVALID_INPUT', '입력값이 올바르지 않습니다 — 시작일이 종료일보다 늦습니다');
  if (addDays(from, MAX_RANGE_DAYS) <= to) {
    throw new ApiError(400, 'INVALID_INPUT', `입력값이 올바르지 않습니다 — 검색 기간은 ${MAX_RANGE_DAYS}일을 넘을 수 없습니다`);
  }

  const conditions: FilterQuery<Recording>[] = [
    { startedAt: { $gte: options.calendar.startOfDay(from), $lt: options.calendar.startOfDay(addDays(to, 1)) } },
  ];
  if (scope === 'ownCalls') conditions.push(partyFilter(principal));
  if (query.extension) conditions.push({ extension: { number: query.extension } });
  if (query.department) conditions.push({ extension: { department: { code: query.department } } });
  if (query.mode) conditions.push({ mode: query.mode });
  if (query.otherParty) {
    // Digits only after the schema and this replace: nothing here can be read as a LIKE wildcard.
    const digits = query.otherParty.replace(/-/g, '');
    conditions.push({ [raw((alias) => `replace(${alias}.other_party_number, '-', '')`)]: { $like: `%${digits}%` } } as FilterQuery<Recording>);
  }
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    conditions.push({ $or: [{ startedAt: { $lt: after.startedAt } }, { startedAt: after.startedAt, id: { $lt: after.id } }] });
  }

  const rows = await em.find(Recording, { $and: conditions } as FilterQuery<Recording>, {
    populate: ['extension', 'extension.department'],
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    from,
    to,
    scope,
    items: page.map(toSummary),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  };
}
