/** The frame of every page: header with the user and logout, navigation by role, main content. */
import type { Principal } from '../access';
import { ROLE_LABELS } from '../access';
import { html, type Html } from './html';

export interface NavItem {
  path: string;
  label: string;
}

export interface Frame {
  municipalityName: string;
  /** Absent on the login and error pages of an anonymous visitor. */
  user?: { principal: Principal; csrfToken: string; nav: readonly NavItem[] };
  currentPath?: string;
}

export function page(frame: Frame, title: string, main: Html): string {
  const system = `${frame.municipalityName} 행정전화 녹취시스템`;
  const user = frame.user;
  const header = user
    ? html`<div class="user">
  <span>${user.principal.displayName} (${user.principal.username})</span>
  <span>${user.principal.roles.map((role) => ROLE_LABELS[role]).join(', ')}</span>
  <span>${user.principal.departmentPath.slice(-1)[0] ?? ''}</span>
  <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${user.csrfToken}"><button type="submit">로그아웃</button></form>
</div>
<nav aria-label="주 메뉴"><ul>${user.nav.map(
        (item) => html`<li><a href="${item.path}"${item.path === frame.currentPath ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
      )}</ul></nav>`
    : '';
  return html`<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — ${system}</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">본문 바로가기</a>
<header>
<p class="system"><a href="/">${system}</a></p>
${header}
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${main}
</main>
<footer><p>녹취정보는 운영 규정 제9조의 절차로만 열람·제공됩니다. 모든 조회는 기록됩니다.</p></footer>
</body>
</html>
`.text;
}
