/**
 * A regulated length of time as the city's rules state it: "30일", "6개월", "1년".
 * Settings write it as `30d`, `6m`, `1y`; Temporal durations need days, so months and years
 * are only valid where the legal period module does calendar arithmetic.
 */
export type PeriodUnit = 'day' | 'month' | 'year';

export interface Period {
  readonly amount: number;
  readonly unit: PeriodUnit;
}

const PERIOD_PATTERN = /^([1-9][0-9]{0,3})([dmy])$/;
const UNIT_BY_SUFFIX: Record<string, PeriodUnit> = { d: 'day', m: 'month', y: 'year' };

/** Parses `30d` / `6m` / `1y`; returns undefined for anything else so callers can name the bad setting. */
export function parsePeriod(text: string): Period | undefined {
  const match = PERIOD_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return { amount: Number(match[1]), unit: UNIT_BY_SUFFIX[match[2] as string] as PeriodUnit };
}

export function formatPeriod(period: Period): string {
  return `${period.amount}${period.unit[0]}`;
}

/** Korean reading of a period, for documents and messages: 30일, 6개월, 1년. */
export function describePeriodKo(period: Period): string {
  const suffix = { day: '일', month: '개월', year: '년' }[period.unit];
  return `${period.amount}${suffix}`;
}

/** The most days a period can span (a month as 31, a year as 366): a bound for search ranges, not a deadline. */
export function approximateDays(period: Period): number {
  return period.amount * (period.unit === 'day' ? 1 : period.unit === 'month' ? 31 : 366);
}
