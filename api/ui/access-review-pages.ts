/** 월간 접근기록 점검 pages: the months' reviews, and one month's report with the chief's sign-off form. */
import { ROLE_LABELS } from '../access';
import type { AccessReviewDetail, AccessReviewView } from '../access-review';
import { processView } from '../process-views';
import { html } from './html';
import { page, type Frame } from './layout';
import { csrfField, factsTable, when } from './parts';

const STATUS_LABELS = { awaiting_sign_off: '점검 대기', signed_off: '점검 완료' } as const;
const monthLabel = (month: string) => `${month.slice(0, 4)}년 ${Number(month.slice(5))}월`;

export function accessReviewListPage(frame: Frame, items: readonly AccessReviewView[], timeZone: string): string {
  return page(
    frame,
    '접근기록 점검',
    html`<p>개인정보의 안전성 확보조치 기준 제8조: 매월 1일 지난달의 접근기록(누가 무엇을 보았는지, 재생·내보내기와 그 사유, 거부된 요청,
업무시간 외 접근, 이상 징후)을 보고서로 만들고, 과장이 점검을 마칠 때까지 알립니다. 감사 기록은 지우지 않습니다.</p>
<table><caption class="skip">접근기록 점검 목록</caption>
<thead><tr><th scope="col">점검한 달</th><th scope="col">상태</th><th scope="col">접근</th><th scope="col">재생·내보내기</th><th scope="col">거부</th><th scope="col">업무시간 외</th><th scope="col">이상 징후</th><th scope="col">점검 완료</th></tr></thead>
<tbody>${
      items.length === 0
        ? html`<tr><td colspan="8">아직 점검 보고서가 없습니다. 매월 1일 09:00에 만들어집니다.</td></tr>`
        : items.map(
            (item) => html`<tr><td><a href="/access-reviews/${item.id}">${monthLabel(item.month)}</a></td><td>${STATUS_LABELS[item.status]}</td>
<td>${item.summary.entries}</td><td>${item.summary.releases}</td><td>${item.summary.refusals}</td><td>${item.summary.afterHours}</td><td>${item.summary.anomalies}</td>
<td>${item.signedOffBy ? `${item.signedOffBy} (${when(item.signedOffAt, timeZone)})` : '—'}</td></tr>`,
          )
    }</tbody></table>`,
  );
}

export function accessReviewPage(
  frame: Frame,
  item: AccessReviewDetail,
  input: { canSignOff: boolean; files: boolean; error?: string },
  timeZone: string,
): string {
  const { summary } = item;
  return page(
    frame,
    `${monthLabel(item.month)} 접근기록 점검`,
    html`${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}
${factsTable([
  ['상태', STATUS_LABELS[item.status]],
  ['보고서 작성', when(item.reportedAt, timeZone)],
  ['사람의 접근 기록', `${summary.entries}건 (사용자 ${summary.users}명)`],
  ['재생·내보내기', `${summary.releases}건`],
  ['거부된 요청', `${summary.refusals}건`],
  ['장치·제어 인증 실패', `${summary.deviceAuthFailures}회 (녹취 장치의 RTSP·제어 API, 주소별 요약)`],
  ['업무시간 외 접근', `${summary.afterHours}건`],
  ['이상 징후', `${summary.anomalies}건`],
  ['점검 대기', item.awaiting ? ROLE_LABELS[item.awaiting as keyof typeof ROLE_LABELS] : '—'],
  ['알림', `${item.remindersSent}회`],
  ['점검 완료', item.signedOffBy ? `${item.signedOffBy} (${when(item.signedOffAt, timeZone)})${item.comment ? ` — ${item.comment}` : ''}` : '—'],
])}
${input.files ? html`<p><a href="/api/access-reviews/${item.id}/report" download>보고서 내려받기 (XLSX: 요약, 재생·내보내기, 거부, 장치 인증 실패, 업무시간 외, 이상 징후)</a></p>` : ''}
${
  input.canSignOff
    ? html`<h2>점검 완료 기록</h2><form class="case-form" method="post" action="/access-reviews/${item.id}/sign-off">${csrfField(frame)}
<div><label for="comment">점검 의견 (조치한 것, 확인한 것)</label><textarea id="comment" name="comment" maxlength="1000" rows="3"></textarea></div>
<button type="submit">점검 완료</button></form>`
    : ''
}
${item.process ? processView('access-review', item.process) : ''}
<p><a href="/access-reviews">목록으로</a></p>`,
  );
}
