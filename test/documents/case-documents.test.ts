/**
 * Documents from real data: a disclosure case stored in the database (SQLite), read back with its
 * recordings, and turned into Forms 1–3 that LibreOffice opens.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Department, DestructionReport, DisclosureRequest, DisclosureRequestRecording, Extension, HandoverReceipt, Recording } from '../../infra/db/entities';
import { applicationFields, destructionReportFields, handoverReceiptFields, type DocumentContext } from '../../templates/case-documents';
import { renderForm } from '../../templates/documents';
import { convertToPdf, pdfText } from '../support/libreoffice';
import { createTestDatabase, type TestDatabase } from '../support/databases';

const CONTEXT: DocumentContext = { municipalityName: '광명시', timeZone: 'Asia/Seoul', reportPeriod: '30일' };
const OFFICIAL = { unit: '정보통신과', rank: '주무관', name: '이담당' };
const squash = (text: string) => text.replace(/\s+/g, '');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  const em = db.orm.em.fork();
  const department = new Department('GM-WELFARE', '복지정책과', 'department');
  const extension = new Extension('02-2680-1234', department);
  const recordings = ['2026-11-01T01:02:00Z', '2026-11-03T06:30:00Z'].map(
    (at, index) => new Recording(`call-${index}`, extension, new Date(at), 'inbound', 'selective', 'PCMU', new Date('2026-12-05T15:00:00Z')),
  );
  const request = new DisclosureRequest(
    '2026-0007',
    2026,
    7,
    'disclosure-2026-0007',
    'provision',
    '홍길동',
    '1980. 1. 1.',
    '경기도 광명시 철산로 123',
    '010-1234-5678',
    '2026. 11. 1. 10시경',
    '02-2680-1234',
    '민원 분쟁 증빙',
    '통화 당사자 본인',
    '상담 내용에 대한 분쟁이 있어 확인이 필요함',
    'party',
    new Date('2026-11-20T02:00:00Z'),
    'lee.operator',
  );
  const receipt = new HandoverReceipt(request, 'documents/2026-0007/form2.docx', '홍길동', 'lee.operator');
  receipt.receivedAt = new Date('2026-11-27T05:00:00Z');
  const report = new DestructionReport(request, new Date('2026-12-28T15:00:00Z'));
  report.reportedAt = new Date('2026-12-10T01:00:00Z');
  report.destroyedAt = new Date('2026-12-09T08:00:00Z');
  report.method = 'delete_overwrite';
  report.allCopiesDestroyed = true;
  em.persist([department, extension, ...recordings, request, receipt, report]);
  for (const recording of recordings) em.persist(new DisclosureRequestRecording(request, recording, 'lee.operator'));
  await em.flush();
});
afterAll(async () => db?.dispose());

async function loadCase() {
  const em = db.orm.em.fork();
  const request = await em.findOneOrFail(DisclosureRequest, { managementNumber: '2026-0007' }, { populate: ['recordings.recording.extension'] });
  const receipt = await em.findOneOrFail(HandoverReceipt, { request });
  const report = await em.findOneOrFail(DestructionReport, { request });
  const recordings = request.recordings.getItems().map((link) => link.recording);
  return { request, receipt, report, recordings };
}

async function printedText(docx: Buffer, name: string): Promise<string> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'case-'));
  const file = path.join(folder, `${name}.docx`);
  writeFileSync(file, docx);
  return squash(await pdfText(await convertToPdf(file)));
}

test('Form 1 from the registered request', async () => {
  const { request } = await loadCase();
  const text = await printedText(await renderForm('form1-application', applicationFields(request, CONTEXT)), 'case-form1');
  for (const expected of ['(☐ 열람, ☑ 제공)', '홍길동', '1980. 1. 1.', '010-1234-5678', '2026. 11. 1. 10시경', '통화 당사자 본인', '2026년 11월 20일']) {
    expect(text).toContain(squash(expected));
  }
});

test('Form 2 lists each confirmed recording in Seoul time with its extension', async () => {
  const { receipt, recordings } = await loadCase();
  const fields = handoverReceiptFields(receipt, recordings, OFFICIAL, CONTEXT);
  expect(fields.items.map((item) => item.recordingTime)).toEqual(['2026. 11. 1. 10:02', '2026. 11. 3. 15:30']);
  const text = await printedText(await renderForm('form2-handover-receipt', fields), 'case-form2');
  for (const expected of ['2026-0007', '2026. 11. 1. 10:02', '2026. 11. 3. 15:30', '02-2680-1234', '2. 수령일자 : 2026년 11월 27일', '소 속: 정보통신과']) {
    expect(text).toContain(squash(expected));
  }
});

test('Form 3 filled from the recorded report', async () => {
  const { report, receipt, recordings } = await loadCase();
  const fields = destructionReportFields(report, receipt, recordings, '정보통신과 주무관 이담당', CONTEXT);
  expect(fields).toMatchObject({ providedDate: '2026년 11월 27일', fileCount: '2', methodOverwrite: '☑', allCopiesYes: '☑' });
  const text = await printedText(await renderForm('form3-destruction-report', fields), 'case-form3');
  for (const expected of ['2026-0007', '2026. 11. 1. 10:02 외 1건', '2026. 12. 9. 17:00', '☑ 삭제 후 덮어쓰기', '2026년 12월 10일']) {
    expect(text).toContain(squash(expected));
  }
});
