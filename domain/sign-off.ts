/**
 * 결재: the rule both lifecycles share (a full-recording application's review and approval, a disclosure request's
 * 담당자 → 팀장 → 과장): each role of the chain signs in turn, and one person signs one step only. Pure: the workflow,
 * the API and the pages ask the same function.
 */
import { ROLE_LABELS, type RoleId, type SignOffRole } from './roles';

export interface Actor {
  username: string;
  role: RoleId;
  /** The actor's department code from the directory. */
  department?: string;
}

/** A logged-in user as the step rules see them: every role the directory gives them, not one picked beforehand. */
export interface User {
  username: string;
  roles: readonly RoleId[];
  /** The user's department code from the directory. */
  department?: string;
}

/**
 * The one answer to "may this user take this step now": the first of the user's roles under which the rule allows it
 * (so someone holding several roles signs as the one the step awaits), or the Korean reason it is refused. The
 * workflow's Update validators, the API and the pages all ask through this, so they cannot disagree on the mapping
 * from the user to the acting role.
 */
export function actAs(user: User, refusalAs: (actor: Actor) => string | undefined): { actor: Actor } | { refusal: string } {
  let first: string | undefined;
  for (const role of user.roles) {
    const actor: Actor = user.department === undefined ? { username: user.username, role } : { username: user.username, role, department: user.department };
    const refusal = refusalAs(actor);
    if (refusal === undefined) return { actor };
    first ??= refusal;
  }
  return { refusal: first ?? '이 단계를 처리할 권한이 없습니다.' };
}

/** The role this user signs the awaited step as, or why they may not. */
export function judgeSignOff(chain: { awaiting?: SignOffRole; signOffs: readonly SignOff[] }, user: User): { actor: Actor } | { refusal: string } {
  return actAs(user, (actor) => signOffRefusal(chain, actor));
}

export interface SignOff {
  role: SignOffRole;
  actor: string;
  decision: 'approve' | 'reject';
  comment: string;
  at: string;
}

export interface SignOffSignal {
  actor: Actor;
  decision: 'approve' | 'reject';
  comment: string;
}

/** Why this actor may not sign the awaited step now (Korean), or undefined. */
export function signOffRefusal(chain: { awaiting?: SignOffRole; signOffs: readonly SignOff[] }, actor: Actor): string | undefined {
  if (!chain.awaiting) return '결재 단계가 아닙니다.';
  if (actor.role !== chain.awaiting) return `지금은 ${ROLE_LABELS[chain.awaiting]} 차례입니다.`;
  if (chain.signOffs.some((signOff) => signOff.actor === actor.username)) return '같은 사람이 두 단계를 처리할 수 없습니다.';
  return undefined;
}
