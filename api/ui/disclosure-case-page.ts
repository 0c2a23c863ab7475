/**
 * One 녹취정보 열람·제공 case (Art. 9) as a page: its facts, recordings, 결재, files, handover, package or viewing,
 * destruction report and documents, each section with the forms its user may use now. Apart from the list and
 * registration pages (disclosure-pages.ts) because the case page alone follows the workflow's state.
 */
import { AUDIT_ACTION_LABELS } from '../../domain/audit-labels';
import { DISCLOSURE_KIND_LABELS } from '../../domain/disclosure';
import { DESTRUCTION_METHODS, type DestructionMethod } from '../../domain/disclosure';
import { type SignOffRole } from '../../domain/roles';
import { formatKoreanLocalDate } from '../../domain/korean-time';
import type { SignOffLabels } from '../../templates/documents';
import { ROLE_LABELS } from '../access';
import { ATTACHABLE_IN } from '../disclosure-steps';
import { ATTACHMENT_PURPOSES, PURPOSE_LABELS, type AttachmentPurpose, type RequestDetail } from '../disclosure-schemas';
import type { DisclosureSteps } from '../disclosure-overview';
import { processView } from '../process-views';
import { formatFileSize } from '../uploads';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { csrfField, duration, factsTable, fileInput, historyTable, signOffForm, when, type UploadLimits } from './parts';
import { GROUND_LABELS, statusLabel } from './disclosure-pages';

/** As Form 3 prints them (templates/forms.ts). */
const METHOD_LABELS: Record<DestructionMethod, string> = {
  delete_overwrite: '삭제 후 덮어쓰기',
  physical_destruction: '저장매체 물리적 파기',
  other: '기타',
};

const PACKAGE = 'provision_package';

const stateOf = (item: RequestDetail) => item.workflow?.state ?? item.status;
export interface DisclosurePageInput {
  item: RequestDetail;
  steps: DisclosureSteps;
  /** The recordings that fit the request, offered while the operator may confirm them. */
  matches: readonly RequestDetail['recordings'][number][];
  /** May download the case's files (the managing department; auditors read the case only). */
  files: boolean;
  chain: readonly SignOffRole[];
  signOffLabels: SignOffLabels;
  uploadLimits: UploadLimits;
  /** Now on the city's clock, as datetime-local inputs take it. */
  now: string;
  /** A viewing case released and within its window, for the managing department: the confirmed calls may be played. */
  playable: boolean;
  error?: string;
}

function recordingCells(recording: RequestDetail['recordings'][number], timeZone: string, start: Html | string): Html {
  return html`<td>${start}</td><td>${recording.extension}</td><td>${recording.deletedAt ? '—' : (recording.otherPartyNumber ?? '—')}</td>
<td>${duration(recording.durationMs)}</td><td>${recording.deletedAt ? `삭제됨 (${when(recording.deletedAt, timeZone)})` : recording.confirmed ? '확인됨' : '—'}</td>`;
}
const RECORDING_HEAD = html`<th scope="col">통화 시작</th><th scope="col">내선</th><th scope="col">상대방 번호</th><th scope="col">통화 시간</th><th scope="col">이 신청</th>`;

function recordingsSection(frame: Frame, input: DisclosurePageInput, timeZone: string): Html {
  const { item } = input;
  const refused = item.workflow?.refusedRecordings ?? [];
  const refusedNote =
    refused.length > 0
      ? html`<p class="alert" role="alert">확인하지 못한 녹취: ${refused.map((line, index) => html`${index > 0 ? ', ' : ''}${line.reason}`)}</p>`
      : '';
  if (!input.steps.confirmRecordings) {
    // 열람: played here, in the managing department, never offered as a file (each play is audited by the API).
    const player = (recording: RequestDetail['recordings'][number]) =>
      input.playable
        ? html`<td><audio controls preload="none" controlslist="nodownload noplaybackrate" aria-label="${when(recording.startedAt, timeZone)} 통화 듣기" src="/api/disclosure-requests/${item.id}/recordings/${recording.id}/audio"></audio></td>`
        : '';
    return html`<h2>확인된 녹취</h2>${refusedNote}
${input.playable ? html`<p class="notice">열람 시간 안에만 들을 수 있습니다 (${when(item.workflow?.viewingUntil ?? null, timeZone)}까지). 재생할 때마다 기록됩니다.</p>` : ''}
${
  item.recordings.length === 0
    ? html`<p>확인된 녹취가 없습니다.</p>`
    : html`<table><caption class="skip">확인된 녹취</caption><thead><tr>${RECORDING_HEAD}${input.playable ? html`<th scope="col">열람</th>` : ''}</tr></thead>
<tbody>${item.recordings.map((recording) => html`<tr>${recordingCells(recording, timeZone, when(recording.startedAt, timeZone))}${player(recording)}</tr>`)}</tbody></table>`
}`;
  }
  const offered =
    input.matches.length === 0
      ? html`<p>신청의 녹취 일시와 전화번호에 맞는 녹취가 없습니다. 신청 내용을 확인하십시오.</p>`
      : html`<form method="post" action="/disclosure/${item.id}/recordings">${csrfField(frame)}
<table><caption class="skip">신청과 맞는 녹취</caption><thead><tr><th scope="col">선택</th>${RECORDING_HEAD}</tr></thead>
<tbody>${input.matches.map((recording) => {
          const id = `recording-${recording.id}`;
          return html`<tr><td><input type="checkbox" id="${id}" name="recordingIds" value="${recording.id}"${recording.confirmed ? html` checked` : ''}${
            recording.deletedAt ? html` disabled` : ''
          }></td>${recordingCells(recording, timeZone, html`<label class="inline" for="${id}">${when(recording.startedAt, timeZone)}</label>`)}</tr>`;
        })}</tbody></table>
<p>고른 녹취만 이 신청의 것이 되며, 곧바로 보존 중지되어 보존기간이 지나도 삭제되지 않습니다. 고르지 않은 녹취의 보존 중지는 풀립니다.</p>
<button type="submit">녹취 확인</button></form>`;
  return html`<h2>녹취 확인</h2>${refusedNote}
<p>신청의 녹취 일시 안에서 상대방 번호나 내선이 신청한 전화번호인 녹취입니다. 이미 삭제된 녹취는 고를 수 없습니다.</p>
${offered}`;
}

function signOffSection(frame: Frame, input: DisclosurePageInput, timeZone: string): Html {
  const { item, steps } = input;
  const workflow = item.workflow;
  const state = stateOf(item);
  const problems = state === 'registered' ? (workflow?.readinessProblems ?? []) : [];
  const line = input.chain.map((role) => {
    const signed = workflow?.signOffs.find((signOff) => signOff.role === role);
    if (signed) {
      return html`<tr><th scope="row">${input.signOffLabels[role]}</th><td>${signed.actor}</td><td>${signed.decision === 'approve' ? '승인' : '반려'}</td>
<td>${signed.comment || '—'}</td><td>${when(signed.at, timeZone)}</td></tr>`;
    }
    const waiting = workflow?.awaiting === role ? '결재 대기' : '—';
    return html`<tr><th scope="row">${input.signOffLabels[role]}</th><td>${ROLE_LABELS[role]}</td><td>${waiting}</td><td>—</td><td>—</td></tr>`;
  });
  return html`<h2>결재</h2>
${problems.length > 0 ? html`<div class="alert" role="alert"><p>결재에 올리지 못했습니다. 다음을 갖추어 다시 상신하십시오.</p><ul>${problems.map((problem) => html`<li>${problem}</li>`)}</ul></div>` : ''}
<table><caption class="skip">결재</caption><thead><tr><th scope="col">단계</th><th scope="col">결재자</th><th scope="col">결정</th><th scope="col">의견</th><th scope="col">일시</th></tr></thead>
<tbody>${line}</tbody></table>
${
  steps.submit
    ? html`<form method="post" action="/disclosure/${item.id}/submit">${csrfField(frame)}
<p>확인된 녹취와 근거(제9조제1항)가 갖추어져야 결재에 올라갑니다. 모자라면 무엇이 모자란지 이 화면에 표시됩니다.</p>
<button type="submit">결재 상신</button></form>`
    : ''
}
${steps.signOff ? html`<h3>결재하기</h3>${signOffForm(frame, `/disclosure/${item.id}/sign-off`)}` : ''}`;
}

/** The purpose the current step asks for, chosen in advance on the upload form. */
function expectedPurpose(state: string): AttachmentPurpose {
  if (state === 'registered') return 'ground_document';
  if (state === 'awaiting_handover') return 'signed_handover_receipt';
  if (state === 'awaiting_destruction_report') return 'destruction_report';
  return 'other';
}

function attachmentsSection(frame: Frame, input: DisclosurePageInput, timeZone: string): Html {
  const { item } = input;
  const scans = item.attachments.filter((file) => file.purpose !== PACKAGE);
  const chosen = expectedPurpose(stateOf(item));
  const list =
    scans.length === 0
      ? html`<p>첨부한 파일이 없습니다.</p>`
      : html`<table><caption class="skip">첨부파일</caption>
<thead><tr><th scope="col">종류</th><th scope="col">파일</th><th scope="col">올린 파일 이름</th><th scope="col">크기</th><th scope="col">SHA-256</th><th scope="col">첨부</th></tr></thead>
<tbody>${scans.map(
          (file) => html`<tr><td>${PURPOSE_LABELS[file.purpose as AttachmentPurpose] ?? file.purpose}</td>
<td>${input.files ? html`<a href="/api/disclosure-requests/${item.id}/attachments/${file.id}" download>${file.fileName}</a>` : file.fileName}</td><td>${file.originalName}</td>
<td>${formatFileSize(file.sizeBytes)}</td><td><code class="hash">${file.sha256}</code></td><td>${file.uploadedBy}, ${when(file.uploadedAt, timeZone)}</td></tr>`,
        )}</tbody></table>`;
  const form = input.steps.attach
    ? html`<form class="case-form" method="post" action="/disclosure/${item.id}/attachments" enctype="multipart/form-data">${csrfField(frame)}
<div><label for="purpose">첨부 종류</label><select id="purpose" name="purpose" required>${ATTACHMENT_PURPOSES.filter((purpose) =>
        (ATTACHABLE_IN[purpose] as readonly string[]).includes(stateOf(item)),
      ).map((purpose) => html`<option value="${purpose}"${purpose === chosen ? html` selected` : ''}>${PURPOSE_LABELS[purpose]}</option>`)}</select></div>
<div>${fileInput(input.uploadLimits, { id: 'files', name: 'files', label: '파일', required: true })}</div>
<button type="submit">첨부</button></form>`
    : '';
  return html`<h2>첨부파일</h2>${list}${form}`;
}

const scanOptions = (item: RequestDetail, purpose: AttachmentPurpose, timeZone: string) =>
  item.attachments
    .filter((file) => file.purpose === purpose)
    .reverse()
    .map((file) => html`<option value="${file.id}">${file.fileName} · ${file.originalName} (${when(file.uploadedAt, timeZone)})</option>`);

function handoverSection(frame: Frame, input: DisclosurePageInput, timeZone: string): Html {
  const { item } = input;
  if (!input.steps.handover) return html``;
  const scans = scanOptions(item, 'signed_handover_receipt', timeZone);
  const recipientFields = (
    id: string,
  ) => html`<div><label for="recipientName-${id}">인수자 성명</label><input id="recipientName-${id}" name="recipientName" required maxlength="100" value="${item.applicantName}"></div>
<div><label for="receivedAt-${id}">수령 일시</label><input id="receivedAt-${id}" name="receivedAt" type="datetime-local" required max="${input.now}" value="${input.now}"></div>`;
  return html`<h2>인수·인계증 서명 접수</h2>
<p>인수자가 인수·인계증(별지 제2호서식)에 서명하면 기록합니다. 기록하면 ${item.kind === 'viewing' ? '열람 시간이 시작됩니다' : '제공할 수 있고, 수령일부터 파기 결과 회신 기한이 계산됩니다'}.</p>
<h3>화면 서명</h3>
<form class="case-form" method="post" action="/disclosure/${item.id}/handover" data-signature-form>${csrfField(frame)}
<input type="hidden" name="signatureKind" value="on_screen"><input type="hidden" name="signature" value="">
<p>인수자가 아래 서명란에 직접 서명합니다. 서명은 인수·인계증의 인수자 성명 옆에 들어가 신청 문서로 보관됩니다.</p>
<div><label for="signature-pad">인수자 서명란</label><canvas id="signature-pad" class="signature-pad" width="600" height="200" role="img" aria-label="인수자 서명란 (마우스, 펜 또는 손가락으로 서명)" data-signature-pad></canvas>
<p class="signature-message" role="alert" data-signature-message hidden>서명란에 인수자의 서명을 받은 뒤 기록하십시오.</p>
<button type="button" data-signature-clear>서명 지우기</button></div>
<noscript><p class="alert">화면 서명에는 JavaScript가 필요합니다. 종이 서명 스캔으로 기록하십시오.</p></noscript>
${recipientFields('screen')}
<button type="submit">화면 서명으로 인수·인계 기록</button></form>
<h3>종이 서명 스캔</h3>
<p>인수자가 종이에 서명한 인수·인계증의 스캔을 위 첨부파일에 '${PURPOSE_LABELS.signed_handover_receipt}'(으)로 올린 뒤 기록합니다.</p>
${
  scans.length === 0
    ? html`<p class="notice">아직 첨부한 서명된 인수·인계증이 없습니다.</p>`
    : html`<form class="case-form" method="post" action="/disclosure/${item.id}/handover">${csrfField(frame)}
<input type="hidden" name="signatureKind" value="paper_scan">
<div><label for="handover-scan">서명된 인수·인계증 스캔</label><select id="handover-scan" name="attachmentId" required>${scans}</select></div>
${recipientFields('paper')}
<button type="submit">스캔으로 인수·인계 기록</button></form>`
}`;
}

function packageSection(frame: Frame, input: DisclosurePageInput, timeZone: string): Html {
  const { item } = input;
  if (item.kind !== 'provision') return html``;
  const built = item.attachments.find((file) => file.purpose === PACKAGE);
  // The package holds the recordings' audio: it is destroyed once downloaded whole, at the latest at the Form 3 deadline.
  const download = !built
    ? ''
    : built.destroyedAt
      ? html`<p>제공 파일: ${built.fileName} · SHA-256 <code class="hash">${built.sha256}</code></p>
<p class="notice">${when(built.destroyedAt, timeZone)}에 파기되었습니다 (${built.destructionReason ?? '보존기간 경과'}). 다시 내려받을 수 없습니다.</p>`
      : html`<p>제공 파일: ${built.fileName} · SHA-256 <code class="hash">${built.sha256}</code>${
          input.files ? html` · <a href="/api/disclosure-requests/${item.id}/package" download>제공 파일 내려받기 (암호 ZIP)</a>` : ''
        }</p>
<p>한 번 다 내려받으면 시스템에서 파기되며, 내려받지 않아도 ${built.destroyAt ? when(built.destroyAt, timeZone) : '파기 결과 회신 기한'}에 파기됩니다. 받은 파일을 매체에 옮겨 인계하십시오.</p>`;
  const form = input.steps.buildPackage
    ? html`<form method="post" action="/disclosure/${item.id}/package">${csrfField(frame)}
<p>확인된 녹취(WAV)와 서명된 목록, 빈 파기 결과 회신서를 AES-256으로 암호화한 ZIP으로 만듭니다. 비밀번호는 다음 화면에 <strong>한 번만</strong> 보이니 적어 둘 준비를 하십시오.</p>
<button type="submit">제공 파일 만들기</button></form>`
    : '';
  if (!download && !form) return html``;
  return html`<h2>제공 파일</h2>${download}${form}`;
}

function destructionReportSection(frame: Frame, input: DisclosurePageInput, timeZone: string): Html {
  const { item } = input;
  if (!input.steps.destructionReport) return html``;
  const scans = scanOptions(item, 'destruction_report', timeZone);
  return html`<h2>파기 결과 회신서 접수</h2>
<p>제공받은 사람이 보낸 파기 결과 회신서의 스캔을 위 첨부파일에 '${PURPOSE_LABELS.destruction_report}'(으)로 올린 뒤, 회신서에 적힌 대로 기록합니다. 기록하면 신청이 종결되고 녹취의 보존 중지가 풀립니다.</p>
${
  scans.length === 0
    ? html`<p class="notice">아직 첨부한 파기 결과 회신서가 없습니다.</p>`
    : html`<form class="case-form" method="post" action="/disclosure/${item.id}/destruction-report">${csrfField(frame)}
<div><label for="report-scan">회신받은 파기 결과 회신서 스캔</label><select id="report-scan" name="attachmentId" required>${scans}</select></div>
<div><label for="destroyedAt">파기 일시</label><input id="destroyedAt" name="destroyedAt" type="datetime-local" required max="${input.now}"></div>
<div><label for="method">파기 방법</label><select id="method" name="method" required><option value="">고르십시오</option>${DESTRUCTION_METHODS.map(
        (method) => html`<option value="${method}">${METHOD_LABELS[method]}</option>`,
      )}</select></div>
<div><label for="methodDetail">파기 방법 설명 (기타일 때)</label><input id="methodDetail" name="methodDetail" maxlength="500"></div>
<fieldset><legend>사본·복제본을 포함해 전부 파기했는지</legend>
<div><input type="radio" id="all-copies-yes" name="allCopiesDestroyed" value="yes" required> <label class="inline" for="all-copies-yes">예</label></div>
<div><input type="radio" id="all-copies-no" name="allCopiesDestroyed" value="no" required> <label class="inline" for="all-copies-no">아니요</label></div></fieldset>
<div><label for="witness">입회자 (선택)</label><input id="witness" name="witness" maxlength="100"></div>
<button type="submit">파기 결과 회신서 접수</button></form>`
}`;
}

function documentsSection(input: DisclosurePageInput, timeZone: string): Html {
  const { item } = input;
  if (item.documents.length === 0) return html``;
  return html`<h2>문서</h2>
<table><caption class="skip">문서</caption><thead><tr><th scope="col">문서</th><th scope="col">만든 일시</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${item.documents.map(
    (
      document,
    ) => html`<tr><td>${input.files ? html`<a href="/api/disclosure-requests/${item.id}/documents/${document.id}" download>${document.purpose} (DOCX)</a>` : document.purpose}</td>
<td>${when(document.createdAt, timeZone)}</td><td><code class="hash">${document.sha256}</code></td></tr>`,
  )}</tbody></table>`;
}

export function disclosurePage(frame: Frame, input: DisclosurePageInput, timeZone: string): string {
  const { item, steps } = input;
  const workflow = item.workflow;
  const deadline = workflow?.destructionReport;
  const rows: [string, string][] = [
    ['관리번호', item.managementNumber],
    ['상태', statusLabel(stateOf(item))],
    ['열람/제공', DISCLOSURE_KIND_LABELS[item.kind]],
    ['접수일시', when(item.receivedAt, timeZone)],
    ['신청인 성명', item.applicantName],
    ['생년월일 또는 사업자등록번호', item.applicantBirthDateOrBusinessNumber],
    ['주소', item.applicantAddress],
    ['연락처', item.applicantContact],
    ['전자우편', item.applicantEmail ?? '—'],
    ['녹취 일시', `${when(item.recordingFrom, timeZone)} ~ ${when(item.recordingTo, timeZone)}`],
    ['녹취 전화번호', item.phoneNumber],
    ['목적', item.purpose],
    ['당사자와의 관계', item.relationToParty],
    ['신청 사유', item.reason],
    ['근거', GROUND_LABELS[item.ground]],
    ['근거 내용', item.groundDetail ?? '—'],
    ['결재 대기', workflow?.awaiting ? ROLE_LABELS[workflow.awaiting as SignOffRole] : '—'],
  ];
  if (workflow?.viewingUntil) rows.push(['열람 가능', `${when(workflow.viewingUntil, timeZone)}까지`]);
  if (deadline) rows.push(['파기 결과 회신 기한', `${formatKoreanLocalDate(deadline.lastDay)}까지 (${when(deadline.dueAt, timeZone)} 전)`]);
  rows.push(['종결', item.endedAt ? `${when(item.endedAt, timeZone)}${item.endReason ? ` — ${item.endReason}` : ''}` : '—']);
  const withdraw = steps.withdraw
    ? html`<h2>신청 철회</h2><form class="case-form" method="post" action="/disclosure/${item.id}/withdraw">${csrfField(frame)}
<p>신청인이 철회하면 기록합니다. 녹취정보를 내준 뒤에는 철회할 수 없습니다.</p>
<div><label for="withdraw-reason">철회 사유</label><input id="withdraw-reason" name="reason" required minlength="2" maxlength="1000"></div>
<button type="submit">철회</button></form>`
    : '';
  return page(
    frame,
    `녹취정보 ${DISCLOSURE_KIND_LABELS[item.kind]} 신청 ${item.managementNumber}`,
    html`${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}
${workflow ? '' : html`<p class="notice">업무 흐름 서버에서 이 신청의 진행 상황을 읽지 못했습니다. 지금은 처리할 수 없습니다.</p>`}
${factsTable(rows)}
${recordingsSection(frame, input, timeZone)}
${signOffSection(frame, input, timeZone)}
${attachmentsSection(frame, input, timeZone)}
${handoverSection(frame, input, timeZone)}
${packageSection(frame, input, timeZone)}
${destructionReportSection(frame, input, timeZone)}
${documentsSection(input, timeZone)}
${item.workflow ? processView('disclosure', item.workflow.process) : ''}
${historyTable(item.history, AUDIT_ACTION_LABELS, timeZone)}
<p><a href="/cases/disclosure_request/${item.id}/timeline">처리 경위 보기·인쇄 (감사 기록과 업무 흐름 이력)</a></p>
${withdraw}
<p><a href="/disclosure">목록으로</a></p>`,
  );
}
