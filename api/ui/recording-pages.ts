/**
 * The recordings' pages (R4, R5): the search with its results, and one recording with its holds and the party's
 * export form. Apart from the site's other pages (pages.ts) because these alone show calls and offer their audio.
 */
import { formatKoreanLocalDate } from '../../domain/korean-time';
import { COMPLIANCE_EXCEPTION_LABELS } from '../compliance-exceptions';
import type { HoldView, RecordingDetail } from '../holds';
import type { RecordingSearchQuery, RecordingSearchResult, RecordingSummary } from '../recording-search';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { duration } from './parts';
import { dateTime } from './pages';

const MODE_LABELS = { selective: '선택적 녹취', full: '전수 녹취' } as const;
const DIRECTION_LABELS = { inbound: '수신', outbound: '발신', internal: '내부' } as const;
export function recordingsPage(
  frame: Frame,
  query: Partial<RecordingSearchQuery>,
  result: RecordingSearchResult | undefined,
  error: string | undefined,
  timeZone: string,
): string {
  // The range the search actually used, so the form shows what the defaults were.
  const shown: Partial<RecordingSearchQuery> = { ...query, from: query.from ?? result?.from, to: query.to ?? result?.to };
  const value = (key: keyof RecordingSearchQuery) => (shown[key] === undefined ? '' : String(shown[key]));
  const field = (key: keyof RecordingSearchQuery, label: string, type = 'text', hint = '') =>
    html`<div><label for="${key}">${label}</label><input id="${key}" name="${key}" type="${type}" value="${value(key)}"${hint ? html` placeholder="${hint}"` : ''}></div>`;
  const rows = (result?.items ?? []).map(
    (item) => html`<tr>
<td><a href="/recordings/${item.id}">${dateTime(item.startedAt, timeZone)}</a></td>
<td>${item.extension}</td><td>${item.department.name}</td>
<td>${item.deletedAt ? '—' : (item.otherPartyNumber ?? '—')}</td>
<td>${DIRECTION_LABELS[item.direction]}</td><td>${MODE_LABELS[item.mode]}</td>
<td>${duration(item.durationMs)}</td>
<td>${item.deletedAt ? `삭제됨 (${dateTime(item.deletedAt, timeZone)})` : `보관 중 (${dateTime(item.retentionDueAt, timeZone)} 삭제 예정)`}</td>
</tr>`,
  );
  const next =
    result?.nextCursor &&
    `/recordings?${new URLSearchParams({
      ...Object.fromEntries(
        Object.entries(query)
          .filter(([key, item]) => key !== 'cursor' && item !== undefined)
          .map(([key, item]) => [key, String(item)]),
      ),
      from: result.from,
      to: result.to,
      cursor: result.nextCursor,
    }).toString()}`;
  return page(
    frame,
    '녹취정보 조회',
    html`<p class="notice">녹취정보(통화 기록)만 조회합니다. 녹음 파일은 이 화면에서 들을 수 없으며, 운영 규정 제9조의 신청·결재 절차로만 열람·제공됩니다.${
      result?.scope === 'ownCalls' ? ' 본인이 당사자인 통화만 표시됩니다.' : ''
    }</p>
<form class="search" method="get" action="/recordings" role="search" aria-label="녹취정보 검색">
${field('from', '시작일', 'date')}${field('to', '종료일', 'date')}
${field('extension', '내선번호', 'text', '02-2680-1234')}${field('department', '부서 코드')}
${field('otherParty', '상대방 번호 (일부)', 'text', '1234')}
<div><label for="mode">녹취 방식</label><select id="mode" name="mode">
<option value="">전체</option>${(['selective', 'full'] as const).map(
      (mode) => html`<option value="${mode}"${query.mode === mode ? html` selected` : ''}>${MODE_LABELS[mode]}</option>`,
    )}</select></div>
<div><button type="submit">검색</button></div>
</form>
${error ? html`<p class="alert" role="alert">${error}</p>` : ''}
${
  result
    ? html`<p>${formatKoreanLocalDate(result.from)} ~ ${formatKoreanLocalDate(result.to)} · 이 페이지 ${result.items.length}건</p>
<table>
<caption class="skip">검색 결과</caption>
<thead><tr><th scope="col">통화 시작</th><th scope="col">내선</th><th scope="col">부서</th><th scope="col">상대방 번호</th><th scope="col">방향</th><th scope="col">녹취 방식</th><th scope="col">통화 시간</th><th scope="col">보관</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="8">조건에 맞는 녹취정보가 없습니다.</td></tr>`}</tbody>
</table>
${next ? html`<p><a href="${next}">다음 페이지</a></p>` : ''}`
    : ''
}`,
  );
}

/** The party's export form on the detail page (R5): shown only to the official who was on the call. */
export interface PartyExportForm {
  /** Not deleted and within the retention period. */
  available: boolean;
  minLength: number;
  error?: string;
  /** The reason as typed, kept when the form comes back with an error; passwords never come back. */
  reason?: string;
}

function partyExportSection(frame: Frame, item: RecordingSummary, form: PartyExportForm): Html {
  if (!form.available) {
    return html`<h2>본인 녹취 내보내기</h2>
${form.error ? html`<p class="alert" role="alert">${form.error}</p>` : ''}
<p class="notice">보존기간이 지났거나 삭제된 녹취는 내보낼 수 없습니다.</p>`;
  }
  return html`<h2>본인 녹취 내보내기</h2>
<p class="notice">운영 규정 제8조제1항: 통화의 당사자인 공무원은 이 녹취를 본인이 관리하는 업무용 컴퓨터에 저장할 수 있으며, 다른 사람이 들을 수 없도록 비밀번호로 보호해야 합니다.
파일은 입력한 비밀번호로 AES-256 암호화한 ZIP이고, 안에 어느 재생기로도 들을 수 있는 WAV가 들어 있습니다 (7-Zip, 반디집 등으로 엽니다).
비밀번호는 시스템에 저장되지 않으므로 잊으면 파일을 열 수 없습니다. 내보내기는 사유와 함께 감사 기록에 남습니다.</p>
${form.error ? html`<p class="alert" role="alert" id="export-error">${form.error}</p>` : ''}
<form class="export" method="post" action="/recordings/${item.id}/export">
<input type="hidden" name="_csrf" value="${frame.user?.csrfToken ?? ''}">
<div><label for="export-password">비밀번호 (${form.minLength}자 이상, 영문 대문자·소문자·숫자·기호 중 세 가지 이상, 사용자 이름 제외)</label>
<input id="export-password" name="password" type="password" autocomplete="new-password" required minlength="${form.minLength}" maxlength="128"${form.error ? html` aria-describedby="export-error"` : ''}></div>
<div><label for="export-password-confirm">비밀번호 확인</label>
<input id="export-password-confirm" name="passwordConfirm" type="password" autocomplete="new-password" required minlength="${form.minLength}" maxlength="128"></div>
<div><label for="export-reason">보관 사유</label>
<textarea id="export-reason" name="reason" required maxlength="500" rows="3">${form.reason ?? ''}</textarea></div>
<button type="submit">암호 ZIP으로 내려받기</button>
</form>`;
}

/** The decision form, to set a hold or (with `extending`) to extend one: every field a hold must have. */
function holdDecisionForm(csrf: Html, item: RecordingDetail, extending?: HoldView): Html {
  const key = extending ? `extend-${extending.id}` : 'hold';
  const action = extending ? `/recordings/${item.id}/holds/${extending.id}/extend` : `/recordings/${item.id}/holds`;
  return html`<form method="post" action="${action}" enctype="multipart/form-data">${csrf}
<div><label for="${key}-reason">사유</label> <input id="${key}-reason" name="reason" required minlength="2" maxlength="500"></div>
<div><label for="${key}-basis">근거 법령·조항</label> <input id="${key}-basis" name="legalBasis" required maxlength="200" placeholder="예: 형사소송법 제106조"></div>
<div><label for="${key}-document">요청 문서 (공문, 영장 사본 등: PDF·JPEG·PNG)</label> <input id="${key}-document" name="basisDocument" type="file" required accept=".pdf,.jpg,.jpeg,.png"></div>
<div><label for="${key}-ends">끝나는 날</label> <input id="${key}-ends" name="endsOn" type="date" required></div>
<div><label for="${key}-reviewer">검토자 (부책임자·감사 담당자의 사용자 ID)</label> <input id="${key}-reviewer" name="reviewer" required maxlength="64"></div>
<button type="submit">${extending ? '새 결정으로 연장' : '보존 중지 결정'}</button></form>`;
}

/**
 * The holds in force, each with its basis, end and reviewer; the chief also gets the forms to decide, extend and end
 * them. A case's hold ends with its case, so it has no form here.
 */
function holdsSection(frame: Frame, item: RecordingDetail, timeZone: string, canHold: boolean, error?: string): Html {
  const csrf = html`<input type="hidden" name="_csrf" value="${frame.user?.csrfToken ?? ''}">`;
  const ends = (hold: HoldView) =>
    hold.disclosureRequestId
      ? html`<a href="/disclosure/${hold.disclosureRequestId}">열람·제공 신청</a>이 끝날 때`
      : hold.endsAt
        ? dateTime(hold.endsAt, timeZone)
        : '—';
  const basis = (hold: HoldView) =>
    hold.legalBasis
      ? html`${hold.legalBasis}${
          hold.basisDocument ? html`<br><a href="/api/recordings/${item.id}/holds/${hold.id}/document" download>${hold.basisDocument.fileName}</a>` : ''
        }`
      : '—';
  const actions = (hold: HoldView) =>
    hold.disclosureRequestId
      ? html`<td>신청이 끝날 때 풀림</td>`
      : html`<td><details><summary>연장</summary>${holdDecisionForm(csrf, item, hold)}</details>
<form method="post" action="/recordings/${item.id}/holds/${hold.id}/release">${csrf}
<label for="release-${hold.id}">해제 사유</label> <input id="release-${hold.id}" name="reason" required minlength="2" maxlength="500">
<button type="submit">해제</button></form></td>`;
  const list =
    item.holds.length === 0
      ? html`<p>보존 중지 없음: 보존기간이 끝나면 삭제됩니다.</p>`
      : html`<p class="notice">보존 중지 ${item.holds.length}건: 끝나는 때까지는 보존기간이 지나도 삭제하지 않습니다.</p>
<table>
<thead><tr><th scope="col">사유</th><th scope="col">근거·요청 문서</th><th scope="col">결정</th><th scope="col">검토자</th><th scope="col">끝나는 때</th>${canHold ? html`<th scope="col">연장·해제</th>` : ''}</tr></thead>
<tbody>${item.holds.map(
          (hold) =>
            html`<tr><td>${hold.reason}</td><td>${basis(hold)}</td><td>${hold.setBy}<br>${dateTime(hold.setAt, timeZone)}</td><td>${hold.reviewer ?? '—'}</td><td>${ends(hold)}</td>${
              canHold ? actions(hold) : ''
            }</tr>`,
        )}</tbody>
</table>`;
  const form = canHold && !item.deletedAt ? html`<h3>보존 중지 결정</h3>${holdDecisionForm(csrf, item)}` : '';
  return html`<h2>보존 중지</h2>${error ? html`<p class="alert" role="alert">${error}</p>` : ''}${list}${form}`;
}

export function recordingPage(
  frame: Frame,
  item: RecordingDetail,
  timeZone: string,
  partyExport?: PartyExportForm,
  canHold = false,
  holdError?: string,
): string {
  const rows: [string, string][] = [
    ['통화 시작', dateTime(item.startedAt, timeZone)],
    ['통화 종료', dateTime(item.endedAt, timeZone)],
    ['통화 시간', duration(item.durationMs)],
    ['내선', item.extension],
    ['부서', item.department.name],
    ['상대방 번호', item.otherPartyNumber ?? '—'],
    ['방향', DIRECTION_LABELS[item.direction]],
    ['녹취 방식', MODE_LABELS[item.mode]],
    ['사전고지', item.noticeGiven ? '고지함' : '고지 기록 없음'],
    ['준수 예외', item.complianceException ? COMPLIANCE_EXCEPTION_LABELS[item.complianceException] : '없음'],
    ['복구된 녹취', item.recovered ? '예 (장비 재시작 후 복구)' : '아니요'],
    ['음성 SHA-256', item.sha256 ?? '—'],
    ['삭제 예정', dateTime(item.retentionDueAt, timeZone)],
    ['삭제', item.deletedAt ? `삭제됨 (${dateTime(item.deletedAt, timeZone)})` : '보관 중'],
  ];
  return page(
    frame,
    '녹취정보',
    html`<table><tbody>${rows.map(([label, text]) => html`<tr><th scope="row">${label}</th><td>${text}</td></tr>`)}</tbody></table>
${holdsSection(frame, item, timeZone, canHold, holdError)}
${partyExport ? partyExportSection(frame, item, partyExport) : ''}
<p><a href="/recordings">녹취정보 조회로 돌아가기</a></p>`,
  );
}
