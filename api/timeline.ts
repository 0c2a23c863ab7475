/**
 * 처리 경위 (a case's timeline) for auditors: one chronological list built from the two records of a case that are
 * kept apart from each other — the hash-chained audit log (who did, read, downloaded, played or was refused what,
 * from where and why) and the workflow's own event history (each signal with the user it carried, timers that fired,
 * activities and child workflows completed) — beside the case's generated documents and attached files with their
 * SHA-256. Two independent records side by side is the point: a step in one and missing from the other is what an
 * audit looks for. The history comes from Temporal while the server keeps it and from the sealed archive after.
 * Recordings appear by id and hash only: the timeline never carries audio.
 */
import { AUDIT_ACTION_LABELS, auditActionLabel } from '../domain/audit-labels';
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import { GENESIS_HASH, hashAuditEvent } from '../infra/audit/audit-log';
import {
  ArchivedHistory,
  Attachment,
  AuditChainHead,
  AuditEvent,
  DisclosureRequest,
  FullRecordingApplication,
  GeneratedDocument,
  Recording,
} from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import { formatKoreanDate } from '../domain/korean-time';
import { decodeHistory, historyFacts, type History } from '../infra/temporal/history';
import { notFound } from './errors';

export const CASE_TYPES = ['disclosure_request', 'full_recording_application'] as const;
export type CaseType = (typeof CASE_TYPES)[number];

/** What left the managing department's hands at a step: the moments an audit of Art. 9 asks about first. */
export const RELEASES = [
  'audio_played',
  'package_built',
  'package_provided',
  'package_downloaded',
  'handover_signed',
  'document_downloaded',
  'attachment_downloaded',
] as const;
export type Release = (typeof RELEASES)[number];

const REF_KINDS = ['document', 'attachment', 'recording', 'package', 'history'] as const;
export type RefKind = (typeof REF_KINDS)[number];
const timelineRef = z.object({
  kind: z.enum(REF_KINDS),
  id: z.string().nullable(),
  sha256: z.string().nullable(),
  name: z.string().nullable().describe('문서의 용도나 파일 이름'),
});
export type TimelineRef = z.infer<typeof timelineRef>;

export const timelineItem = z.object({
  at: z.string().describe('일시 (ISO 8601, UTC)'),
  source: z.enum(['audit', 'workflow']).describe('감사 기록 또는 업무 흐름(Temporal) 이력'),
  event: z.string().describe('감사 기록의 action, 또는 업무 흐름 이벤트 (signal:<이름>, activity:<이름>, timer, child:<유형>, workflow:<결과>)'),
  label: z.string().describe('처리 (한국어)'),
  actor: z.string().nullable(),
  role: z.string().nullable(),
  sourceAddress: z.string().nullable(),
  reason: z.string().nullable(),
  note: z.string().nullable().describe('결재 결정, 의견, 결과 등 덧붙은 사실'),
  refs: z.array(timelineRef),
  released: z.enum(RELEASES).nullable(),
  auditSeq: z.number().int().nullable(),
  workflowId: z.string().nullable(),
  eventId: z.number().int().nullable(),
});
export type TimelineItem = z.infer<typeof timelineItem>;

export const caseTimeline = z.object({
  caseType: z.enum(CASE_TYPES),
  caseId: z.string(),
  caseNumber: z.string().describe('관리번호 (열람·제공) 또는 신청 표시 (전수 녹취)'),
  title: z.string(),
  status: z.string(),
  generatedAt: z.string(),
  chain: z
    .object({
      ok: z.boolean(),
      entries: z.number().int(),
      problems: z.array(z.string()),
      lastSeq: z.number().int().describe('연쇄 머리의 마지막 번호'),
      summary: z.string(),
    })
    .describe('이 사건의 감사 기록 검증: 기록마다 해시, 앞 기록과의 연결'),
  workflows: z.array(
    z.object({
      workflowId: z.string(),
      runId: z.string().nullable(),
      workflowType: z.string(),
      source: z.enum(['temporal', 'archive']),
      events: z.number().int(),
      archiveSha256: z.string().nullable(),
    }),
  ),
  workflowProblems: z.array(z.string()),
  documents: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      purpose: z.string(),
      sha256: z.string(),
      sizeBytes: z.number().int(),
      createdAt: z.string(),
      createdBy: z.string(),
    }),
  ),
  attachments: z.array(
    z.object({
      id: z.string(),
      purpose: z.string(),
      fileName: z.string(),
      sha256: z.string(),
      sizeBytes: z.number().int(),
      createdAt: z.string(),
      uploadedBy: z.string(),
    }),
  ),
  items: z.array(timelineItem),
});
export type CaseTimeline = z.infer<typeof caseTimeline>;

export const timelineParams = z.object({ caseType: z.enum(CASE_TYPES), id: z.uuid({ message: '사건 번호가 올바르지 않습니다' }) }).strict();

/** The workflow side: a workflow's event history while the Temporal server still has it. */
export interface WorkflowHistoryReader {
  /** The latest run, or the run named; undefined once the server no longer has it. */
  history(workflowId: string, runId?: string): Promise<History | undefined>;
}

export interface TimelineDeps {
  /** Where archived histories are sealed. */
  documents: DocumentStore;
  /** Absent where the API runs without Temporal: the archive alone then. */
  histories?: WorkflowHistoryReader;
  /** TIME_ZONE: the day a full-recording application is named by. */
  timeZone: string;
}

/** Audit actions in Korean; an action not listed is shown as it is, so a new one is never hidden. */

const RELEASED_BY_ACTION: Record<string, Release> = {
  'disclosure.recording_played': 'audio_played',
  'disclosure.package_built': 'package_built',
  'disclosure.package_provided': 'package_provided',
  'disclosure.package_downloaded': 'package_downloaded',
  'disclosure.handover_signed': 'handover_signed',
  'disclosure.document_downloaded': 'document_downloaded',
  'full_recording.document': 'document_downloaded',
  'attachment.downloaded': 'attachment_downloaded',
};

const SIGNAL_LABELS: Record<string, string> = {
  disclosureConfirmRecordings: '녹취 확인 요청 받음',
  disclosureSubmit: '결재 상신 받음',
  disclosureSignOff: '결재 받음',
  disclosureWithdraw: '철회 받음',
  disclosureHandoverSigned: '인수·인계증 서명 기록 받음',
  disclosurePackageProvided: '제공 파일 전달 기록 받음',
  disclosureDestructionReported: '파기 결과 회신 기록 받음',
  fullRecordingSignOff: '검토·승인 받음',
  fullRecordingRevoke: '철회·취소 받음',
  fullRecordingRenew: '연장 받음',
  deadlineMet: '회신 기한 충족 알림 받음',
};

/** A step sent as an Update (`disclosureStep`, `fullRecordingStep`) is labelled as the signal that carried it before. */
const STEP_OF_UPDATE: Record<string, Record<string, string>> = {
  disclosureStep: {
    confirm_recordings: 'disclosureConfirmRecordings',
    submit: 'disclosureSubmit',
    sign_off: 'disclosureSignOff',
    withdraw: 'disclosureWithdraw',
    handover_signed: 'disclosureHandoverSigned',
    package_provided: 'disclosurePackageProvided',
    destruction_reported: 'disclosureDestructionReported',
  },
  fullRecordingStep: { sign_off: 'fullRecordingSignOff', revoke: 'fullRecordingRevoke', renew: 'fullRecordingRenew' },
};

const RELEASED_BY_SIGNAL: Record<string, Release> = {
  disclosureHandoverSigned: 'handover_signed',
  disclosurePackageProvided: 'package_provided',
};

const ACTIVITY_LABELS: Record<string, string> = {
  recordDisclosureStep: '단계 기록',
  recordFullRecordingStep: '단계 기록',
  confirmDisclosureRecordings: '녹취 확인과 보존 중지',
  checkDisclosureReadiness: '상신 요건 확인',
  planWorkingDayReminder: '결재 알림 시각 계산',
  prepareHandover: '인수·인계증 작성',
  prepareRejectionNotice: '거부 통지서 작성',
  recordHandoverSigned: '인수·인계증 서명 기록',
  writeLedgerEntry: '관리대장 기재',
  planLegalDeadline: '법정 기한 계산',
  openDestructionReport: '파기 결과 회신 기한 설정',
  recordDestructionReport: '파기 결과 회신 기록',
  prepareDeadlineDocument: '회신 요청 공문 작성',
  queueNotification: '알림 대기열 등록',
  deliverNotification: '알림 발송',
  switchExtensions: '녹취 장치 방식 전환',
};

const WORKFLOW_LABELS: Record<string, string> = {
  disclosureWorkflow: '녹취정보 열람·제공',
  deadlineRemindersWorkflow: '파기 결과 회신 기한 알림',
  fullRecordingWorkflow: '전수 녹취 신청',
};

/** How a run ended: the event's attribute field, its code in `event`, and its Korean word. */
const CLOSES = [
  ['workflowExecutionCompletedEventAttributes', 'completed', '완료'],
  ['workflowExecutionFailedEventAttributes', 'failed', '실패'],
  ['workflowExecutionTerminatedEventAttributes', 'terminated', '강제 종료'],
  ['workflowExecutionCanceledEventAttributes', 'canceled', '취소'],
  ['workflowExecutionTimedOutEventAttributes', 'timed_out', '시간 초과'],
  ['workflowExecutionContinuedAsNewEventAttributes', 'continued_as_new', '새 실행으로 이어짐'],
] as const;

/** Facts from an audit entry's detail worth a line of their own (never personal data: the log holds none). */
const NOTE_KEYS: Record<string, string> = {
  decision: '결정',
  comment: '의견',
  refusedAction: '거부된 처리',
  signatureKind: '서명 방식',
  recipientName: '인수자',
  kind: '구분',
  ground: '근거',
  closeStatus: '종료 상태',
  workflowType: '업무 흐름',
  format: '형식',
  ok: '검증 결과',
  problems: '문제',
  count: '건수',
  code: '코드',
  state: '상태',
  purpose: '용도',
};

/** `2일 11시간 57분`: how long a timer waited. */
export function koreanDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [days ? `${days}일` : '', hours ? `${hours}시간` : '', minutes % 60 || minutes === 0 ? `${minutes % 60}분` : ''];
  return parts.filter(Boolean).join(' ');
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** A payload the SDK's default converter wrote (JSON, null, binary); anything it cannot read is left out, not fatal. */
function decodePayload(payload: unknown): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}
const firstPayload = (payloads: { payloads?: unknown[] | null } | null | undefined) => decodePayload(payloads?.payloads?.[0]);

/** What a step names: documents, files, recordings, the package, a history — each with its hash when known. */
function refsOf(detail: Record<string, unknown>, action: string): TimelineRef[] {
  const refs: TimelineRef[] = [];
  const add = (kind: RefKind, id: string | undefined, sha256: string | undefined) => {
    if (!id && !sha256) return;
    if (refs.some((ref) => ref.kind === kind && ref.id === (id ?? null) && ref.sha256 === (sha256 ?? null))) return;
    refs.push({ kind, id: id ?? null, sha256: sha256 ?? null, name: null });
  };
  const sha256 = str(detail.sha256);
  if (str(detail.documentId)) add('document', str(detail.documentId), sha256);
  if (str(detail.signedDocumentId)) add('document', str(detail.signedDocumentId), str(detail.signedDocumentSha256));
  for (const id of strings(detail.attachmentDocumentIds)) add('document', id, undefined);
  if (str(detail.attachmentId)) add('attachment', str(detail.attachmentId), str(detail.signatureSha256) ?? (str(detail.documentId) ? undefined : sha256));
  for (const id of [str(detail.recordingId), ...strings(detail.recordings), ...strings(detail.recordingIds), ...strings(detail.resultIds)]) {
    if (id) add('recording', id, undefined);
  }
  if (str(detail.packageSha256)) add('package', undefined, str(detail.packageSha256));
  if (action === 'disclosure.package_downloaded') add('package', undefined, sha256);
  if (action === 'workflow.history_archived') add('history', str(detail.workflowId), sha256);
  return refs;
}

function noteOf(detail: Record<string, unknown>): string | null {
  const parts = Object.entries(NOTE_KEYS).flatMap(([key, label]) => {
    const value = detail[key];
    if (value === undefined || value === null || value === '') return [];
    const text = Array.isArray(value)
      ? value.join(', ')
      : typeof value === 'boolean'
        ? value
          ? '예'
          : '아니오'
        : typeof value === 'string' || typeof value === 'number'
          ? String(value)
          : JSON.stringify(value);
    return text ? [`${label}: ${text}`] : [];
  });
  return parts.length > 0 ? parts.join(' · ') : null;
}

function auditItem(event: AuditEvent): TimelineItem {
  let detail: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(event.detail);
    if (isRecord(parsed)) detail = parsed;
  } catch {
    // A detail that does not parse still has its entry shown; the chain check says whether it was altered.
  }
  const refused = event.action === 'request.refused';
  return {
    at: event.at.toISOString(),
    source: 'audit',
    event: event.action,
    label: refused ? `거부된 요청: ${event.targetId}` : auditActionLabel(event.action),
    actor: event.actor,
    role: event.role,
    sourceAddress: event.sourceAddress,
    reason: event.reason || null,
    note: noteOf(detail),
    refs: refsOf(detail, event.action),
    released: RELEASED_BY_ACTION[event.action] ?? null,
    auditSeq: event.seq,
    workflowId: null,
    eventId: null,
  };
}

type HistoryEvent = NonNullable<History['events']>[number];

/**
 * A protobuf Timestamp or Duration in milliseconds. Its seconds are a Long from the server and may be a number or a
 * Long of another copy of the long package from the archive's JSON (which the SDK's own helper cannot multiply), so
 * they are read through their decimal text.
 */
function protoMs(value: { seconds?: number | string | { toString(): string } | null; nanos?: number | null } | null | undefined): number | undefined {
  if (!value) return undefined;
  return Number(String(value.seconds ?? 0)) * 1000 + Math.floor((value.nanos ?? 0) / 1_000_000);
}
const eventMs = (event: HistoryEvent) => protoMs(event.eventTime) ?? 0;
const actorOf = (payload: unknown) => (isRecord(payload) && isRecord(payload.actor) ? payload.actor : undefined);

/** A signal's payload as the step it carried: who, their decision and comment, the ids and hashes it named. */
function signalFacts(payload: unknown): { note: string | null; reason: string | null; refs: TimelineRef[] } {
  if (!isRecord(payload)) return { note: null, reason: null, refs: [] };
  const decision = payload.decision === 'approve' ? '승인' : payload.decision === 'reject' ? '반려' : undefined;
  const note = [
    decision ? `결정: ${decision}` : '',
    str(payload.recipientName) ? `인수자: ${str(payload.recipientName)}` : '',
    str(payload.signatureKind) ? `서명 방식: ${str(payload.signatureKind)}` : '',
    str(payload.receivedAt) ? `수령일시: ${str(payload.receivedAt)}` : '',
    str(payload.destroyedAt) ? `파기일시: ${str(payload.destroyedAt)}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return { note: note || null, reason: str(payload.comment) ?? str(payload.reason) ?? null, refs: refsOf(payload, '') };
}

/** The events of one run that a person would call a step; the worker's own bookkeeping (workflow tasks) is left out. */
export function workflowItems(history: History, workflowId: string): TimelineItem[] {
  const events = history.events ?? [];
  const workflowType = historyFacts(history).workflowType;
  const system = `system:${workflowType}`;
  const scheduled = new Map<number, { name: string; input: unknown }>();
  const timers = new Map<number, number | undefined>();
  /** An accepted Update's id → its item, to name the role from its completion. */
  const accepted = new Map<string, number>();
  const items: TimelineItem[] = [];
  const item = (event: HistoryEvent, fields: Partial<TimelineItem> & Pick<TimelineItem, 'event' | 'label'>): void => {
    items.push({
      at: new Date(eventMs(event)).toISOString(),
      source: 'workflow',
      actor: system,
      role: 'system',
      sourceAddress: null,
      reason: null,
      note: null,
      refs: [],
      released: null,
      auditSeq: null,
      workflowId,
      eventId: Number(event.eventId ?? 0),
      ...fields,
    });
  };
  for (const event of events) {
    const id = Number(event.eventId ?? 0);
    if (event.workflowExecutionStartedEventAttributes) {
      item(event, { event: 'workflow:started', label: `업무 흐름 시작: ${WORKFLOW_LABELS[workflowType] ?? workflowType}` });
    } else if (event.workflowExecutionSignaledEventAttributes) {
      const attributes = event.workflowExecutionSignaledEventAttributes;
      const name = attributes.signalName ?? '';
      const payload = firstPayload(attributes.input);
      const actor = actorOf(payload);
      const facts = signalFacts(payload);
      item(event, {
        event: `signal:${name}`,
        label: SIGNAL_LABELS[name] ?? `신호 받음: ${name}`,
        actor: str(actor?.username) ?? null,
        role: str(actor?.role) ?? null,
        ...facts,
        released: RELEASED_BY_SIGNAL[name] ?? null,
      });
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const accepting = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      const request = accepting?.input;
      const payload = firstPayload(request?.args);
      const update = request?.name ?? '';
      const name = (isRecord(payload) && STEP_OF_UPDATE[update]?.[str(payload.action) ?? '']) || update;
      const user = isRecord(payload) && isRecord(payload.user) ? payload.user : undefined;
      // The role the user acted as is the Update's answer, in its completion event below.
      accepted.set(accepting?.meta?.updateId ?? '', items.length);
      item(event, {
        event: `update:${name}`,
        label: SIGNAL_LABELS[name] ?? `처리 요청 받음: ${name}`,
        actor: str(user?.username) ?? null,
        role: null,
        ...signalFacts(payload),
        released: RELEASED_BY_SIGNAL[name] ?? null,
      });
    } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
      const attributes = event.workflowExecutionUpdateCompletedEventAttributes;
      const index = accepted.get(attributes.meta?.updateId ?? '');
      const answer = firstPayload(attributes.outcome?.success);
      const target = index === undefined ? undefined : items[index];
      if (target && isRecord(answer)) target.role = str(answer.actingAs) ?? null;
    } else if (event.activityTaskScheduledEventAttributes) {
      const attributes = event.activityTaskScheduledEventAttributes;
      scheduled.set(id, { name: attributes.activityType?.name ?? '', input: firstPayload(attributes.input) });
    } else if (event.activityTaskCompletedEventAttributes || event.activityTaskFailedEventAttributes || event.activityTaskTimedOutEventAttributes) {
      const attributes = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      const activity = scheduled.get(Number(attributes?.scheduledEventId ?? 0)) ?? { name: '', input: undefined };
      const input = isRecord(activity.input) ? activity.input : {};
      const result = event.activityTaskCompletedEventAttributes ? firstPayload(event.activityTaskCompletedEventAttributes.result) : undefined;
      const step = str(input.action);
      const base = ACTIVITY_LABELS[activity.name] ?? activity.name;
      const stepLabel = step
        ? `${base}: ${AUDIT_ACTION_LABELS[`${workflowType === 'fullRecordingWorkflow' ? 'full_recording' : 'disclosure'}.${step}`] ?? step}`
        : base;
      const failed = !event.activityTaskCompletedEventAttributes;
      // The worker did the work; the user whose step it records is named beside it, not as its actor.
      item(event, {
        event: `activity:${activity.name}`,
        label: failed ? `업무 처리 실패: ${stepLabel}` : `업무 처리 완료: ${stepLabel}`,
        reason: str(input.reason) ?? null,
        note: str(input.actor) ? `처리 요청: ${str(input.actor)}` : null,
        refs: [...refsOf(input, ''), ...(isRecord(result) ? refsOf(result, '') : [])],
      });
    } else if (event.timerStartedEventAttributes) {
      timers.set(id, protoMs(event.timerStartedEventAttributes.startToFireTimeout));
    } else if (event.timerFiredEventAttributes) {
      const waited = timers.get(Number(event.timerFiredEventAttributes.startedEventId ?? 0));
      item(event, { event: 'timer', label: waited === undefined ? '대기 시간 경과' : `대기 시간 경과 (${koreanDuration(waited)})` });
    } else if (event.childWorkflowExecutionStartedEventAttributes) {
      const attributes = event.childWorkflowExecutionStartedEventAttributes;
      const type = attributes.workflowType?.name ?? '';
      item(event, {
        event: `child:${type}`,
        label: `하위 업무 흐름 시작: ${WORKFLOW_LABELS[type] ?? type}`,
        note: attributes.workflowExecution?.workflowId ? `업무 흐름 ID: ${attributes.workflowExecution.workflowId}` : null,
      });
    } else if (
      event.childWorkflowExecutionCompletedEventAttributes ||
      event.childWorkflowExecutionFailedEventAttributes ||
      event.childWorkflowExecutionTerminatedEventAttributes
    ) {
      const attributes =
        event.childWorkflowExecutionCompletedEventAttributes ??
        event.childWorkflowExecutionFailedEventAttributes ??
        event.childWorkflowExecutionTerminatedEventAttributes;
      const type = attributes?.workflowType?.name ?? '';
      const how = event.childWorkflowExecutionCompletedEventAttributes ? '완료' : event.childWorkflowExecutionFailedEventAttributes ? '실패' : '강제 종료';
      item(event, { event: `child:${type}:closed`, label: `하위 업무 흐름 ${how}: ${WORKFLOW_LABELS[type] ?? type}` });
    } else {
      const closed = CLOSES.find(([field]) => event[field]);
      if (!closed) continue;
      const result = event.workflowExecutionCompletedEventAttributes ? firstPayload(event.workflowExecutionCompletedEventAttributes.result) : undefined;
      const state = isRecord(result) ? str(result.state) : undefined;
      item(event, {
        event: `workflow:${closed[1]}`,
        label: `업무 흐름 ${closed[2]}: ${WORKFLOW_LABELS[workflowType] ?? workflowType}`,
        note: state ? `최종 상태: ${state}` : null,
        reason: isRecord(result) ? (str(result.endReason) ?? null) : null,
      });
    }
  }
  return items;
}

interface LoadedHistory {
  workflowId: string;
  runId: string | null;
  workflowType: string;
  source: 'temporal' | 'archive';
  history: History;
  archiveSha256: string | null;
}

/**
 * The case's workflow and the workflows it started, from Temporal while it keeps them, else from the archive. A
 * Temporal that cannot be reached is said on the page, not an error: the audit half of the timeline still stands.
 */
async function loadHistories(
  em: EntityManager,
  deps: TimelineDeps,
  caseType: CaseType,
  caseId: string,
  workflowId: string,
): Promise<{ loaded: LoadedHistory[]; problems: string[] }> {
  const problems: string[] = [];
  const loaded: LoadedHistory[] = [];
  const archived = await em.find(ArchivedHistory, { caseType, caseId }, { populate: ['wrappedKey'], orderBy: { closedAt: 'asc' } });
  const fromArchive = (row: ArchivedHistory): LoadedHistory | undefined => {
    try {
      const json = deps.documents.get(row.id, row.wrappedKey);
      if (createHash('sha256').update(json).digest('hex') !== row.sha256) {
        problems.push(`보관된 이력 ${row.workflowId}의 SHA-256이 보관 당시와 다릅니다.`);
      }
      return {
        workflowId: row.workflowId,
        runId: row.runId,
        workflowType: row.workflowType,
        source: 'archive',
        history: decodeHistory(json),
        archiveSha256: row.sha256,
      };
    } catch (error) {
      problems.push(`보관된 이력 ${row.workflowId}을(를) 열지 못했습니다: ${(error as Error).message}`);
      return undefined;
    }
  };

  if (deps.histories) {
    try {
      const own = await deps.histories.history(workflowId);
      if (own) {
        const facts = historyFacts(own);
        const archivedOwn = archived.find((row) => row.workflowId === workflowId);
        loaded.push({
          workflowId,
          runId: null,
          workflowType: facts.workflowType,
          source: 'temporal',
          history: own,
          archiveSha256: archivedOwn?.sha256 ?? null,
        });
        for (const child of facts.children) {
          const history = await deps.histories.history(child.workflowId, child.runId);
          if (history) {
            loaded.push({
              workflowId: child.workflowId,
              runId: child.runId,
              workflowType: historyFacts(history).workflowType,
              source: 'temporal',
              history,
              archiveSha256: null,
            });
          } else {
            const row = archived.find((candidate) => candidate.workflowId === child.workflowId && candidate.runId === child.runId);
            const fromRow = row && fromArchive(row);
            if (fromRow) loaded.push(fromRow);
            else problems.push(`하위 업무 흐름 ${child.workflowId}의 이력을 찾지 못했습니다.`);
          }
        }
        return { loaded, problems };
      }
    } catch (error) {
      problems.push(`업무 흐름 서버(Temporal)에서 이력을 읽지 못해 보관본을 씁니다: ${(error as Error).message}`);
    }
  } else {
    problems.push('이 서버는 업무 흐름 서버(Temporal)에 연결되어 있지 않아 보관된 이력만 씁니다.');
  }
  for (const row of archived) {
    const fromRow = fromArchive(row);
    if (fromRow) loaded.push(fromRow);
  }
  if (loaded.length === 0) problems.push('업무 흐름 이력을 찾지 못했습니다 (업무 흐름 서버에도 보관본에도 없음).');
  return { loaded, problems };
}

/**
 * Each of the case's entries verified on its own — its hash over its fields, and its link to the entry before it
 * (whose hash is checked too) — so a changed or slipped-in entry of this case shows here without walking the whole
 * chain on every view; `npm run audit:verify` walks it whole.
 */
async function checkEntries(em: EntityManager, entries: readonly AuditEvent[]): Promise<CaseTimeline['chain']> {
  const problems: string[] = [];
  const wanted = [...new Set(entries.map((entry) => entry.seq - 1).filter((seq) => seq > 0))];
  const previous = new Map<number, AuditEvent>();
  for (let index = 0; index < wanted.length; index += 500) {
    for (const row of await em.find(AuditEvent, { seq: { $in: wanted.slice(index, index + 500) } })) previous.set(row.seq, row);
  }
  for (const entry of entries) {
    if (hashAuditEvent(entry) !== entry.hash) {
      problems.push(`감사 기록 ${entry.seq}번이 기록된 뒤 바뀌었습니다 (해시 불일치).`);
      continue;
    }
    const before = entry.seq === 1 ? undefined : previous.get(entry.seq - 1);
    const expected = entry.seq === 1 ? GENESIS_HASH : before && hashAuditEvent(before) === before.hash ? before.hash : undefined;
    if (expected === undefined) problems.push(`감사 기록 ${entry.seq}번의 앞 기록(${entry.seq - 1}번)이 없거나 바뀌었습니다.`);
    else if (entry.prevHash !== expected) problems.push(`감사 기록 ${entry.seq}번이 앞 기록(${entry.seq - 1}번)과 이어지지 않습니다.`);
  }
  const head = await em.findOne(AuditChainHead, 1);
  const lastSeq = head?.lastSeq ?? 0;
  const highest = entries.reduce((max, entry) => Math.max(max, entry.seq), 0);
  if (!head) problems.push('감사 기록 연쇄의 머리 행이 없습니다.');
  else if (highest > lastSeq) problems.push(`연쇄 머리(${lastSeq}번)보다 뒤의 감사 기록(${highest}번)이 있습니다.`);
  const ok = problems.length === 0;
  const summary = ok
    ? `감사 기록 ${entries.length}건 검증됨: 기록마다 해시가 맞고 앞 기록과 이어집니다 (연쇄 마지막 번호 ${lastSeq}). 연쇄 전체는 npm run audit:verify로 검증합니다.`
    : `감사 기록 검증 실패: ${problems.length}건의 문제 — ${problems.slice(0, 3).join(' ')}`;
  return { ok, entries: entries.length, problems, lastSeq, summary };
}

/** Fills in what a step named only by id: the document's purpose and hash, the file's name, the recording's audio hash. */
async function enrich(em: EntityManager, items: TimelineItem[], documents: CaseTimeline['documents'], attachments: CaseTimeline['attachments']): Promise<void> {
  const documentById = new Map(documents.map((document) => [document.id, document]));
  const attachmentById = new Map(attachments.map((attachment) => [attachment.id, attachment]));
  const recordingIds = [...new Set(items.flatMap((item) => item.refs.filter((ref) => ref.kind === 'recording' && ref.id).map((ref) => ref.id as string)))];
  const recordingHash = new Map<string, string | undefined>();
  for (let index = 0; index < recordingIds.length; index += 500) {
    const rows = await em.find(Recording, { id: { $in: recordingIds.slice(index, index + 500) } }, { fields: ['id', 'sha256', 'callId'] });
    for (const row of rows) recordingHash.set(row.id, row.sha256);
  }
  for (const item of items) {
    for (const ref of item.refs) {
      if (!ref.id) continue;
      const document = ref.kind === 'document' ? documentById.get(ref.id) : undefined;
      const attachment = ref.kind === 'attachment' ? attachmentById.get(ref.id) : undefined;
      if (document) Object.assign(ref, { sha256: ref.sha256 ?? document.sha256, name: document.purpose });
      if (attachment) Object.assign(ref, { sha256: ref.sha256 ?? attachment.sha256, name: attachment.fileName });
      if (ref.kind === 'recording') ref.sha256 ??= recordingHash.get(ref.id) ?? null;
    }
  }
}

interface CaseFacts {
  caseNumber: string;
  title: string;
  status: string;
  workflowId: string;
}

async function caseFacts(em: EntityManager, caseType: CaseType, caseId: string, timeZone: string): Promise<CaseFacts> {
  if (caseType === 'disclosure_request') {
    const request = await em.findOne(DisclosureRequest, caseId);
    if (!request) throw notFound();
    const kind = request.kind === 'viewing' ? '열람' : '제공';
    return {
      caseNumber: request.managementNumber,
      title: `녹취정보 ${kind} 신청 ${request.managementNumber}`,
      status: request.status,
      workflowId: request.workflowId,
    };
  }
  const application = await em.findOne(FullRecordingApplication, caseId, { populate: ['department'] });
  if (!application) throw notFound();
  const filed = formatKoreanDate(application.createdAt, timeZone);
  return {
    caseNumber: `${application.department.name} ${filed} 신청`,
    title: `전수 녹취 신청 — ${application.department.name} (${filed})`,
    status: application.status,
    workflowId: application.workflowId,
  };
}

/** Workflow events before audit entries at the same instant: a signal is received before the step it causes is written. */
function byTime(a: TimelineItem, b: TimelineItem): number {
  const at = Date.parse(a.at) - Date.parse(b.at);
  if (at !== 0) return at;
  if (a.source !== b.source) return a.source === 'workflow' ? -1 : 1;
  return (a.auditSeq ?? a.eventId ?? 0) - (b.auditSeq ?? b.eventId ?? 0);
}

export async function readCaseTimeline(em: EntityManager, deps: TimelineDeps, caseType: CaseType, caseId: string): Promise<CaseTimeline> {
  const facts = await caseFacts(em, caseType, caseId, deps.timeZone);
  // Refusals are logged against the route that was refused; a route naming this case is about this case.
  const entries = await em.find(
    AuditEvent,
    {
      $or: [
        { targetType: caseType, targetId: caseId },
        { targetType: 'route', targetId: { $like: `% %/${caseId}%` } },
      ],
    },
    { orderBy: { seq: 'asc' } },
  );
  const [chain, documentRows, attachmentRows, histories] = await Promise.all([
    checkEntries(em, entries),
    em.find(GeneratedDocument, { caseType, caseId }, { orderBy: { createdAt: 'asc' } }),
    em.find(Attachment, { ownerType: caseType, ownerId: caseId }, { orderBy: { createdAt: 'asc' } }),
    loadHistories(em, deps, caseType, caseId, facts.workflowId),
  ]);
  const documents = documentRows.map((row) => ({
    id: row.id,
    kind: row.kind,
    purpose: row.purpose,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  }));
  const attachments = attachmentRows.map((row) => ({
    id: row.id,
    purpose: row.purpose,
    fileName: row.fileName,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    createdAt: row.createdAt.toISOString(),
    uploadedBy: row.uploadedBy,
  }));
  const items = [...entries.map(auditItem), ...histories.loaded.flatMap((loaded) => workflowItems(loaded.history, loaded.workflowId))].sort(byTime);
  await enrich(em, items, documents, attachments);
  return {
    caseType,
    caseId,
    ...facts,
    generatedAt: new Date().toISOString(),
    chain,
    workflows: histories.loaded.map((loaded) => ({
      workflowId: loaded.workflowId,
      runId: loaded.runId,
      workflowType: loaded.workflowType,
      source: loaded.source,
      events: loaded.history.events?.length ?? 0,
      archiveSha256: loaded.archiveSha256,
    })),
    workflowProblems: histories.problems,
    documents,
    attachments,
    items,
  };
}
