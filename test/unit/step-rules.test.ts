/**
 * "May this user take this step of this case now, and if not why": the one rule the workflows' Update validators, the
 * API and the pages ask (domain/disclosure-steps.ts, domain/full-recording-steps.ts, through domain/sign-off.ts's
 * actAs). The expected tables are written out here, state by state, so a change to who may do what fails one line.
 */
import { judgeDisclosureStep, type DisclosureAction, type DisclosureFacts, type DisclosureState } from '../../domain/disclosure-steps';
import { judgeFullRecordingStep, type ApplicationFacts, type FullRecordingAction, type FullRecordingState } from '../../domain/full-recording-steps';
import { ROLE_IDS, type RoleId, type SignOffRole } from '../../domain/roles';
import { judgeSignOff, type SignOff, type User } from '../../domain/sign-off';

const signed = (role: SignOffRole, actor: string): SignOff => ({ role, actor, decision: 'approve', comment: '', at: '2026-12-01T00:00:00Z' });
/** A user holding one role, named after it (so no one has signed anything yet unless a case says so). */
const holder = (role: RoleId, department?: string): User => ({ username: `${role}.user`, roles: [role], ...(department ? { department } : {}) });
const allowedRoles = (judge: (user: User) => { actor: unknown } | { refusal: string }, department?: string) =>
  ROLE_IDS.filter((role) => 'actor' in judge(holder(role, department)));

describe('disclosure (Art. 9): who may take each step in each state', () => {
  const ACTIONS: readonly DisclosureAction[] = [
    'confirm_recordings',
    'submit',
    'sign_off',
    'withdraw',
    'handover_signed',
    'package_provided',
    'destruction_reported',
  ];
  const provision = (state: DisclosureState, more: Partial<DisclosureFacts> = {}): DisclosureFacts => ({
    state,
    kind: 'provision',
    signOffs: [],
    provided: false,
    ...more,
  });
  const cases: [string, DisclosureFacts, Partial<Record<DisclosureAction, RoleId[]>>][] = [
    ['registered', provision('registered'), { confirm_recordings: ['operator'], submit: ['operator'], withdraw: ['chief', 'operator'] }],
    ['in 결재, the operator awaited', provision('in_sign_off', { awaiting: 'operator' }), { sign_off: ['operator'], withdraw: ['chief', 'operator'] }],
    [
      'in 결재, the deputy awaited',
      provision('in_sign_off', { awaiting: 'deputy', signOffs: [signed('operator', 'operator.user')] }),
      { sign_off: ['deputy'], withdraw: ['chief', 'operator'] },
    ],
    ['awaiting the signed Form 2', provision('awaiting_handover'), { handover_signed: ['operator'], withdraw: ['chief', 'operator'] }],
    ['released (provision)', provision('released'), { package_provided: ['operator'] }],
    ['released (provision), the package already built', provision('released', { provided: true }), {}],
    ['released (viewing)', { ...provision('released'), kind: 'viewing' }, {}],
    ['awaiting Form 3', provision('awaiting_destruction_report', { provided: true }), { destruction_reported: ['operator'] }],
    ['closed', provision('closed'), {}],
    ['rejected', provision('rejected'), {}],
    ['withdrawn', provision('withdrawn'), {}],
  ];
  test.each(cases)('%s', (_name, facts, expected) => {
    for (const action of ACTIONS) {
      expect([action, allowedRoles((user) => judgeDisclosureStep(facts, user, action))]).toEqual([action, expected[action] ?? []]);
    }
  });

  test('refused with the reason in Korean, from the user’s own role', () => {
    expect(judgeDisclosureStep(provision('registered'), holder('staff'), 'submit')).toEqual({ refusal: '업무담당자만 녹취를 확인하고 결재에 올립니다.' });
    expect(judgeDisclosureStep(provision('closed'), holder('operator'), 'withdraw')).toEqual({ refusal: '이미 종결된 신청입니다.' });
    expect(judgeDisclosureStep(provision('released'), holder('chief'), 'withdraw')).toEqual({ refusal: '녹취정보를 내준 뒤에는 신청을 철회할 수 없습니다.' });
    expect(judgeDisclosureStep(provision('in_sign_off', { awaiting: 'deputy' }), holder('chief'), 'sign_off')).toEqual({
      refusal: '지금은 부책임자 (팀장) 차례입니다.',
    });
  });

  test('a user holding several roles acts as the one the step allows, and one person signs one step only', () => {
    const both: User = { username: 'kim.both', roles: ['deputy', 'operator'] };
    expect(judgeDisclosureStep(provision('in_sign_off', { awaiting: 'operator' }), both, 'sign_off')).toEqual({
      actor: { username: 'kim.both', role: 'operator' },
    });
    const afterOwn = provision('in_sign_off', { awaiting: 'deputy', signOffs: [signed('operator', 'kim.both')] });
    expect(judgeDisclosureStep(afterOwn, both, 'sign_off')).toEqual({ refusal: '같은 사람이 두 단계를 처리할 수 없습니다.' });
    expect(judgeDisclosureStep(provision('registered'), { username: 'nobody', roles: [] }, 'submit')).toEqual({ refusal: '이 단계를 처리할 권한이 없습니다.' });
  });
});

describe('full recording (Art. 6): who may take each step in each state', () => {
  const ACTIONS: readonly FullRecordingAction[] = ['sign_off', 'revoke', 'renew'];
  const application = (state: FullRecordingState, more: Partial<ApplicationFacts> = {}): ApplicationFacts => ({
    state,
    applicant: 'dept_head.user',
    department: 'welfare',
    signOffs: [],
    untilRevoked: false,
    ...more,
  });
  const cases: [string, ApplicationFacts, string, Partial<Record<FullRecordingAction, RoleId[]>>][] = [
    [
      'under review, the operator awaited; users of the applying department',
      application('under_review', { awaiting: 'operator' }),
      'welfare',
      {
        sign_off: ['operator'],
        revoke: ['chief', 'dept_head'],
      },
    ],
    ['under review; users of another department', application('under_review', { awaiting: 'chief' }), 'it', { sign_off: ['chief'], revoke: ['chief'] }],
    ['approved, not yet applied', application('approved'), 'welfare', { revoke: ['chief', 'dept_head'] }],
    ['active with an end date', application('active'), 'welfare', { revoke: ['chief', 'dept_head'] }],
    ['active until revoked', application('active', { untilRevoked: true }), 'welfare', { revoke: ['chief', 'dept_head'], renew: ['dept_head'] }],
    ['active until revoked; another department', application('active', { untilRevoked: true }), 'it', { revoke: ['chief'] }],
    ['rejected', application('rejected'), 'welfare', {}],
    ['ended', application('ended'), 'welfare', {}],
    ['revoked', application('revoked'), 'welfare', {}],
  ];
  test.each(cases)('%s', (_name, facts, department, expected) => {
    for (const action of ACTIONS) {
      expect([action, allowedRoles((user) => judgeFullRecordingStep(facts, user, action), department)]).toEqual([action, expected[action] ?? []]);
    }
  });

  test('nobody reviews their own application, and the reasons are Korean', () => {
    const own = application('under_review', { awaiting: 'operator', applicant: 'lee.operator' });
    expect(judgeFullRecordingStep(own, { username: 'lee.operator', roles: ['operator'] }, 'sign_off')).toEqual({
      refusal: '자신이 신청한 건은 검토하거나 승인할 수 없습니다.',
    });
    expect(judgeFullRecordingStep(application('active'), holder('dept_head', 'welfare'), 'renew')).toEqual({ refusal: '연장 검토 대상이 아닙니다.' });
    expect(judgeFullRecordingStep(application('approved'), holder('staff', 'welfare'), 'revoke')).toEqual({
      refusal: '신청 부서의 장 또는 과장만 철회·취소할 수 있습니다.',
    });
  });
});

test('the monthly access review: only the awaited role signs', () => {
  expect(allowedRoles((user) => judgeSignOff({ awaiting: 'chief', signOffs: [] }, user))).toEqual(['chief']);
  expect(judgeSignOff({ signOffs: [] }, holder('chief'))).toEqual({ refusal: '결재 단계가 아닙니다.' });
});
