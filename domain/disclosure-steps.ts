/**
 * Who may take which step of a disclosure request (녹취정보 열람·제공, Art. 9), as one pure function: the workflow
 * refuses a signal that breaks these rules, and the API asks the same function first so the user gets a clear Korean
 * answer instead of a signal that would be refused. Deterministic: no I/O, safe in workflow code.
 */
import { type DisclosureKind, type DisclosureStatus as DisclosureState } from './disclosure';
import { type SignOffRole } from './roles';
import { signOffRefusal, type Actor, type SignOff } from './sign-off';

export type { DisclosureState };

export type DisclosureAction =
  | 'confirm_recordings'
  | 'submit'
  | 'sign_off'
  | 'withdraw'
  | 'handover_signed'
  | 'package_provided'
  | 'destruction_reported';

export interface DisclosureFacts {
  state: DisclosureState;
  kind: DisclosureKind;
  awaiting?: SignOffRole;
  signOffs: readonly SignOff[];
  /** The provision package has been handed over. */
  provided: boolean;
}

const BEFORE_RELEASE: readonly DisclosureState[] = ['registered', 'in_sign_off', 'awaiting_handover'];

/** Korean reason the action is refused, or undefined when it is allowed. */
export function disclosureRefusal(facts: DisclosureFacts, actor: Actor, action: DisclosureAction): string | undefined {
  if (facts.state === 'closed' || facts.state === 'rejected' || facts.state === 'withdrawn') return '이미 종결된 신청입니다.';
  const operator = actor.role === 'operator';
  switch (action) {
    case 'confirm_recordings':
    case 'submit':
      if (facts.state !== 'registered') return '접수 단계가 지났습니다.';
      return operator ? undefined : '업무담당자만 녹취를 확인하고 결재에 올립니다.';
    case 'sign_off':
      if (facts.state !== 'in_sign_off') return '결재 단계가 아닙니다.';
      return signOffRefusal(facts, actor);
    case 'withdraw':
      if (!BEFORE_RELEASE.includes(facts.state)) return '녹취정보를 내준 뒤에는 신청을 철회할 수 없습니다.';
      return operator || actor.role === 'chief' ? undefined : '업무담당자 또는 관리부서의 장이 신청인의 철회를 처리합니다.';
    case 'handover_signed':
      if (facts.state !== 'awaiting_handover') return '인수·인계증 서명 단계가 아닙니다.';
      return operator ? undefined : '업무담당자만 인수·인계를 처리합니다.';
    case 'package_provided':
      if (facts.kind !== 'provision') return '열람 신청에는 제공 파일이 없습니다.';
      if (facts.state !== 'released' || facts.provided) return '제공 파일을 만들 단계가 아닙니다.';
      return operator ? undefined : '업무담당자만 제공 파일을 만듭니다.';
    case 'destruction_reported':
      if (facts.state !== 'awaiting_destruction_report') return '파기 결과 회신을 받을 단계가 아닙니다.';
      return operator ? undefined : '업무담당자만 파기 결과 회신서를 접수합니다.';
  }
}
