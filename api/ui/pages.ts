/** The pages of the intranet UI: server-rendered, Korean, no script needed. */
import { type RoleId } from '../../domain/roles';
import { formatKoreanDateTime, formatKoreanLocalDate } from '../../domain/korean-time';
import { ROLE_LABELS } from '../access';
import type { PrivilegedHolders } from '../access-holders';
import type { HealthReport } from '../health';
import type { RecordingDetail } from '../holds';
import type { RetentionOverview } from '../retention-overview';
import type { RecordingSearchQuery, RecordingSearchResult, RecordingSummary } from '../recording-search';
import type { InAppNotification, LetterToPost } from '../notifications';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { csrfField, duration } from './parts';

const COMPONENT_LABELS: Record<string, string> = {
  database: '데이터베이스',
  temporal: 'Temporal 서버',
  worker: '워크플로 워커',
  masterKey: '마스터 키',
  mail: '메일 (SMTP 또는 발송함 폴더)',
  capture: '녹취 장치',
  legalCalendar: '공휴일 표 (법정 기간 계산)',
  directory: '디렉터리 (로그인·역할)',
  diskSpace: '저장 공간',
};

const MODE_LABELS = { selective: '선택적 녹취', full: '전수 녹취' } as const;
const DIRECTION_LABELS = { inbound: '수신', outbound: '발신', internal: '내부' } as const;

export interface LoginPageInput {
  csrfToken: string;
  username?: string;
  error?: string;
  next?: string;
  healthState: 'up' | 'down';
  /** The storage period as the rules say it, e.g. `30일`. */
  retentionPeriod: string;
}

export function loginPage(frame: Frame, input: LoginPageInput): string {
  return page(
    frame,
    '로그인',
    html`<p>행정전화 통화의 녹취정보를 ${input.retentionPeriod} 보관한 뒤 복구할 수 없게 삭제하며, 운영 규정 제9조의 절차 없이는 누구도 녹취를 듣거나 받을 수 없습니다.</p>
<p>시청 디렉터리 계정(직원 계정)으로 로그인합니다. 시스템 상태: ${input.healthState === 'up' ? '전체 정상' : '일부 이상'}.</p>
${input.error ? html`<p class="alert" role="alert" id="login-error">${input.error}</p>` : ''}
<form class="login" method="post" action="/login">
<input type="hidden" name="_csrf" value="${input.csrfToken}">
${input.next ? html`<input type="hidden" name="next" value="${input.next}">` : ''}
<div><label for="username">사용자 이름</label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${input.username ?? ''}"${input.error ? html` aria-describedby="login-error"` : ''} autofocus></div>
<div><label for="password">비밀번호</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"></div>
<button type="submit">로그인</button>
</form>`,
  );
}

/** What each role finds on its dashboard until the lifecycle issues fill it. */
const DASHBOARD_CARDS: Record<RoleId, { title: string; text: string }> = {
  chief: { title: '결재·승인', text: '전수 녹취 승인, 녹취정보 열람·제공 최종 결재, 기한이 지난 파기 결과 회신서 보고가 여기에 표시됩니다.' },
  deputy: { title: '검토', text: '전수 녹취 신청 검토와 열람·제공 신청 중간 결재가 여기에 표시됩니다.' },
  operator: { title: '업무 처리', text: '열람·제공 신청서 접수, 인수·인계증, 파기 결과 회신서 확인 업무가 여기에 표시됩니다.' },
  dept_head: {
    title: '전수 녹취 신청',
    text: '부서 내선의 전수 녹취는 메뉴의 전수 녹취에서 신청하고, 결재와 적용 상황을 봅니다. 취소할 때까지 하는 전수 녹취는 해마다 연장해야 합니다.',
  },
  staff: {
    title: '내 통화',
    text: '본인이 당사자인 통화의 녹취정보를 조회할 수 있습니다. 보존기간 안에는 상세 화면에서 본인 녹취를 비밀번호로 암호화한 파일로 내보낼 수 있습니다.',
  },
  auditor: { title: '감사', text: '접근 기록과 월별 접근 검토, 사건별 처리 경과가 여기에 표시됩니다.' },
  records: { title: '관리대장', text: '녹취정보 관리대장(서식 4) 엑셀 내보내기가 여기에 표시됩니다.' },
};

/** R4 for the managing department and auditors: retention's last run, what falls due next, anything late. */
function retentionCard(retention: RetentionOverview, timeZone: string): Html {
  const last = retention.lastRun
    ? html`마지막 실행: ${dateTime(retention.lastRun.reportedAt, timeZone)} — ${retention.lastRun.day} 녹취 ${retention.lastRun.deleted.toLocaleString('ko-KR')}건 삭제${retention.lastRun.held > 0 ? html`, 보존 중지 ${retention.lastRun.held}건` : ''}`
    : html`아직 삭제 실행 없음`;
  const overdue =
    retention.overdue > 0
      ? html`<p class="alert" role="alert">삭제 지연 ${retention.overdue}건: 보존기간이 ${dateTime(retention.oldestOverdueDueAt, timeZone)}에 끝났는데 남아 있습니다. 작업자와 녹취 장치 상태를 확인하십시오.</p>`
      : '';
  return html`<section class="card"><h2>보존기간 삭제 (제8조제1항)</h2>
<p>${last}</p>
<p>다음 삭제 대상: ${retention.nextDueAt ? dateTime(retention.nextDueAt, timeZone) : '없음'}${retention.held > 0 ? html` · 보존 중지로 남은 녹취 ${retention.held}건` : ''}</p>
${overdue}</section>`;
}

export function dashboardPage(
  frame: Frame,
  roles: readonly RoleId[],
  health: HealthReport | undefined,
  timeZone: string,
  cards: {
    notifications: readonly InAppNotification[];
    letters?: Html;
    retention?: RetentionOverview;
    fullRecording?: Html;
    disclosure?: Html;
    compliance?: Html;
  },
): string {
  const roleCards = roles.map((role) => {
    const card = DASHBOARD_CARDS[role];
    return html`<section class="card"><h2>${card.title} <small>(${ROLE_LABELS[role]})</small></h2><p>${card.text}</p></section>`;
  });
  const status = health
    ? html`<h2>구성 요소 상태 — 전체 ${health.state === 'up' ? '정상' : '이상'}</h2>
<table>
<thead><tr><th scope="col">구성 요소</th><th scope="col">상태</th><th scope="col">내용</th></tr></thead>
<tbody>${Object.entries(health.components).map(
        ([name, component]) =>
          html`<tr><th scope="row">${COMPONENT_LABELS[name] ?? name}</th><td class="${component.state}">${component.state === 'up' ? '정상' : '이상'}</td><td>${component.detail}</td></tr>`,
      )}</tbody>
</table>
<p>확인 시각: ${formatKoreanDateTime(new Date(health.checkedAt), timeZone)} · <a href="/health">상태 정보 (JSON)</a></p>`
    : '';
  const { retention } = cards;
  return page(
    frame,
    '대시보드',
    html`<div class="cards">${notificationsCard(cards.notifications, timeZone)}${cards.letters}${roleCards}${cards.fullRecording}${cards.disclosure}${retention ? retentionCard(retention, timeZone) : ''}${cards.compliance}</div>${status}`,
  );
}

/** 알림: reminders addressed to the user's roles or department, newest first, each linking to its case. */
function notificationsCard(items: readonly InAppNotification[], timeZone: string): Html {
  return html`<section class="card" aria-labelledby="notifications-title"><h2 id="notifications-title">알림</h2>
${
  items.length === 0
    ? html`<p>최근 30일 동안 받은 알림이 없습니다.</p>`
    : html`<ul class="notifications">${items.map(
        (item) =>
          html`<li><strong>${item.link ? html`<a href="${item.link}">${item.subject}</a>` : item.subject}</strong> <small>${formatKoreanDateTime(new Date(item.at), timeZone)}</small><br>${item.body}</li>`,
      )}</ul>`
}</section>`;
}

/**
 * 우편 발송 대기: letters to recipients without e-mail, each with the official letter to print (its download link) and
 * the button that records it as posted.
 */
export function lettersCard(letters: readonly LetterToPost[], frame: Frame, timeZone: string): Html {
  return html`<section class="card wide" aria-labelledby="letters-title"><h2 id="letters-title">우편 발송 대기 ${letters.length}건</h2>
${
  letters.length === 0
    ? html`<p>인쇄해 보낼 우편이 없습니다.</p>`
    : html`<table><caption class="skip">우편 발송 대기</caption>
<thead><tr><th scope="col">정한 때</th><th scope="col">제목</th><th scope="col">받는 곳</th><th scope="col">동봉 문서</th><th scope="col">발송</th></tr></thead>
<tbody>${letters.map(
        (letter) => html`<tr><td>${formatKoreanDateTime(new Date(letter.triggeredAt), timeZone)}</td>
<td>${letter.caseLink ? html`<a href="${letter.caseLink}">${letter.subject}</a>` : letter.subject}</td><td>${letter.recipient}</td>
<td>${letter.enclosures.length === 0 ? '—' : html`${letter.enclosures.map((enclosure) => (enclosure.link ? html`<a href="${enclosure.link}" download>${enclosure.purpose} (DOCX)</a> ` : html`${enclosure.purpose} `))}`}</td>
<td><form method="post" action="/letters/${letter.id}/posted">${csrfField(frame)}<button type="submit">보냈음</button></form></td></tr>`,
      )}</tbody></table>`
}</section>`;
}

function dateTime(iso: string | null, timeZone: string): string {
  return iso ? formatKoreanDateTime(new Date(iso), timeZone) : '—';
}

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

/** The holds in force; the chief also gets the forms to set and release them (always with a reason). */
function holdsSection(frame: Frame, item: RecordingDetail, timeZone: string, canHold: boolean): Html {
  const csrf = html`<input type="hidden" name="_csrf" value="${frame.user?.csrfToken ?? ''}">`;
  const list =
    item.holds.length === 0
      ? html`<p>보존 중지 없음: 보존기간이 끝나면 삭제됩니다.</p>`
      : html`<p class="notice">보존 중지 ${item.holds.length}건: 해제될 때까지 보존기간이 지나도 삭제하지 않습니다.</p>
<table>
<thead><tr><th scope="col">사유</th><th scope="col">건 사람</th><th scope="col">건 시각</th><th scope="col">열람·제공 신청</th>${canHold ? html`<th scope="col">해제</th>` : ''}</tr></thead>
<tbody>${item.holds.map(
          (hold) =>
            html`<tr><td>${hold.reason}</td><td>${hold.setBy}</td><td>${dateTime(hold.setAt, timeZone)}</td><td>${hold.disclosureRequestId ?? '—'}</td>${
              canHold
                ? html`<td><form method="post" action="/recordings/${item.id}/holds/${hold.id}/release">${csrf}
<label for="release-${hold.id}">해제 사유</label> <input id="release-${hold.id}" name="reason" required minlength="2" maxlength="500">
<button type="submit">해제</button></form></td>`
                : ''
            }</tr>`,
        )}</tbody>
</table>`;
  const form =
    canHold && !item.deletedAt
      ? html`<form method="post" action="/recordings/${item.id}/holds">${csrf}
<div><label for="hold-reason">보존 중지 사유</label> <input id="hold-reason" name="reason" required minlength="2" maxlength="500"></div>
<button type="submit">보존 중지 걸기</button></form>`
      : '';
  return html`<h2>보존 중지</h2>${list}${form}`;
}

export function recordingPage(frame: Frame, item: RecordingDetail, timeZone: string, partyExport?: PartyExportForm, canHold = false): string {
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
    ['준수 예외', item.complianceException === 'notice_missing' ? '전수 녹취 안내 방송 증거 없음 (제7조)' : '없음'],
    ['복구된 녹취', item.recovered ? '예 (장비 재시작 후 복구)' : '아니요'],
    ['음성 SHA-256', item.sha256 ?? '—'],
    ['삭제 예정', dateTime(item.retentionDueAt, timeZone)],
    ['삭제', item.deletedAt ? `삭제됨 (${dateTime(item.deletedAt, timeZone)})` : '보관 중'],
  ];
  return page(
    frame,
    '녹취정보',
    html`<table><tbody>${rows.map(([label, text]) => html`<tr><th scope="row">${label}</th><td>${text}</td></tr>`)}</tbody></table>
${holdsSection(frame, item, timeZone, canHold)}
${partyExport ? partyExportSection(frame, item, partyExport) : ''}
<p><a href="/recordings">녹취정보 조회로 돌아가기</a></p>`,
  );
}

export function accessHoldersPage(frame: Frame, holders: PrivilegedHolders, timeZone: string): string {
  return page(
    frame,
    '접근 권한자 현황',
    html`<p>운영 규정 제8조제3항: 녹취정보에 접근할 수 있는 사람은 최소한으로 둡니다. 아래는 디렉터리에서 지금 읽은 권한자입니다
(${formatKoreanDateTime(new Date(holders.checkedAt), timeZone)} 기준).</p>
${
  holders.overLimit
    ? html`<p class="alert" role="alert">권한자가 ${holders.count}명으로 설정된 최대 인원 ${holders.maximum}명을 넘습니다. 디렉터리의 역할 그룹을 정리하십시오.</p>`
    : html`<p class="notice">권한자 ${holders.count}명 (최대 ${holders.maximum}명).</p>`
}
<table>
<thead><tr><th scope="col">이름</th><th scope="col">사용자 이름</th><th scope="col">부서</th><th scope="col">역할</th></tr></thead>
<tbody>${holders.holders.map(
      (holder) =>
        html`<tr><td>${holder.displayName}</td><td>${holder.username}</td><td>${holder.department}</td><td>${holder.roles.map((role) => ROLE_LABELS[role]).join(', ')}</td></tr>`,
    )}</tbody>
</table>`,
  );
}

export function errorPage(frame: Frame, status: number, code: string, message: string, requestId: string): string {
  const title = status === 404 ? '찾을 수 없음' : status === 403 ? '권한 없음' : status === 401 ? '로그인 필요' : '오류';
  const action: Html = frame.user ? html`<a href="/">처음 화면으로</a>` : html`<a href="/login">로그인 화면으로</a>`;
  return page(
    frame,
    title,
    html`<p class="alert" role="alert">${message}</p>
<p>오류 코드: <code>${code}</code> · 요청 번호: <code>${requestId}</code> (문의할 때 알려 주십시오)</p>
<p>${action}</p>`,
  );
}
