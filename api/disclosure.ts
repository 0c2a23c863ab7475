/**
 * 녹취정보 열람·제공 (Art. 9) through the API: the operator registers a Form 1 (numbered `YYYY-NNNN` in the same
 * transaction) or a party files their own, the cases are listed and read, and the matching recordings found. The
 * later steps are in disclosure-steps.ts, the package and viewing in disclosure-package.ts, the bodies and views in
 * disclosure-schemas.ts: split by responsibility (issue 17), this file keeps what starts and shows a case.
 */
import type { KeyObject } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { type CaptureControlClient } from '../capture/control-client';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Attachment, AuditEvent, DisclosureRequest, DisclosureRequestRecording, Extension, GeneratedDocument, Recording } from '../infra/db/entities';
import { takeManagementNumber } from '../infra/db/management-number';
import type { DocumentStore } from '../infra/documents/document-store';
import { formatKoreanDateTime, localYear } from '../domain/korean-time';
import { type SignOffRole } from '../domain/roles';
import type { DisclosureWorkflows } from '../infra/temporal/disclosure';
import type { Addressee } from '../workflows/deadline-reminders';
import { disclosureWorkflowId } from '../workflows/disclosure';
import { type Principal } from './access';
import { toAttachmentView } from './attachments';
import { ApiError, notFound } from './errors';
import { disclosureSteps } from './process-views';
import { ownExtensions } from './recording-search';
import { auditIdentityOf, type RouteCall } from './routes';
import { type OwnRequestBody, recordingLine, type RegistrationBody, type RequestDetail, type RequestView, TARGET } from './disclosure-schemas';

export interface DisclosureDeps {
  workflows?: DisclosureWorkflows;
  capture: CaptureControlClient;
  grantSigningKey: KeyObject;
  documents: DocumentStore;
  timeZone: string;
  maxAttachments: number;
  signOffChain: readonly SignOffRole[];
  reminderWorkingDays: number;
  viewingWindowHours: number;
  destructionReport: { period: string; reminderDaysBefore: number[]; escalationAfterDays: number; repeatEveryDays: number };
}

export function gateway(deps: DisclosureDeps): DisclosureWorkflows {
  if (!deps.workflows) throw new ApiError(503, 'WORKFLOWS_UNAVAILABLE', '업무 흐름 서버(Temporal)에 연결되어 있지 않습니다. 잠시 후 다시 시도하십시오.');
  return deps.workflows;
}

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

export function toRequestView(row: DisclosureRequest): RequestView {
  return {
    id: row.id,
    managementNumber: row.managementNumber,
    kind: row.kind,
    status: row.status,
    applicantName: row.applicantName,
    receivedAt: row.receivedAt.toISOString(),
    recordingFrom: iso(row.recordingFrom),
    recordingTo: iso(row.recordingTo),
    phoneNumber: row.requestedPhoneNumber,
    ground: row.ground,
    endedAt: iso(row.endedAt),
    endReason: row.endReason ?? null,
  };
}

/** Form 1's 녹취 일시 as a person reads it: `2026. 11. 27. 14:00 ~ 2026. 11. 27. 15:00`. */
function recordingTimeText(from: Date, to: Date, timeZone: string): string {
  return `${formatKoreanDateTime(from, timeZone)} ~ ${formatKoreanDateTime(to, timeZone)}`;
}

/** Registers a Form 1: numbered in the transaction that stores it, then its workflow started. */
export function registerRequest(deps: DisclosureDeps, call: RouteCall<unknown, unknown, RegistrationBody>): Promise<RequestView> {
  return register(deps, call, call.body);
}

/**
 * A party official files their own request: only for an extension that is theirs (as the recordings search counts
 * it), with their name and department from the directory and the login as the check that they are the party.
 */
export async function fileOwnRequest(deps: DisclosureDeps, call: RouteCall<unknown, unknown, OwnRequestBody>): Promise<RequestView> {
  const principal = call.principal as Principal;
  const { body } = call;
  const own = await call.em.count(Extension, { $and: [{ number: body.extension }, ownExtensions(principal)] });
  if (own === 0) {
    throw new ApiError(403, 'NOT_PARTY', `내선 ${body.extension}은(는) 본인이 쓰는 내선이 아닙니다. 다른 사람의 통화는 관리부서에 신청서를 내십시오.`, {
      extension: body.extension,
    });
  }
  return register(
    deps,
    call,
    {
      kind: body.kind,
      applicantName: principal.displayName,
      applicantBirthDateOrBusinessNumber: body.applicantBirthDate,
      applicantAddress: principal.departmentPath.join(' '),
      applicantContact: body.applicantContact,
      applicantEmail: body.applicantEmail,
      recordingFrom: body.recordingFrom,
      recordingTo: body.recordingTo,
      phoneNumber: body.extension,
      purpose: body.purpose,
      relationToParty: '통화 당사자 본인 (내선 사용 직원)',
      reason: body.reason,
      ground: 'party',
      groundDetail: `직원 본인 신청: 통합 로그인(${principal.username})으로 본인 확인, 본인 내선 ${body.extension}`,
    },
    principal.username,
  );
}

/** The extensions a party official may file their own request for. */
export async function ownExtensionNumbers(em: EntityManager, principal: Principal): Promise<string[]> {
  return (await em.find(Extension, ownExtensions(principal), { orderBy: { number: 'asc' } })).map((extension) => extension.number);
}

/** The requests a party official filed themselves, newest first. */
export async function listOwnRequests(call: RouteCall<unknown, unknown, unknown>): Promise<RequestView[]> {
  const rows = await call.em.find(
    DisclosureRequest,
    { applicantUsername: (call.principal as Principal).username },
    { orderBy: { receivedAt: 'desc' }, limit: 100 },
  );
  return rows.map(toRequestView);
}

async function register(
  deps: DisclosureDeps,
  call: RouteCall<unknown, unknown, unknown>,
  body: RegistrationBody,
  applicantUsername?: string,
): Promise<RequestView> {
  const workflows = gateway(deps);
  const identity = auditIdentityOf(call);
  const receivedAt = body.receivedAt ? new Date(body.receivedAt) : new Date();
  if (receivedAt.getTime() > Date.now() + 60_000) throw new ApiError(400, 'INVALID_INPUT', '접수 일시가 앞으로의 시각입니다.');
  const from = new Date(body.recordingFrom);
  const to = new Date(body.recordingTo);
  const request = await call.em.fork().transactional(async (tx) => {
    const number = await takeManagementNumber(tx, localYear(receivedAt, deps.timeZone));
    const row = new DisclosureRequest(
      number.managementNumber,
      number.year,
      number.sequence,
      '',
      body.kind,
      body.applicantName,
      body.applicantBirthDateOrBusinessNumber,
      body.applicantAddress,
      body.applicantContact,
      recordingTimeText(from, to, deps.timeZone),
      body.phoneNumber,
      body.purpose,
      body.relationToParty,
      body.reason,
      body.ground,
      receivedAt,
      identity.actor,
    );
    row.workflowId = disclosureWorkflowId(row.id);
    row.recordingFrom = from;
    row.recordingTo = to;
    row.applicantEmail = body.applicantEmail ?? undefined;
    row.groundDetail = body.groundDetail ?? undefined;
    row.applicantUsername = applicantUsername;
    tx.persist(row);
    await tx.flush();
    // The applicant's personal data stays in the row: the audit entry names the case, not the person.
    await appendAuditEvent(tx, {
      ...identity,
      action: 'disclosure.registered',
      targetType: TARGET,
      targetId: row.id,
      reason: '녹취정보 신청서 접수',
      detail: {
        managementNumber: row.managementNumber,
        kind: row.kind,
        ground: row.ground,
        filedByParty: applicantUsername !== undefined,
        requestId: identity.requestId,
      },
    });
    return row;
  });
  const recipient: Addressee = request.applicantEmail
    ? { channel: 'email', address: request.applicantEmail }
    : { channel: 'post', address: request.applicantAddress };
  try {
    await workflows.startCase(request.id, {
      requestId: request.id,
      managementNumber: request.managementNumber,
      kind: request.kind,
      signOffChain: [...deps.signOffChain],
      reminderWorkingDays: deps.reminderWorkingDays,
      viewingWindowHours: deps.viewingWindowHours,
      destructionReport: deps.destructionReport,
      recipient,
    });
  } catch (error) {
    // The number stays used (Form 4 has no gaps); the case is closed with why, not left looking alive.
    await call.em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(DisclosureRequest, request.id);
      Object.assign(row, { status: 'withdrawn', endedAt: new Date(), endReason: '시스템 오류로 접수되지 않음 (업무 흐름을 시작하지 못함)' });
      await tx.flush();
      await appendAuditEvent(tx, {
        actor: 'system:api',
        role: 'system',
        sourceAddress: identity.sourceAddress,
        action: 'disclosure.not_started',
        targetType: TARGET,
        targetId: request.id,
        reason: error instanceof Error ? error.message : String(error),
        detail: { requestId: identity.requestId },
      });
    });
    throw new ApiError(
      503,
      'WORKFLOWS_UNAVAILABLE',
      `신청서를 접수하지 못했습니다 (업무 흐름 서버 연결 실패, 관리번호 ${request.managementNumber}는 종결 처리됨). 잠시 후 다시 접수하십시오.`,
    );
  }
  return toRequestView(request);
}

export async function listRequests(call: RouteCall<unknown, unknown, unknown>): Promise<RequestView[]> {
  const rows = await call.em.find(DisclosureRequest, {}, { orderBy: { receivedAt: 'desc', managementNumber: 'desc' }, limit: 500 });
  return rows.map(toRequestView);
}

export async function loadRequest(em: EntityManager, id: string): Promise<DisclosureRequest> {
  const request = await em.findOne(DisclosureRequest, id);
  if (!request) throw notFound();
  return request;
}

function toRecordingLine(recording: Recording, confirmed: boolean): z.infer<typeof recordingLine> {
  return {
    id: recording.id,
    startedAt: recording.startedAt.toISOString(),
    extension: recording.extension.number,
    otherPartyNumber: recording.otherPartyNumber ?? null,
    durationMs: recording.durationMs ?? null,
    deletedAt: iso(recording.deletedAt),
    confirmed,
  };
}

export async function readRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<RequestDetail> {
  const request = await loadRequest(call.em, call.params.id);
  const [status, lines, attachments, documents, history] = await Promise.all([
    deps.workflows?.status(request.id),
    call.em.find(DisclosureRequestRecording, { request }, { populate: ['recording', 'recording.extension'] }),
    call.em.find(Attachment, { ownerType: TARGET, ownerId: request.id }, { orderBy: { createdAt: 'asc' } }),
    call.em.find(GeneratedDocument, { caseType: TARGET, caseId: request.id }, { orderBy: { createdAt: 'asc' } }),
    call.em.find(AuditEvent, { targetType: TARGET, targetId: request.id, action: { $nin: READ_ACTIONS } }, { orderBy: { seq: 'asc' } }),
  ]);
  await call.audit({
    action: 'disclosure.read',
    targetType: TARGET,
    targetId: request.id,
    reason: '녹취정보 신청 조회',
    detail: { managementNumber: request.managementNumber },
  });
  return {
    ...toRequestView(request),
    applicantBirthDateOrBusinessNumber: request.applicantBirthDateOrBusinessNumber,
    applicantAddress: request.applicantAddress,
    applicantContact: request.applicantContact,
    applicantEmail: request.applicantEmail ?? null,
    purpose: request.purpose,
    relationToParty: request.relationToParty,
    reason: request.reason,
    groundDetail: request.groundDetail ?? null,
    recordings: lines.map((line) => toRecordingLine(line.recording, true)).sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
    attachments: attachments.map((row) => ({ ...toAttachmentView(row), purpose: row.purpose })),
    documents: documents.map((document) => ({
      id: document.id,
      kind: document.kind,
      purpose: document.purpose,
      sha256: document.sha256,
      createdAt: document.createdAt.toISOString(),
    })),
    workflow: status
      ? {
          state: status.state,
          awaiting: status.awaiting ?? null,
          signOffs: status.signOffs,
          readinessProblems: status.readinessProblems,
          refusedRecordings: status.refusedRecordings,
          viewingUntil: status.viewingUntil ?? null,
          destructionReport: status.destructionReport ? { lastDay: status.destructionReport.lastDay, dueAt: status.destructionReport.dueAt } : null,
          refusals: status.refusals,
          process: disclosureSteps(status, request.kind),
        }
      : null,
    history: history.map((event) => ({ at: event.at.toISOString(), action: event.action, actor: event.actor, role: event.role, reason: event.reason })),
  };
}

/** Reads and downloads are audited too, and listed in the access review; the case history shows the steps. */
const READ_ACTIONS = ['disclosure.read', 'disclosure.matches_read', 'attachment.downloaded', 'disclosure.document_downloaded', 'disclosure.package_downloaded'];

const MATCH_LIMIT = 200;

/**
 * The recordings that fit the applicant's time window and number — the other party's number containing it, or the
 * extension being it — deleted ones included (shown with when), for the operator to confirm.
 */
export async function proposeMatches(call: RouteCall<{ id: string }, unknown, unknown>): Promise<z.infer<typeof recordingLine>[]> {
  const request = await loadRequest(call.em, call.params.id);
  if (!request.recordingFrom || !request.recordingTo) return [];
  const digits = request.requestedPhoneNumber.replace(/\D/g, '');
  const confirmed = new Set((await call.em.find(DisclosureRequestRecording, { request }, { fields: ['recording'] })).map((line) => line.recording.id));
  const numberVariants = [request.requestedPhoneNumber, digits].filter(Boolean);
  const rows = await call.em.find(
    Recording,
    {
      startedAt: { $gte: request.recordingFrom, $lte: request.recordingTo },
      $or: [
        ...numberVariants.map((variant) => ({ otherPartyNumber: { $like: `%${variant.replace(/[%_\\]/g, '')}%` } })),
        { extension: { number: request.requestedPhoneNumber } },
      ],
    },
    { populate: ['extension'], orderBy: { startedAt: 'asc' }, limit: MATCH_LIMIT },
  );
  await call.audit({
    action: 'disclosure.matches_read',
    targetType: TARGET,
    targetId: request.id,
    reason: '신청과 맞는 녹취 찾기',
    detail: { managementNumber: request.managementNumber, resultIds: rows.map((row) => row.id) },
  });
  return rows.map((row) => toRecordingLine(row, confirmed.has(row.id)));
}
