/**
 * 전수 녹취 신청 (Art. 6): the application's later steps — sign-off, revocation, renewal — each sent to its workflow
 * and refused there in Korean, the steps a user may take now, the page forms, the extensions' modes and the dashboard
 * card. Apart from filing and reading (full-recording.ts) because these act on, or watch, a running application.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { Extension, FullRecordingApplication } from '../infra/db/entities';
import { type SignOffRole } from '../domain/roles';
import { fullRecordingStep, type FullRecordingStatus, type FullRecordingStepRequest } from '../workflows/full-recording';
import type { WithoutUser } from '../workflows/human-steps';
import { judgeFullRecordingStep, type FullRecordingAction } from '../domain/full-recording-steps';
import { stepUser, type Principal } from './access';
import { departmentOf } from './departments';
import { answerStep } from './errors';
import { type RouteCall } from './routes';
import {
  applicationBody,
  type ApplicationBody,
  type ApplicationDetail,
  type ApplicationView,
  extensionView,
  type FullRecordingDeps,
  gateway,
  loadApplication,
  OPEN,
  POPULATE,
  signOffBody,
  toApplicationView,
} from './full-recording';

/**
 * Sends a step to the application's workflow, which accepts it or refuses it with its Korean reason
 * (`409 ACTION_REFUSED`): the rule is applied once, by the workflow.
 */
async function takeStep(
  deps: FullRecordingDeps,
  call: RouteCall<{ id: string }, unknown, unknown>,
  step: WithoutUser<FullRecordingStepRequest>,
): Promise<void> {
  const application = await loadApplication(call);
  const principal = call.principal as Principal;
  const user = stepUser(principal, (await departmentOf(call.em, principal))?.code);
  await answerStep(gateway(deps).step(application.id, fullRecordingStep, { ...step, user }), { action: step.action });
}

export async function signOffApplication(deps: FullRecordingDeps, call: RouteCall<{ id: string }, unknown, z.output<typeof signOffBody>>): Promise<void> {
  await takeStep(deps, call, { action: 'sign_off', decision: call.body.decision, comment: call.body.comment });
}

export async function revokeApplication(deps: FullRecordingDeps, call: RouteCall<{ id: string }, unknown, { reason: string }>): Promise<void> {
  await takeStep(deps, call, { action: 'revoke', reason: call.body.reason });
}

export async function renewApplication(deps: FullRecordingDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<void> {
  await takeStep(deps, call, { action: 'renew' });
}

/** Extensions with their current mode and since when; a department head sees their own department's. */
export async function listExtensions(call: RouteCall<unknown, unknown, unknown>): Promise<z.infer<typeof extensionView>[]> {
  const department = call.scope === 'everything' ? null : await departmentOf(call.em, call.principal as Principal);
  if (call.scope !== 'everything' && !department) return [];
  const rows = await call.em.find(Extension, department ? { department } : {}, { populate: ['department'], orderBy: { number: 'asc' } });
  return rows.map((extension) => ({
    number: extension.number,
    department: { code: extension.department.code, name: extension.department.name },
    owner: extension.owner ?? null,
    mode: extension.mode,
    fullRecordingSince: extension.fullRecordingSince?.toISOString() ?? null,
  }));
}

/** The application page's form: the same fields as the API, as a browser sends them (a lone checkbox is a string). */
export const applicationForm = z.object({
  extensions: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .transform((value) => (typeof value === 'string' ? [value] : value)),
  ground: z.string().max(64).default(''),
  reason: z.string().max(4096).default(''),
  periodFrom: z.string().max(32).default(''),
  periodTo: z.string().max(32).default(''),
});
export const signOffForm = z.object({ decision: z.string().max(16).default(''), comment: z.string().max(4096).default('') });
export const revokeForm = z.object({ reason: z.string().max(4096).default('') });

/** The form's fields checked by the API's own schema; the first problem is the Korean message shown on the form. */
export function parseApplicationForm(form: z.output<typeof applicationForm>): { body?: ApplicationBody; error?: string } {
  const parsed = applicationBody.safeParse({ ...form, periodTo: form.periodTo === '' ? null : form.periodTo });
  return parsed.success ? { body: parsed.data } : { error: parsed.error.issues[0]?.message ?? '입력을 확인하십시오' };
}

/** Which steps this user may take now, by the workflow's own rules (for the forms the page shows). */
export async function permittedActions(
  deps: FullRecordingDeps,
  em: EntityManager,
  principal: Principal,
  item: ApplicationDetail,
): Promise<{ signOff: boolean; revoke: boolean; renew: boolean; addEvidence: boolean }> {
  const department = (await departmentOf(em, principal))?.code;
  // As addEvidence checks it: the applying department's head, while the application is reviewed.
  const addEvidence = item.status === 'under_review' && principal.roles.includes('dept_head') && department === item.department.code;
  const workflow = item.workflow;
  if (!workflow || !deps.workflows) return { signOff: false, revoke: false, renew: false, addEvidence };
  const facts = {
    state: item.status as FullRecordingStatus['state'],
    applicant: item.applicant,
    department: item.department.code,
    awaiting: (workflow.awaiting ?? undefined) as SignOffRole | undefined,
    signOffs: workflow.signOffs as FullRecordingStatus['signOffs'],
    untilRevoked: item.periodTo === null,
  };
  const allowedAs = (action: FullRecordingAction) => 'actor' in judgeFullRecordingStep(facts, stepUser(principal, department), action);
  return { signOff: allowedAs('sign_off'), revoke: allowedAs('revoke'), renew: allowedAs('renew'), addEvidence };
}

export interface FullRecordingOverview {
  /** Under review, waiting for one of the user's roles. */
  awaitingMe: ApplicationView[];
  /** Approved, the appliance not yet confirmed: with why. */
  notApplied: { item: ApplicationView; lastApplyError: string | null; attempts: number }[];
  /** Recording in full now, and on how many extensions. */
  active: number;
  activeExtensions: number;
  /** Open-ended ones whose yearly review falls within 30 days (the department head must renew). */
  reviewSoon: { item: ApplicationView; reviewDueAt: string }[];
}

const REVIEW_SOON_MS = 30 * 86_400_000;

/** The dashboard's card: what waits for this user, and what the managing department must watch. */
export async function readFullRecordingOverview(
  deps: Pick<FullRecordingDeps, 'workflows'>,
  em: EntityManager,
  principal: Principal,
  scope: 'everything' | 'ownDepartment',
  now = new Date(),
): Promise<FullRecordingOverview> {
  const department = scope === 'ownDepartment' ? await departmentOf(em, principal) : null;
  const overview: FullRecordingOverview = { awaitingMe: [], notApplied: [], active: 0, activeExtensions: 0, reviewSoon: [] };
  if (scope === 'ownDepartment' && !department) return overview;
  const open = await em.find(
    FullRecordingApplication,
    { status: { $in: OPEN }, ...(department ? { department } : {}) },
    { populate: POPULATE, orderBy: { createdAt: 'asc' }, limit: 200 },
  );
  for (const application of open) {
    const item = toApplicationView(application);
    if (application.status === 'active') {
      overview.active += 1;
      overview.activeExtensions += item.extensions.length;
    }
    const status = await deps.workflows?.status(application.id).catch(() => undefined);
    if (!status) continue;
    if (status.state === 'under_review' && status.awaiting && principal.roles.includes(status.awaiting)) overview.awaitingMe.push(item);
    if (status.state === 'approved' && status.applyAttempts > 0) {
      overview.notApplied.push({ item, lastApplyError: status.lastApplyError ?? null, attempts: status.applyAttempts });
    }
    if (status.state === 'active' && status.reviewDueAt && Date.parse(status.reviewDueAt) - now.getTime() < REVIEW_SOON_MS) {
      overview.reviewSoon.push({ item, reviewDueAt: status.reviewDueAt });
    }
  }
  return overview;
}
