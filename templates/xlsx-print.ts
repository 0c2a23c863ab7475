import type ExcelJS from 'exceljs';
import { documentSafeText } from '../domain/text';

/**
 * How the city's workbooks print: A4 landscape, one page wide, the header rows repeated on every page. A sheet with a
 * printed page header asks for a little more room at the top.
 */
export function a4Landscape(printTitlesRow: string, topMargin = 0.6): Partial<ExcelJS.PageSetup> {
  return {
    paperSize: 9, // A4
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    printTitlesRow,
    margins: { left: 0.4, right: 0.4, top: topMargin, bottom: 0.6, header: 0.3, footer: 0.3 },
  };
}

/**
 * The workbook as XLSX bytes, every text cell, page header and footer first through documentSafeText: a value stored
 * before the API refused control characters would otherwise make the file one Excel cannot open.
 */
export async function workbookBytes(workbook: ExcelJS.Workbook): Promise<Buffer> {
  for (const sheet of workbook.worksheets) {
    sheet.eachRow((row) =>
      row.eachCell((cell) => {
        const value = cell.value;
        if (typeof value === 'string') cell.value = documentSafeText(value);
        else if (value && typeof value === 'object' && 'richText' in value) {
          cell.value = { richText: value.richText.map((part) => ({ ...part, text: documentSafeText(part.text) })) };
        }
      }),
    );
    const headerFooter = sheet.headerFooter as unknown as Record<string, unknown>;
    for (const [key, text] of Object.entries(headerFooter)) if (typeof text === 'string') headerFooter[key] = documentSafeText(text);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
