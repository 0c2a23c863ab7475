/**
 * Dates as users read them: Asia/Seoul (or the configured zone), written the Korean way,
 * `2026. 11. 27. 14:05`. Stored values stay UTC instants.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(instant: Date, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, Number(part.value)]));
  return parts as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
}

/** `2026. 11. 27.` */
export function formatKoreanDate(instant: Date, timeZone: string): string {
  const p = partsIn(instant, timeZone);
  return `${p.year}. ${p.month}. ${p.day}.`;
}

/** `2026. 11. 27. 14:05` */
export function formatKoreanDateTime(instant: Date, timeZone: string): string {
  const p = partsIn(instant, timeZone);
  return `${formatKoreanDate(instant, timeZone)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** A calendar date (`2026-11-27`) as `2026. 11. 27.` */
export function formatKoreanLocalDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return `${year}. ${month}. ${day}.`;
}

/** `2026년 11월 27일`, as the date lines of the forms read. */
export function formatKoreanLongDate(instant: Date, timeZone: string): string {
  const p = partsIn(instant, timeZone);
  return `${p.year}년 ${p.month}월 ${p.day}일`;
}

/**
 * The local wall-clock time of an instant, as a Date whose UTC fields read that wall clock. For
 * formats with no time zone of their own (Excel dates), so that 14:05 in Seoul shows as 14:05.
 */
export function wallClockDate(instant: Date, timeZone: string): Date {
  const p = partsIn(instant, timeZone);
  return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, instant.getUTCMilliseconds()));
}

/** The year of an instant in the given zone. */
export function localYear(instant: Date, timeZone: string): number {
  return partsIn(instant, timeZone).year;
}

/** The month (`YYYY-MM`) before the one an instant falls in, in the given zone. */
export function previousMonthIn(instant: Date, timeZone: string): string {
  const { year, month } = partsIn(instant, timeZone);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}
