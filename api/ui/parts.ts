/** What the pages of cases and calls have in common: dates and lengths, the facts table, 결재, history, file inputs. */
import { formatKoreanDateTime } from '../../domain/korean-time';
import { formatFileSize } from '../uploads';
import { html, type Html } from './html';
import type { Frame } from './layout';

export const when = (iso: string | null | undefined, timeZone: string) => (iso ? formatKoreanDateTime(new Date(iso), timeZone) : '—');

/** A call's length as `3분 5초`. */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}분 ${seconds % 60}초`;
}

export const csrfField = (frame: Frame) => html`<input type="hidden" name="_csrf" value="${frame.user?.csrfToken ?? ''}">`;

/** A case's facts, one row header each, so a reader (or a test) finds a value by its heading. */
export function factsTable(rows: readonly (readonly [string, string | Html])[]): Html {
  return html`<table><tbody>${rows.map(([label, text]) => html`<tr><th scope="row">${label}</th><td>${text}</td></tr>`)}</tbody></table>`;
}

export interface HistoryStep {
  at: string;
  action: string;
  actor: string;
  reason: string;
}

/** 처리 이력: who did what, when and why, with the audit actions named in Korean. */
export function historyTable(steps: readonly HistoryStep[], labels: Readonly<Record<string, string>>, timeZone: string): Html {
  return html`<h2>처리 이력</h2>
<table><caption class="skip">처리 이력</caption>
<thead><tr><th scope="col">일시</th><th scope="col">처리</th><th scope="col">처리자</th><th scope="col">의견·사유</th></tr></thead>
<tbody>${steps.map(
    (step) =>
      html`<tr><td>${when(step.at, timeZone)}</td><td>${labels[step.action] ?? step.action}</td><td>${step.actor}</td><td>${step.reason || '—'}</td></tr>`,
  )}</tbody></table>`;
}

/** 결재: one comment, approve or reject (a rejection needs its reason, as the API checks). */
export function signOffForm(frame: Frame, action: string): Html {
  return html`<form method="post" action="${action}">${csrfField(frame)}
<div><label for="comment">의견 (반려할 때는 사유 필수)</label><textarea id="comment" name="comment" maxlength="1000" rows="2"></textarea></div>
<button type="submit" name="decision" value="approve">승인</button> <button type="submit" name="decision" value="reject">반려</button></form>`;
}

/** The limits of an upload field, said on the form as the upload rule enforces them. */
export interface UploadLimits {
  maxFiles: number;
  maxFileBytes: number;
}

const ACCEPT = '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png';

export function fileInput(limits: UploadLimits, input: { id: string; name: string; label: string; required?: boolean }): Html {
  return html`<label for="${input.id}">${input.label} (${input.required ? '' : '선택, '}PDF·JPEG·PNG, ${limits.maxFiles}개까지, 한 개에 ${formatFileSize(limits.maxFileBytes)}까지)</label>
<input id="${input.id}" name="${input.name}" type="file" multiple accept="${ACCEPT}"${input.required ? html` required` : ''}>`;
}
