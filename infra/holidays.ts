/**
 * Loads the official-gazette holiday tables once, at start-up. The package is ESM-only with an
 * async API; the period arithmetic in legal-period.ts stays synchronous over what is loaded here.
 */
import { LegalCalendar, type HolidayYearTable } from '../domain/legal-period';

/** The first year the package publishes; earlier years are never needed by a live system. */
const FIRST_TABLE_YEAR = 2018;

export async function loadLegalCalendar(timeZone: string): Promise<LegalCalendar> {
  const { getHolidayPreset } = await import('@hyunbinseo/holidays-kr');
  const tables = new Map<number, HolidayYearTable>();
  for (let year = FIRST_TABLE_YEAR; ; year += 1) {
    try {
      tables.set(year, await getHolidayPreset(String(year)));
    } catch (error) {
      if (error instanceof RangeError) break;
      throw error;
    }
  }
  if (tables.size === 0) throw new Error('공휴일 표를 하나도 불러오지 못했습니다 (@hyunbinseo/holidays-kr).');
  return new LegalCalendar(tables, timeZone);
}
