/**
 * 녹취정보 열람·제공 (Art. 9) through the API: the operator registers a Form 1 (numbered `YYYY-NNNN` in the same
 * transaction), finds the matching recordings, and takes the case through its workflow (workflows/disclosure.ts) —
 * every later step is a signal, asked first of the same rules the workflow applies (domain/disclosure-steps.ts), so
 * a refused step is answered in Korean and signals nothing. Files (scans of the ground, the signed Form 2, the
 * returned Form 3) are attachments of the case; the provision package is built by the capture appliance, kept sealed
 * and given out only as the encrypted ZIP, its password shown once.
 */
import { randomInt } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { CaptureControlError, type CaptureControlClient } from '../capture/control-client';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Attachment, AuditEvent, DisclosureRequest, DisclosureRequestRecording, Extension, GeneratedDocument, Recording } from '../infra/db/entities';
import { takeManagementNumber } from '../infra/db/management-number';
import type { DocumentStore } from '../infra/documents/document-store';
import { verifyPackage } from '../capture/package-verify';
import { formatKoreanDateTime, localYear } from '../domain/korean-time';
import { DESTRUCTION_METHODS, DISCLOSURE_GROUNDS, DISCLOSURE_KINDS, type DisclosureStatus as RowStatus } from '../domain/disclosure';
import { type SignOffRole } from '../domain/roles';
import type { DisclosureWorkflows } from '../infra/temporal/disclosure';
import type { Addressee } from '../workflows/deadline-reminders';
import { disclosureStep, disclosureWorkflowId, type DisclosureStepRequest } from '../workflows/disclosure';
import { judgeDisclosureStep, playRefusal } from '../domain/disclosure-steps';
import { StepRefusedError } from '../infra/temporal/case-workflows';
import type { WithoutUser } from '../workflows/human-steps';
import { stepUser, type Principal } from './access';
import { addAttachments, attachmentView, listAttachments, readAttachment, toAttachmentView, withSealedFiles } from './attachments';
import { ApiError, notFound } from './errors';
import { disclosureSteps, processStepsView } from './process-views';
import { ownExtensions } from './recording-search';
import { parseSignature, SIGNATURE_MAX_DATA_URL } from './signature';
import { auditIdentityOf, type RouteCall } from './routes';

export const ATTACHMENT_PURPOSES = ['ground_document', 'signed_handover_receipt', 'destruction_report', 'other'] as const;
export type AttachmentPurpose = (typeof ATTACHMENT_PURPOSES)[number];
export const PURPOSE_LABELS: Record<AttachmentPurpose | 'provision_package' | 'recipient_signature', string> = {
  ground_document: '근거 서류 (제9조제1항)',
  signed_handover_receipt: '서명된 인수·인계증',
  destruction_report: '회신받은 파기 결과 회신서',
  other: '기타',
  provision_package: '제공 파일 (암호 ZIP)',
  recipient_signature: '인수자 화면 서명',
};
const PACKAGE = 'provision_package';
const SIGNATURE = 'recipient_signature';
const TARGET = 'disclosure_request';

const text = (label: string, max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, { message: `${label}을(를) 적으십시오` })
    .max(max, { message: `${label}이(가) 너무 깁니다 (${max}자까지)` });
const instant = (label: string) => z.iso.datetime({ offset: true, message: `${label}은(는) 2026-11-27T14:00:00+09:00 형식입니다` });
const MAX_WINDOW_MS = 31 * 86_400_000;

/** The call's time window, in order and at most a month, wherever an applicant gives one. */
const withRecordingWindow = <T extends z.ZodType<{ recordingFrom: string; recordingTo: string }>>(schema: T) =>
  schema
    .refine((body) => Date.parse(body.recordingTo) > Date.parse(body.recordingFrom), { message: '녹취 일시의 끝이 시작보다 앞섭니다', path: ['recordingTo'] })
    .refine((body) => Date.parse(body.recordingTo) - Date.parse(body.recordingFrom) <= MAX_WINDOW_MS, {
      message: '녹취 일시는 31일 안의 범위로 적습니다',
      path: ['recordingTo'],
    });
const pick = <T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> =>
  Object.fromEntries(keys.map((key) => [key, from[key]])) as Pick<T, K>;
const registrationFields = {
  kind: z.enum(DISCLOSURE_KINDS, { message: '열람 또는 제공을 고르십시오' }),
  applicantName: text('신청인 성명(기관·단체명)', 100),
  applicantBirthDateOrBusinessNumber: z
    .string()
    .trim()
    .regex(/^(\d{4}-\d{2}-\d{2}|\d{3}-\d{2}-\d{5})$/, { message: '생년월일(1980-01-01) 또는 사업자등록번호(123-45-67890)를 적으십시오' }),
  applicantAddress: text('주소(소속)', 300),
  applicantContact: z
    .string()
    .trim()
    .regex(/^[0-9+() -]{7,20}$/, { message: '연락처는 숫자와 - 로 적습니다' }),
  applicantEmail: z.email({ message: '전자우편 주소가 올바르지 않습니다' }).max(254).nullable().default(null),
  recordingFrom: instant('녹취 일시(부터)'),
  recordingTo: instant('녹취 일시(까지)'),
  phoneNumber: z
    .string()
    .trim()
    .regex(/^[0-9-]{3,20}$/, { message: '전화번호는 숫자와 - 로 적습니다' }),
  purpose: text('열람·제공 목적', 500),
  relationToParty: text('당사자와의 관계', 200),
  reason: text('신청 사유', 2000, 5),
  ground: z.enum(DISCLOSURE_GROUNDS, { message: '근거를 고르십시오 (당사자 또는 다른 법령)' }),
  groundDetail: z.string().trim().max(1000).nullable().default(null).describe('당사자 확인 방법, 또는 근거 법령과 조항'),
  receivedAt: instant('접수 일시').optional().describe('신청서를 받은 때 (없으면 지금)'),
};
export const registrationBody = withRecordingWindow(z.object(registrationFields).strict());
export type RegistrationBody = z.output<typeof registrationBody>;

/**
 * A party official's own request (Art. 9(1): the party), filed logged in: who they are comes from the directory and
 * the login proves it; they say which of their own extensions and when. The managing department then handles it as
 * any other request.
 */
export const ownRequestBody = withRecordingWindow(
  z
    .object({
      ...pick(registrationFields, ['kind', 'applicantContact', 'applicantEmail', 'recordingFrom', 'recordingTo', 'purpose', 'reason']),
      applicantBirthDate: z
        .string()
        .trim()
        .regex(/^\d{4}-\d{2}-\d{2}$/, { message: '생년월일을 1980-01-01 형식으로 적으십시오' }),
      extension: z
        .string()
        .trim()
        .regex(/^[0-9-]{3,20}$/, { message: '내선 번호를 고르십시오' }),
    })
    .strict(),
);
export type OwnRequestBody = z.output<typeof ownRequestBody>;

export const requestIdParams = z.object({ id: z.uuid({ message: '신청 번호가 올바르지 않습니다' }) }).strict();
export const confirmBody = z
  .object({
    recordingIds: z
      .array(z.uuid())
      .max(50, { message: '한 신청에 50건까지입니다' })
      .refine((ids) => new Set(ids).size === ids.length, { message: '같은 녹취를 두 번 골랐습니다' }),
  })
  .strict();
export const disclosureSignOffBody = z
  .object({ decision: z.enum(['approve', 'reject'], { message: '승인 또는 반려를 고르십시오' }), comment: z.string().trim().max(1000).default('') })
  .strict()
  .refine((body) => body.decision === 'approve' || body.comment.length >= 2, { message: '반려 사유를 적으십시오', path: ['comment'] });
export const withdrawBody = z.object({ reason: text('철회 사유', 1000, 2) }).strict();
const recipient = { recipientName: text('인수자 성명', 100), receivedAt: instant('수령 일시') };
/** Form 2 signed on paper (its scan already attached) or on screen (the drawn signature, placed on Form 2). */
export const handoverBody = z.discriminatedUnion(
  'signatureKind',
  [
    z.object({ signatureKind: z.literal('paper_scan'), attachmentId: z.uuid({ message: '서명된 인수·인계증 첨부파일을 고르십시오' }), ...recipient }).strict(),
    z
      .object({
        signatureKind: z.literal('on_screen'),
        signature: z.string().max(SIGNATURE_MAX_DATA_URL, { message: '서명 이미지가 너무 큽니다' }).describe('화면 서명 (data:image/png;base64,…, 8비트 RGBA)'),
        ...recipient,
      })
      .strict(),
  ],
  { error: () => '서명 방식(on_screen 화면 서명, paper_scan 종이 서명 스캔)을 고르십시오' },
);
export const destructionReportBody = z
  .object({
    attachmentId: z.uuid({ message: '회신받은 파기 결과 회신서 첨부파일을 고르십시오' }),
    destroyedAt: instant('파기 일시'),
    method: z.enum(DESTRUCTION_METHODS, { message: '파기 방법을 고르십시오' }),
    methodDetail: z.string().trim().max(500).optional(),
    allCopiesDestroyed: z.boolean({ message: '사본 전부를 파기했는지 고르십시오' }),
    witness: z.string().trim().max(100).optional(),
  })
  .strict();
export const attachmentFields = z.object({ purpose: z.enum(ATTACHMENT_PURPOSES, { message: '첨부 종류를 고르십시오' }) }).strict();

export const requestView = z.object({
  id: z.string(),
  managementNumber: z.string(),
  kind: z.enum(DISCLOSURE_KINDS),
  status: z
    .string()
    .describe(
      'registered 접수, in_sign_off 결재 중, awaiting_handover 인수·인계 대기, released 열람·제공 중, awaiting_destruction_report 파기 회신 대기, closed 종결, rejected 거부, withdrawn 철회',
    ),
  applicantName: z.string(),
  receivedAt: z.string(),
  recordingFrom: z.string().nullable(),
  recordingTo: z.string().nullable(),
  phoneNumber: z.string(),
  ground: z.enum(DISCLOSURE_GROUNDS),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
});
export type RequestView = z.infer<typeof requestView>;

const recordingLine = z.object({
  id: z.string(),
  startedAt: z.string(),
  extension: z.string(),
  otherPartyNumber: z.string().nullable(),
  durationMs: z.number().nullable(),
  deletedAt: z.string().nullable().describe('이미 삭제된 녹취는 삭제 일시'),
  confirmed: z.boolean(),
});

export const requestDetail = requestView.extend({
  applicantBirthDateOrBusinessNumber: z.string(),
  applicantAddress: z.string(),
  applicantContact: z.string(),
  applicantEmail: z.string().nullable(),
  purpose: z.string(),
  relationToParty: z.string(),
  reason: z.string(),
  groundDetail: z.string().nullable(),
  recordings: z.array(recordingLine),
  attachments: z.array(attachmentView.extend({ purpose: z.string() })),
  documents: z.array(z.object({ id: z.string(), kind: z.string(), purpose: z.string(), sha256: z.string(), createdAt: z.string() })),
  workflow: z
    .object({
      state: z.string(),
      awaiting: z.string().nullable(),
      signOffs: z.array(z.object({ role: z.string(), actor: z.string(), decision: z.string(), comment: z.string(), at: z.string() })),
      readinessProblems: z.array(z.string()),
      refusedRecordings: z.array(z.object({ recordingId: z.string(), reason: z.string() })),
      viewingUntil: z.string().nullable(),
      destructionReport: z.object({ lastDay: z.string(), dueAt: z.string() }).nullable(),
      refusals: z.array(z.object({ action: z.string(), actor: z.string(), reason: z.string(), at: z.string() })),
      process: processStepsView,
    })
    .nullable(),
  history: z.array(z.object({ at: z.string(), action: z.string(), actor: z.string(), role: z.string(), reason: z.string() })),
});
export type RequestDetail = z.infer<typeof requestDetail>;

export interface DisclosureDeps {
  workflows?: DisclosureWorkflows;
  capture: CaptureControlClient;
  documents: DocumentStore;
  timeZone: string;
  maxAttachments: number;
  signOffChain: readonly SignOffRole[];
  reminderWorkingDays: number;
  viewingWindowHours: number;
  destructionReport: { period: string; reminderDaysBefore: number[]; escalationAfterDays: number; repeatEveryDays: number };
}

function gateway(deps: DisclosureDeps): DisclosureWorkflows {
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

async function loadRequest(em: EntityManager, id: string): Promise<DisclosureRequest> {
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

/**
 * Sends a step to the case's workflow, which accepts it or refuses it with its Korean reason (`409 ACTION_REFUSED`):
 * the rule is applied once, by the workflow, with no race between a check here and the step there.
 */
async function takeStep(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>, step: WithoutUser<DisclosureStepRequest>) {
  try {
    return await gateway(deps).step(call.params.id, disclosureStep, { ...step, user: stepUser(call.principal as Principal) });
  } catch (error) {
    if (error instanceof StepRefusedError) throw new ApiError(409, 'ACTION_REFUSED', error.message, { action: step.action });
    throw error;
  }
}

export async function confirmRecordings(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof confirmBody>>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'confirm_recordings', recordingIds: call.body.recordingIds });
}

export async function submitRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'submit' });
}

export async function signOffRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof disclosureSignOffBody>>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'sign_off', decision: call.body.decision, comment: call.body.comment });
}

export async function withdrawRequest(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, { reason: string }>): Promise<void> {
  await loadRequest(call.em, call.params.id);
  await takeStep(deps, call, { action: 'withdraw', reason: call.body.reason });
}

/** The case's attachment of this purpose, or a Korean refusal naming what is missing. */
async function attachmentFor(em: EntityManager, request: DisclosureRequest, id: string, purpose: AttachmentPurpose): Promise<Attachment> {
  const row = await em.findOne(Attachment, { id, ownerType: TARGET, ownerId: request.id, purpose });
  if (!row) throw new ApiError(400, 'INVALID_INPUT', `이 신청에 첨부된 '${PURPOSE_LABELS[purpose]}'이(가) 아닙니다. 먼저 첨부하십시오.`);
  return row;
}

const notFuture = (at: string, label: string) => {
  if (Date.parse(at) > Date.now() + 60_000) throw new ApiError(400, 'INVALID_INPUT', `${label}이(가) 앞으로의 시각입니다.`);
};

/**
 * The recipient signed Form 2. A paper scan must already be the case's attachment; a signature drawn on screen is
 * checked, kept sealed as the case's attachment, and placed on Form 2 by the workflow. If the workflow cannot be told,
 * the signature is taken back out, so a failed attempt leaves the case as it was.
 */
export async function recordHandover(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof handoverBody>>): Promise<void> {
  const request = await loadRequest(call.em, call.params.id);
  const { body } = call;
  notFuture(body.receivedAt, '수령 일시');
  const recipient = { recipientName: body.recipientName, receivedAt: body.receivedAt };
  if (body.signatureKind === 'paper_scan') {
    await attachmentFor(call.em, request, body.attachmentId, 'signed_handover_receipt');
    await takeStep(deps, call, { action: 'handover_signed', signatureKind: body.signatureKind, attachmentId: body.attachmentId, ...recipient });
    return;
  }
  const signature = parseSignature(body.signature);
  const file = { fileName: `인수자서명_${request.managementNumber}.png`, contentType: 'image/png' as const, content: signature.png };
  const [row] = await withSealedFiles(deps.documents, [file], (sealed) =>
    call.em
      .fork()
      .transactional((tx) =>
        addAttachments(tx, { ownerType: TARGET, ownerId: request.id, purpose: SIGNATURE }, sealed, { maxFiles: 1, audit: auditIdentityOf(call) }),
      ),
  );
  try {
    await takeStep(deps, call, { action: 'handover_signed', signatureKind: 'on_screen', attachmentId: row!.id, ...recipient });
  } catch (error) {
    await call.em.fork().transactional(async (tx) => {
      await tx.nativeDelete(Attachment, { id: row!.id });
      await appendAuditEvent(tx, {
        ...auditIdentityOf(call),
        action: 'attachment.removed',
        targetType: TARGET,
        targetId: request.id,
        reason: '업무 흐름에 전달하지 못해 화면 서명을 되돌림',
        detail: { attachmentId: row!.id, purpose: SIGNATURE },
      });
    });
    deps.documents.remove(row!.id);
    throw error;
  }
}

export async function recordDestructionReport(
  deps: DisclosureDeps,
  call: RouteCall<{ id: string }, unknown, z.output<typeof destructionReportBody>>,
): Promise<void> {
  const request = await loadRequest(call.em, call.params.id);
  notFuture(call.body.destroyedAt, '파기 일시');
  await attachmentFor(call.em, request, call.body.attachmentId, 'destruction_report');
  await takeStep(deps, call, { action: 'destruction_reported', ...call.body });
}

/** In which states a file of each purpose may be added: the ground before 결재, each scan at its own step. */
export const ATTACHABLE_IN: Record<AttachmentPurpose, readonly RowStatus[]> = {
  ground_document: ['registered'],
  signed_handover_receipt: ['awaiting_handover'],
  destruction_report: ['awaiting_destruction_report'],
  other: ['registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report'],
};

export async function addRequestAttachments(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof attachmentFields>>) {
  if (call.files.length === 0) throw new ApiError(400, 'INVALID_INPUT', '첨부할 파일을 고르십시오.');
  const purpose = call.body.purpose;
  const status = (await gateway(deps).status(call.params.id))?.state;
  await withSealedFiles(deps.documents, call.files, (sealed) =>
    call.em.fork().transactional(async (tx) => {
      const request = await loadRequest(tx, call.params.id);
      // The workflow's state when it is known (the row follows it a moment later).
      const state = status ?? request.status;
      if (!ATTACHABLE_IN[purpose].includes(state)) {
        throw new ApiError(409, 'ACTION_REFUSED', `지금 단계에서는 '${PURPOSE_LABELS[purpose]}'을(를) 첨부할 수 없습니다.`, { state, purpose });
      }
      await addAttachments(tx, { ownerType: TARGET, ownerId: request.id, purpose }, sealed, { maxFiles: deps.maxAttachments, audit: auditIdentityOf(call) });
    }),
  );
  return listAttachments(call.em.fork(), TARGET, call.params.id);
}

/** A scan of the case. Not the provision package: audio leaves only by its own declared route (R6). */
export async function requestAttachment(deps: DisclosureDeps, call: RouteCall<{ id: string; attachmentId: string }, unknown, unknown>) {
  if (await call.em.count(Attachment, { id: call.params.attachmentId, purpose: PACKAGE })) throw notFound();
  return readAttachment(call.em, deps.documents, { ownerType: TARGET, ownerId: call.params.id }, call.params.attachmentId, call.audit);
}

/** A document the workflow made for the case (Form 2, the blank Form 3, the rejection notice), as DOCX. */
export async function requestDocument(deps: DisclosureDeps, call: RouteCall<{ id: string; documentId: string }, unknown, unknown>) {
  const document = await call.em.findOne(
    GeneratedDocument,
    { id: call.params.documentId, caseType: TARGET, caseId: call.params.id },
    { populate: ['wrappedKey'] },
  );
  if (!document) throw notFound();
  const docx = deps.documents.get(document.id, document.wrappedKey);
  await call.audit({
    action: 'disclosure.document_downloaded',
    targetType: TARGET,
    targetId: call.params.id,
    reason: `${document.purpose} 내려받기`,
    detail: { documentId: document.id, sha256: document.sha256 },
  });
  return { name: `${document.kind}_${call.params.id}.docx`, docx };
}

/**
 * The password of a provision package: 16 characters from letters and digits that cannot be mistaken for one another
 * when read aloud or copied from the screen, always with upper case, lower case and a digit (~93 bits).
 */
export function packagePassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789'];
  const all = sets.join('');
  for (;;) {
    const password = Array.from({ length: 16 }, () => all[randomInt(all.length)]).join('');
    if (sets.every((set) => [...password].some((character) => set.includes(character)))) return password;
  }
}

export const packageResult = z.object({
  password: z.string().describe('이 응답에서 한 번만 보입니다. 신청인에게 파일과 따로 알려 주십시오.'),
  packageSha256: z.string(),
  manifestSha256: z.string(),
  fileName: z.string(),
  download: z.string(),
});

/**
 * Builds the provision package once the signed Form 2 is in the case: the appliance seals the confirmed recordings
 * with the blank Form 3, the ZIP is kept sealed as the case's file, the workflow told (the Form 3 deadline is already
 * running from receipt), and the password answered here only.
 */
export async function buildPackage(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<z.infer<typeof packageResult>> {
  const request = await loadRequest(call.em, call.params.id);
  const status = await gateway(deps).status(request.id);
  if (!status) throw new ApiError(409, 'ACTION_REFUSED', '이 신청의 업무 흐름을 찾을 수 없습니다. 관리부서의 장에게 문의하십시오.');
  // Asked before the appliance builds anything: a package the workflow would refuse is never made. The step itself is
  // still the workflow's to accept below.
  const verdict = judgeDisclosureStep(
    { ...status, kind: request.kind, provided: status.provided !== undefined },
    stepUser(call.principal as Principal),
    'package_provided',
  );
  if ('refusal' in verdict) throw new ApiError(409, 'ACTION_REFUSED', verdict.refusal, { action: 'package_provided' });
  const { actor } = verdict;
  const form3 = status.destructionReport
    ? await call.em.findOne(GeneratedDocument, { id: status.destructionReport.documentId }, { populate: ['wrappedKey'] })
    : null;
  if (!form3) throw new ApiError(409, 'ACTION_REFUSED', '파기 결과 회신서 서식이 아직 준비되지 않았습니다. 잠시 후 다시 시도하십시오.');
  const password = packagePassword();
  let sealed;
  try {
    sealed = await deps.capture.buildDisclosurePackage({
      managementNumber: request.managementNumber,
      recordingIds: status.recordings,
      password,
      actor: actor.username,
      extraFiles: [{ name: `파기결과회신서_${request.managementNumber}.docx`, content: deps.documents.get(form3.id, form3.wrappedKey) }],
    });
  } catch (error) {
    if (error instanceof CaptureControlError) {
      throw new ApiError(503, 'CAPTURE_UNAVAILABLE', `녹취 장치가 제공 파일을 만들지 못했습니다: ${error.message}`, { code: error.code });
    }
    throw error;
  }
  const fileName = `녹취정보제공_${request.managementNumber}.zip`;
  await withSealedFiles(deps.documents, [{ fileName, contentType: 'application/zip', content: sealed.zip }], (files) =>
    call.em.fork().transactional(async (tx) => {
      const rows = await addAttachments(tx, { ownerType: TARGET, ownerId: request.id, purpose: PACKAGE }, files, { maxFiles: 1, audit: auditIdentityOf(call) });
      await appendAuditEvent(tx, {
        ...auditIdentityOf(call),
        action: 'disclosure.package_built',
        targetType: TARGET,
        targetId: request.id,
        reason: '제공 파일 작성',
        detail: {
          managementNumber: request.managementNumber,
          packageSha256: sealed.packageSha256,
          manifestSha256: sealed.manifestSha256,
          recordings: status.recordings,
        },
      });
      return rows;
    }),
  );
  await takeStep(deps, call, { action: 'package_provided', packageSha256: sealed.packageSha256 });
  return {
    password,
    packageSha256: sealed.packageSha256,
    manifestSha256: sealed.manifestSha256,
    fileName,
    download: `/api/disclosure-requests/${request.id}/package`,
  };
}

/** The package as built, for the managing department to hand over (every download audited). */
export async function packageFile(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>) {
  const row = await call.em.findOne(Attachment, { ownerType: TARGET, ownerId: call.params.id, purpose: PACKAGE }, { populate: ['wrappedKey'] });
  if (!row) throw new ApiError(404, 'NOT_FOUND', '아직 만든 제공 파일이 없습니다.');
  const zip = deps.documents.get(row.id, row.wrappedKey);
  await call.audit({
    action: 'disclosure.package_downloaded',
    targetType: TARGET,
    targetId: call.params.id,
    reason: '제공 파일 내려받기',
    detail: { sha256: row.sha256 },
  });
  return { row, zip };
}

export const playParams = z.object({ id: z.uuid(), recordingId: z.uuid() }).strict();

/**
 * 열람: one approved recording played in the managing department while the viewing window is open — the case a
 * viewing, released (the signed Form 2 in), the recording one of its own. Each play is audited; the audio is sent
 * for playing only (no-store, inline) and its bytes wiped after.
 */
export async function viewingAudio(deps: DisclosureDeps, call: RouteCall<{ id: string; recordingId: string }, unknown, unknown>): Promise<Buffer> {
  const request = await loadRequest(call.em, call.params.id);
  const status = await gateway(deps).status(request.id);
  const refusal = playRefusal(
    { kind: request.kind, state: status?.state, viewingUntil: status?.viewingUntil, recordings: status?.recordings ?? [] },
    new Date(),
    deps.timeZone,
    call.params.recordingId,
  );
  if (refusal) throw new ApiError(409, 'ACTION_REFUSED', refusal, { state: status?.state, recordingId: call.params.recordingId });
  await call.audit({
    action: 'disclosure.recording_played',
    targetType: TARGET,
    targetId: request.id,
    reason: `녹취정보 열람 (${request.managementNumber})`,
    detail: { recordingId: call.params.recordingId, managementNumber: request.managementNumber, viewingUntil: status?.viewingUntil },
  });
  try {
    const { wav } = await deps.capture.viewingAudio(call.params.recordingId, {
      managementNumber: request.managementNumber,
      actor: (call.principal as Principal).username,
    });
    return wav;
  } catch (error) {
    if (error instanceof CaptureControlError)
      throw new ApiError(503, 'CAPTURE_UNAVAILABLE', `녹취 장치에서 음성을 받지 못했습니다: ${error.message}`, { code: error.code });
    throw error;
  }
}

export const verifyFields = z.object({ password: z.string().min(1, { message: '제공 파일의 비밀번호를 적으십시오' }).max(128) }).strict();

/** The system's public key, as the capture appliance signs with its private half (Art. 9 packages). */
export async function packagePublicKey(deps: Pick<DisclosureDeps, 'capture'>): Promise<{ pem: string; sha256: string }> {
  try {
    return await deps.capture.packagePublicKey();
  } catch (error) {
    if (error instanceof CaptureControlError)
      throw new ApiError(503, 'CAPTURE_UNAVAILABLE', `녹취 장치에서 공개키를 받지 못했습니다: ${error.message}`, { code: error.code });
    throw error;
  }
}

/** Checks a package someone brings back (a court, the recipient) against the system's key; the result is audited. */
export async function verifyUploadedPackage(deps: DisclosureDeps, call: RouteCall<unknown, unknown, z.output<typeof verifyFields>>) {
  const [file] = call.files;
  if (!file) throw new ApiError(400, 'INVALID_INPUT', '확인할 제공 파일(ZIP)을 고르십시오.');
  const key = await packagePublicKey(deps);
  const result = await verifyPackage(file.content, call.body.password, key.pem);
  await call.audit({
    action: 'disclosure.package_verified',
    targetType: 'disclosure_package',
    targetId: result.manifest?.managementNumber ?? 'unknown',
    reason: '제공 파일 검증',
    detail: { ok: result.ok, problems: result.problems.map((problem) => problem.code), fileName: file.fileName },
  });
  return result;
}
