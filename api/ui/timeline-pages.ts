/**
 * 처리 경위 in Korean, on screen and on paper: the page (whose stylesheet prints it on A4 landscape with the case
 * number and print time atop every page and page numbers at the foot) and the same rows for the XLSX file.
 */
import { formatKoreanDateTime } from '../../domain/korean-time';
import { ROLE_LABELS } from '../../domain/roles';
import { type RoleId } from '../../domain/roles';
import type { TimelineWorkbook } from '../../templates/case-timeline';
import type { CaseTimeline, RefKind, Release, TimelineItem, TimelineRef } from '../timeline-schemas';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { factsTable } from './parts';

/** The page's stylesheet, served from /assets/ beside app.css. */
export const TIMELINE_ASSETS = { 'timeline.css': 'text/css; charset=utf-8' } as const;

export const RELEASE_LABELS: Record<Release, string> = {
  audio_played: '음성 재생 (열람)',
  package_built: '제공 파일 작성',
  package_provided: '제공 파일 전달',
  package_downloaded: '제공 파일 내려받기',
  handover_signed: '인수·인계증 서명 (공개 허용)',
  document_downloaded: '문서 내려받기',
  attachment_downloaded: '첨부파일 내려받기',
};

const REF_LABELS: Record<RefKind, string> = { document: '문서', attachment: '첨부파일', recording: '녹취', package: '제공 파일', history: '업무 흐름 이력' };

const STATUS_LABELS: Record<string, string> = {
  registered: '접수',
  in_sign_off: '결재 중',
  awaiting_handover: '인수·인계 대기',
  released: '열람·제공 중',
  awaiting_destruction_report: '파기 회신 대기',
  closed: '종결',
  rejected: '거부·반려',
  withdrawn: '철회',
  under_review: '검토 중',
  approved: '승인됨 — 녹취 장치 적용 전',
  active: '전수 녹취 중',
  ended: '종료',
  revoked: '철회·취소',
};

const SYSTEM_ROLES: Record<string, string> = { system: '시스템', anonymous: '로그인 전' };
export const roleLabel = (role: string | null): string => (role ? (ROLE_LABELS[role as RoleId] ?? SYSTEM_ROLES[role] ?? role) : '—');

/**
 * `2026. 11. 27. 14:05:33`: steps of one case often fall in the same minute, so the seconds say their order. Seoul
 * (and every zone the city could set) is a whole number of minutes from UTC, so UTC's seconds are the local ones.
 */
export function whenExact(iso: string, timeZone: string): string {
  const at = new Date(iso);
  return `${formatKoreanDateTime(at, timeZone)}:${String(at.getUTCSeconds()).padStart(2, '0')}`;
}

const sourceText = (item: TimelineItem) => (item.source === 'audit' ? `감사 기록 ${item.auditSeq}번` : `업무 흐름 이벤트 ${item.eventId}번`);
const whoText = (item: TimelineItem) =>
  [item.actor ?? '—', roleLabel(item.role), item.sourceAddress ? `주소 ${item.sourceAddress}` : ''].filter(Boolean).join(', ');
const reasonText = (item: TimelineItem) => [item.reason, item.note].filter(Boolean).join(' · ');
const refText = (ref: TimelineRef) =>
  [REF_LABELS[ref.kind], ref.name ? `'${ref.name}'` : '', ref.id ? `ID ${ref.id}` : '', ref.sha256 ? `SHA-256 ${ref.sha256}` : ''].filter(Boolean).join(' ');

function refCell(refs: readonly TimelineRef[]): Html {
  if (refs.length === 0) return html`—`;
  return html`<ul class="refs">${refs.map(
    (ref) =>
      html`<li>${REF_LABELS[ref.kind]}${ref.name ? html` ‘${ref.name}’` : ''}${ref.id ? html` <span class="id">ID <code>${ref.id}</code></span>` : ''}${
        ref.sha256 ? html` <span class="hash">SHA-256 <code>${ref.sha256}</code></span>` : ''
      }</li>`,
  )}</ul>`;
}

const COLUMNS = ['일시', '출처', '처리', '처리자 (역할, 주소)', '사유·의견', '문서·녹취·제공 파일 (SHA-256)', '공개'];

export interface TimelinePageOptions {
  /** The case's own page. */
  back: string;
  timeZone: string;
  municipalityName: string;
}

export function timelinePage(frame: Frame, timeline: CaseTimeline, options: TimelinePageOptions): string {
  const { timeZone } = options;
  const printedBy = frame.user ? `${frame.user.principal.displayName} (${frame.user.principal.username})` : '';
  const generated = whenExact(timeline.generatedAt, timeZone);
  const base = `/cases/${timeline.caseType}/${timeline.caseId}/timeline`;
  const releases = timeline.items.filter((item) => item.released !== null).length;
  const rows = timeline.items.map(
    (item) => html`<tr class="${item.source}${item.released ? ' released' : ''}">
<td class="at">${whenExact(item.at, timeZone)}</td><td class="source">${sourceText(item)}</td><td>${item.label}</td>
<td>${whoText(item)}</td><td>${reasonText(item) || '—'}</td><td>${refCell(item.refs)}</td>
<td>${item.released ? html`<strong>${RELEASE_LABELS[item.released]}</strong>` : '—'}</td></tr>`,
  );
  const main = html`<link rel="stylesheet" href="/assets/timeline.css">
<div class="timeline-record">
<p class="no-print"><a href="${options.back}">사건으로 돌아가기</a> · <a href="${base}.xlsx" download>XLSX 내려받기</a> · 종이로 남길 때는 브라우저의 인쇄(Ctrl+P)로 A4 가로에 출력합니다.</p>
<p class="${timeline.chain.ok ? 'chain ok' : 'chain alert'}" role="status"><strong>감사 기록 검증</strong> — ${timeline.chain.summary}</p>
${timeline.chain.problems.length > 1 ? html`<ul class="alert">${timeline.chain.problems.map((problem) => html`<li>${problem}</li>`)}</ul>` : ''}
${factsTable([
  ['사건', timeline.title],
  [timeline.caseType === 'disclosure_request' ? '관리번호' : '신청', timeline.caseNumber],
  ['상태', STATUS_LABELS[timeline.status] ?? timeline.status],
  ['출력 일시', generated],
  ['출력자', printedBy || '—'],
  [
    '처리 경위',
    `${timeline.items.length}건 (감사 기록 ${timeline.chain.entries}건, 업무 흐름 이벤트 ${timeline.items.length - timeline.chain.entries}건), 공개·반출 ${releases}건`,
  ],
])}
${timeline.workflowProblems.length > 0 ? html`<div class="notice"><p>업무 흐름 이력에 관하여:</p><ul>${timeline.workflowProblems.map((problem) => html`<li>${problem}</li>`)}</ul></div>` : ''}
<h2>처리 경위</h2>
<table class="timeline"><caption class="skip">처리 경위 (시간순)</caption>
<thead>
<tr class="print-header"><th colspan="${COLUMNS.length}">${options.municipalityName} 행정전화 녹취시스템 — 처리 경위 ${timeline.caseNumber} · 출력 ${generated}${printedBy ? ` · ${printedBy}` : ''}</th></tr>
<tr>${COLUMNS.map((column) => html`<th scope="col">${column}</th>`)}</tr>
</thead>
<tbody>${timeline.items.length > 0 ? rows : html`<tr><td colspan="${COLUMNS.length}">기록이 없습니다.</td></tr>`}</tbody></table>
<h2>생성 문서</h2>
<table class="documents"><thead><tr><th scope="col">작성 일시</th><th scope="col">용도</th><th scope="col">종류</th><th scope="col">작성</th><th scope="col">ID</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${
    timeline.documents.length > 0
      ? timeline.documents.map(
          (document) =>
            html`<tr><td>${whenExact(document.createdAt, timeZone)}</td><td>${document.purpose}</td><td>${document.kind}</td><td>${document.createdBy}</td><td><code>${document.id}</code></td><td class="hash"><code>${document.sha256}</code></td></tr>`,
        )
      : html`<tr><td colspan="6">없습니다.</td></tr>`
  }</tbody></table>
<h2>첨부파일</h2>
<table class="documents"><thead><tr><th scope="col">첨부 일시</th><th scope="col">용도</th><th scope="col">파일 이름</th><th scope="col">첨부</th><th scope="col">ID</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${
    timeline.attachments.length > 0
      ? timeline.attachments.map(
          (file) =>
            html`<tr><td>${whenExact(file.createdAt, timeZone)}</td><td>${file.purpose}</td><td>${file.fileName}</td><td>${file.uploadedBy}</td><td><code>${file.id}</code></td><td class="hash"><code>${file.sha256}</code></td></tr>`,
        )
      : html`<tr><td colspan="6">없습니다.</td></tr>`
  }</tbody></table>
<h2>업무 흐름 이력의 출처</h2>
<ul>${timeline.workflows.map(
    (workflow) =>
      html`<li>${workflow.workflowId} (${workflow.workflowType}, 이벤트 ${workflow.events}개) — ${workflow.source === 'temporal' ? '업무 흐름 서버(Temporal)' : '보관본'}${
        workflow.archiveSha256 ? html`, 보관본 SHA-256 <code>${workflow.archiveSha256}</code>` : ''
      }</li>`,
  )}</ul>
<p class="no-print"><a href="${options.back}">사건으로 돌아가기</a></p>
</div>`;
  return page(frame, `처리 경위 — ${timeline.title}`, main);
}

/** The same record as the page, as the workbook's tables (templates/case-timeline.ts). */
export function timelineWorkbook(timeline: CaseTimeline, timeZone: string): TimelineWorkbook {
  const sources = timeline.workflows.map(
    (workflow) => `${workflow.workflowId}: ${workflow.source === 'temporal' ? '업무 흐름 서버' : `보관본 (SHA-256 ${workflow.archiveSha256})`}`,
  );
  return {
    title: `처리 경위 — ${timeline.title}`,
    caseNumber: timeline.caseNumber,
    generatedAt: new Date(timeline.generatedAt),
    preface: [
      `감사 기록 검증: ${timeline.chain.summary}`,
      `상태: ${STATUS_LABELS[timeline.status] ?? timeline.status} · 출력 ${whenExact(timeline.generatedAt, timeZone)} · 업무 흐름 이력: ${[...sources, ...timeline.workflowProblems].join('; ') || '없음'}`,
    ],
    tables: [
      {
        name: '처리 경위',
        header: [...COLUMNS, '감사 기록 번호', '업무 흐름'],
        widths: [19, 14, 30, 26, 34, 60, 16, 10, 28],
        rows: timeline.items.map((item) => [
          new Date(item.at),
          item.source === 'audit' ? '감사 기록' : '업무 흐름',
          item.label,
          whoText(item),
          reasonText(item),
          item.refs.map(refText).join('\n'),
          item.released ? RELEASE_LABELS[item.released] : '',
          item.auditSeq === null ? '' : String(item.auditSeq),
          item.workflowId ?? '',
        ]),
      },
      {
        name: '생성 문서',
        header: ['작성 일시', '용도', '종류', '작성', 'ID', 'SHA-256'],
        widths: [19, 30, 24, 24, 38, 66],
        rows: timeline.documents.map((document) => [
          new Date(document.createdAt),
          document.purpose,
          document.kind,
          document.createdBy,
          document.id,
          document.sha256,
        ]),
      },
      {
        name: '첨부파일',
        header: ['첨부 일시', '용도', '파일 이름', '첨부', 'ID', 'SHA-256'],
        widths: [19, 24, 30, 18, 38, 66],
        rows: timeline.attachments.map((file) => [new Date(file.createdAt), file.purpose, file.fileName, file.uploadedBy, file.id, file.sha256]),
      },
    ],
  };
}
