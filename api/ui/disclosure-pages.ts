/**
 * The pages of 녹취정보 열람·제공 (Art. 9) around the cases: the list with the 결재 inbox, Form 1 as the operator
 * registers it, a party's own requests, the page that shows a provision package's password once, and the dashboard
 * card of the managing department. One case's page is disclosure-case-page.ts (split for size, issue 17).
 */
import { DISCLOSURE_KIND_LABELS } from '../../domain/disclosure';
import { DISCLOSURE_GROUNDS, DISCLOSURE_KINDS } from '../../domain/disclosure';
import { formatKoreanLocalDate } from '../../domain/korean-time';
import { type RequestView } from '../disclosure-schemas';
import type { OwnRequestForm, RegistrationForm } from '../disclosure-forms';
import type { DisclosureOverview } from '../disclosure-overview';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { csrfField, factsTable, when } from './parts';

const STATUS_LABELS: Record<string, string> = {
  registered: '접수',
  in_sign_off: '결재 중',
  awaiting_handover: '인수·인계 대기',
  released: '열람·제공 중',
  awaiting_destruction_report: '파기 회신 대기',
  closed: '종결',
  rejected: '거부',
  withdrawn: '철회',
};

export const GROUND_LABELS: Record<(typeof DISCLOSURE_GROUNDS)[number], string> = {
  party: '통화 당사자 (제9조제1항)',
  other_law: '다른 법령에 특별한 규정이 있음 (제9조제1항)',
};

export const statusLabel = (state: string) => STATUS_LABELS[state] ?? state;
const caseLink = (item: RequestView) => html`<a href="/disclosure/${item.id}">${item.managementNumber}</a>`;

const LIST_HEAD = html`<thead><tr><th scope="col">관리번호</th><th scope="col">접수일시</th><th scope="col">열람/제공</th><th scope="col">신청인</th><th scope="col">상태</th><th scope="col">종결일시</th></tr></thead>`;

function requestRows(items: readonly RequestView[], timeZone: string, none = '신청이 없습니다.'): Html {
  if (items.length === 0) return html`<tr><td colspan="6">${none}</td></tr>`;
  return html`${items.map(
    (item) => html`<tr><td>${caseLink(item)}</td><td>${when(item.receivedAt, timeZone)}</td><td>${DISCLOSURE_KIND_LABELS[item.kind]}</td>
<td>${item.applicantName}</td><td>${statusLabel(item.status)}</td><td>${when(item.endedAt, timeZone)}</td></tr>`,
  )}`;
}

export interface DisclosureListInput {
  items: readonly RequestView[];
  /** Cases whose next 결재 is the user's; absent for those who sign nothing (auditors). */
  inbox?: readonly RequestView[];
  canRegister: boolean;
}

export function disclosureListPage(frame: Frame, input: DisclosureListInput, timeZone: string): string {
  return page(
    frame,
    '녹취정보 열람·제공',
    html`<p>운영 규정 제9조: 녹취정보는 통화 당사자에게만, 또는 다른 법령에 특별한 규정이 있을 때에만 열람하게 하거나 제공합니다.
신청서(별지 제1호서식)를 접수하고 결재를 거친 뒤, 인수자가 서명한 인수·인계증(별지 제2호서식)을 받고 나서야 내줍니다.
제공받은 사람은 기한 안에 파기 결과 회신서를 보내야 합니다 (제9조제4항).</p>
${input.canRegister ? html`<p><a class="button" href="/disclosure/new">신청서 접수</a></p>` : ''}
${input.inbox ? html`<h2>내 결재 대기</h2><table><caption class="skip">내 결재 대기</caption>${LIST_HEAD}<tbody>${requestRows(input.inbox, timeZone, '결재할 신청이 없습니다.')}</tbody></table>` : ''}
<h2>신청 목록 (최근 500건)</h2>
<table><caption class="skip">신청 목록</caption>${LIST_HEAD}<tbody>${requestRows(input.items, timeZone)}</tbody></table>`,
  );
}

export interface RegistrationPageInput {
  /** As typed, when the form comes back with a mistake. */
  values?: Partial<RegistrationForm>;
  error?: string;
}

/** Form 1 (녹취정보 열람·제공 신청서) as the applicant filled it on paper or at the counter. */
export function registrationFormPage(frame: Frame, input: RegistrationPageInput): string {
  const values = input.values ?? {};
  const text = (name: keyof RegistrationForm, label: string, attributes: Html = html``) =>
    html`<div><label for="${name}">${label}</label><input id="${name}" name="${name}" value="${values[name] ?? ''}"${attributes}></div>`;
  const choice = <T extends string>(name: keyof RegistrationForm, legend: string, options: readonly T[], labels: Record<T, string>) =>
    html`<fieldset><legend>${legend}</legend>${options.map(
      (
        option,
      ) => html`<div><input type="radio" id="${name}-${option}" name="${name}" value="${option}" required${values[name] === option ? html` checked` : ''}>
<label class="inline" for="${name}-${option}">${labels[option]}</label></div>`,
    )}</fieldset>`;
  return page(
    frame,
    '녹취정보 열람·제공 신청서 접수',
    html`<p>신청인이 낸 신청서(별지 제1호서식)의 내용을 그대로 옮겨 적습니다. 접수하면 관리번호가 붙고, 신청에 맞는 녹취를 확인한 뒤 결재에 올립니다.
녹취 일시는 서울 시각입니다.</p>
${input.error ? html`<p class="alert" role="alert" id="registration-error">${input.error}</p>` : ''}
<form class="case-form" method="post" action="/disclosure">
${csrfField(frame)}
${choice('kind', '열람·제공 구분', DISCLOSURE_KINDS, DISCLOSURE_KIND_LABELS)}
<fieldset><legend>신청인</legend>
${text('applicantName', '신청인 성명 (기관·단체명)', html` required maxlength="100" autocomplete="off"`)}
${text('applicantBirthDateOrBusinessNumber', '생년월일 또는 사업자등록번호', html` required maxlength="32" placeholder="1980-01-01 또는 123-45-67890"`)}
${text('applicantAddress', '주소 (소속)', html` required maxlength="300"`)}
${text('applicantContact', '연락처', html` required maxlength="20" placeholder="010-1234-5678"`)}
${text('applicantEmail', '전자우편 (선택, 있으면 회신 기한 안내를 전자우편으로 보냄)', html` type="email" maxlength="254"`)}
</fieldset>
<fieldset><legend>녹취정보</legend>
${text('recordingFrom', '녹취 일시 (부터)', html` type="datetime-local" required`)}
${text('recordingTo', '녹취 일시 (까지)', html` type="datetime-local" required`)}
${text('phoneNumber', '녹취 전화번호', html` required maxlength="20" placeholder="02-2680-1234"`)}
</fieldset>
<fieldset><legend>신청 내용</legend>
${text('purpose', '열람·제공 목적', html` required maxlength="500"`)}
${text('relationToParty', '당사자와의 관계', html` required maxlength="200"`)}
<div><label for="reason">신청 사유</label><textarea id="reason" name="reason" required maxlength="2000" rows="3">${values.reason ?? ''}</textarea></div>
</fieldset>
${choice('ground', '근거 (제9조제1항)', DISCLOSURE_GROUNDS, GROUND_LABELS)}
<div><label for="groundDetail">근거 내용 (당사자라면 확인한 방법, 다른 법령이라면 법령과 조항)</label><textarea id="groundDetail" name="groundDetail" maxlength="1000" rows="2">${values.groundDetail ?? ''}</textarea></div>
<button type="submit">접수</button>
</form>
<p><a href="/disclosure">목록으로</a></p>`,
  );
}

export interface OwnRequestsPageInput {
  items: readonly RequestView[];
  /** The extensions the official answers for, the only ones they may apply for themselves. */
  extensions: readonly string[];
  values?: Partial<OwnRequestForm>;
  error?: { message: string; code: string };
  /** The management number just given, to say the request was filed. */
  filed?: string;
}

/** A party official's own requests (Art. 9(1): the party) and the form to file one, for their own extension only. */
export function ownRequestsPage(frame: Frame, input: OwnRequestsPageInput, timeZone: string): string {
  const values = input.values ?? {};
  const text = (name: keyof OwnRequestForm, label: string, attributes: Html = html``) =>
    html`<div><label for="${name}">${label}</label><input id="${name}" name="${name}" value="${values[name] ?? ''}"${attributes}></div>`;
  const rows =
    input.items.length === 0
      ? html`<tr><td colspan="5">직접 낸 신청이 없습니다.</td></tr>`
      : html`${input.items.map(
          (item) => html`<tr><td>${item.managementNumber}</td><td>${when(item.receivedAt, timeZone)}</td><td>${DISCLOSURE_KIND_LABELS[item.kind]}</td>
<td>${statusLabel(item.status)}</td><td>${item.endReason ?? ''}</td></tr>`,
        )}`;
  const form =
    input.extensions.length === 0
      ? html`<p class="notice">본인 이름으로 등록된 내선이 없어 직접 신청할 수 없습니다. 관리부서에 신청서(별지 제1호서식)를 내십시오.</p>`
      : html`<form class="case-form" method="post" action="/my/disclosure">
${csrfField(frame)}
<fieldset><legend>열람·제공 구분</legend>${DISCLOSURE_KINDS.map(
          (kind) => html`<div><input type="radio" id="kind-${kind}" name="kind" value="${kind}" required${values.kind === kind ? html` checked` : ''}>
<label class="inline" for="kind-${kind}">${DISCLOSURE_KIND_LABELS[kind]}</label></div>`,
        )}</fieldset>
<div><label for="extension">내선</label><select id="extension" name="extension" required>${input.extensions.map(
          (number) => html`<option value="${number}"${values.extension === number ? html` selected` : ''}>${number}</option>`,
        )}</select></div>
${text('recordingFrom', '녹취 일시 (부터)', html` type="datetime-local" required`)}
${text('recordingTo', '녹취 일시 (까지)', html` type="datetime-local" required`)}
${text('applicantBirthDate', '생년월일', html` required maxlength="10" placeholder="1980-01-01"`)}
${text('applicantContact', '연락처', html` required maxlength="20" placeholder="010-1234-5678"`)}
${text('applicantEmail', '전자우편 (선택, 있으면 회신 기한 안내를 전자우편으로 보냄)', html` type="email" maxlength="254"`)}
${text('purpose', '열람·제공 목적', html` required maxlength="500"`)}
<div><label for="reason">신청 사유</label><textarea id="reason" name="reason" required maxlength="2000" rows="3">${values.reason ?? ''}</textarea></div>
<button type="submit">신청</button>
</form>`;
  return page(
    frame,
    '내 녹취정보 신청',
    html`<p>운영 규정 제9조제1항: 통화 당사자는 본인 통화의 녹취정보 열람·제공을 신청할 수 있습니다. 본인 내선의 통화만 여기서 신청하며,
성명과 소속은 통합 로그인의 정보로, 당사자 확인은 로그인으로 갈음합니다. 관리부서가 녹취를 확인하고 결재를 거친 뒤 연락합니다. 녹취 일시는 서울 시각입니다.</p>
${input.filed ? html`<p class="notice" role="status">신청했습니다. 관리번호 ${input.filed}</p>` : ''}
${input.error ? html`<p class="alert" role="alert">${input.error.message} (오류 코드 <code>${input.error.code}</code>)</p>` : ''}
<h2>신청하기</h2>
${form}
<h2>내가 낸 신청</h2>
<table><caption class="skip">내가 낸 신청</caption><thead><tr><th scope="col">관리번호</th><th scope="col">신청일시</th><th scope="col">열람/제공</th><th scope="col">상태</th><th scope="col">종결 사유</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

export interface PackagePageInput {
  id: string;
  managementNumber: string;
  password: string;
  packageSha256: string;
  manifestSha256: string;
  fileName: string;
  download: string;
}

/** The one time a package's password is shown: it is stored nowhere, so this page is all there is of it. */
export function packagePage(frame: Frame, input: PackagePageInput): string {
  return page(
    frame,
    `제공 파일 — 관리번호 ${input.managementNumber}`,
    html`<div class="alert" role="alert"><p><strong>비밀번호는 지금 이 화면에서 한 번만 보입니다.</strong> 시스템 어디에도 저장되지 않으므로 이 화면을 떠나면 다시 볼 수 없습니다.</p>
<p>적어 두었다가 신청인에게 파일과 따로(전화, 대면 등) 알려 주십시오. 파일과 같은 전자우편이나 같은 매체에 함께 두지 마십시오.</p></div>
<p class="password-line"><span id="package-password-label">비밀번호</span> <code class="password" id="package-password" aria-labelledby="package-password-label">${input.password}</code></p>
<p><a href="${input.download}" download>${input.fileName} 내려받기 (암호 ZIP)</a></p>
${factsTable([
  ['제공 파일 SHA-256', html`<code class="hash">${input.packageSha256}</code>`],
  ['서명된 목록(manifest.json) SHA-256', html`<code class="hash">${input.manifestSha256}</code>`],
])}
<p>AES-256을 지원하는 압축 프로그램(7-Zip, 반디집 등)으로 엽니다. Windows에 들어 있는 압축 폴더로는 열 수 없습니다.
ZIP 안의 검증방법.txt에 서명과 SHA-256을 확인하는 방법이 있습니다.</p>
<p><a href="/disclosure/${input.id}">신청으로 돌아가기</a></p>`,
  );
}

/** The managing department's card: the 결재 inbox, Form 3 returns overdue, open cases by state. */
export function disclosureCard(overview: DisclosureOverview): Html {
  const links = (items: readonly RequestView[]) =>
    items.map((item, index) => html`${index > 0 ? ', ' : ''}${caseLink(item)} (${DISCLOSURE_KIND_LABELS[item.kind]})`);
  const inbox =
    overview.awaitingMe.length > 0 ? html`<p>내 결재 대기 ${overview.awaitingMe.length}건: ${links(overview.awaitingMe)}</p>` : html`<p>내 결재 대기 없음</p>`;
  const overdue =
    overview.overdue.length > 0
      ? html`<p class="alert" role="alert">파기 회신 기한 경과 ${overview.overdue.length}건: ${overview.overdue.map(
          ({ item, lastDay }, index) => html`${index > 0 ? ', ' : ''}${caseLink(item)} (${formatKoreanLocalDate(lastDay)}까지였음)`,
        )}</p>`
      : '';
  const open =
    overview.open.length > 0
      ? html`<ul aria-label="진행 중인 신청">${overview.open.map(({ state, count }) => html`<li>${statusLabel(state)} ${count}건</li>`)}</ul>`
      : html`<p>진행 중인 신청 없음</p>`;
  return html`<section class="card" aria-labelledby="disclosure-card-title"><h2 id="disclosure-card-title">녹취정보 열람·제공 (제9조)</h2>
${inbox}${overdue}${open}
<p><a href="/disclosure">녹취정보 열람·제공 목록</a></p></section>`;
}
