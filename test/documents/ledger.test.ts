/**
 * Form 4 (관리대장) as XLSX and CSV: the form's columns and header, Excel dates in Seoul time, filters and a
 * frozen header, hostile text kept as text — and LibreOffice opens the workbook and prints every field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { csvCell, writeLedgerCsv, writeLedgerXlsx } from '../../templates/ledger';
import { convertToPdf, pdfText, savePageImage } from '../support/libreoffice';
import { type LedgerRow } from '../../templates/documents';

const SEOUL = 'Asia/Seoul';
const HOSTILE_NAME = '{{ ${applicantName} }} +++INS x+++ <w:t>&amp;</w:t> "따옴표" \u202Eمرحبا\u202C 😀';

function row(n: number, appliedAt: string, overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    managementNumber: `${appliedAt.slice(0, 4)}-${String(n).padStart(4, '0')}`,
    appliedAt: new Date(appliedAt),
    applicantName: `홍길동${n}`,
    applicantBirthDateOrBusinessNumber: '1980-01-01',
    applicantAddress: '광명시 철산동 123',
    recordingTime: '2026. 11. 1. 10:02',
    recordedPhoneNumber: '02-2680-1234',
    purpose: '민원 분쟁 증빙',
    remarks: '',
    signOffOperator: '이담당',
    signOffDeputy: '박팀장',
    signOffChief: '최과장',
    ...overrides,
  };
}

const ROWS: LedgerRow[] = [
  row(2, '2026-11-27T05:05:00Z'),
  row(10, '2026-12-01T00:30:00Z', { applicantName: HOSTILE_NAME, purpose: '=HYPERLINK("http://x","클릭")' }),
  row(1, '2026-01-02T01:00:00Z', { remarks: '줄바꿈\n두 번째 줄' }),
  row(7, '2025-12-31T15:30:00Z'), // 2026-01-01 00:30 in Seoul: belongs to 2026
  row(3, '2025-06-30T23:59:00Z'),
];

async function readBack(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook;
}

describe('XLSX', () => {
  let workbook: ExcelJS.Workbook;
  let buffer: Buffer;
  beforeAll(async () => {
    buffer = await writeLedgerXlsx(ROWS, { municipalityName: '광명시', timeZone: SEOUL, sheets: 'per-year' });
    workbook = await readBack(buffer);
  });

  test('one sheet per year of application, years decided in Seoul time', () => {
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['2025년', '2026년']);
    const numbers = (name: string) => (workbook.getWorksheet(name)!.getColumn(1).values as unknown[]).slice(4).filter(Boolean);
    expect(numbers('2025년')).toEqual(['2025-0003']);
    expect(numbers('2026년')).toEqual(['2025-0007', '2026-0001', '2026-0002', '2026-0010']);
  });

  test("the form's title and two-row header, with 신청 내용 and 결재 over their columns", () => {
    const sheet = workbook.getWorksheet('2026년')!;
    expect(sheet.getCell('A1').value).toBe('행정전화 녹취시스템 녹취정보(열람, 제공) 관리대장');
    expect(sheet.getCell('A2').value).toBe('관리번호');
    expect(sheet.getCell('B2').value).toBe('신청 일시');
    expect(sheet.getCell('C2').value).toBe('신청 내용');
    expect(sheet.getCell('J2').value).toBe('결재');
    expect(['C3', 'D3', 'E3', 'F3', 'G3', 'H3', 'I3', 'J3', 'K3', 'L3'].map((ref) => sheet.getCell(ref).value)).toEqual([
      '성명 (기관단체명)',
      '생년월일 (법인·사업번호)',
      '주소 (부서명)',
      '녹취일시',
      '녹취전화번호',
      '신청목적',
      '비고',
      '담당자',
      '팀장',
      '과장',
    ]);
    expect(sheet.getCell('I3').isMerged).toBe(false);
    expect(sheet.getCell('A3').isMerged).toBe(true);
  });

  test('a frozen header, filters over the data, A4 landscape', () => {
    const sheet = workbook.getWorksheet('2026년')!;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    expect(sheet.autoFilter).toBeTruthy();
    expect(sheet.pageSetup).toMatchObject({ paperSize: 9, orientation: 'landscape' });
  });

  test('신청 일시 is a real Excel date showing Seoul wall-clock time', () => {
    const sheet = workbook.getWorksheet('2026년')!;
    const cell = sheet.getCell('B6'); // 2026-0002, applied 2026-11-27 14:05 KST
    expect(sheet.getCell('A6').value).toBe('2026-0002');
    expect(cell.type).toBe(ExcelJS.ValueType.Date);
    expect((cell.value as Date).toISOString()).toBe('2026-11-27T14:05:00.000Z');
    expect(cell.numFmt).toBe('yyyy. m. d. hh:mm');
  });

  test('hostile text stays text: no formula, no template command, intact Unicode', () => {
    const sheet = workbook.getWorksheet('2026년')!;
    // The bidi overrides are dropped (domain/text.ts), so the printed name reads as stored; the Arabic and emoji stay.
    expect(sheet.getCell('C7').value).toBe(HOSTILE_NAME.replace(/[\u202E\u202C]/g, ''));
    expect(sheet.getCell('H7').type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getCell('H7').value).toBe('=HYPERLINK("http://x","클릭")');
    expect(sheet.getCell('I5').value).toBe('줄바꿈\n두 번째 줄');
  });

  test('a chosen range gives one sheet with only the applications inside it', async () => {
    const ranged = await readBack(
      await writeLedgerXlsx(ROWS, {
        municipalityName: '광명시',
        timeZone: SEOUL,
        sheets: { from: new Date('2026-01-01T00:00:00+09:00'), to: new Date('2026-12-01T00:00:00+09:00') },
      }),
    );
    expect(ranged.worksheets.map((sheet) => sheet.name)).toEqual(['관리대장']);
    expect((ranged.worksheets[0]!.getColumn(1).values as unknown[]).slice(4).filter(Boolean)).toEqual(['2025-0007', '2026-0001', '2026-0002']);
  });

  test('LibreOffice opens it and prints every field in Korean', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
    const file = path.join(folder, 'ledger.xlsx');
    writeFileSync(file, buffer);
    const pdf = await convertToPdf(file);
    const text = (await pdfText(pdf)).replace(/\s+/g, ' ');
    for (const expected of [
      '행정전화 녹취시스템 녹취정보(열람, 제공) 관리대장',
      '관리번호',
      '신청 내용',
      '결재',
      '담당자',
      '팀장',
      '과장',
      '2026-0002',
      '홍길동2',
      '1980-01-01',
      '광명시 철산동 123',
      '02-2680-1234',
      '민원 분쟁 증빙',
      '이담당',
      '박팀장',
      '최과장',
      '2026. 11. 27. 14:05',
    ]) {
      expect(text).toContain(expected);
    }
    expect(await savePageImage(pdf, 'ledger-xlsx')).toMatch(/ledger-xlsx\.png$/);
  });
});

describe('CSV', () => {
  const csv = writeLedgerCsv(ROWS, SEOUL);
  const text = csv.subarray(3).toString('utf8');

  test('UTF-8 with BOM and CRLF, the same columns as the form', () => {
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.split('\r\n')[0]).toBe(
      '관리번호,신청 일시,성명 (기관단체명),생년월일 (법인·사업번호),주소 (부서명),녹취일시,녹취전화번호,신청목적,비고,결재 담당자,결재 팀장,결재 과장',
    );
    expect(text.split('\r\n')[4]).toMatch(/^2026-0002,2026-11-27 14:05,홍길동2,/);
  });

  test('quotes, line breaks and formula-looking values are made safe', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('줄\n바꿈')).toBe('"줄\n바꿈"');
    expect(text).toContain('"\'=HYPERLINK(""http://x"",""클릭"")"');
  });
});
