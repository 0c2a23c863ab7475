/** The Korean landing page: what this system is and whether each of its parts is running. */
import type { HealthReport } from './health';

const COMPONENT_LABELS: Record<string, string> = {
  database: '데이터베이스',
  temporal: 'Temporal 서버',
  worker: '워크플로 워커',
  masterKey: '마스터 키',
  legalCalendar: '공휴일 표 (법정 기간 계산)',
  directory: '디렉터리 (로그인·역할)',
  diskSpace: '저장 공간',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export interface LandingPageInfo {
  municipalityName: string;
  managingDepartmentName: string;
  /** The storage period as the rules say it, e.g. `30일`. */
  retentionPeriod: string;
  temporalUiUrl?: string;
}

export function renderLandingPage(info: LandingPageInfo, health: HealthReport): string {
  const rows = Object.entries(health.components)
    .map(
      ([name, component]) =>
        `<tr><th scope="row">${escapeHtml(COMPONENT_LABELS[name] ?? name)}</th>` +
        `<td class="${component.state}">${component.state === 'up' ? '정상' : '이상'}</td>` +
        `<td>${escapeHtml(component.detail)}</td></tr>`,
    )
    .join('\n');
  const temporalLink = info.temporalUiUrl
    ? `<li><a href="${escapeHtml(info.temporalUiUrl)}">Temporal 웹 화면 (워크플로 기록)</a></li>`
    : '';
  return `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.municipalityName)} 행정전화 녹취시스템</title>
<style>
body { font-family: "Noto Sans CJK KR", "Malgun Gothic", sans-serif; margin: 2rem auto; max-width: 60rem; color: #1d2733; }
h1 { font-size: 1.6rem; } table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #c9d1da; padding: .4rem .6rem; text-align: left; }
td.up { color: #136f2d; font-weight: bold; } td.down { color: #b3261e; font-weight: bold; }
</style>
</head>
<body>
<h1>${escapeHtml(info.municipalityName)} 행정전화 녹취시스템</h1>
<p>행정전화 통화를 녹취하고(선택적 녹취·전수 녹취), 녹취정보를 ${escapeHtml(info.retentionPeriod)} 보관한 뒤 복구할 수 없게 삭제하며,
「${escapeHtml(info.municipalityName)} 행정전화 녹취시스템 운영 규정」 제9조의 절차(신청서 → 결재 → 인수·인계증 → 열람·제공 → 관리대장 → 파기 결과 회신)를 거치지 않고는
누구도 녹취를 듣거나 받을 수 없도록 하는 시스템입니다. 관리부서: ${escapeHtml(info.managingDepartmentName)}.</p>
<h2>구성 요소 상태 — 전체 ${health.state === 'up' ? '정상' : '이상'}</h2>
<table>
<thead><tr><th scope="col">구성 요소</th><th scope="col">상태</th><th scope="col">내용</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>확인 시각: ${escapeHtml(health.checkedAt)}</p>
<ul>
<li><a href="/health">상태 정보 (JSON)</a></li>
${temporalLink}
</ul>
</body>
</html>
`;
}
