/** The pages of 전수 녹취 신청 (Art. 6): the list with the approval inbox, the application form, one application. */
import { AUDIT_ACTION_LABELS } from '../../domain/audit-labels';
import { FULL_RECORDING_GROUNDS } from '../../domain/full-recording';
import { formatKoreanLocalDate } from '../../domain/korean-time';
import { decide, ROLE_LABELS } from '../access';
import { TIMELINE_READERS } from '../policy';
import { GROUND_LABELS, type ApplicationDetail, type ApplicationView } from '../full-recording';
import { type FullRecordingOverview } from '../full-recording-steps';
import { processView } from '../process-views';
import { formatFileSize } from '../uploads';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { csrfField, factsTable, fileInput, historyTable, signOffForm, when, type UploadLimits } from './parts';

export const STATUS_LABELS: Record<string, string> = {
  under_review: '검토 중',
  approved: '승인됨 — 녹취 장치 적용 전',
  active: '전수 녹취 중',
  rejected: '반려',
  ended: '종료',
  revoked: '철회·취소',
};

/** The period as the applicant wrote it: the last day is the day before the stored exclusive end. */
function period(item: ApplicationView, timeZone: string): string {
  const from = formatKoreanLocalDate(localDay(item.periodFrom, timeZone));
  if (!item.periodTo) return `${from}부터 취소할 때까지 (해마다 연장 검토)`;
  const lastDay = new Date(Date.parse(item.periodTo) - 1);
  return `${from} ~ ${formatKoreanLocalDate(localDay(lastDay.toISOString(), timeZone))}`;
}
const localDay = (iso: string, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(iso));

function applicationRows(items: readonly ApplicationView[], timeZone: string): Html {
  if (items.length === 0) return html`<tr><td colspan="6">신청이 없습니다.</td></tr>`;
  return html`${items.map(
    (item) => html`<tr><td><a href="/full-recording/${item.id}">${when(item.createdAt, timeZone)}</a></td><td>${item.department.name}</td>
<td>${item.extensions.join(', ')}</td><td>${period(item, timeZone)}</td><td>${STATUS_LABELS[item.status] ?? item.status}</td><td>${item.applicant}</td></tr>`,
  )}`;
}

const TABLE_HEAD = html`<thead><tr><th scope="col">신청일시</th><th scope="col">부서</th><th scope="col">내선</th><th scope="col">기간</th><th scope="col">상태</th><th scope="col">신청자</th></tr></thead>`;

export interface FullRecordingListInput {
  items: readonly ApplicationView[];
  /** Applications whose next sign-off is one of the user's roles. */
  inbox: readonly ApplicationView[];
  extensions: readonly { number: string; department: { name: string }; owner: string | null; mode: 'selective' | 'full'; fullRecordingSince: string | null }[];
  canApply: boolean;
}

export function fullRecordingListPage(frame: Frame, input: FullRecordingListInput, timeZone: string): string {
  return page(
    frame,
    '전수 녹취',
    html`<p>운영 규정 제6조: 사용부서의 장이 신청하고 관리부서가 검토·승인하면 그 내선의 모든 통화를 녹음합니다. 통화 상대방에게는 안내 방송으로 미리 알립니다 (제7조).</p>
${input.canApply ? html`<p><a class="button" href="/full-recording/new">전수 녹취 신청하기</a></p>` : ''}
${
  input.inbox.length > 0 || !input.canApply
    ? html`<h2>내 결재 대기</h2><table><caption class="skip">내 결재 대기</caption>${TABLE_HEAD}<tbody>${applicationRows(input.inbox, timeZone)}</tbody></table>`
    : ''
}
<h2>신청 목록</h2>
<table><caption class="skip">신청 목록</caption>${TABLE_HEAD}<tbody>${applicationRows(input.items, timeZone)}</tbody></table>
<h2>내선별 녹취 방식</h2>
<table><caption class="skip">내선별 녹취 방식</caption>
<thead><tr><th scope="col">내선</th><th scope="col">부서</th><th scope="col">사용자</th><th scope="col">녹취 방식</th><th scope="col">전수 녹취 시작</th></tr></thead>
<tbody>${input.extensions.map(
      (extension) => html`<tr><td>${extension.number}</td><td>${extension.department.name}</td><td>${extension.owner ?? '—'}</td>
<td>${extension.mode === 'full' ? '전수 녹취' : '선택적 녹취'}</td><td>${when(extension.fullRecordingSince, timeZone)}</td></tr>`,
    )}</tbody></table>`,
  );
}

const evidenceInput = (limits: UploadLimits, id: string) => fileInput(limits, { id, name: 'evidence', label: '증빙자료' });

export interface ApplicationFormInput {
  extensions: readonly { number: string; owner: string | null; available: boolean }[];
  evidenceLimits: UploadLimits;
  values?: { extensions?: string[]; ground?: string; reason?: string; periodFrom?: string; periodTo?: string };
  error?: string;
  today: string;
}

export function applicationFormPage(frame: Frame, input: ApplicationFormInput): string {
  const values = input.values ?? {};
  return page(
    frame,
    '전수 녹취 신청',
    html`<p>소속 부서 내선의 전수 녹취를 신청합니다 (운영 규정 제6조제2항). 신청서는 전자문서시스템에 올릴 수 있는 문서(DOCX)로도 만들어지며,
신청하기 전에 미리보기로 내려받아 확인할 수 있습니다.
관리부서의 검토와 과장의 승인을 거쳐 녹취 장치에 적용됩니다.</p>
${input.error ? html`<p class="alert" role="alert" id="apply-error">${input.error}</p>` : ''}
<form class="apply" method="post" action="/full-recording" enctype="multipart/form-data">
${csrfField(frame)}
<fieldset><legend>내선</legend>
${input.extensions.map(
  (extension) =>
    html`<div><input type="checkbox" id="ext-${extension.number}" name="extensions" value="${extension.number}"${
      values.extensions?.includes(extension.number) ? html` checked` : ''
    }${extension.available ? '' : html` disabled`}> <label for="ext-${extension.number}">${extension.number} (${extension.owner ?? '사용자 없음'})${
      extension.available ? '' : ' — 진행 중인 신청 있음'
    }</label></div>`,
)}
</fieldset>
<div><label for="ground">신청 사유 구분</label><select id="ground" name="ground" required>
<option value="">고르십시오</option>${FULL_RECORDING_GROUNDS.map(
      (ground) => html`<option value="${ground}"${values.ground === ground ? html` selected` : ''}>${GROUND_LABELS[ground]}</option>`,
    )}</select></div>
<div><label for="reason">구체적 사유</label><textarea id="reason" name="reason" required minlength="10" maxlength="2000" rows="4">${values.reason ?? ''}</textarea></div>
<div><label for="periodFrom">시작일</label><input id="periodFrom" name="periodFrom" type="date" required min="${input.today}" value="${values.periodFrom ?? input.today}"></div>
<div><label for="periodTo">종료일 (비우면 취소할 때까지, 해마다 연장 검토)</label><input id="periodTo" name="periodTo" type="date" min="${input.today}" value="${values.periodTo ?? ''}"></div>
<div>${evidenceInput(input.evidenceLimits, 'evidence')}</div>
<button type="submit">신청</button> <button type="submit" formaction="/full-recording/preview">신청서 미리보기 (DOCX)</button>
</form>`,
  );
}

export interface ApplicationPageInput {
  item: ApplicationDetail;
  /** The forms this user may use now (the workflow's rules asked). */
  can: { signOff: boolean; revoke: boolean; renew: boolean; addEvidence: boolean };
  evidenceLimits: UploadLimits;
  error?: string;
}

export function applicationPage(frame: Frame, input: ApplicationPageInput, timeZone: string): string {
  const { item, can } = input;
  const workflow = item.workflow;
  const csrf = csrfField(frame);
  const rows: [string, string][] = [
    ['상태', STATUS_LABELS[item.status] ?? item.status],
    ['부서', item.department.name],
    ['신청자', item.applicant],
    ['내선', item.extensions.join(', ')],
    ['사유 구분', GROUND_LABELS[item.ground]],
    ['구체적 사유', item.reason],
    ['기간', period(item, timeZone)],
    ['결재 대기', workflow?.awaiting ? ROLE_LABELS[workflow.awaiting as keyof typeof ROLE_LABELS] : '—'],
    ['녹취 장치 적용 확인', when(item.appliedAt, timeZone)],
    ['연장 검토 기한', when(workflow?.reviewDueAt ?? null, timeZone)],
    ['종료', when(item.endedAt, timeZone)],
  ];
  const notApplied =
    item.status === 'approved' && workflow?.lastApplyError
      ? html`<p class="alert" role="alert">승인되었으나 녹취 장치에 아직 적용되지 않았습니다 (시도 ${workflow.applyAttempts}회): ${workflow.lastApplyError}. 10분마다 다시 시도합니다.</p>`
      : '';
  const signOff = can.signOff ? html`<h2>검토·승인</h2>${signOffForm(frame, `/full-recording/${item.id}/sign-off`)}` : '';
  const revokeForm = can.revoke
    ? html`<h2>${item.status === 'under_review' ? '신청 철회' : '전수 녹취 취소'}</h2><form method="post" action="/full-recording/${item.id}/revoke">${csrf}
<div><label for="revoke-reason">사유</label><input id="revoke-reason" name="reason" required minlength="2" maxlength="1000"></div>
<button type="submit">${item.status === 'under_review' ? '철회' : '취소하고 선택적 녹취로'}</button></form>`
    : '';
  const evidence = html`<h2>증빙자료</h2>
${
  item.evidence.length === 0
    ? html`<p>첨부한 증빙자료가 없습니다.</p>`
    : html`<table><caption class="skip">증빙자료</caption>
<thead><tr><th scope="col">파일</th><th scope="col">올린 파일 이름</th><th scope="col">크기</th><th scope="col">SHA-256</th><th scope="col">첨부</th></tr></thead>
<tbody>${item.evidence.map(
        (
          file,
        ) => html`<tr><td><a href="/api/full-recording-applications/${item.id}/evidence/${file.id}" download>${file.fileName}</a></td><td>${file.originalName}</td><td>${formatFileSize(file.sizeBytes)}</td>
<td><code class="hash">${file.sha256}</code></td><td>${file.uploadedBy}, ${when(file.uploadedAt, timeZone)}</td></tr>`,
      )}</tbody></table>`
}
${
  can.addEvidence
    ? html`<form method="post" action="/full-recording/${item.id}/evidence" enctype="multipart/form-data">${csrf}
<div>${evidenceInput(input.evidenceLimits, 'more-evidence')}</div><button type="submit">증빙자료 추가</button></form>`
    : ''
}`;
  const renewForm = can.renew
    ? html`<h2>연장</h2><form method="post" action="/full-recording/${item.id}/renew">${csrf}<button type="submit">한 해 더 전수 녹취</button></form>`
    : '';
  return page(
    frame,
    '전수 녹취 신청',
    html`${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}${notApplied}
${factsTable(rows)}
<p><a href="/full-recording/${item.id}/document">신청서 내려받기 (DOCX)</a></p>
${evidence}
${workflow ? processView('full-recording', workflow.process) : ''}
${historyTable(item.history, AUDIT_ACTION_LABELS, timeZone)}
${frame.user && decide(TIMELINE_READERS, frame.user.principal).allowed ? html`<p><a href="/cases/full_recording_application/${item.id}/timeline">처리 경위 보기·인쇄 (감사 기록과 업무 흐름 이력)</a></p>` : ''}
${signOff}${revokeForm}${renewForm}
<p><a href="/full-recording">전수 녹취 목록으로</a></p>`,
  );
}

/** The dashboard card: the user's approval inbox, approvals the appliance has not confirmed, reviews coming due. */
export function fullRecordingCard(overview: FullRecordingOverview, timeZone: string): Html {
  const link = (item: ApplicationView) => html`<a href="/full-recording/${item.id}">${item.department.name} ${item.extensions.join(', ')}</a>`;
  const notApplied =
    overview.notApplied.length > 0
      ? html`<p class="alert" role="alert">승인되었으나 녹취 장치에 적용되지 않은 신청 ${overview.notApplied.length}건: ${overview.notApplied.map(
          ({ item, lastApplyError, attempts }, index) =>
            html`${index > 0 ? ', ' : ''}${link(item)} (시도 ${attempts}회${lastApplyError ? html`, ${lastApplyError}` : ''})`,
        )}</p>`
      : '';
  const inbox =
    overview.awaitingMe.length > 0
      ? html`<p>내 결재 대기 ${overview.awaitingMe.length}건: ${overview.awaitingMe.map((item, index) => html`${index > 0 ? ', ' : ''}${link(item)}`)}</p>`
      : html`<p>내 결재 대기 없음</p>`;
  const review =
    overview.reviewSoon.length > 0
      ? html`<p class="notice">연장 검토 기한이 30일 안에 오는 전수 녹취: ${overview.reviewSoon.map(
          ({ item, reviewDueAt }, index) => html`${index > 0 ? ', ' : ''}${link(item)} (${when(reviewDueAt, timeZone)}까지)`,
        )}</p>`
      : '';
  return html`<section class="card"><h2>전수 녹취 (제6조)</h2>
${inbox}${notApplied}
<p>전수 녹취 중 ${overview.active}건 (내선 ${overview.activeExtensions}개) · <a href="/full-recording">전수 녹취 목록</a></p>
${review}</section>`;
}
