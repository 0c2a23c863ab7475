/**
 * A value stored before the API refused control characters still makes a document that opens: every generator
 * cleans text through one function (domain/text.ts documentSafeText).
 */
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { buildDocx } from '../../templates/docx/ooxml';
import { workbookBytes } from '../../templates/xlsx-print';

const STORED = '거부\u0001 사유\u202E: 업무\u200B상 필요\n둘째 줄';
const SHOWN = '거부 사유: 업무상 필요\n둘째 줄';

test('a DOCX built from a stored value with control, bidi and zero-width characters parses and shows the text without them', async () => {
  const docx = await buildDocx([{ paragraph: { runs: [STORED] } }]);
  const xml = await (await JSZip.loadAsync(docx)).file('word/document.xml')!.async('string');
  expect(xml).not.toMatch(/[\u0001\u202E\u200B]/);
  expect(xml).toContain(SHOWN);
});

test('an XLSX with such a value opens again, the text without them', async () => {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('관리대장').addRow([STORED]);
  const reopened = new ExcelJS.Workbook();
  await reopened.xlsx.load((await workbookBytes(workbook)) as unknown as ArrayBuffer);
  expect(reopened.getWorksheet('관리대장')!.getCell('A1').value).toBe(SHOWN);
});
