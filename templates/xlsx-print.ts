import type ExcelJS from 'exceljs';

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
