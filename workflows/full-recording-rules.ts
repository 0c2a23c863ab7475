/**
 * Who may do what to a full-recording application (전수 녹취 신청, Art. 6), as one pure function: the workflow refuses
 * a signal that breaks these rules, and the API asks the same function first so the user gets a clear Korean answer
 * instead of a signal that would be refused. Deterministic: no I/O, safe in workflow code.
 */
import { ROLE_LABELS } from '../infra/role-labels';
import type { RoleId, SignOffRole } from '../infra/settings';

export interface Actor {
  username: string;
  role: RoleId;
  /** The actor's department code from the directory. */
  department?: string;
}

export type FullRecordingState = 'under_review' | 'approved' | 'active' | 'rejected' | 'ended' | 'revoked';

export interface SignOff {
  role: SignOffRole;
  actor: string;
  decision: 'approve' | 'reject';
  comment: string;
  at: string;
}

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
      if (application.state !== 'under_review' || !application.awaiting) return '검토·승인 단계가 아닙니다.';
      if (actor.role !== application.awaiting) return `지금은 ${ROLE_LABELS[application.awaiting]} 차례입니다.`;
      if (actor.username === application.applicant) return '자신이 신청한 건은 검토하거나 승인할 수 없습니다.';
      if (application.signOffs.some((signOff) => signOff.actor === actor.username)) {
        return '같은 사람이 두 단계를 처리할 수 없습니다.';
      }
      return undefined;
    case 'revoke':
      return ownDepartmentHead || actor.role === 'chief' ? undefined : '신청 부서의 장 또는 과장만 철회·취소할 수 있습니다.';
    case 'renew':
      if (application.state !== 'active' || !application.untilRevoked) return '연장 검토 대상이 아닙니다.';
      return ownDepartmentHead ? undefined : '신청 부서의 장만 연장할 수 있습니다.';
  }
}
