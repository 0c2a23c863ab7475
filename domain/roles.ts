/** The roles of DESIGN.md's table and their Korean names, for pages and for workflows' messages alike. Pure. */
export const ROLE_IDS = ['chief', 'deputy', 'operator', 'dept_head', 'staff', 'auditor', 'records'] as const;
export type RoleId = (typeof ROLE_IDS)[number];
/** The managing department's sign-off roles (결재: 담당자 → 팀장 → 과장). */
export const SIGN_OFF_ROLES = ['operator', 'deputy', 'chief'] as const;
export type SignOffRole = (typeof SIGN_OFF_ROLES)[number];

export const ROLE_LABELS: Record<RoleId, string> = {
  chief: '관리부서의 장 (과장)',
  deputy: '부책임자 (팀장)',
  operator: '업무담당자',
  dept_head: '사용부서의 장',
  staff: '공무원·계약직',
  auditor: '감사·운영',
  records: '기록물 담당',
};
