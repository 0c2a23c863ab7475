/**
 * 전수 녹취 신청 (Art. 6) through the API: a department head applies for full recording of their own department's
 * extensions; the managing department signs off in the settings' order; the applicant or the chief revokes; the
 * applicant renews an open-ended one at its yearly review. The row and its audit entry are written here; every later
 * step goes to the application's workflow through the Temporal client, after the same rules the workflow applies
 * (domain/full-recording-steps.ts) have been asked, so a refused step is answered in Korean and signals nothing.
 * This file files and reads applications; the later steps are full-recording-steps.ts, the evidence and the DOCX
 * full-recording-documents.ts (split by responsibility, issue 17).
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { AuditEvent, Department, Extension, FullRecordingApplication } from '../infra/db/entities';
import type { Directory } from '../infra/directory';
import type { DocumentStore } from '../infra/documents/document-store';
import type { LegalCalendar } from '../domain/legal-period';
import { addDays } from '../domain/legal-period';
import { FULL_RECORDING_GROUNDS, FULL_RECORDING_GROUND_TEXTS, type FullRecordingStatus as RowStatus } from '../domain/full-recording';
import { type SignOffRole } from '../domain/roles';
import type { FullRecordingWorkflows } from '../infra/temporal/full-recording';
import { fullRecordingWorkflowId } from '../workflows/full-recording';
import { type Principal } from './access';
import { departmentOf } from './departments';
import { ApiError, notFound } from './errors';
import { localDate } from './recording-search';
import { fullRecordingSteps, processStepsView } from './process-views';
import { auditIdentityOf, type RouteCall } from './routes';
import { addAttachments, attachmentView, listAttachments, withSealedFiles, type AttachmentTarget } from './attachments';

export const GROUND_LABELS = Object.fromEntries(
  FULL_RECORDING_GROUNDS.map((ground, index) => [ground, `${FULL_RECORDING_GROUND_TEXTS[ground]} (제6조제2항제${index + 1}호)`]),
) as Record<(typeof FULL_RECORDING_GROUNDS)[number], string>;

/** Statuses in which an application keeps, or is about to put, its extensions in full recording. */
export const OPEN: RowStatus[] = ['under_review', 'approved', 'active'];
const EXTENSION = /^[0-9]{2,4}-[0-9]{3,4}-[0-9]{4}$/;

export const applicationBody = z
  .object({
    extensions: z
      .array(z.string().regex(EXTENSION, { message: '내선번호는 02-2680-1234 형식입니다' }))
      .min(1, { message: '내선을 하나 이상 고르십시오' })
      .max(50, { message: '한 번에 50개 내선까지 신청합니다' })
      .refine((numbers) => new Set(numbers).size === numbers.length, { message: '같은 내선을 두 번 적었습니다' }),
    ground: z.enum(FULL_RECORDING_GROUNDS, { message: '신청 사유 구분을 고르십시오' }),
    reason: z.string().trim().min(10, { message: '구체적인 사유를 10자 이상 적으십시오' }).max(2000),
    periodFrom: localDate('시작일'),
    periodTo: localDate('종료일').nullable().describe('없으면 취소할 때까지 (해마다 연장 검토)'),
  })
  .strict();
export type ApplicationBody = z.infer<typeof applicationBody>;

export const signOffBody = z
  .object({
    decision: z.enum(['approve', 'reject'], { message: '승인 또는 반려를 고르십시오' }),
    comment: z.string().trim().max(1000).default(''),
  })
  .strict()
  .refine((body) => body.decision === 'approve' || body.comment.length >= 2, { message: '반려 사유를 적으십시오', path: ['comment'] });
export const revokeBody = z.object({ reason: z.string().trim().min(2, { message: '사유를 적으십시오' }).max(1000) }).strict();
export const applicationIdParams = z.object({ id: z.uuid({ message: '신청 번호가 올바르지 않습니다' }) }).strict();

export const applicationView = z.object({
  id: z.string(),
  department: z.object({ code: z.string(), name: z.string() }),
  applicant: z.string(),
  extensions: z.array(z.string()),
  ground: z.enum(FULL_RECORDING_GROUNDS),
  reason: z.string(),
  periodFrom: z.string(),
  periodTo: z.string().nullable(),
  status: z.string().describe('under_review 검토 중, approved 승인(장치 적용 전), active 전수 녹취 중, rejected 반려, ended 종료, revoked 철회·취소'),
  appliedAt: z.string().nullable().describe('녹취 장치가 전수 녹취로 바뀐 것을 확인한 시각'),
  endedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type ApplicationView = z.infer<typeof applicationView>;

export const applicationDetail = applicationView.extend({
  workflow: z
    .object({
      awaiting: z.string().nullable().describe('결재를 기다리는 역할'),
      signOffs: z.array(z.object({ role: z.string(), actor: z.string(), decision: z.string(), comment: z.string(), at: z.string() })),
      applyAttempts: z.number().int(),
      lastApplyError: z.string().nullable().describe('승인되었으나 장치에 적용하지 못한 이유'),
      reviewDueAt: z.string().nullable(),
      refusals: z.array(z.object({ action: z.string(), actor: z.string(), reason: z.string(), at: z.string() })),
      process: processStepsView,
    })
    .nullable(),
  evidence: z.array(attachmentView).describe('증빙자료 (첨부파일)'),
  history: z.array(z.object({ at: z.string(), action: z.string(), actor: z.string(), role: z.string(), reason: z.string() })),
});
export type ApplicationDetail = z.infer<typeof applicationDetail>;

export const extensionView = z.object({
  number: z.string(),
  department: z.object({ code: z.string(), name: z.string() }),
  owner: z.string().nullable(),
  mode: z.enum(['selective', 'full']),
  fullRecordingSince: z.string().nullable(),
});

export interface FullRecordingDeps {
  calendar: LegalCalendar;
  directory: Directory;
  municipalityName: string;
  templatesDir?: string;
  /** ANNOUNCEMENT_TEXT: what callers hear on a full-recording extension (Art. 7), quoted on the application. */
  announcementText: string;
  workflows?: FullRecordingWorkflows;
  approvalChain: readonly SignOffRole[];
  reminderWorkingDays: number;
  /** Where the evidence files are sealed, and how many one application may have. */
  documents: DocumentStore;
  maxEvidenceFiles: number;
}

const EVIDENCE = 'evidence';
export const evidenceOf = (applicationId: string): AttachmentTarget => ({ ownerType: 'full_recording_application', ownerId: applicationId, purpose: EVIDENCE });

export function gateway(deps: FullRecordingDeps): FullRecordingWorkflows {
  if (!deps.workflows) throw new ApiError(503, 'WORKFLOWS_UNAVAILABLE', '업무 흐름 서버(Temporal)에 연결되어 있지 않습니다. 잠시 후 다시 시도하십시오.');
  return deps.workflows;
}

export function toApplicationView(application: FullRecordingApplication): ApplicationView {
  return {
    id: application.id,
    department: { code: application.department.code, name: application.department.name },
    applicant: application.applicant,
    extensions: application.extensions
      .getItems()
      .map((extension) => extension.number)
      .sort(),
    ground: application.ground,
    reason: application.reason,
    periodFrom: application.periodFrom.toISOString(),
    periodTo: application.periodTo?.toISOString() ?? null,
    status: application.status,
    appliedAt: application.appliedAt?.toISOString() ?? null,
    endedAt: application.endedAt?.toISOString() ?? null,
    createdAt: application.createdAt.toISOString(),
  };
}

export const POPULATE = ['department', 'extensions'] as const;

/**
 * What an application may ask for, checked the same way for filing and for the preview: a period from today on, and
 * extensions of the applicant's own department that no open application covers.
 */
export async function checkApplication(
  deps: FullRecordingDeps,
  em: EntityManager,
  principal: Principal,
  body: ApplicationBody,
): Promise<{ department: Department; extensions: Extension[] }> {
  const today = deps.calendar.localDate(new Date());
  if (body.periodFrom < today) throw new ApiError(400, 'INVALID_PERIOD', '시작일은 오늘이거나 그 뒤여야 합니다.');
  if (body.periodTo !== null && body.periodTo < body.periodFrom) throw new ApiError(400, 'INVALID_PERIOD', '종료일이 시작일보다 앞섭니다.');
  const department = await departmentOf(em, principal);
  if (!department) throw new ApiError(403, 'FORBIDDEN', '디렉터리의 소속 부서가 시스템에 등록되어 있지 않습니다.');
  const extensions = await em.find(Extension, { number: { $in: body.extensions } }, { populate: ['department'] });
  const foreign = body.extensions.filter((number) => !extensions.some((extension) => extension.number === number && extension.department.id === department.id));
  if (foreign.length > 0) {
    throw new ApiError(403, 'EXTENSION_NOT_IN_DEPARTMENT', `소속 부서의 내선만 신청할 수 있습니다: ${foreign.join(', ')}`, { extensions: foreign });
  }
  const taken = await em.find(
    FullRecordingApplication,
    { status: { $in: OPEN }, extensions: { number: { $in: body.extensions } } },
    { populate: ['extensions'] },
  );
  if (taken.length > 0) {
    const numbers = taken
      .flatMap((other) => other.extensions.getItems().map((extension) => extension.number))
      .filter((number) => body.extensions.includes(number));
    throw new ApiError(409, 'EXTENSION_ALREADY_APPLIED', `이미 진행 중인 전수 녹취 신청이 있는 내선입니다: ${[...new Set(numbers)].join(', ')}`, {
      applications: taken.map((other) => other.id),
    });
  }
  return { department, extensions };
}

/** The period as stored: from the first day's start to the end of the last day (Asia/Seoul); none means until revoked. */
export function storedPeriod(deps: FullRecordingDeps, body: ApplicationBody): { from: Date; to?: Date } {
  return {
    from: deps.calendar.startOfDay(body.periodFrom),
    to: body.periodTo === null ? undefined : deps.calendar.startOfDay(addDays(body.periodTo, 1)),
  };
}

/** Applies: checks the extensions are the applicant's department's and free, writes the row, starts the workflow. */
export async function applyForFullRecording(deps: FullRecordingDeps, call: RouteCall<unknown, unknown, ApplicationBody>): Promise<ApplicationView> {
  const workflows = gateway(deps);
  const principal = call.principal as Principal;
  const { body } = call;
  const application = await withSealedFiles(deps.documents, call.files, (evidence) =>
    call.em.fork().transactional(async (tx) => {
      const { department, extensions } = await checkApplication(deps, tx, principal, body);
      const period = storedPeriod(deps, body);
      const row = new FullRecordingApplication('', principal.username, department, body.ground, body.reason, period.from);
      row.workflowId = fullRecordingWorkflowId(row.id);
      row.periodTo = period.to;
      for (const extension of extensions) row.extensions.add(extension);
      tx.persist(row);
      await tx.flush();
      await appendAuditEvent(tx, {
        ...auditIdentityOf(call),
        action: 'full_recording.applied',
        targetType: 'full_recording_application',
        targetId: row.id,
        reason: body.reason,
        detail: { extensions: body.extensions, ground: body.ground, periodFrom: body.periodFrom, periodTo: body.periodTo, requestId: call.context.requestId },
      });
      await addAttachments(tx, evidenceOf(row.id), evidence, { maxFiles: deps.maxEvidenceFiles, audit: auditIdentityOf(call) });
      return row;
    }),
  );
  try {
    await workflows.start({
      applicationId: application.id,
      applicant: principal.username,
      department: application.department.code,
      extensions: body.extensions,
      periodFrom: application.periodFrom.toISOString(),
      periodTo: application.periodTo?.toISOString(),
      approvalChain: [...deps.approvalChain],
      reminderWorkingDays: deps.reminderWorkingDays,
    });
  } catch (error) {
    // The application is not left looking alive without a lifecycle: closed, and the reason on the record.
    await call.em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(FullRecordingApplication, application.id);
      row.status = 'rejected';
      row.decisionReason = '시스템 오류로 접수되지 않음 (업무 흐름을 시작하지 못함)';
      row.endedAt = new Date();
      await tx.flush();
      await appendAuditEvent(tx, {
        actor: 'system:api',
        role: 'system',
        sourceAddress: call.context.sourceAddress,
        action: 'full_recording.not_started',
        targetType: 'full_recording_application',
        targetId: application.id,
        reason: error instanceof Error ? error.message : String(error),
        detail: { requestId: call.context.requestId },
      });
    });
    throw new ApiError(503, 'WORKFLOWS_UNAVAILABLE', '신청을 접수하지 못했습니다 (업무 흐름 서버 연결 실패). 잠시 후 다시 신청하십시오.');
  }
  return toApplicationView(application);
}

/** Department heads see their department's applications; the managing department and auditors see all. */
export async function listApplications(call: RouteCall<unknown, unknown, unknown>): Promise<ApplicationView[]> {
  const principal = call.principal as Principal;
  const own = call.scope !== 'everything';
  const department = own ? await departmentOf(call.em, principal) : null;
  if (own && !department) return [];
  const rows = await call.em.find(FullRecordingApplication, department ? { department } : {}, {
    populate: POPULATE,
    orderBy: { createdAt: 'desc' },
    limit: 500,
  });
  return rows.map(toApplicationView);
}

export async function loadApplication(call: RouteCall<{ id: string }, unknown, unknown>): Promise<FullRecordingApplication> {
  const application = await call.em.findOne(FullRecordingApplication, call.params.id, { populate: POPULATE });
  if (!application) throw notFound();
  return application;
}

/** The `ownDepartment` rule of the application routes: a department head's own department's applications only. */
export const ownDepartmentApplication = {
  description: '소속 부서의 신청만',
  appliesAs: 'check' as const,
  async isParty(em: EntityManager, principal: Principal, params: { id: string }): Promise<boolean> {
    const [department, application] = await Promise.all([
      departmentOf(em, principal),
      em.findOne(FullRecordingApplication, params.id, { fields: ['department'] }),
    ]);
    // An unknown id passes here and is answered 404 by the handler, as for the managing department.
    return !application || (department !== null && application.department.id === department.id);
  },
};
export const ownDepartmentList = { description: '소속 부서의 것만 나열됨', appliesAs: 'filter' as const };

export async function readApplication(deps: FullRecordingDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<ApplicationDetail> {
  const application = await loadApplication(call);
  const status = await deps.workflows?.status(application.id);
  const history = await call.em.find(
    AuditEvent,
    // The steps, not who looked at them (reads and downloads are audited too, and listed in the access review).
    {
      targetType: 'full_recording_application',
      targetId: application.id,
      action: { $nin: ['full_recording.read', 'full_recording.document', 'attachment.downloaded'] },
    },
    { orderBy: { seq: 'asc' } },
  );
  await call.audit({ action: 'full_recording.read', targetType: 'full_recording_application', targetId: application.id, reason: '전수 녹취 신청 조회' });
  return {
    ...toApplicationView(application),
    workflow: status
      ? {
          awaiting: status.awaiting ?? null,
          signOffs: status.signOffs,
          applyAttempts: status.applyAttempts,
          lastApplyError: status.lastApplyError ?? null,
          reviewDueAt: status.reviewDueAt ?? null,
          refusals: status.refusals,
          process: fullRecordingSteps(status),
        }
      : null,
    evidence: await listAttachments(call.em, 'full_recording_application', application.id),
    history: history.map((event) => ({ at: event.at.toISOString(), action: event.action, actor: event.actor, role: event.role, reason: event.reason })),
  };
}
