/**
 * Form 4 as DOCX, the full-recording application and the letters of the disclosure procedure, filled
 * and opened by LibreOffice; every field appears in the PDF, page images go to test-artifacts/.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatKoreanLongDate } from '../../domain/korean-time';
import { mark, municipality, renderForm, type FieldsByKind } from '../../templates/documents';
import type { FormKind } from '../../templates/forms';
import { ledgerForm4Fields } from '../../templates/ledger';
import { convertToPdf, pdfText, savePageImage } from '../support/libreoffice';
import { type LedgerRow } from '../../templates/documents';
import { article6Paragraph2Items } from '../support/regulation';

const SEOUL = 'Asia/Seoul';
const GWANGMYEONG = municipality('광명시');
const folder = mkdtempSync(path.join(os.tmpdir(), 'letters-'));
const squash = (text: string) => text.replace(/\s+/g, '');

async function printed<K extends FormKind>(kind: K, fields: FieldsByKind[K]): Promise<string> {
  const file = path.join(folder, `${kind}.docx`);
  writeFileSync(file, await renderForm(kind, fields));
  const pdf = await convertToPdf(file);
  await savePageImage(pdf, kind);
  return squash(await pdfText(pdf));
}

function expectAll(text: string, expected: string[]): void {
  for (const piece of expected) expect(text).toContain(squash(piece));
}

test('Form 4 as DOCX: the period, its entries in order, and the 결재 columns with the labels from the settings', async () => {
  const rows: LedgerRow[] = [2, 1, 3].map((n) => ({
    managementNumber: `2026-000${n}`,
    appliedAt: new Date(`2026-11-0${n}T05:05:00Z`),
    applicantName: `신청인${n}`,
    applicantBirthDateOrBusinessNumber: '123-45-67890',
    applicantAddress: '광명시 철산동',
    recordingTime: `2026. 10. ${n}. 10:00`,
    recordedPhoneNumber: '02-2680-1234',
    purpose: '분쟁 증빙',
    signOffOperator: '이담당',
    signOffDeputy: '박팀장',
    signOffChief: n === 3 ? '' : '최과장',
  }));
  const fields = ledgerForm4Fields(rows, {
    municipalityName: '광명시',
    timeZone: SEOUL,
    from: new Date('2026-11-01T00:00:00+09:00'),
    to: new Date('2026-11-03T00:00:00+09:00'),
    signOffLabels: { operator: '주무관', deputy: '팀장', chief: '과장' },
  });
  expect(fields.entries.map((entry) => entry.managementNumber)).toEqual(['2026-0001', '2026-0002']);
  expect(fields.entries[0]?.appliedAt).toBe('2026. 11. 1. 14:05');
  const text = await printed('form4-ledger', fields);
  expectAll(text, [
    '[별지 제4호서식]',
    '행정전화 녹취시스템 녹취정보(열람, 제공) 관리대장',
    '기간: 2026. 11. 1. ~ 2026. 11. 2.',
    '관리번호',
    '신청 일시',
    '신청 내용',
    '결재',
    '주무관',
    '팀장',
    '과장',
    '2026-0001',
    '2026. 11. 1. 14:05',
    '신청인1',
    '123-45-67890',
    '2026-0002',
    '신청인2',
    '최과장',
  ]);
  expect(text).not.toContain('2026-0003');
});

test('the full-recording application names the department, extensions, ground, period and notice', async () => {
  // Art. 6(2)'s items as the regulation words them; the printed grounds must quote, not paraphrase, them.
  const grounds = article6Paragraph2Items();
  expect(grounds).toHaveLength(3);
  const text = await printed('full-recording-application', {
    ...GWANGMYEONG,
    managingDepartmentName: '정보통신과',
    departmentName: '건축과',
    applicantName: '김부서',
    applicantTitleAndName: '건축과장 김부서',
    extensions: '02-2680-2001, 02-2680-2002, 02-2680-2003',
    groundInterest: mark(true),
    groundMalicious: mark(false),
    groundOther: mark(false),
    reason: '인허가 관련 이해관계 민원이 월 200건 이상 접수되어 통화 내용의 기록이 필요함',
    period: '2026. 12. 1. ~ 2027. 11. 30.',
    noticeMethod: '통화 연결 전 안내 멘트 "이 통화는 녹음됩니다" 재생',
    evidence: '민원 접수 현황 1부',
    applicationDate: formatKoreanLongDate(new Date('2026-11-27T05:00:00Z'), SEOUL),
  });
  expectAll(text, [
    '행정전화 전수 녹취 사용 신청서',
    '건축과',
    '건축과장 김부서',
    '02-2680-2002',
    `☑ ${grounds[0]}`,
    `☐ ${grounds[1]}`,
    `☐ ${grounds[2]}`,
    '월 200건 이상',
    '2026. 12. 1. ~ 2027. 11. 30.',
    '이 통화는 녹음됩니다',
    '「광명시 행정전화 녹취시스템 운영 규정」 제6조제2항에 따라 위와 같이 전수 녹취 사용을 신청합니다.',
    '2026년 11월 27일',
    '정보통신과장 귀하',
  ]);
});

test('the rejection notice gives the reason, the ground and how to contest it', async () => {
  const text = await printed('disclosure-rejection-notice', {
    ...GWANGMYEONG,
    managingDepartmentName: '정보통신과',
    contact: '02-2680-2114',
    kindLabel: '제공',
    managementNumber: '2026-0004',
    applicantName: '홍길동',
    appliedDate: '2026년 11월 20일',
    requestSummary: '2026. 11. 1. 10:02 02-2680-1234 통화 녹취정보 제공',
    reason: '신청인이 통화의 당사자가 아니며 다른 법률에 특별한 규정이 있음을 증명하는 서류가 없음',
    legalBasis: '(당사자 외의 자에 대한 제공 제한)',
    noticeDate: '2026년 11월 27일',
  });
  expectAll(text, [
    '녹취정보 (제공) 신청 거부 통지서',
    '2026-0004',
    '홍길동',
    '신청인이 통화의 당사자가 아니며',
    '「광명시 행정전화 녹취시스템 운영 규정」 제9조제1항',
    '행정심판',
    '행정소송',
    '광명시장',
    '02-2680-2114',
  ]);
});

test('the reminder letter and the escalation memo for an overdue Form 3', async () => {
  const reminder = await printed('destruction-report-reminder', {
    ...GWANGMYEONG,
    managingDepartmentName: '정보통신과',
    contact: '02-2680-2114',
    recipientName: '홍길동',
    recipientAddress: '경기도 광명시 철산로 123',
    managementNumber: '2026-0001',
    providedDate: '2026년 2월 13일',
    dueDate: '2026년 3월 16일',
    status: '기한 경과 (미회신)',
    reportPeriod: '30일',
    letterDate: '2026년 3월 17일',
  });
  expectAll(reminder, [
    '녹취정보 파기 결과 회신 요청',
    '수신: 홍길동 귀하',
    '2026-0001',
    '2026년 3월 16일',
    '기한 경과 (미회신)',
    '제9조제4항',
    '제공일부터 30일 이내에',
    '붙임: 녹취정보 파기 결과 회신서 1부',
    '광명시장',
  ]);
  const memo = await printed('destruction-report-escalation', {
    ...GWANGMYEONG,
    managingDepartmentName: '정보통신과',
    reporter: '주무관 이담당',
    managementNumber: '2026-0001',
    recipient: '홍길동 (경기도 광명시 철산로 123)',
    providedDate: '2026년 2월 13일',
    dueDate: '2026년 3월 16일',
    daysOverdue: '3일',
    remindersSent: '2026. 3. 9. 기한 7일 전 안내, 2026. 3. 15. 기한 1일 전 안내, 2026. 3. 17. 기한 경과 독촉',
    proposedAction: '수령인에게 전화 독촉 후 미회신 시 제공 중단 및 관련 기관 통보 검토',
    memoDate: '2026년 3월 19일',
  });
  expectAll(memo, [
    '녹취정보 파기 결과 미회신 보고',
    '수신: 정보통신과장',
    '주무관 이담당',
    '3일',
    '기한 7일 전 안내',
    '제공 중단',
    '파기 결과 회신 기한이 지나도록 회신되지 않았기에 보고합니다.',
  ]);
});
