/** The roles' Korean names, for pages and for workflows' messages alike (a pure module: safe in workflow code). */
import type { RoleId } from './settings';

export const ROLE_LABELS: Record<RoleId, string> = {
  chief: '관리부서의 장 (과장)',
  deputy: '부책임자 (팀장)',
  operator: '업무담당자',
  dept_head: '사용부서의 장',
  staff: '공무원·계약직',
  auditor: '감사·운영',
  records: '기록물 담당',
};
