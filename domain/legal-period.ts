/**
 * Korean legal periods (행정기본법 제6조 → 민법 제157조, 제159조–제161조), synchronous and pure so
 * that activities, the API and documents all count the same way. The holiday tables are handed in
 * (see holidays.ts, which loads the official-gazette tables once at start-up).
 *
 * - 제157조: the first day is not counted, unless the period starts at 00:00.
 * - 제159조: the period ends when its last day ends.
 * - 제160조: weeks, months and years are counted by the calendar; the period ends the day before the
 *   corresponding day of the last month or year, or on that month's last day if it has no such day.
 * - 제161조: a last day on a Saturday, Sunday or public holiday moves to the next day that is none of these.
 *
 * Dates are ISO local dates (`YYYY-MM-DD`) in the configured time zone; instants are `Date` (UTC).
 */
import type { Period } from './period';

export type LocalDate = string;

export type HolidayYearTable = Readonly<Record<string, readonly string[]>>;

/** Thrown when a date falls in a year the holiday tables do not cover: better to stop than to guess. */
export class HolidayTableMissingError extends Error {
  readonly code = 'HOLIDAY_TABLE_MISSING';
  constructor(
    readonly year: number,
    readonly coveredYears: readonly number[],
  ) {
    super(
      `공휴일 표가 없는 연도입니다: ${year}년 (보유: ${coveredYears.join(', ') || '없음'}). ` +
        '@hyunbinseo/holidays-kr 패키지를 새 관보 공휴일 표가 있는 판으로 올리십시오.',
    );
    this.name = 'HolidayTableMissingError';
  }
}

const LOCAL_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

function parseLocalDate(date: LocalDate): { year: number; month: number; day: number } {
  const match = LOCAL_DATE_PATTERN.exec(date);
  if (!match) throw new RangeError(`날짜 형식이 아닙니다 (YYYY-MM-DD): ${date}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new RangeError(`존재하지 않는 날짜입니다: ${date}`);
  }
  return { year, month, day };
}

function fromUtcMidnight(ms: number): LocalDate {
  return new Date(ms).toISOString().slice(0, 10);
}

function toUtcMidnight(date: LocalDate): number {
  const { year, month, day } = parseLocalDate(date);
  return Date.UTC(year, month - 1, day);
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return fromUtcMidnight(toUtcMidnight(date) + days * DAY_MS);
}

/** Calendar days from `from` to `to` (negative if `to` is earlier), e.g. how many days past a last day. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((toUtcMidnight(to) - toUtcMidnight(from)) / DAY_MS);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 제160조: end of a period of `months` months whose first counted day is `firstDay`. */
function endOfMonthsPeriod(firstDay: LocalDate, months: number): LocalDate {
  const { year, month, day } = parseLocalDate(firstDay);
  const targetIndex = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(targetIndex / 12);
  const targetMonth = (targetIndex % 12) + 1;
  if (day > daysInMonth(targetYear, targetMonth)) {
    return fromUtcMidnight(Date.UTC(targetYear, targetMonth - 1, daysInMonth(targetYear, targetMonth)));
  }
  return addDays(fromUtcMidnight(Date.UTC(targetYear, targetMonth - 1, day)), -1);
}

function endOfPeriod(firstDay: LocalDate, period: Period): LocalDate {
  switch (period.unit) {
    case 'day':
      return addDays(firstDay, period.amount - 1);
    case 'month':
      return endOfMonthsPeriod(firstDay, period.amount);
    case 'year':
      return endOfMonthsPeriod(firstDay, period.amount * 12);
  }
}

export interface LegalDeadline {
  /** The last day of the period after 제161조 moved it off weekends and holidays. */
  readonly lastDay: LocalDate;
  /** The instant the period ends: the start of the day after `lastDay`, in the calendar's time zone. */
  readonly endsAt: Date;
}

export class LegalCalendar {
  private readonly tables: ReadonlyMap<number, HolidayYearTable>;
  private readonly localDateFormat: Intl.DateTimeFormat;
  private readonly localTimeFormat: Intl.DateTimeFormat;

  constructor(
    tables: ReadonlyMap<number, HolidayYearTable>,
    readonly timeZone: string,
  ) {
    this.tables = tables;
    this.localDateFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    this.localTimeFormat = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  get coveredYears(): number[] {
    return [...this.tables.keys()].sort((a, b) => a - b);
  }

  /** The last year the holiday tables cover; a period ending after it cannot be computed. */
  get lastCoveredYear(): number {
    return Math.max(...this.coveredYears);
  }

  /** The local calendar date of an instant in the calendar's time zone. */
  localDate(instant: Date): LocalDate {
    return this.localDateFormat.format(instant);
  }

  /** The instant at which a local date begins (00:00) in the calendar's time zone. */
  startOfDay(date: LocalDate): Date {
    const utcGuess = toUtcMidnight(date);
    // The zone's offset at that moment; Korea has had no DST since 1988, but other zones may.
    const offset = this.offsetMs(new Date(utcGuess));
    const candidate = utcGuess - offset;
    return new Date(utcGuess - this.offsetMs(new Date(candidate)));
  }

  private offsetMs(instant: Date): number {
    const parts = Object.fromEntries(this.localTimeFormat.formatToParts(instant).map((part) => [part.type, part.value]));
    const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
  }

  private table(year: number): HolidayYearTable {
    const table = this.tables.get(year);
    if (!table) throw new HolidayTableMissingError(year, this.coveredYears);
    return table;
  }

  /** Names of the public holidays on a date (관공서의 공휴일에 관한 규정), empty if none. */
  holidayNames(date: LocalDate): readonly string[] {
    return this.table(parseLocalDate(date).year)[date] ?? [];
  }

  isNonWorkingDay(date: LocalDate): boolean {
    const weekday = new Date(toUtcMidnight(date)).getUTCDay();
    return weekday === 0 || weekday === 6 || this.holidayNames(date).length > 0;
  }

  /** 제161조: the first working day on or after `date`. */
  nextWorkingDayFrom(date: LocalDate): LocalDate {
    let day = date;
    while (this.isNonWorkingDay(day)) day = addDays(day, 1);
    return day;
  }

  /**
   * The deadline of a legal period that starts with an event at `startedAt` (e.g. receipt of a
   * provided copy for Form 3). The day of the event is not counted unless it happened at 00:00.
   */
  deadline(startedAt: Date, period: Period): LegalDeadline {
    const day = this.localDate(startedAt);
    const startsAtMidnight = this.startOfDay(day).getTime() === startedAt.getTime();
    const firstDay = startsAtMidnight ? day : addDays(day, 1);
    const lastDay = this.nextWorkingDayFrom(endOfPeriod(firstDay, period));
    return { lastDay, endsAt: this.startOfDay(addDays(lastDay, 1)) };
  }

  /** The date `count` working days after `date` (the date itself not counted), for reminder offsets. */
  addWorkingDays(date: LocalDate, count: number): LocalDate {
    let day = date;
    for (let counted = 0; counted < count;) {
      day = addDays(day, 1);
      if (!this.isNonWorkingDay(day)) counted += 1;
    }
    return day;
  }

  /**
   * Art. 8(1) storage period: calendar days from the recording date, with no moving for holidays.
   * A recording made on day D with 30 days is due once D + 30 has ended.
   */
  retentionDueAt(recordedAt: Date, period: Period): Date {
    const recordedOn = this.localDate(recordedAt);
    const lastDay = endOfPeriod(addDays(recordedOn, 1), period);
    return this.startOfDay(addDays(lastDay, 1));
  }
}
