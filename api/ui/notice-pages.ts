/** Prior notice (사전고지, Art. 7) in the UI: the announcement for the PBX, and the dashboard's compliance exceptions. */
import { formatKoreanDateTime } from '../../domain/korean-time';
import type { AnnouncementAudio } from '../announcement';
import type { ComplianceExceptions } from '../compliance-exceptions';
import { html, type Html } from './html';
import { page, type Frame } from './layout';

const CODEC_LABELS = { PCMU: 'G.711 μ-law', PCMA: 'G.711 A-law' } as const;

export function announcementPage(frame: Frame, text: string, audio: AnnouncementAudio): string {
  const file =
    audio.state === 'ready'
      ? html`<p>음성 파일: <a href="/notice/announcement.wav" download="${audio.fileName}">${audio.fileName} 내려받기</a>
— WAV, ${CODEC_LABELS[audio.codec]}, 8000 Hz, 모노, ${(audio.durationMs / 1000).toFixed(1)}초. 교환기(PBX)의 안내 음원으로 그대로 등록할 수 있습니다.</p>`
      : html`<p class="alert" role="alert">음성 파일 ${audio.fileName}: ${audio.reason} 설정 ANNOUNCEMENT_AUDIO_FILE을 확인하십시오.</p>`;
  return page(
    frame,
    '사전고지 안내멘트',
    html`<p>운영 규정 제7조에 따라 녹음하는 사람은 통화 상대방에게 녹음 사실을 알려야 합니다.</p>
<h2>안내 문구</h2>
<blockquote lang="ko">${text}</blockquote>
${file}
<h2>고지 증거</h2>
<ul>
<li>전수 녹취 내선: 교환기가 통화 연결 전에 이 안내멘트를 재생하고, 재생했다는 증거(<code>announcement:played@시각</code>)를 통화 정보와 함께 녹취 장치에 보냅니다.</li>
<li>선택적 녹취: 녹음 버튼을 누를 때 교환기가 짧은 안내를 재생하거나 공무원이 상대방에게 알렸음을 확인하고, 그 증거(<code>announcement:played@시각</code> 또는 <code>verbal:official</code>)를 녹음 버튼 신호와 함께 보냅니다.</li>
</ul>
<p>증거 없이 녹음된 통화는 대시보드의 사전고지 준수 예외에 내선과 시각이 표시됩니다.</p>`,
  );
}

/** The dashboard card; the rows link to the recording for those who may open it (not auditors). */
export function complianceCard(exceptions: ComplianceExceptions, timeZone: string, linkRecordings: boolean): Html {
  const when = (iso: string) => formatKoreanDateTime(new Date(iso), timeZone);
  const since = html`${when(exceptions.since)} 이후`;
  if (exceptions.total === 0) {
    return html`<section class="card wide"><h2>사전고지 준수 예외 (제7조)</h2><p>${since} 고지 증거 없이 녹음된 통화가 없습니다.</p></section>`;
  }
  const shown = exceptions.items.length < exceptions.total ? html` (최근 ${exceptions.items.length}건 표시)` : '';
  return html`<section class="card wide"><h2>사전고지 준수 예외 (제7조)</h2>
<p class="alert" role="alert">${since} 고지 증거 없이 녹음된 통화 ${exceptions.total}건${shown}. 교환기 안내멘트 설정과 해당 부서의 녹음 버튼 사용을 확인하십시오.</p>
<table>
<thead><tr><th scope="col">통화 시각</th><th scope="col">내선</th><th scope="col">부서</th><th scope="col">예외</th></tr></thead>
<tbody>${exceptions.items.map(
    (item) =>
      html`<tr><td>${linkRecordings ? html`<a href="/recordings/${item.recordingId}">${when(item.startedAt)}</a>` : when(item.startedAt)}</td><td>${item.extension}</td><td>${item.department.name}</td><td>${item.description}</td></tr>`,
  )}</tbody>
</table></section>`;
}
