import { EntitySchema } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { UnicodeTextType } from '../types';

export const ACCESS_REVIEW_STATUSES = ['awaiting_sign_off', 'signed_off'] as const;
export type AccessReviewRowStatus = (typeof ACCESS_REVIEW_STATUSES)[number];

/**
 * 월간 접근기록 점검: one month's access report and the chief's sign-off of it. The report itself is a generated
 * document (sealed XLSX); the counts are kept here for the list and the dashboard.
 */
export class AccessReview extends BaseEntity<'status' | 'signedOffBy' | 'signedOffAt' | 'comment'> {
  status: AccessReviewRowStatus = 'awaiting_sign_off';
  signedOffBy?: string;
  signedOffAt?: Date;
  comment?: string;
  constructor(
    /** `YYYY-MM` in the city's time zone. */
    public month: string,
    /** The run reviewing it; a second run for the same month (a schedule's catch-up) finds this one and ends. */
    public workflowId: string,
    public reportDocumentId: string,
    /** Counts: entries, users, releases, refusals, afterHours, anomalies; and the audit chain range covered. */
    public summary: Record<string, unknown>,
  ) {
    super();
  }
}

export const AccessReviewSchema = new EntitySchema<AccessReview, BaseEntity>({
  class: AccessReview,
  extends: 'BaseEntity',
  tableName: 'access_review',
  properties: {
    month: { type: 'string', length: 7, unique: true },
    workflowId: { type: 'string', length: 200 },
    reportDocumentId: { type: 'string', length: 64 },
    summary: { type: 'json' },
    status: { enum: true, items: () => [...ACCESS_REVIEW_STATUSES], type: 'string', length: 32, default: 'awaiting_sign_off' },
    signedOffBy: { type: 'string', length: 128, nullable: true },
    signedOffAt: { type: 'datetime', nullable: true },
    comment: { type: UnicodeTextType, nullable: true },
  },
});
