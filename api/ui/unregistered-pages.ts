/** The managing department's page of unregistered recordings (issue 19): why each call was not registered, since when, when it goes. */
import { STARTED_AT_BASIS_LABELS } from '../../domain/unregistered-recording';
import type { UnregisteredRecordingList, UnregisteredRecordingsQuery } from '../unregistered-recordings';
import { html } from './html';
import { page, type Frame } from './layout';
import { dateTime } from './pages';

const STATE_LABELS = { open: '보관 중', registered: '나중에 등록됨', destroyed: '삭제됨' } as const;
const FILTERS: readonly [NonNullable<UnregisteredRecordingsQuery['state']>, string][] = [
  ['all', '전체'],
  ['open', '보관 중'],
  ['registered', '나중에 등록됨'],
  ['destroyed', '삭제됨'],
];

export function unregisteredRecordingsPage(frame: Frame, list: UnregisteredRecordingList, timeZone: string): string {
  const when = (iso: string | null) => dateTime(iso, timeZone);
  const state = (item: UnregisteredRecordingList['items'][number]) =>
    item.state === 'open'
      ? `${STATE_LABELS.open} (${when(item.retentionDueAt)} 삭제 예정)`
      : `${STATE_LABELS[item.state]} (${when(item.state === 'destroyed' ? item.destroyedAt : item.registeredAt)})`;
  const filters = html`<p>보기: ${FILTERS.map(([value, label], index) => [
    index > 0 ? ' · ' : '',
    value === list.state ? html`<strong aria-current="true">${label}</strong>` : html`<a href="/unregistered-recordings?state=${value}">${label}</a>`,
  ])}</p>`;
  const shown = list.items.length < list.total ? html` (최근 ${list.items.length}건 표시)` : '';
  return page(
    frame,
    '미등록 녹취',
    html`<p class="notice">녹취 장치가 녹음했지만 녹취정보로 등록하지 못한 통화입니다 (내선번호표에 없는 내선, 통화 정보 누락, 같은 통화 ID의 다른 음성, 읽을 수 없는 파일).
이 녹음도 등록된 녹취와 같이 보존기간(운영 규정 제8조 제1항)이 끝나면 녹취 장치가 삭제합니다. 내선을 내선번호표에 추가하면 다음 점검 때(1분 안) 등록되며, 삭제 예정 시각은 그대로입니다.</p>
${list.open > 0 ? html`<p class="alert" role="status">보관 중인 미등록 녹취 ${list.open}건: 내선번호표를 확인하십시오.</p>` : ''}
${filters}
${
  list.total === 0
    ? html`<p class="notice">해당하는 미등록 녹취가 없습니다.</p>`
    : html`<p>${list.total}건${shown}</p>
<table>
<thead><tr><th scope="col">미등록 시작</th><th scope="col">통화 시작</th><th scope="col">내선</th><th scope="col">통화 ID</th><th scope="col">까닭</th><th scope="col">상태</th><th scope="col">시도</th></tr></thead>
<tbody>${list.items.map(
        (item) =>
          html`<tr><td>${when(item.firstRefusedAt)}</td><td>${when(item.startedAt)}${
            item.startedAtBasis === 'call' ? '' : html`<br><small>${STARTED_AT_BASIS_LABELS[item.startedAtBasis]}</small>`
          }</td><td>${item.extension ?? '—'}</td><td>${item.callId ?? '—'}</td><td>${item.reason}</td><td>${state(item)}</td><td>${item.attempts}회 (마지막 ${when(item.lastTriedAt)})</td></tr>`,
      )}</tbody>
</table>`
}`,
  );
}
