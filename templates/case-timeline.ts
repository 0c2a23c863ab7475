/**
 * 처리 경위 as a workbook the auditor keeps: one sheet per table (the steps, the documents, the files), each with the
 * case and the time it was made at the top, a frozen and filterable header, instants as real Excel dates in the
 * city's time zone, hashes as text, and a page setup that prints on A4 landscape with the header row, the case
 * number and the print time on every page and the page number at the foot.
 */
import ExcelJS from 'exceljs';
import { a4Landscape, workbookBytes } from './xlsx-print';
import { formatKoreanDateTime, wallClockDate } from '../domain/korean-time';

export interface TimelineTable {
  /** Sheet name (31 characters at most, no `[]:*?/\`). */
  name: string;
  header: string[];
  /** Column widths in characters. */
  widths: number[];
  rows: (string | Date)[][];
}

export interface TimelineWorkbook {
  title: string;
  caseNumber: string;
  generatedAt: Date;
  /** Lines above each table: the audit chain check, where the history came from. */
  preface: string[];
  tables: TimelineTable[];
}

const FONT = { name: '맑은 고딕', size: 9 };
const THIN = { style: 'thin' as const };
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };

/** `&` starts a code in Excel's header and footer text: a case number or city name must not be read as one. */
const headerText = (text: string) => text.replace(/&/g, '&&');

function addTable(workbook: ExcelJS.Workbook, book: TimelineWorkbook, table: TimelineTable, options: { municipalityName: string; timeZone: string }): void {
  const headerRow = book.preface.length + 3;
  const sheet = workbook.addWorksheet(table.name, {
    views: [{ state: 'frozen', ySplit: headerRow }],
    pageSetup: a4Landscape(`${headerRow}:${headerRow}`, 0.7),
    headerFooter: {
      oddHeader: `&L${headerText(`${options.municipalityName} 처리 경위 ${book.caseNumber}`)}&R${headerText(`출력 ${formatKoreanDateTime(book.generatedAt, options.timeZone)}`)}`,
      oddFooter: '&C&P / &N 쪽',
    },
  });
  const last = table.header.length;
  sheet.columns = table.widths.map((width) => ({ width }));
  sheet.mergeCells(1, 1, 1, last);
  const title = sheet.getCell(1, 1);
  title.value = `${options.municipalityName} 행정전화 녹취시스템 — ${book.title}`;
  title.font = { ...FONT, size: 13, bold: true };
  book.preface.forEach((line, index) => {
    sheet.mergeCells(index + 2, 1, index + 2, last);
    const cell = sheet.getCell(index + 2, 1);
    cell.value = line;
    cell.font = FONT;
    cell.alignment = { wrapText: true, vertical: 'top' };
    sheet.getRow(index + 2).height = 28;
  });
  const head = sheet.getRow(headerRow);
  table.header.forEach((text, index) => {
    const cell = head.getCell(index + 1);
    cell.value = text;
    cell.font = { ...FONT, bold: true };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
    cell.border = BORDER;
  });
  for (const values of table.rows) {
    const row = sheet.addRow(values.map((value) => (value instanceof Date ? wallClockDate(value, options.timeZone) : value)));
    row.eachCell({ includeEmpty: true }, (cell, column) => {
      cell.font = FONT;
      cell.border = BORDER;
      cell.alignment = { vertical: 'top', wrapText: true };
      // Text stays text (a hash of digits, a name starting with `=`); instants are dates with seconds.
      cell.numFmt = values[column - 1] instanceof Date ? 'yyyy. m. d. hh:mm:ss' : '@';
    });
  }
  sheet.autoFilter = { from: { row: headerRow, column: 1 }, to: { row: headerRow + table.rows.length, column: last } };
}

export async function writeTimelineXlsx(book: TimelineWorkbook, options: { municipalityName: string; timeZone: string }): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = `${options.municipalityName} 행정전화 녹취시스템`;
  workbook.created = book.generatedAt;
  for (const table of book.tables) addTable(workbook, book, table, options);
  return workbookBytes(workbook);
}
