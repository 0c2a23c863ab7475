/**
 * Forms 1–3 as DOCX from their templates, filled from real-looking data and blank for the counter:
 * LibreOffice opens each, its PDF shows every filled field in Korean, hostile values stay text, and a page
 * image of each lands in test-artifacts/ for a person to compare with the forms in the regulation.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import {
  BLANK_FORMS,
  FORM3_PROVISIONAL_MARK,
  mark,
  municipality,
  renderForm,
  type FieldsByKind,
  type Form1Fields,
  type Form2Fields,
  type Form3Fields,
} from '../../templates/documents';
import { buildDocx } from '../../templates/docx/ooxml';
import type { FormKind } from '../../templates/forms';
import { handoverReceiptFields } from '../../templates/case-documents';
import type { DisclosureRequest } from '../../infra/db/entities';
import { convertToPdf, pdfImages, pdfText, savePageImage } from '../support/libreoffice';
import { SIGNATURE_PNG } from '../support/signature';

const GWANGMYEONG = municipality('광명시');
const HOSTILE = '{{applicantName}} +++INS x+++ <w:t>&amp;</w:t> "인용" \u202Eمرحبا\u202C 😀';

const FORM1: Form1Fields = {
  ...GWANGMYEONG,
  viewingMark: mark(false),
  provisionMark: mark(true),
  applicantName: '홍길동',
  applicantBirthDateOrBusinessNumber: '1980. 1. 1.',
  applicantAddress: '경기도 광명시 철산로 123',
  applicantContact: '010-1234-5678',
  recordingTime: '2026. 11. 1. 10:02',
  recordedPhoneNumber: '02-2680-1234',
  purpose: '민원 분쟁 증빙',
  relationToParty: '통화 당사자 본인',
  reason: `통화 내용 확인이 필요합니다.\n둘째 줄: ${HOSTILE}`,
  applicationDate: '2026년 11월 27일',
  attachments: '(신분증 사본 1부)',
};

const FORM2: Form2Fields = {
  ...GWANGMYEONG,
  items: Array.from({ length: 14 }, (_, index) => ({
    managementNumber: '2026-0001',
    recordingTime: `2026. 11. ${index + 1}. 10:02`,
    recordedPhoneNumber: `02-2680-${1200 + index}`,
    purpose: '민원 분쟁 증빙',
    fileCount: '1',
    remarks: index === 13 ? '마지막 행' : '',
  })),
  receivedDate: '2026년 11월 27일',
  reportPeriod: '30일',
  documentDate: '2026년 11월 27일',
  recipientAddress: '경기도 광명시 철산로 123',
  recipientName: '홍길동',
  handoverUnit: '정보통신과',
  handoverRank: '주무관',
  handoverName: '이담당',
  recipientSigned: false,
  recipientSignature: null,
};

/** The facts Form 2 reads from a request. */
const SIGNED_REQUEST = {
  managementNumber: '2026-0001',
  purpose: '민원 분쟁 증빙',
  kind: 'provision',
  applicantAddress: '경기도 광명시 철산로 123',
} as DisclosureRequest;

const FORM3: Form3Fields = {
  ...GWANGMYEONG,
  provisionalMark: FORM3_PROVISIONAL_MARK,
  managementNumber: '2026-0001',
  providedDate: '2026년 11월 27일',
  recordingTime: '2026. 11. 1. 10:02',
  recordedPhoneNumber: '02-2680-1234',
  purpose: '민원 분쟁 증빙',
  fileCount: '14',
  destroyedAt: '2026. 12. 10. 15:00',
  methodOverwrite: mark(true),
  methodPhysical: mark(false),
  methodOther: mark(false),
  methodDetail: '',
  allCopiesYes: mark(true),
  allCopiesNo: mark(false),
  witness: '김입회',
  replyDate: '2026년 12월 10일',
  recipientAddress: '경기도 광명시 철산로 123',
  recipientName: '홍길동',
  receivedDate: '2026년 12월 11일',
  receiverUnitRankName: '정보통신과 주무관 이담당',
};

const folder = mkdtempSync(path.join(os.tmpdir(), 'forms-'));

async function renderAndRead<K extends FormKind>(kind: K, fields: FieldsByKind[K], name: string) {
  const docx = await renderForm(kind, fields);
  const file = path.join(folder, `${name}.docx`);
  writeFileSync(file, docx);
  const pdf = await convertToPdf(file);
  await savePageImage(pdf, name);
  return { docx, text: squash(await pdfText(pdf)) };
}

/**
 * Text compared without whitespace: pdftotext puts spaces between Hangul and digits (제 9 조) and breaks
 * lines where a cell wraps, neither of which is in the document.
 */
function squash(text: string): string {
  return text.replace(/\s+/g, '');
}

function expectAll(text: string, expected: string[]): void {
  for (const piece of expected) expect(text).toContain(squash(piece));
}

/** The document's text as stored (XML tags removed, entities left escaped). */
async function documentXml(docx: Buffer): Promise<string> {
  const xml = await (await JSZip.loadAsync(docx)).file('word/document.xml')!.async('string');
  return squash(xml.replace(/<[^>]+>/g, ''));
}

test('Form 1 filled: every field, provision ticked, the Art. 9(2) sentence and 광명시장 귀하', async () => {
  const { docx, text } = await renderAndRead('form1-application', FORM1, 'form1-filled');
  expectAll(text, [
    '행정전화 녹취정보 (☐ 열람, ☑ 제공) 신청서',
    '신청인',
    '성명 (기관·단체명)',
    '홍길동',
    '1980. 1. 1.',
    '경기도 광명시 철산로 123',
    '010-1234-5678',
    '2026. 11. 1. 10:02',
    '02-2680-1234',
    '민원 분쟁 증빙',
    '통화 당사자 본인',
    '통화 내용 확인이 필요합니다.',
    '「광명시 행정전화 녹취시스템 운영 규정」 제9조제2항에 따라 녹취정보를(☐ 열람, ☑ 제공)하여 줄 것을 신청합니다.',
    '2026년 11월 27일',
    '(서명 또는 날인)',
    '광명시장 귀하',
    '첨부서류',
    '제9조제1항을 증명할 수 있는 서류',
  ]);
  // The hostile value is text in the document, not a command or markup.
  const xml = await documentXml(docx);
  expect(xml).toContain(squash('{{applicantName}} +++INS x+++ &lt;w:t&gt;&amp;amp;&lt;/w:t&gt;'));
  expect(text).toContain('😀');
  // The applicant's line break is a real break, placed where Word and LibreOffice both honour it.
  const rawXml = await (await JSZip.loadAsync(docx)).file('word/document.xml')!.async('string');
  expect(rawXml).toMatch(/확인이 필요합니다\.<\/w:t>\s*<w:br\/>\s*<w:t[^>]*>둘째 줄/);
});

test('a stored reason with a control character and a bidi override (from before the API refused them) still makes a Form 1 that opens, the text without them', async () => {
  const { docx, text } = await renderAndRead('form1-application', { ...FORM1, reason: '통화\u0001 내용\u202E 확인\u200B 필요' }, 'form1-control-characters');
  expect(await documentXml(docx)).not.toMatch(/[\u0001\u202E\u200B]/);
  expectAll(text, ['통화 내용 확인 필요']);
});

test('Form 1 blank for the counter: labels and date line, no leftover commands', async () => {
  const { docx, text } = await renderAndRead('form1-application', BLANK_FORMS['form1-application'](GWANGMYEONG), 'form1-blank');
  expectAll(text, ['행정전화 녹취정보 (☐ 열람, ☐ 제공) 신청서', '년 월 일']);
  expect(await documentXml(docx)).not.toContain('{{');
});

test('Form 2: the table of recordings over many rows, pledge and handling word for word, both signature blocks', async () => {
  const { text } = await renderAndRead('form2-handover-receipt', FORM2, 'form2-filled');
  expectAll(text, [
    '녹취정보 인수·인계증',
    '1. 녹취정보 내용',
    '관리번호',
    '녹취일시',
    '녹취전화번호',
    '신청목적',
    '파일수량',
    '비 고',
    '2026. 11. 1. 10:02',
    '02-2680-1213',
    '마지막 행',
    '2. 수령일자 : 2026년 11월 27일',
    '본인(기관·단체)은 상기 녹취정보를 인수함에 있어 「광명시 행정전화 녹취시스템 운영 규정」에 따라 신청목적 이외의 용도로 사용하거나 타인에게 양도 또는 열람·제공하지 않을 것이며, 규정 위반으로 인한 제반 사고에 대하여는 본인이 책임질 것을 서약합니다.',
    '본 녹취정보는 신청목적 달성 시, 즉시 파기하고 그 결과를 제공일부터 30일 이내에 통보하겠습니다.',
    '인 수 자',
    '주 소: (부서명) 경기도 광명시 철산로 123',
    '성 명: (기관단체명) 홍길동',
    '인 계 자',
    '소 속: 정보통신과',
    '직 급: 주무관',
    '성 명: 이담당',
  ]);
  for (let day = 1; day <= 14; day += 1) expect(text).toContain(squash(`2026. 11. ${day}. 10:02`));
});

test('Form 2 signed on screen: the drawn signature is placed after the recipient, once, and opens in LibreOffice', async () => {
  const signed = handoverReceiptFields(
    { request: SIGNED_REQUEST, recipientName: '홍길동', receivedAt: new Date('2026-11-27T05:00:00Z') },
    [],
    { unit: '정보통신과', rank: '주무관', name: '이담당' },
    { municipalityName: '광명시', timeZone: 'Asia/Seoul', reportPeriod: '30일' },
    SIGNATURE_PNG,
  );
  const { docx, text } = await renderAndRead('form2-handover-receipt', signed, 'form2-signed-on-screen');
  expectAll(text, ['성 명: (기관단체명) 홍길동', '(서 명)', '2. 수령일자 : 2026년 11월 27일']);
  const zip = await JSZip.loadAsync(docx);
  const media = Object.keys(zip.files).filter((name) => name.startsWith('word/media/') && !zip.files[name]!.dir);
  expect(media).toHaveLength(1);
  expect(Buffer.compare(await zip.file(media[0]!)!.async('nodebuffer'), SIGNATURE_PNG)).toBe(0);
  // 4 cm wide (1 cm = 360,000 EMU), 600×200 kept as 3:1.
  const xml = await zip.file('word/document.xml')!.async('string');
  expect(xml).toContain('<wp:extent cx="1440000" cy="480000"/>');
  expect(xml.indexOf('<w:drawing>')).toBeGreaterThan(xml.indexOf('홍길동'));
  expect(xml.indexOf('<w:drawing>')).toBeLessThan(xml.indexOf('인 계 자'));
  const pdf = path.join(folder, 'form2-signed-on-screen.pdf');
  // LibreOffice resamples images to 300 dpi: 4 cm is about 470 pixels, still three times as wide as high.
  const images = await pdfImages(pdf);
  expect(images).toHaveLength(1);
  expect(images[0]!.page).toBe(1);
  expect(images[0]!.width / images[0]!.height).toBeCloseTo(3, 1);
  // Unsigned, the same template places no image.
  const unsigned = await JSZip.loadAsync(await renderForm('form2-handover-receipt', FORM2));
  expect(Object.keys(unsigned.files).some((name) => name.startsWith('word/media/') && !unsigned.files[name]!.dir)).toBe(false);
});

test('Form 3 (reconstructed) filled, marked provisional, with the Art. 9(4) statement', async () => {
  const { text } = await renderAndRead('form3-destruction-report', FORM3, 'form3-filled');
  expectAll(text, [
    FORM3_PROVISIONAL_MARK,
    '녹취정보 파기 결과 회신서',
    '2026-0001',
    '제공일',
    '2026년 11월 27일',
    '2026. 12. 10. 15:00',
    '☑ 삭제 후 덮어쓰기',
    '☐ 저장매체 물리적 파기',
    '☑ 예',
    '☐ 아니오',
    '김입회',
    '「광명시 행정전화 녹취시스템 운영 규정」 제9조제4항에 따라 위와 같이 녹취정보를 파기하였음을 회신합니다.',
    '광명시장 귀하',
    '4. 관리부서 접수',
    '정보통신과 주무관 이담당',
  ]);
});

test('Form 3 blank (sent with the files) is marked provisional too', async () => {
  const { text } = await renderAndRead('form3-destruction-report', BLANK_FORMS['form3-destruction-report'](GWANGMYEONG), 'form3-blank');
  expectAll(text, [FORM3_PROVISIONAL_MARK, '☐ 삭제 후 덮어쓰기']);
});

test("another city's name comes from the settings", async () => {
  const { text } = await renderAndRead('form1-application', { ...FORM1, ...municipality('시흥시') }, 'form1-siheung');
  expectAll(text, ['「시흥시 행정전화 녹취시스템 운영 규정」', '시흥시장 귀하']);
  expect(text).not.toContain('광명시장');
  expect(text).not.toContain('「광명시');
});

test("a city's own template replaces the built-in one without code changes", async () => {
  const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'city-templates-'));
  writeFileSync(
    path.join(templatesDir, 'form1-application.docx'),
    await buildDocx([{ paragraph: { runs: ['시 자체 서식: {{applicantName}} / {{mayorTitle}}'] } }]),
  );
  const docx = await renderForm('form1-application', FORM1, { templatesDir });
  expect(await documentXml(docx)).toContain(squash('시 자체 서식: 홍길동 / 광명시장'));
});

test('a missing field is refused with a clear error, not printed as blank', async () => {
  const { applicantName: _omitted, ...incomplete } = FORM1;
  await expect(renderForm('form1-application', incomplete as Form1Fields)).rejects.toMatchObject({
    code: 'DOCUMENT_TEMPLATE_FAILED',
  });
});
