import { loadLegalCalendar } from '../../infra/holidays';
import { HolidayTableMissingError, type LegalCalendar } from '../../domain/legal-period';
import { parsePeriod, type Period } from '../../domain/period';

let calendar: LegalCalendar;
beforeAll(async () => {
  calendar = await loadLegalCalendar('Asia/Seoul');
});

const days = (amount: number): Period => ({ amount, unit: 'day' });
/** A receipt during office hours in Seoul, as a date the way the regulation's examples write it. */
const receivedOn = (date: string) => new Date(`${date}T14:00:00+09:00`);

describe('Form 3 period: the worked examples of form3-reconstruction.md', () => {
  test.each([
    ['2026-02-13', '2026-03-16'],
    ['2026-01-30', '2026-03-03'],
    ['2027-01-08', '2027-02-10'],
  ])('received %s → due %s', (received, due) => {
    expect(calendar.deadline(receivedOn(received), days(30)).lastDay).toBe(due);
  });
});

describe('Civil Act rules around holidays', () => {
  test('the first day is not counted (민법 제157조)', () => {
    // 2026-06-01 (Mon) + 1 day ends 2026-06-02 (Tue), a working day.
    expect(calendar.deadline(receivedOn('2026-06-01'), days(1)).lastDay).toBe('2026-06-02');
  });

  test('a period starting at 00:00 counts its first day', () => {
    expect(calendar.deadline(new Date('2026-06-01T00:00:00+09:00'), days(1)).lastDay).toBe('2026-06-01');
  });

  test('a last day on 설날 2026 moves past the whole holiday to the next working day', () => {
    // 2026 설날: 2.16 (Mon) – 2.18 (Wed). 2026-01-17 + 30 days = 2026-02-16.
    expect(calendar.deadline(receivedOn('2026-01-17'), days(30)).lastDay).toBe('2026-02-19');
  });

  test('a last day on 추석 2026 moves past it (추석 9.24–9.26, then Sunday 9.27)', () => {
    // 2026-08-25 + 30 days = 2026-09-24 (Thu, 추석 전날).
    expect(calendar.deadline(receivedOn('2026-08-25'), days(30)).lastDay).toBe('2026-09-28');
  });

  test('a substitute holiday counts as a holiday (대체공휴일 of 어린이날 2029 is not in the table, so use 2027 광복절)', () => {
    // 2027-08-15 is a Sunday; its substitute holiday is 2027-08-16 (Mon).
    expect(calendar.holidayNames('2027-08-16').join()).toContain('대체공휴일');
    expect(calendar.deadline(receivedOn('2027-07-16'), days(30)).lastDay).toBe('2027-08-17');
  });

  test('a last day on a Saturday moves to Monday', () => {
    // 2026-11-28 is a Saturday.
    expect(calendar.deadline(receivedOn('2026-10-29'), days(30)).lastDay).toBe('2026-11-30');
  });

  test('the period ends at the end of its last day, in Seoul', () => {
    const deadline = calendar.deadline(receivedOn('2026-02-13'), days(30));
    expect(deadline.endsAt.toISOString()).toBe('2026-03-16T15:00:00.000Z');
  });

  test('months are counted by the calendar (민법 제160조), a missing corresponding day ends the month', () => {
    // Received 1.30 → first day 1.31 → one month ends the last day of February.
    expect(calendar.deadline(receivedOn('2026-01-30'), { amount: 1, unit: 'month' }).lastDay).toBe('2026-03-03');
    // Received 3.15 → first day 3.16 → ends 4.15 (Wed).
    expect(calendar.deadline(receivedOn('2026-03-15'), { amount: 1, unit: 'month' }).lastDay).toBe('2026-04-15');
    // One year from 2025-03-10 ends 2026-03-10 (Tue).
    expect(calendar.deadline(receivedOn('2025-03-10'), { amount: 1, unit: 'year' }).lastDay).toBe('2026-03-10');
  });

  test('working days skip weekends and holidays', () => {
    // Friday 2026-02-13 + 2 working days: 2.16–18 are 설날, so 2.19 and 2.20.
    expect(calendar.addWorkingDays('2026-02-13', 2)).toBe('2026-02-20');
  });
});

describe('storage period of Art. 8(1)', () => {
  test('a recording is due once its date plus 30 days has ended, holidays notwithstanding', () => {
    // Recorded 2026-11-01 23:30 KST (14:30 UTC): due after 2026-12-01 ends, i.e. 2026-12-02 00:00 KST.
    expect(calendar.retentionDueAt(new Date('2026-11-01T14:30:00Z'), days(30)).toISOString()).toBe('2026-12-01T15:00:00.000Z');
  });

  test('the Seoul date decides, not the UTC date', () => {
    // 2026-11-01 00:30 KST is still 10-31 in UTC.
    expect(calendar.retentionDueAt(new Date('2026-10-31T15:30:00Z'), days(30)).toISOString()).toBe('2026-12-01T15:00:00.000Z');
  });

  test('six months, as other cities keep them', () => {
    expect(calendar.retentionDueAt(new Date('2026-08-31T03:00:00Z'), { amount: 6, unit: 'month' }).toISOString()).toBe('2027-02-28T15:00:00.000Z');
  });
});

describe('holiday tables', () => {
  test('a year without a table is refused loudly', () => {
    const beyond = calendar.lastCoveredYear + 1;
    expect(() => calendar.deadline(new Date(`${beyond}-06-01T05:00:00Z`), days(30))).toThrow(HolidayTableMissingError);
    expect(() => calendar.isNonWorkingDay(`${beyond}-01-05`)).toThrow(/공휴일 표가 없는 연도/);
  });

  test('the tables reach at least next year (this fails a year before they run out: update the package)', () => {
    const thisYear = Number(calendar.localDate(new Date()).slice(0, 4));
    expect(calendar.lastCoveredYear).toBeGreaterThanOrEqual(thisYear + 1);
  });

  test('invalid dates are rejected', () => {
    expect(() => calendar.isNonWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => calendar.isNonWorkingDay('20260101')).toThrow(RangeError);
  });
});

describe('periods in settings', () => {
  test.each([
    ['30d', { amount: 30, unit: 'day' }],
    ['6m', { amount: 6, unit: 'month' }],
    ['1y', { amount: 1, unit: 'year' }],
  ])('%s', (text, period) => expect(parsePeriod(text)).toEqual(period));
  test.each(['0d', '30', 'd30', '30 days', '-1d', '99999d'])('%s is refused', (text) => {
    expect(parsePeriod(text)).toBeUndefined();
  });
});
