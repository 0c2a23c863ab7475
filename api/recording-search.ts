/**
 * Recording search (녹취정보 조회): metadata only, never audio. The managing department sees every
 * call; a party (staff, heads of using departments) sees only calls on their own extension. Search is
 * always bounded by a date range in the configured time zone, and paged by a cursor so that page 100
 * costs what page 1 does.
 */
import { createHash } from 'node:crypto';
import { QueryOrder, raw, type EntityManager, type FilterQuery, type QBFilterQuery } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import { z } from 'zod';
import { Extension, Recording } from '../infra/db/entities';
import { addDays, type LegalCalendar } from '../domain/legal-period';
import type { Principal, Scope } from './access';
import { ApiError } from './errors';
import { COMPLIANCE_EXCEPTIONS, RECORDING_MODES } from '../domain/recording';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_RANGE_DAYS = 366;
export const PAGE_SIZE_MAX = 100;

export const localDate = (label: string) =>
  z
    .string()
    .regex(LOCAL_DATE, { message: `${label}은(는) 2026-11-27 형식의 날짜여야 합니다` })
    .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), {
      message: `${label}이(가) 없는 날짜입니다`,
    });

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

/**
 * How many of the calls a search showed its audit entry names one by one (issue 19: search entries stay compact).
 * Every search is an entry, so a page of 100 ids in each (3.9 KB) made the audit log the largest table; past this
 * many, the entry names the first ones, how many there were, and the SHA-256 of the whole list (the ids in page
 * order, joined by commas), so a list said to have been shown can still be checked against it.
 */
export const SEARCH_AUDIT_IDS = 20;

/** The audit detail of one search: the filters as given, the range searched, the scope, and what was shown. */
export function searchAuditDetail(
  query: RecordingSearchQuery,
  result: Pick<RecordingSearchResult, 'from' | 'to' | 'items'>,
  scope: Scope,
): Record<string, unknown> {
  const ids = result.items.map((item) => item.id);
  const detail = { query, from: result.from, to: result.to, scope, resultCount: ids.length };
  if (ids.length <= SEARCH_AUDIT_IDS) return { ...detail, resultIds: ids };
  return {
    ...detail,
    resultIds: ids.slice(0, SEARCH_AUDIT_IDS),
    resultIdsOmitted: ids.length - SEARCH_AUDIT_IDS,
    resultIdsSha256: createHash('sha256').update(ids.join(','), 'utf8').digest('hex'),
  };
}

export const recordingSearchQuery = z
  .object({
    from: z.preprocess(emptyToUndefined, localDate('시작일').optional()).describe('통화 시작일(이날 00:00부터, 기본: 보관 기간의 첫날)'),
    to: z.preprocess(emptyToUndefined, localDate('종료일').optional()).describe('통화 종료일(이날 24:00까지, 기본: 오늘)'),
    extension: z
      .preprocess(
        emptyToUndefined,
        z
          .string()
          .regex(/^[0-9][0-9-]{0,31}$/, { message: '내선번호는 숫자와 - 만 쓸 수 있습니다' })
          .optional(),
      )
      .describe('내선번호 (정확히 일치)'),
    department: z
      .preprocess(
        emptyToUndefined,
        z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: '부서 코드는 영문, 숫자, _ - 만 쓸 수 있습니다' })
          .optional(),
      )
      .describe('부서 코드'),
    otherParty: z
      .preprocess(
        emptyToUndefined,
        z
          .string()
          .regex(/^[0-9-]{2,32}$/, { message: '상대방 번호는 숫자와 - 로 2자 이상 적습니다' })
          .optional(),
      )
      .describe('상대방 번호의 일부 (- 는 무시)'),
    mode: z.preprocess(emptyToUndefined, z.enum(RECORDING_MODES, { message: '녹취 방식은 selective 또는 full 입니다' }).optional()).describe('녹취 방식'),
    cursor: z
      .preprocess(
        emptyToUndefined,
        z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,200}$/, { message: '페이지 표시가 올바르지 않습니다' })
          .optional(),
      )
      .describe('다음 페이지 표시 (이전 응답의 nextCursor)'),
    limit: z
      .preprocess(
        emptyToUndefined,
        z.coerce
          .number({ message: '한 페이지 건수는 숫자입니다' })
          .int()
          .min(1)
          .max(PAGE_SIZE_MAX, { message: `한 페이지는 ${PAGE_SIZE_MAX}건까지입니다` })
          .default(50),
      )
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
  complianceException: z.enum(COMPLIANCE_EXCEPTIONS).nullable().describe('R3: 전수 녹취인데 안내 증거가 없음'),
  sha256: z.string().nullable().describe('녹취 음성(WAV)의 SHA-256; 삭제 후에도 감사용으로 남음'),
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
  return { $or: conditions };
}

/** The extensions a party answers for: the one they own, and the directory's number. */
export function ownExtensions(principal: Principal): FilterQuery<Extension> {
  const conditions: FilterQuery<Extension>[] = [{ owner: principal.username }];
  if (principal.extension) conditions.push({ number: principal.extension });
  return { $or: conditions };
}

export async function isPartyToRecording(em: EntityManager, principal: Principal, id: string): Promise<boolean> {
  return (await em.count(Recording, { $and: [{ id }, partyFilter(principal)] })) > 0;
}

function encodeCursor(item: RecordingSummary): string {
  return Buffer.from(`${item.startedAt}|${item.id}`, 'utf8').toString('base64url');
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
    complianceException: recording.complianceException ?? null,
    sha256: recording.sha256 ?? null,
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
  scope: Exclude<Scope, 'ownDepartment'>,
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

  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const start = options.calendar.startOfDay(from);
  const end = options.calendar.startOfDay(addDays(to, 1));
  // After a cursor the range ends at the cursor's time, so the index range itself narrows and page 100
  // reads no more index entries than page 1 (the $or below only settles ties at that instant).
  const conditions: FilterQuery<Recording>[] = [
    { startedAt: after && after.startedAt < end ? { $gte: start, $lte: after.startedAt } : { $gte: start, $lt: end } },
  ];
  // Who may see which extension, and the extension and department asked for, are resolved first against
  // the small extension table: the search then reads recordings by (extension, started_at), which both
  // SQLite and PostgreSQL plan well, instead of a join condition the planner must guess through.
  const extensionConditions: FilterQuery<Extension>[] = [];
  if (scope === 'ownCalls') extensionConditions.push(ownExtensions(principal));
  if (query.extension) extensionConditions.push({ number: query.extension });
  if (query.department) extensionConditions.push({ department: { code: query.department } });
  if (extensionConditions.length > 0) {
    const extensions = await em.find(
      Extension,
      { $and: extensionConditions },
      {
        fields: ['id'],
        disableIdentityMap: true,
      },
    );
    if (extensions.length === 0) return { from, to, scope, items: [], nextCursor: null };
    conditions.push({ extension: { $in: extensions.map((extension) => extension.id) } });
  }
  if (query.mode) conditions.push({ mode: query.mode });
  if (query.otherParty) {
    // Digits only after the schema and this replace: nothing here can be read as a LIKE wildcard.
    const digits = query.otherParty.replace(/-/g, '');
    conditions.push({ [raw((alias) => `replace(${alias}.other_party_number, '-', '')`)]: { $like: `%${digits}%` } });
  }
  if (after) {
    conditions.push({ $or: [{ startedAt: { $lt: after.startedAt } }, { startedAt: after.startedAt, id: { $lt: after.id } }] });
  }

  // A read-only page of plain rows: building 3 × 51 managed entities per page cost several times the query.
  // Left joins (every recording has its extension and department: NOT NULL foreign keys, same rows) keep
  // the recording table the outer loop in SQLite, so it reads recordings in page order by index; with
  // inner joins its planner sometimes walks departments → extensions first and sorts every call in range.
  const rows = await (em as SqlEntityManager)
    .createQueryBuilder(Recording, 'r')
    .select(SUMMARY_COLUMNS)
    .leftJoin('r.extension', 'e')
    .leftJoin('e.department', 'd')
    .where({ $and: conditions } as QBFilterQuery<Recording>)
    .orderBy([{ startedAt: QueryOrder.DESC }, { id: QueryOrder.DESC }])
    .limit(query.limit + 1)
    .execute<SummaryRow[]>('all', false);
  const page = rows.slice(0, query.limit).map(rowToSummary);
  const last = page[page.length - 1];
  return {
    from,
    to,
    scope,
    items: page,
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  };
}

const SUMMARY_COLUMNS = [
  'r.id',
  'r.started_at',
  'r.ended_at',
  'r.duration_ms',
  'r.other_party_number',
  'r.direction',
  'r.mode',
  'r.notice_given',
  'r.recovered',
  'r.compliance_exception',
  'r.sha256',
  'r.retention_due_at',
  'r.deleted_at',
  raw('e.number as extension_number'),
  raw('d.code as department_code'),
  raw('d.name as department_name'),
];

/** A search row as the driver returns it: datetimes are Date objects, or epoch milliseconds in SQLite; flags 0/1 in SQLite. */
interface SummaryRow {
  id: string;
  started_at: Date | number | string;
  ended_at: Date | number | string | null;
  duration_ms: number | null;
  other_party_number: string | null;
  direction: RecordingSummary['direction'];
  mode: RecordingSummary['mode'];
  notice_given: boolean | number;
  recovered: boolean | number;
  compliance_exception: RecordingSummary['complianceException'];
  sha256: string | null;
  retention_due_at: Date | number | string;
  deleted_at: Date | number | string | null;
  extension_number: string;
  department_code: string;
  department_name: string;
}

const isoOf = (value: Date | number | string): string => (value instanceof Date ? value : new Date(value)).toISOString();
const flagOf = (value: boolean | number): boolean => value === true || value === 1;

function rowToSummary(row: SummaryRow): RecordingSummary {
  return {
    id: row.id,
    startedAt: isoOf(row.started_at),
    endedAt: row.ended_at == null ? null : isoOf(row.ended_at),
    durationMs: row.duration_ms ?? null,
    extension: row.extension_number,
    department: { code: row.department_code, name: row.department_name },
    otherPartyNumber: row.other_party_number ?? null,
    direction: row.direction,
    mode: row.mode,
    noticeGiven: flagOf(row.notice_given),
    recovered: flagOf(row.recovered),
    complianceException: row.compliance_exception ?? null,
    sha256: row.sha256 ?? null,
    retentionDueAt: isoOf(row.retention_due_at),
    deletedAt: row.deleted_at == null ? null : isoOf(row.deleted_at),
  };
}
