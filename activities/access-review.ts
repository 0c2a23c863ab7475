/**
 * 월간 접근기록 점검 (안전성 확보조치 기준 제8조): the month's access report, made once from the audit chain and kept
 * as a sealed document, and the chief's sign-off recorded with its audit entry. Idempotent per month: a retried
 * activity, or a second run for the same month, finds the review already made.
 */
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { AccessReview, AuditEvent } from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import type { LegalCalendar } from '../domain/legal-period';
import { AccessAnalysis, summarise, writeAccessReportXlsx } from '../templates/access-report';
import type { DocumentContext } from '../templates/case-documents';
import { storeGeneratedDocument } from './documents';
import { onceByKey } from './idempotency';

export interface AccessReviewActivityDeps {
  orm: MikroORM;
  documents: DocumentStore;
  calendar: LegalCalendar;
  site: DocumentContext;
}

export interface OpenAccessReviewInput {
  /** `YYYY-MM` */
  month: string;
  workflowId: string;
  readsPerDayLimit: number;
  refusalsPerDayLimit: number;
  /** Workflow time the report is made at. */
  at: string;
}

export interface OpenedAccessReview {
  reviewId: string;
  reportDocumentId: string;
  /** The run the review belongs to: another run for the same month ends without a second task for the chief. */
  workflowId: string;
  summary: Record<string, unknown>;
}

const TARGET = 'access_review';
const WORKING_HOURS = [9, 18] as const;
/** Audit entries read per query while the month is analysed. */
const PAGE = 10_000;

function nextMonth(month: string): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
}

export function createAccessReviewActivities({ orm, documents, calendar, site }: AccessReviewActivityDeps) {
  const existing = async (month: string): Promise<OpenedAccessReview | undefined> => {
    const row = await orm.em.fork().findOne(AccessReview, { month });
    return row ? { reviewId: row.id, reportDocumentId: row.reportDocumentId, workflowId: row.workflowId, summary: row.summary } : undefined;
  };

  return {
    async openAccessReview(input: OpenAccessReviewInput): Promise<OpenedAccessReview> {
      return onceByKey(
        () => existing(input.month),
        async () => {
          const from = calendar.startOfDay(`${input.month}-01`);
          const to = calendar.startOfDay(`${nextMonth(input.month)}-01`);
          const analysis = new AccessAnalysis({
            isWorkingDay: (day) => !calendar.isNonWorkingDay(day),
            timeZone: site.timeZone,
            workingHours: WORKING_HOURS,
            readsPerDayLimit: input.readsPerDayLimit,
            refusalsPerDayLimit: input.refusalsPerDayLimit,
          });
          const chain: { firstSeq: number | null; lastSeq: number | null; lastHash: string | null } = { firstSeq: null, lastSeq: null, lastHash: null };
          for (let after = 0; ;) {
            const rows = await orm.em.fork().find(AuditEvent, { at: { $gte: from, $lt: to }, seq: { $gt: after } }, { orderBy: { seq: 'asc' }, limit: PAGE });
            if (rows.length === 0) break;
            analysis.add(rows);
            const last = rows.at(-1)!;
            chain.firstSeq ??= rows[0]!.seq;
            chain.lastSeq = last.seq;
            chain.lastHash = last.hash;
            after = last.seq;
          }
          const findings = analysis.findings();
          const xlsx = await writeAccessReportXlsx(findings, {
            municipalityName: site.municipalityName,
            month: input.month,
            generatedAt: new Date(input.at),
            timeZone: site.timeZone,
            chain,
          });
          const review = new AccessReview(input.month, input.workflowId, '', { ...summarise(findings), chain });
          const document = await storeGeneratedDocument(
            { orm, documents },
            {
              idempotencyKey: `${TARGET}-${input.month}:report`,
              kind: 'access-review-report',
              caseType: TARGET,
              caseId: review.id,
              purpose: `${input.month} 접근기록 점검 보고서`,
              actor: 'system:accessReviewWorkflow',
              templateSource: 'built-in',
            },
            xlsx,
          );
          review.reportDocumentId = document.documentId;
          await orm.em.fork().transactional(async (em) => {
            em.persist(review);
            await em.flush();
            await appendAuditEvent(em, {
              actor: 'system:accessReviewWorkflow',
              role: 'system',
              sourceAddress: 'worker',
              action: 'access_review.reported',
              targetType: TARGET,
              targetId: review.id,
              reason: `${input.month} 접근기록 점검 보고서 작성`,
              detail: { month: input.month, documentId: document.documentId, sha256: document.sha256, ...review.summary },
            });
          });
          return { reviewId: review.id, reportDocumentId: document.documentId, workflowId: input.workflowId, summary: review.summary };
        },
      );
    },

    /** The chief signed the month off: recorded once, with who, when and what they wrote. */
    async recordAccessReviewSignedOff(input: { reviewId: string; actor: string; comment: string; at: string }): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const review = await em.findOneOrFail(AccessReview, input.reviewId);
        if (review.status === 'signed_off') return;
        Object.assign(review, { status: 'signed_off', signedOffBy: input.actor, signedOffAt: new Date(input.at), comment: input.comment });
        await em.flush();
        await appendAuditEvent(em, {
          actor: input.actor,
          role: 'chief',
          sourceAddress: 'worker',
          action: 'access_review.signed_off',
          targetType: TARGET,
          targetId: review.id,
          reason: input.comment || `${review.month} 접근기록 점검 완료`,
          detail: { month: review.month, documentId: review.reportDocumentId },
        });
      });
    },
  };
}
