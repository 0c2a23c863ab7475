/**
 * 월간 접근기록 점검 (개인정보의 안전성 확보조치 기준 제8조): the steps the monthly access-review workflow reports,
 * fixed before the workflow itself exists so its BPMN model (access-review.bpmn), the UI's process view and the
 * workflow cannot disagree. A Temporal Schedule starts one run a month; the run produces the month's access report,
 * then gives the chief a review task and reminds them every few working days until they sign it off.
 *
 * Deterministic and import-free: the workflow will import it, and workflow code may import nothing with effects.
 */

/** In the order a run goes through them; the last one is terminal. */
export const ACCESS_REVIEW_STATES = ['preparing_report', 'awaiting_sign_off', 'signed_off'] as const;
export type AccessReviewState = (typeof ACCESS_REVIEW_STATES)[number];

/** What the workflow's status query answers; the process view reads `state` and `remindersSent`. */
export interface AccessReviewStatus {
  /** The month reviewed, `YYYY-MM` in the city's time zone. */
  month: string;
  state: AccessReviewState;
  /** The generated report (a case document), once written. */
  reportDocumentId?: string;
  /** Reminders sent to the chief while the review waited. */
  remindersSent: number;
  signedOff?: { actor: string; at: string; comment: string };
}
