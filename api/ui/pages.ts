/**
 * The pages of the intranet UI: server-rendered, Korean, no script needed. Login, the dashboard and its cards, the
 * access holders and the error page; the recordings' pages are recording-pages.ts (split for size, issue 17).
 */
import { type RoleId } from '../../domain/roles';
import { formatKoreanDateTime } from '../../domain/korean-time';
import { ROLE_LABELS } from '../access';
import type { PrivilegedHolders } from '../access-holders';
import type { HealthReport } from '../health';
import type { RetentionOverview } from '../retention-overview';
import type { InAppNotification, LetterToPost } from '../notifications';
import { html, type Html } from './html';
import { page, type Frame } from './layout';
import { csrfField } from './parts';

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
/** What the daily inventory's finding kinds are called on the dashboard. */
const INVENTORY_KIND_LABELS: Readonly<Record<string, string>> = {
  recording_overdue: '삭제되지 않은 녹취',
  package_overdue: '파기되지 않은 제공 파일',
  orphan_document: '기록 없는 문서 파일',
  unregistered_overdue: '파기되지 않은 미등록 녹취',
  appliance_file: '녹취 장치의 기한 지난 파일',
  backup_expired: '기한이 지난 백업',
};

function retentionCard(retention: RetentionOverview, timeZone: string): Html {
  const last = retention.lastRun
    ? html`마지막 실행: ${dateTime(retention.lastRun.reportedAt, timeZone)} — ${retention.lastRun.day} 녹취 ${retention.lastRun.deleted.toLocaleString('ko-KR')}건 삭제${retention.lastRun.held > 0 ? html`, 보존 중지 ${retention.lastRun.held}건` : ''}`
    : html`아직 삭제 실행 없음`;
  const overdue =
    retention.overdue > 0
      ? html`<p class="alert" role="alert">삭제 지연 ${retention.overdue}건: 보존기간이 ${dateTime(retention.oldestOverdueDueAt, timeZone)}에 끝났는데 남아 있습니다. 작업자와 녹취 장치 상태를 확인하십시오.</p>`
      : '';
  const inventory = retention.lastInventory
    ? retention.lastInventory.total === 0
      ? html`<p>보존기간 점검 (${dateTime(retention.lastInventory.at, timeZone)}): 기한이 지난 음성·파일 없음</p>`
      : html`<p class="alert" role="alert">보존기간 점검 (${dateTime(retention.lastInventory.at, timeZone)}): 기한이 지났는데 남은 음성·파일 ${retention.lastInventory.total}건 — ${Object.entries(
          retention.lastInventory.counts,
        )
          .filter(([, count]) => count > 0)
          .map(([kind, count]) => `${INVENTORY_KIND_LABELS[kind] ?? kind} ${count}건`)
          .join(', ')}. 감사 기록의 점검 보고를 확인하십시오.</p>`
    : html`<p>보존기간 점검: 아직 실행 없음</p>`;
  const holds =
    retention.decidedHolds.length > 0
      ? html`<p>결정된 보존 중지 (끝나는 때가 가까운 순):</p><ul>${retention.decidedHolds.map(
          (hold) =>
            html`<li><a href="/recordings/${hold.recordingId}">${dateTime(hold.endsAt, timeZone)}까지</a> — ${hold.legalBasis ?? '근거 없음'} (검토: ${hold.reviewer ?? '—'})</li>`,
        )}</ul>`
      : '';
  return html`<section class="card"><h2>보존기간 삭제 (제8조제1항)</h2>
<p>${last}</p>
<p>다음 삭제 대상: ${retention.nextDueAt ? dateTime(retention.nextDueAt, timeZone) : '없음'}${retention.held > 0 ? html` · 보존 중지로 남은 녹취 ${retention.held}건` : ''}</p>
${overdue}${inventory}${holds}</section>`;
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

export function dateTime(iso: string | null, timeZone: string): string {
  return iso ? formatKoreanDateTime(new Date(iso), timeZone) : '—';
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
