/**
 * 월간 접근기록 점검 in the API: the months' reviews for the managing department and auditors, each report (XLSX,
 * audited when downloaded), and the chief's sign-off sent to the review's workflow after the same rule it applies.
 */
import { z } from 'zod';
import { AccessReview, GeneratedDocument } from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import type { AccessReviewWorkflows } from '../infra/temporal/access-review';
import { accessReviewStep } from '../workflows/access-review';
import { stepUser, type Principal } from './access';
import { answerStep, ApiError, notFound } from './errors';
import { accessReviewSteps, processStepsView } from './process-views';
import type { RouteCall } from './routes';

const TARGET = 'access_review';

export interface AccessReviewDeps {
  workflows?: AccessReviewWorkflows;
  documents: DocumentStore;
}

export const accessReviewParams = z.object({ id: z.uuid({ message: '점검 번호가 올바르지 않습니다' }) }).strict();
export const accessReviewSignOffBody = z.object({ comment: z.string().trim().max(1000, { message: '의견이 너무 깁니다 (1000자까지)' }).default('') }).strict();

export const accessReviewView = z.object({
  id: z.string(),
  month: z.string().describe('점검한 달 (YYYY-MM)'),
  status: z.enum(['awaiting_sign_off', 'signed_off']).describe('awaiting_sign_off 점검 대기, signed_off 점검 완료'),
  summary: z
    .object({
      entries: z.number(),
      users: z.number(),
      releases: z.number(),
      refusals: z.number(),
      deviceAuthFailures: z.number(),
      afterHours: z.number(),
      anomalies: z.number(),
    })
    .describe('사람의 접근 기록, 사용자, 재생·내보내기, 거부, 장치·제어 인증 실패, 업무시간 외, 이상 징후 건수'),
  reportedAt: z.string(),
  signedOffBy: z.string().nullable(),
  signedOffAt: z.string().nullable(),
  comment: z.string().nullable(),
});
export type AccessReviewView = z.infer<typeof accessReviewView>;
export const accessReviewDetail = accessReviewView.extend({
  awaiting: z.string().nullable(),
  remindersSent: z.number(),
  process: processStepsView.nullable(),
});
export type AccessReviewDetail = z.infer<typeof accessReviewDetail>;

function toView(row: AccessReview): AccessReviewView {
  const summary = row.summary as AccessReviewView['summary'];
  return {
    id: row.id,
    month: row.month,
    status: row.status,
    summary: {
      entries: summary.entries,
      users: summary.users,
      releases: summary.releases,
      refusals: summary.refusals,
      // Reports made before the appliance's login failures were summarised (issue 22) have none to count.
      deviceAuthFailures: summary.deviceAuthFailures ?? 0,
      afterHours: summary.afterHours,
      anomalies: summary.anomalies,
    },
    reportedAt: row.createdAt.toISOString(),
    signedOffBy: row.signedOffBy ?? null,
    signedOffAt: row.signedOffAt?.toISOString() ?? null,
    comment: row.comment ?? null,
  };
}

export async function listAccessReviews(call: RouteCall<unknown, unknown, unknown>): Promise<AccessReviewView[]> {
  return (await call.em.find(AccessReview, {}, { orderBy: { month: 'desc' }, limit: 60 })).map(toView);
}

async function load(call: RouteCall<{ id: string }, unknown, unknown>): Promise<AccessReview> {
  const row = await call.em.findOne(AccessReview, call.params.id);
  if (!row) throw notFound();
  return row;
}

export async function readAccessReview(deps: AccessReviewDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<AccessReviewDetail> {
  const row = await load(call);
  const status = await deps.workflows?.status(row.workflowId);
  await call.audit({ action: 'access_review.read', targetType: TARGET, targetId: row.id, reason: `${row.month} 접근기록 점검 조회` });
  return {
    ...toView(row),
    awaiting: status?.awaiting ?? null,
    remindersSent: status?.remindersSent ?? 0,
    process: status ? accessReviewSteps(status) : null,
  };
}

export async function accessReport(deps: AccessReviewDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<{ name: string; xlsx: Buffer }> {
  const row = await load(call);
  const document = await call.em.findOneOrFail(GeneratedDocument, row.reportDocumentId, { populate: ['wrappedKey'] });
  const xlsx = deps.documents.get(document.id, document.wrappedKey);
  await call.audit({
    action: 'access_review.report_downloaded',
    targetType: TARGET,
    targetId: row.id,
    reason: `${row.month} 접근기록 점검 보고서 내려받기`,
    detail: { documentId: document.id, sha256: document.sha256 },
  });
  return { name: `접근기록점검_${row.month}.xlsx`, xlsx };
}

/** The chief records the review done; the workflow refuses it in Korean when it is not theirs to sign now. */
export async function signOffAccessReview(
  deps: AccessReviewDeps,
  call: RouteCall<{ id: string }, unknown, z.output<typeof accessReviewSignOffBody>>,
): Promise<void> {
  const row = await load(call);
  if (!deps.workflows) throw new ApiError(503, 'WORKFLOWS_UNAVAILABLE', '업무 흐름 서버(Temporal)에 연결되어 있지 않습니다. 잠시 후 다시 시도하십시오.');
  if (row.status === 'signed_off') throw new ApiError(409, 'ACTION_REFUSED', '이미 점검이 끝났습니다.', { month: row.month });
  const user = stepUser(call.principal as Principal);
  await answerStep(deps.workflows.step(row.workflowId, accessReviewStep, { user, comment: call.body.comment }), { month: row.month });
}
