/**
 * What the disclosure pages read beyond one case's detail: which steps this user may take now — asked of the rule the
 * workflow's Update validator applies (domain/disclosure-steps.ts) —
 * and the overview of open cases for the list and the dashboard: how many in each state, those awaiting one of the
 * user's 결재 roles, and those whose Form 3 deadline (Art. 9(4)) has passed.
 */
import type { EntityManager } from '@mikro-orm/core';
import { DisclosureRequest } from '../infra/db/entities';
import { DISCLOSURE_STATUSES, type DisclosureStatus as CaseState } from '../domain/disclosure';
import { type SignOffRole } from '../domain/roles';
import { judgeDisclosureStep, type DisclosureAction, type DisclosureFacts } from '../domain/disclosure-steps';
import { stepUser, type Principal } from './access';
import { toRequestView, type DisclosureDeps } from './disclosure';
import { type RequestDetail, type RequestView } from './disclosure-schemas';

const ENDED: readonly CaseState[] = ['closed', 'rejected', 'withdrawn'];
/** As many open cases as a managing department has in a year, many times over; the rest wait their turn. */
const OPEN_LIMIT = 200;

/** Whether the user may take the step now, as the workflow's Update validator will judge it. */
function mayTake(facts: DisclosureFacts, principal: Principal, action: DisclosureAction): boolean {
  return 'actor' in judgeDisclosureStep(facts, stepUser(principal), action);
}

export interface DisclosureSteps {
  confirmRecordings: boolean;
  submit: boolean;
  signOff: boolean;
  withdraw: boolean;
  attach: boolean;
  handover: boolean;
  buildPackage: boolean;
  destructionReport: boolean;
}

/** The forms the case page offers this user now; none without the workflow's view of the case. */
export function permittedSteps(principal: Principal, item: RequestDetail): DisclosureSteps {
  const workflow = item.workflow;
  if (!workflow) {
    return {
      confirmRecordings: false,
      submit: false,
      signOff: false,
      withdraw: false,
      attach: false,
      handover: false,
      buildPackage: false,
      destructionReport: false,
    };
  }
  const facts: DisclosureFacts = {
    state: workflow.state as CaseState,
    kind: item.kind,
    awaiting: (workflow.awaiting ?? undefined) as SignOffRole | undefined,
    signOffs: workflow.signOffs as DisclosureFacts['signOffs'],
    // A package once built is not offered again, even in the moment before the workflow has heard of it.
    provided: workflow.state === 'awaiting_destruction_report' || item.attachments.some((file) => file.purpose === 'provision_package'),
  };
  const may = (action: DisclosureAction) => mayTake(facts, principal, action);
  return {
    confirmRecordings: may('confirm_recordings'),
    submit: may('submit'),
    signOff: may('sign_off'),
    withdraw: may('withdraw'),
    // Which kind of file fits which step is the API's to answer; the operator may add files while the case is open.
    attach: principal.roles.includes('operator') && !ENDED.includes(facts.state),
    handover: may('handover_signed'),
    buildPackage: may('package_provided'),
    destructionReport: may('destruction_reported'),
  };
}

export interface DisclosureOverview {
  /** Open cases by the state their workflow is in, in the order of the procedure. */
  open: { state: CaseState; count: number }[];
  /** In 결재, the next step one this user may sign. */
  awaitingMe: RequestView[];
  /** Provided, and the recipient's Form 3 not back by its deadline. */
  overdue: { item: RequestView; lastDay: string; dueAt: string }[];
}

/** Reads the workflow status of open cases only: ended ones have nothing left to wait for. */
export async function readDisclosureOverview(
  deps: Pick<DisclosureDeps, 'workflows'>,
  em: EntityManager,
  principal: Principal,
  now = new Date(),
): Promise<DisclosureOverview> {
  const rows = await em.find(DisclosureRequest, { status: { $nin: [...ENDED] } }, { orderBy: { receivedAt: 'asc' }, limit: OPEN_LIMIT });
  const workflows = deps.workflows;
  const statuses = workflows ? await Promise.all(rows.map((row) => workflows.status(row.id).catch(() => undefined))) : rows.map(() => undefined);
  const overview: DisclosureOverview = { open: [], awaitingMe: [], overdue: [] };
  const counts = new Map<CaseState, number>();
  rows.forEach((row, index) => {
    const status = statuses[index];
    // The row follows the workflow a moment later; the workflow's state is the current one.
    const state = status?.state ?? row.status;
    if (ENDED.includes(state)) return;
    counts.set(state, (counts.get(state) ?? 0) + 1);
    if (!status) return;
    const item = toRequestView(row);
    const facts: DisclosureFacts = { ...status, kind: row.kind, provided: status.provided !== undefined };
    if (state === 'in_sign_off' && mayTake(facts, principal, 'sign_off')) overview.awaitingMe.push(item);
    const deadline = status.destructionReport;
    if (deadline && Date.parse(deadline.dueAt) <= now.getTime()) overview.overdue.push({ item, lastDay: deadline.lastDay, dueAt: deadline.dueAt });
  });
  overview.open = DISCLOSURE_STATUSES.filter((state) => counts.has(state)).map((state) => ({ state, count: counts.get(state) as number }));
  return overview;
}
