/**
 * Who may do what to a full-recording application (전수 녹취 신청, Art. 6), as one pure function: the workflow refuses
 * a signal that breaks these rules, and the API asks the same function first so the user gets a clear Korean answer
 * instead of a signal that would be refused. Deterministic: no I/O, safe in workflow code.
 */
import { type SignOffRole } from './roles';
import { actAs, signOffRefusal, type Actor, type SignOff, type User } from './sign-off';

export type { Actor, SignOff } from './sign-off';

export type FullRecordingState = 'under_review' | 'approved' | 'active' | 'rejected' | 'ended' | 'revoked';

/** What the rules need to know about an application. */
export interface ApplicationFacts {
  state: FullRecordingState;
  applicant: string;
  department: string;
  /** The role whose sign-off is awaited (under review only). */
  awaiting?: SignOffRole;
  signOffs: readonly SignOff[];
  /** Until revoked, with a yearly review (no end date). */
  untilRevoked: boolean;
}

export type FullRecordingAction = 'sign_off' | 'revoke' | 'renew';

/** Korean reason the action is refused, or undefined when it is allowed. */
export function refusalOf(application: ApplicationFacts, actor: Actor, action: FullRecordingAction): string | undefined {
  const closed = application.state === 'rejected' || application.state === 'ended' || application.state === 'revoked';
  if (closed) return '이미 종결된 신청입니다.';
  const ownDepartmentHead = actor.role === 'dept_head' && actor.department === application.department;
  switch (action) {
    case 'sign_off':
      if (application.state !== 'under_review') return '검토·승인 단계가 아닙니다.';
      if (actor.username === application.applicant && actor.role === application.awaiting) return '자신이 신청한 건은 검토하거나 승인할 수 없습니다.';
      return signOffRefusal(application, actor);
    case 'revoke':
      return ownDepartmentHead || actor.role === 'chief' ? undefined : '신청 부서의 장 또는 과장만 철회·취소할 수 있습니다.';
    case 'renew':
      if (application.state !== 'active' || !application.untilRevoked) return '연장 검토 대상이 아닙니다.';
      return ownDepartmentHead ? undefined : '신청 부서의 장만 연장할 수 있습니다.';
  }
}

/** The role this user takes the step as, or why they may not: the rule above, through the one user-to-actor mapping. */
export function judgeFullRecordingStep(application: ApplicationFacts, user: User, action: FullRecordingAction): { actor: Actor } | { refusal: string } {
  return actAs(user, (actor) => refusalOf(application, actor, action));
}
