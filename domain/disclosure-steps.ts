/**
 * Who may take which step of a disclosure request (녹취정보 열람·제공, Art. 9), as one pure function: the workflow
 * refuses a signal that breaks these rules, and the API asks the same function first so the user gets a clear Korean
 * answer instead of a signal that would be refused. Deterministic: no I/O, safe in workflow code.
 */
import { type DisclosureGround, type DisclosureKind, type DisclosureStatus as DisclosureState } from './disclosure';
import { formatKoreanDateTime } from './korean-time';
import { type SignOffRole } from './roles';
import { actAs, signOffRefusal, type Actor, type SignOff, type User } from './sign-off';

export type { DisclosureState };

export type DisclosureAction = 'confirm_recordings' | 'submit' | 'sign_off' | 'withdraw' | 'handover_signed' | 'package_provided' | 'destruction_reported';

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

/** The role this user takes the step as, or why they may not: the rule above, through the one user-to-actor mapping. */
export function judgeDisclosureStep(facts: DisclosureFacts, user: User, action: DisclosureAction): { actor: Actor } | { refusal: string } {
  return actAs(user, (actor) => disclosureRefusal(facts, actor, action));
}

/** What Art. 9(1) readiness looks at: the confirmed calls, the ground as written, and the ground's documents. */
export interface ReadinessFacts {
  confirmedRecordings: number;
  ground: DisclosureGround;
  groundDetail?: string;
  groundDocuments: number;
}

/**
 * Art. 9(1): a request goes to 결재 only with the calls it is about and its ground — the applicant is a party (and how
 * that was checked), or another law (named, with its document). Every problem, in Korean; none when it is ready.
 */
export function readinessProblems(facts: ReadinessFacts): string[] {
  const problems: string[] = [];
  if (facts.confirmedRecordings === 0) problems.push('확인된 녹취가 없습니다 (녹취 확인을 먼저 하십시오).');
  if (!facts.groundDetail?.trim()) {
    problems.push(facts.ground === 'party' ? '당사자임을 어떻게 확인했는지 적어야 합니다 (제9조제1항).' : '근거 법령과 조항을 적어야 합니다 (제9조제1항).');
  }
  if (facts.ground === 'other_law' && facts.groundDocuments === 0) problems.push('다른 법령에 근거한 신청은 그 근거 서류를 첨부해야 합니다.');
  return problems;
}

/** What playing a recording for 열람 depends on: the case's kind, its workflow's state and window, its confirmed calls. */
export interface ViewingFacts {
  kind: DisclosureKind;
  state?: DisclosureState;
  viewingUntil?: string | null;
  recordings: readonly string[];
}

/**
 * 열람 (Art. 9): a recording plays only for a viewing case, released (the signed Form 2 in), inside its window, and only
 * if it is one of the case's confirmed calls (`recordingId` left out: whether any may play now). Korean reason, or
 * undefined when it may play.
 */
export function playRefusal(facts: ViewingFacts, now: Date, timeZone: string, recordingId?: string): string | undefined {
  if (facts.kind !== 'viewing') return '열람 신청이 아닙니다.';
  if (facts.state !== 'released' || !facts.viewingUntil) return '인수·인계증 서명 뒤 열람 시간에만 들을 수 있습니다.';
  if (Date.parse(facts.viewingUntil) <= now.getTime()) return `열람 시간이 끝났습니다 (${formatKoreanDateTime(new Date(facts.viewingUntil), timeZone)}).`;
  if (recordingId !== undefined && !facts.recordings.includes(recordingId)) return '이 신청에서 확인된 녹취가 아닙니다.';
  return undefined;
}
