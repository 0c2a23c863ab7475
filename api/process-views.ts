/**
 * 처리 흐름도: the BPMN 2.0 model of each lifecycle (workflows/bpmn/*.bpmn), drawn in the browser by bpmn-js (served
 * from this server, never a CDN: the intranet may have no Internet, and the CSP allows scripts from 'self' only) with
 * the case's current step and past steps marked. Which steps those are is read from the workflow's status query by the
 * functions below, so the marks mean what the workflow reports; test/unit/process-models.test.ts holds each model to
 * its workflow, test/browser/process-view.test.ts draws them.
 *
 * Element ids in the models follow one convention (the drift test enforces it): a task or wait is the state the
 * workflow reports while it is there, an end event is `end_<how the case ended>`, a boundary event is the state or
 * status field that reports it, start events are `start_*` and gateways `gw_*`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type DisclosureKind } from '../domain/disclosure';
import { PROJECT_ROOT } from '../infra/paths';
import type { AccessReviewStatus } from '../workflows/bpmn/access-review-steps';
import type { DeadlineStatus } from '../workflows/deadline-reminders';
import type { DisclosureStatus } from '../workflows/disclosure';
import type { FullRecordingStatus } from '../workflows/full-recording';
import type { RetentionDayStatus } from '../workflows/retention';
import { html, type Html } from './ui/html';

export const LIFECYCLES = ['full-recording', 'retention', 'disclosure', 'access-review'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** Korean names of the lifecycles, for headings and the diagram's accessible name. */
export const LIFECYCLE_LABELS: Record<Lifecycle, string> = {
  'full-recording': '전수 녹취 신청·승인',
  retention: '녹취정보 보존·삭제',
  disclosure: '녹취정보 열람·제공',
  'access-review': '월간 접근기록 점검',
};

export const PROCESS_MODELS_DIR = path.join(PROJECT_ROOT, 'workflows', 'bpmn');

export function processModelUrl(lifecycle: Lifecycle): string {
  return `/api/process-models/${lifecycle}`;
}

export interface ProcessModel {
  lifecycle: Lifecycle;
  xml: string;
  /** Element id → the Korean name users see, line breaks as spaces. */
  labels: ReadonlyMap<string, string>;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (text: string) =>
  text.replace(/&(#x?[0-9a-fA-F]+|amp|lt|gt|quot|apos);/g, (_, entity: string) =>
    entity.startsWith('#x')
      ? String.fromCodePoint(parseInt(entity.slice(2), 16))
      : entity.startsWith('#')
        ? String.fromCodePoint(Number(entity.slice(1)))
        : (XML_ENTITIES[entity] as string),
  );

/**
 * Our own models, written with `id` before `name` on every element: a pattern reads their names without an XML
 * parser in the API (the drift test checks it finds the same names a real parser does).
 */
function readLabels(xml: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const match of xml.matchAll(/<bpmn:\w+ id="([^"]+)" name="([^"]*)"/g)) {
    labels.set(
      match[1] as string,
      decodeXml(match[2] as string)
        .replace(/\s+/g, ' ')
        .trim(),
    );
  }
  return labels;
}

// Read on first use and kept: a handful of small files that change only with a release.
const models = new Map<Lifecycle, ProcessModel>();

/** The model of a lifecycle, as the BPMN 2.0 XML the viewer draws and the labels of its elements. */
export function processModel(lifecycle: Lifecycle): ProcessModel {
  let model = models.get(lifecycle);
  if (!model) {
    const xml = readFileSync(path.join(PROCESS_MODELS_DIR, `${lifecycle}.bpmn`), 'utf8');
    model = { lifecycle, xml, labels: readLabels(xml) };
    models.set(lifecycle, model);
  }
  return model;
}

/** What to mark: the element the case is at (absent when unknown) and the ones it went through. */
/** The steps as the API answers them with a case (the workflow's query, in the model's terms). */
export const processStepsView = z
  .object({ current: z.string().optional().describe('처리 흐름도의 현재 단계 (BPMN 요소 id, 모르면 없음)'), past: z.array(z.string()).describe('지난 단계') })
  .describe('처리 흐름도에 표시할 단계');

export interface ProcessSteps {
  current?: string;
  past: string[];
}

/** A full-recording application (fullRecordingStatus query). */
export function fullRecordingSteps(status: FullRecordingStatus): ProcessSteps {
  const steps = fullRecordingPath(status);
  // Reminders are drawn beside their step; listed after the main line, so the words read in the order of the case.
  if (status.remindersSent > 0) steps.past.push('remindersSent', 'end_remindersSent');
  return steps;
}

function fullRecordingPath(status: FullRecordingStatus): ProcessSteps {
  const past = ['start_applied'];
  switch (status.state) {
    case 'under_review':
      return { current: 'under_review', past };
    case 'rejected':
      return { current: 'end_rejected', past: [...past, 'under_review'] };
    case 'approved':
      return { current: 'approved', past: [...past, 'under_review'] };
    case 'active':
      return { current: 'active', past: [...past, 'under_review', 'approved'] };
    case 'ended':
    case 'revoked': {
      // Withdrawn while under review: nothing was switched, so there is nothing to switch back.
      if (status.endReason === 'withdrawn') return { current: 'end_withdrawn', past: [...past, 'under_review'] };
      past.push('under_review', 'approved');
      if (status.appliedAt) past.push('active');
      // The state changes before the extensions are switched back; the case has ended only once that is verified.
      if (!status.endedAt) return { current: status.state, past };
      return { current: `end_${status.endReason ?? (status.state === 'revoked' ? 'revoked' : 'period_ended')}`, past: [...past, status.state] };
    }
  }
}

const DISCLOSURE_ORDER = ['registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report'] as const;
const upTo = (state: (typeof DISCLOSURE_ORDER)[number]) => DISCLOSURE_ORDER.slice(0, DISCLOSURE_ORDER.indexOf(state) + 1);

/**
 * A disclosure request (disclosureStatus query); the kind decides how a closed case ended, and the Form 3 chase's
 * own status (deadlineStatus of the child workflow), when given, marks the reminders sent.
 */
export function disclosureSteps(status: DisclosureStatus, kind: DisclosureKind, deadline?: DeadlineStatus): ProcessSteps {
  const steps = disclosurePath(status, kind);
  if (status.remindersSent > 0) steps.past.push('remindersSent', 'end_remindersSent');
  if (deadline && deadline.remindersSent.length > 0) steps.past.push('waiting', 'end_waiting');
  if (deadline?.overdueNoticeSent) steps.past.push('overdue', 'end_overdue');
  if (deadline?.escalated) steps.past.push('escalated', 'end_escalated');
  return steps;
}

function disclosurePath(status: DisclosureStatus, kind: DisclosureKind): ProcessSteps {
  const past: string[] = ['start_registered'];
  switch (status.state) {
    case 'closed':
      return { current: 'end_closed', past: [...past, ...(kind === 'viewing' ? [...upTo('released'), 'viewingUntil'] : upTo('awaiting_destruction_report'))] };
    case 'rejected':
      return { current: 'end_rejected', past: [...past, ...upTo('in_sign_off')] };
    case 'withdrawn': {
      // The status keeps no trace of the submission itself: a request withdrawn in 결재 before anyone signed is
      // drawn as withdrawn at 접수.
      const reached = status.handoverDocumentId ? 'awaiting_handover' : status.signOffs.length > 0 ? 'in_sign_off' : 'registered';
      return { current: 'end_withdrawn', past: [...past, ...upTo(reached)] };
    }
    default:
      return { current: status.state, past: [...past, ...upTo(status.state).slice(0, -1)] };
  }
}

/** One recording day's retention run (retentionDayStatus query). Which start began the run is not reported. */
export function retentionSteps(status: RetentionDayStatus): ProcessSteps {
  switch (status.state) {
    case 'waiting':
      return { current: 'waiting', past: [] };
    case 'deleting':
      return { current: 'deleting', past: ['waiting'] };
    case 'done':
      return { current: 'end_done', past: ['waiting', 'deleting'] };
  }
}

/** One month's access review (the workflow's status query, steps from workflows/bpmn/access-review-steps.ts). */
export function accessReviewSteps(status: AccessReviewStatus): ProcessSteps {
  const reminders = status.remindersSent > 0 ? ['remindersSent', 'end_remindersSent'] : [];
  switch (status.state) {
    case 'preparing_report':
      return { current: 'preparing_report', past: ['start_monthly'] };
    case 'awaiting_sign_off':
      return { current: 'awaiting_sign_off', past: ['start_monthly', 'preparing_report', ...reminders] };
    case 'signed_off':
      return { current: 'end_signed_off', past: ['start_monthly', 'preparing_report', 'awaiting_sign_off', ...reminders] };
  }
}

/** The bpmn-js files the browser needs, by the name they are served under. */
const VENDOR_FILES = {
  'bpmn-navigated-viewer.production.min.js': { file: 'dist/bpmn-navigated-viewer.production.min.js', type: 'text/javascript; charset=utf-8' },
  'diagram-js.css': { file: 'dist/assets/diagram-js.css', type: 'text/css; charset=utf-8' },
  'bpmn-js.css': { file: 'dist/assets/bpmn-js.css', type: 'text/css; charset=utf-8' },
} as const;
type VendorName = keyof typeof VENDOR_FILES;
export const BPMN_VENDOR_NAMES = Object.keys(VENDOR_FILES) as [VendorName, ...VendorName[]];

let bpmnJs: { version: string; root: string } | undefined;
/** The installed bpmn-js: its version is part of every vendor URL, so a year-long cache never serves an old one. */
function installedBpmnJs(): { version: string; root: string } {
  if (!bpmnJs) {
    const manifest = require.resolve('bpmn-js/package.json');
    bpmnJs = { version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version, root: path.dirname(manifest) };
  }
  return bpmnJs;
}

export function vendorUrl(name: VendorName): string {
  return `/vendor/bpmn-js/${installedBpmnJs().version}/${name}`;
}

/** The project's own files for the view, to be served from /assets/ beside app.js and app.css. */
export const PROCESS_VIEW_ASSETS = {
  'process-view.js': 'text/javascript; charset=utf-8',
  'process-view.css': 'text/css; charset=utf-8',
} as const;

/**
 * The process view of one case, for its page: the diagram (drawn by /assets/process-view.js into the container whose
 * data attributes name the model and the steps) and, for screen readers and browsers without scripts, the same
 * steps in words.
 */
export function processView(lifecycle: Lifecycle, steps: ProcessSteps): Html {
  const { labels } = processModel(lifecycle);
  const name = (id: string) => labels.get(id) ?? id;
  const current = steps.current;
  const past = steps.past.filter((id) => id !== current);
  return html`<section class="process-view" aria-label="처리 흐름도: ${LIFECYCLE_LABELS[lifecycle]}">
<h2>처리 흐름</h2>
<link rel="stylesheet" href="${vendorUrl('diagram-js.css')}">
<link rel="stylesheet" href="${vendorUrl('bpmn-js.css')}">
<link rel="stylesheet" href="/assets/process-view.css">
<p class="process-view-legend"><span class="process-view-key process-view-key-current">현재 단계</span> <span class="process-view-key process-view-key-past">지난 단계</span></p>
<div class="process-view-canvas" role="img" aria-label="${LIFECYCLE_LABELS[lifecycle]} 처리 흐름도" data-process-model="${processModelUrl(lifecycle)}" data-current-step="${current ?? ''}" data-past-steps="${past.join(' ')}">
<p class="process-view-message">처리 흐름도를 불러오는 중입니다.</p>
</div>
<dl class="process-view-steps">
<dt>현재 단계</dt><dd>${current ? name(current) : '—'}</dd>
<dt>지난 단계</dt><dd>${past.length > 0 ? past.map(name).join(', ') : '—'}</dd>
</dl>
<script src="${vendorUrl('bpmn-navigated-viewer.production.min.js')}" defer></script>
<script src="/assets/process-view.js" defer></script>
</section>`;
}

/** The bpmn-js files, read when the route table is built (nothing is read at import time), by the name they are served under. */
export function bpmnVendorFiles(): { version: string; files: Map<VendorName, { type: string; body: Buffer }> } {
  const { version, root } = installedBpmnJs();
  return {
    version,
    files: new Map(BPMN_VENDOR_NAMES.map((name) => [name, { type: VENDOR_FILES[name].type, body: readFileSync(path.join(root, VENDOR_FILES[name].file)) }])),
  };
}
