/**
 * 관리대장 (Form 4) for the records officer and the managing department: the ledger lines of a year (or a range) as
 * XLSX or CSV (templates/ledger.ts). The ledger holds applicants' personal data, so every export is audited with its
 * range and size.
 */
import { z } from 'zod';
import { LedgerEntry } from '../infra/db/entities';
import type { LegalCalendar } from '../domain/legal-period';
import { writeLedgerCsv, writeLedgerXlsx } from '../templates/ledger';
import type { SignOffLabels } from '../templates/documents';
import type { RouteCall } from './routes';
import { type LedgerRow } from '../templates/documents';

export const ledgerQuery = z
  .object({
    year: z.coerce.number().int().min(2000, { message: '연도가 올바르지 않습니다' }).max(2100, { message: '연도가 올바르지 않습니다' }),
    format: z.enum(['xlsx', 'csv'], { message: '형식은 xlsx 또는 csv입니다' }).default('xlsx'),
  })
  .strict();

export interface LedgerDeps {
  calendar: LegalCalendar;
  municipalityName: string;
  timeZone: string;
  signOffLabels: SignOffLabels;
}

export async function exportLedger(
  deps: LedgerDeps,
  call: RouteCall<unknown, z.output<typeof ledgerQuery>, unknown>,
): Promise<{ name: string; type: string; body: Buffer }> {
  const { year, format } = call.query;
  // The year as the city counts it: from 1 January 00:00 in its time zone.
  const from = deps.calendar.startOfDay(`${year}-01-01`);
  const to = deps.calendar.startOfDay(`${year + 1}-01-01`);
  const entries = await call.em.find(LedgerEntry, { appliedAt: { $gte: from, $lt: to } }, { orderBy: { managementNumber: 'asc' } });
  const rows: LedgerRow[] = entries.map((entry) => ({
    managementNumber: entry.managementNumber,
    appliedAt: entry.appliedAt,
    applicantName: entry.applicantName,
    applicantBirthDateOrBusinessNumber: entry.applicantBirthDateOrBusinessNumber,
    applicantAddress: entry.applicantAddress,
    recordingTime: entry.recordingTime,
    recordedPhoneNumber: entry.recordedPhoneNumber,
    purpose: entry.purpose,
    remarks: entry.remarks,
    signOffOperator: entry.signOffOperator,
    signOffDeputy: entry.signOffDeputy,
    signOffChief: entry.signOffChief,
  }));
  await call.audit({
    action: 'ledger.exported',
    targetType: 'ledger',
    targetId: String(year),
    reason: '관리대장 내려받기',
    detail: { format, entries: rows.length, managementNumbers: rows.map((row) => row.managementNumber) },
  });
  const options = { municipalityName: deps.municipalityName, timeZone: deps.timeZone, signOffLabels: deps.signOffLabels };
  return format === 'csv'
    ? { name: `ledger_${year}.csv`, type: 'text/csv; charset=utf-8', body: writeLedgerCsv(rows, deps.timeZone, deps.signOffLabels) }
    : {
        name: `ledger_${year}.xlsx`,
        type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        body: await writeLedgerXlsx(rows, { ...options, sheets: { from, to } }),
      };
}
