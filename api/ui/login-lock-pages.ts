/** The chief's page of accounts locked out or waiting after wrong passwords, each with its unlock form (issue 22). */
import { formatKoreanDateTime } from '../../domain/korean-time';
import type { LockedAccount } from '../login';
import { html } from './html';
import { page, type Frame } from './layout';
import { csrfField } from './parts';

export function loginLocksPage(frame: Frame, accounts: readonly LockedAccount[], timeZone: string, error?: string): string {
  return page(
    frame,
    '로그인 잠금 관리',
    html`<p>비밀번호를 잘못 입력한 계정은 잠시 기다린 뒤 다시 시도하고, 여러 번 틀리면 잠깁니다. 다른 사람이 비밀번호를 추측하느라
본인이 로그인하지 못하는 경우처럼, 본인 확인 뒤 잠금을 바로 풀 수 있습니다. 해제는 사유와 함께 감사 기록에 남습니다.</p>
${error ? html`<p class="alert" role="alert">${error}</p>` : ''}
${
  accounts.length === 0
    ? html`<p class="notice">지금 잠기거나 대기 중인 계정이 없습니다.</p>`
    : html`<table>
<thead><tr><th scope="col">사용자 이름</th><th scope="col">상태</th><th scope="col">풀리는 시각</th><th scope="col">잠금 해제</th></tr></thead>
<tbody>${accounts.map(
        (account) =>
          html`<tr><td>${account.username}</td><td>${account.locked ? '잠김' : `대기 (연속 오류 ${account.failures}회)`}</td><td>${formatKoreanDateTime(account.until, timeZone)}</td>
<td><form method="post" action="/login-locks/${encodeURIComponent(account.username)}/unlock">${csrfField(frame)}
<label>사유 <input name="reason" required maxlength="500" placeholder="본인 확인 후 해제"></label> <button type="submit">잠금 해제</button></form></td></tr>`,
      )}</tbody>
</table>`
}`,
  );
}
