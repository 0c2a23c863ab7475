/**
 * 관리대장 — Form 4 ([별지 제4호서식] 행정전화 녹취시스템 녹취정보(열람, 제공) 관리대장) as the records officer
 * exports it: XLSX with the form's two-row header (신청 내용 and 결재 over their columns), filters, a frozen
 * header, dates as real Excel dates in the city's time zone, one sheet per year or one for a chosen range;
 * and CSV (UTF-8 with BOM, CRLF) for Excel on Korean Windows.
 */
import ExcelJS from 'exceljs';
import { a4Landscape, workbookBytes } from './xlsx-print';
import { formatKoreanDate, formatKoreanDateTime, localYear, wallClockDate } from '../domain/korean-time';
import type { Form4Fields, LedgerRow, SignOffLabels } from './documents';

interface Column {
  /** The header text, or in the 결재 group which label from the settings heads it (a key of SignOffLabels). */
  header: string;
  /** The group header above it on the form, if any. */
  group?: '신청 내용' | '결재';
  width: number;
  value: (row: LedgerRow) => string | Date;
}

/** The form's columns, in its order and with its words. */
const COLUMNS: readonly Column[] = [
  { header: '관리번호', width: 12, value: (row) => row.managementNumber },
  { header: '신청 일시', width: 17, value: (row) => row.appliedAt },
  { header: '성명 (기관단체명)', group: '신청 내용', width: 16, value: (row) => row.applicantName },
  { header: '생년월일 (법인·사업번호)', group: '신청 내용', width: 18, value: (row) => row.applicantBirthDateOrBusinessNumber },
  { header: '주소 (부서명)', group: '신청 내용', width: 24, value: (row) => row.applicantAddress },
  { header: '녹취일시', group: '신청 내용', width: 18, value: (row) => row.recordingTime },
  { header: '녹취전화번호', group: '신청 내용', width: 15, value: (row) => row.recordedPhoneNumber },
  { header: '신청목적', group: '신청 내용', width: 24, value: (row) => row.purpose },
  { header: '비고', group: '신청 내용', width: 14, value: (row) => row.remarks ?? '' },
  { header: 'operator', group: '결재', width: 9, value: (row) => row.signOffOperator ?? '' },
  { header: 'deputy', group: '결재', width: 9, value: (row) => row.signOffDeputy ?? '' },
  { header: 'chief', group: '결재', width: 9, value: (row) => row.signOffChief ?? '' },
];

export const LEDGER_TITLE = '행정전화 녹취시스템 녹취정보(열람, 제공) 관리대장';
const TITLE_ROW = 1;
const GROUP_ROW = 2;
const HEADER_ROW = 3;
/** A font Excel (Windows) has; LibreOffice substitutes a Korean font it has (fontconfig). */
const FONT = { name: '맑은 고딕', size: 10 };
const THIN = { style: 'thin' as const };
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };

export const DEFAULT_SIGN_OFF_LABELS: SignOffLabels = { operator: '담당자', deputy: '팀장', chief: '과장' };

function headerText(column: Column, labels: SignOffLabels): string {
  return column.group === '결재' ? labels[column.header as keyof SignOffLabels] : column.header;
}

export interface LedgerExportOptions {
  municipalityName: string;
  timeZone: string;
  signOffLabels?: SignOffLabels;
  /** `per-year`: a sheet for each year of 신청 일시; otherwise one sheet named after the range. */
  sheets: 'per-year' | { from: Date; to: Date };
}

function sortByManagementNumber(rows: readonly LedgerRow[]): LedgerRow[] {
  return [...rows].sort((a, b) => (a.managementNumber < b.managementNumber ? -1 : a.managementNumber > b.managementNumber ? 1 : 0));
}

function addLedgerSheet(workbook: ExcelJS.Workbook, name: string, rows: readonly LedgerRow[], options: LedgerExportOptions): void {
  const sheet = workbook.addWorksheet(name, {
    views: [{ state: 'frozen', ySplit: HEADER_ROW, xSplit: 1 }],
    pageSetup: a4Landscape(`${GROUP_ROW}:${HEADER_ROW}`),
  });
  sheet.columns = COLUMNS.map((column) => ({ width: column.width }));
  const last = COLUMNS.length;
  const labels = options.signOffLabels ?? DEFAULT_SIGN_OFF_LABELS;

  sheet.mergeCells(TITLE_ROW, 1, TITLE_ROW, last);
  const title = sheet.getCell(TITLE_ROW, 1);
  title.value = LEDGER_TITLE;
  title.font = { ...FONT, size: 14, bold: true };
  title.alignment = { horizontal: 'center', vertical: 'middle' };
  sheet.getRow(TITLE_ROW).height = 28;

  // Two header rows as on the form: a column without a group spans both; a group spans its columns.
  COLUMNS.forEach((column, index) => {
    const col = index + 1;
    if (!column.group) {
      sheet.mergeCells(GROUP_ROW, col, HEADER_ROW, col);
      sheet.getCell(GROUP_ROW, col).value = headerText(column, labels);
    } else {
      sheet.getCell(HEADER_ROW, col).value = headerText(column, labels);
    }
  });
  for (const group of ['신청 내용', '결재'] as const) {
    const first = COLUMNS.findIndex((column) => column.group === group) + 1;
    const end = COLUMNS.map((column) => column.group).lastIndexOf(group) + 1;
    sheet.mergeCells(GROUP_ROW, first, GROUP_ROW, end);
    sheet.getCell(GROUP_ROW, first).value = group;
  }
  for (const rowNumber of [GROUP_ROW, HEADER_ROW]) {
    const row = sheet.getRow(rowNumber);
    for (let col = 1; col <= last; col += 1) {
      const cell = row.getCell(col);
      cell.font = { ...FONT, bold: true };
      cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
      cell.border = BORDER;
    }
  }

  for (const entry of sortByManagementNumber(rows)) {
    const row = sheet.addRow(
      COLUMNS.map((column) => {
        const value = column.value(entry);
        return value instanceof Date ? wallClockDate(value, options.timeZone) : value;
      }),
    );
    row.eachCell({ includeEmpty: true }, (cell) => {
      cell.font = FONT;
      cell.border = BORDER;
      cell.alignment = { vertical: 'top', wrapText: true };
    });
    // Text stays text: a value that looks like a number or a formula is never reinterpreted.
    row.getCell(1).numFmt = '@';
    row.getCell(2).numFmt = 'yyyy. m. d. hh:mm';
  }
  sheet.autoFilter = { from: { row: HEADER_ROW, column: 1 }, to: { row: HEADER_ROW + rows.length, column: last } };
}

/** The ledger as an XLSX workbook. */
export async function writeLedgerXlsx(rows: readonly LedgerRow[], options: LedgerExportOptions): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = `${options.municipalityName} 행정전화 녹취시스템`;
  workbook.created = new Date(0);
  if (options.sheets === 'per-year') {
    const byYear = new Map<number, LedgerRow[]>();
    for (const row of rows) {
      const year = localYear(row.appliedAt, options.timeZone);
      byYear.set(year, [...(byYear.get(year) ?? []), row]);
    }
    const years = [...byYear.keys()].sort((a, b) => a - b);
    if (years.length === 0) addLedgerSheet(workbook, '관리대장', [], options);
    for (const year of years) addLedgerSheet(workbook, `${year}년`, byYear.get(year) ?? [], options);
  } else {
    const { from, to } = options.sheets;
    const inRange = rows.filter((row) => row.appliedAt >= from && row.appliedAt < to);
    addLedgerSheet(workbook, '관리대장', inRange, options);
  }
  return workbookBytes(workbook);
}

/**
 * A cell as CSV text: quoted when needed (RFC 4180), and a leading `=`, `+`, `-`, `@`, tab or CR
 * neutralised with an apostrophe so that a spreadsheet never runs applicant-supplied text as a formula.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The ledger as CSV: UTF-8 with BOM and CRLF, as Excel on Korean Windows opens it without asking. */
export function writeLedgerCsv(rows: readonly LedgerRow[], timeZone: string, labels: SignOffLabels = DEFAULT_SIGN_OFF_LABELS): Buffer {
  const formatDate = (date: Date) => {
    const local = wallClockDate(date, timeZone).toISOString();
    return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
  };
  const header = COLUMNS.map((column) => csvCell(column.group === '결재' ? `결재 ${headerText(column, labels)}` : headerText(column, labels)));
  const lines = [header.join(',')];
  for (const row of sortByManagementNumber(rows)) {
    lines.push(
      COLUMNS.map((column) => {
        const value = column.value(row);
        return csvCell(value instanceof Date ? formatDate(value) : value);
      }).join(','),
    );
  }
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

/** Form 4 as a DOCX document (templates/forms.ts `form4-ledger`) for the entries of a period. */
export function ledgerForm4Fields(
  rows: readonly LedgerRow[],
  options: { municipalityName: string; timeZone: string; from: Date; to: Date; signOffLabels?: SignOffLabels },
): Form4Fields {
  const day = (date: Date) => formatKoreanDate(date, options.timeZone);
  return {
    municipalityName: options.municipalityName,
    mayorTitle: `${options.municipalityName}장`,
    period: `${day(options.from)} ~ ${day(new Date(options.to.getTime() - 1))}`,
    signOffLabels: options.signOffLabels ?? DEFAULT_SIGN_OFF_LABELS,
    entries: sortByManagementNumber(rows.filter((row) => row.appliedAt >= options.from && row.appliedAt < options.to)).map((row) => ({
      managementNumber: row.managementNumber,
      appliedAt: formatKoreanDateTime(row.appliedAt, options.timeZone),
      applicantName: row.applicantName,
      applicantBirthDateOrBusinessNumber: row.applicantBirthDateOrBusinessNumber,
      applicantAddress: row.applicantAddress,
      recordingTime: row.recordingTime,
      recordedPhoneNumber: row.recordedPhoneNumber,
      purpose: row.purpose,
      remarks: row.remarks ?? '',
      signOffOperator: row.signOffOperator ?? '',
      signOffDeputy: row.signOffDeputy ?? '',
      signOffChief: row.signOffChief ?? '',
    })),
  };
}
