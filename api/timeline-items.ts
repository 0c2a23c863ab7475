/**
 * 처리 경위: audit entries and Temporal event histories turned into timeline items — who, what, the note and the
 * documents, files, recordings and hashes a step named. Apart from the reading (timeline.ts) because this is pure:
 * it parses what it is given and touches no database.
 */
import { AUDIT_ACTION_LABELS, auditActionLabel } from '../domain/audit-labels';
import { defaultPayloadConverter } from '@temporalio/common';
import { AuditEvent } from '../infra/db/entities';
import { historyFacts, type History } from '../infra/temporal/history';
import { type RefKind, type TimelineItem, type TimelineRef } from './timeline-schemas';
import {
  ACTIVITY_LABELS,
  CLOSES,
  koreanDuration,
  NOTE_KEYS,
  RELEASED_BY_ACTION,
  RELEASED_BY_SIGNAL,
  SIGNAL_LABELS,
  STEP_OF_UPDATE,
  WORKFLOW_LABELS,
} from './timeline-labels';

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

export function auditItem(event: AuditEvent): TimelineItem {
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
