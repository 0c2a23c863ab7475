/**
 * What the lifecycles tell people that someone in the system must see. 알림: what they tell people inside the system (reminders to approve, the yearly review), shown on the
 * dashboard of whoever they are addressed to; and the letters to post, which the managing department prints and sends. The workflows address a role (`operator`) or a department's head
 * (`dept_head:<department code>`), not a person, so that a reminder reaches whoever holds the role when it fires.
 */
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { appendAuditEvent, type AuditInput } from '../infra/audit/audit-log';
import { GeneratedDocument, Notification } from '../infra/db/entities';
import type { Principal } from './access';
import { departmentOf } from './departments';
import { ApiError, notFound } from './errors';

export interface InAppNotification {
  subject: string;
  body: string;
  at: string;
  /** The page of the case it is about. */
  link?: string;
}

const CASE_PAGES: Record<string, (id: string) => string> = {
  full_recording_application: (id) => `/full-recording/${id}`,
  disclosure_request: (id) => `/disclosure/${id}`,
  access_review: (id) => `/access-reviews/${id}`,
  recording: (id) => `/recordings/${id}`,
};

const SHOWN = 10;
const WINDOW_MS = 30 * 86_400_000;

/**
 * The addresses a user answers to: each of their roles, their department's head if they are one, and themselves by
 * name (a hold's reviewer is a person, not a role).
 */
export async function addressesOf(em: EntityManager, principal: Principal): Promise<string[]> {
  const addresses: string[] = [...principal.roles, `user:${principal.username}`];
  if (principal.roles.includes('dept_head')) {
    const department = await departmentOf(em, principal);
    if (department) addresses.push(`dept_head:${department.code}`);
  }
  return addresses;
}

/** The newest in-app notifications of the last 30 days addressed to this user. */
export async function readInAppNotifications(em: EntityManager, principal: Principal, now = new Date()): Promise<InAppNotification[]> {
  const rows = await em.find(
    Notification,
    { channel: 'in_app', recipient: { $in: await addressesOf(em, principal) }, triggeredAt: { $gte: new Date(now.getTime() - WINDOW_MS) } },
    { orderBy: { triggeredAt: 'desc' }, limit: SHOWN },
  );
  return rows.map((row) => ({
    subject: row.subject,
    body: row.body,
    at: row.triggeredAt.toISOString(),
    link: CASE_PAGES[row.relatedType]?.(row.relatedId),
  }));
}

/** Where a case's generated documents are downloaded (the managing department's routes). */
const CASE_DOCUMENTS: Record<string, (caseId: string, documentId: string) => string> = {
  disclosure_request: (caseId, documentId) => `/api/disclosure-requests/${caseId}/documents/${documentId}`,
};

export const letterToPost = z.object({
  id: z.string(),
  subject: z.string(),
  recipient: z.string().describe('받는 사람의 주소'),
  body: z.string(),
  triggeredAt: z.string(),
  caseLink: z.string().nullable(),
  enclosures: z.array(z.object({ id: z.string(), purpose: z.string(), sha256: z.string(), link: z.string().nullable() })).describe('인쇄해 동봉할 공문·서식'),
});
export type LetterToPost = z.infer<typeof letterToPost>;

/**
 * Letters the lifecycles decided to send by post (a recipient without e-mail): the managing department prints the
 * enclosed official letter, posts it, and records that it did; until then the letter waits here, oldest first.
 */
export async function readLettersToPost(em: EntityManager): Promise<LetterToPost[]> {
  const rows = await em.find(Notification, { channel: 'post', status: 'pending' }, { orderBy: { triggeredAt: 'asc' }, limit: 100 });
  const ids = rows.flatMap((row) => row.attachmentDocumentIds ?? []);
  const documents = new Map((ids.length ? await em.find(GeneratedDocument, { id: { $in: ids } }) : []).map((document) => [document.id, document]));
  return rows.map((row) => ({
    id: row.id,
    subject: row.subject,
    recipient: row.recipient,
    body: row.body,
    triggeredAt: row.triggeredAt.toISOString(),
    caseLink: CASE_PAGES[row.relatedType]?.(row.relatedId) ?? null,
    enclosures: (row.attachmentDocumentIds ?? []).flatMap((id) => {
      const document = documents.get(id);
      return document ? [{ id, purpose: document.purpose, sha256: document.sha256, link: CASE_DOCUMENTS[row.relatedType]?.(row.relatedId, id) ?? null }] : [];
    }),
  }));
}

/** The operator posted the letter: it leaves the list, with an audit entry naming who and when. */
export async function recordLetterPosted(em: EntityManager, identity: Pick<AuditInput, 'actor' | 'role' | 'sourceAddress'>, id: string): Promise<void> {
  await em.fork().transactional(async (tx) => {
    const row = await tx.findOne(Notification, { id, channel: 'post' });
    if (!row) throw notFound();
    if (row.status !== 'pending') throw new ApiError(409, 'ACTION_REFUSED', '이미 발송 처리된 우편입니다.', { status: row.status });
    row.status = 'sent';
    row.sentAt = new Date();
    row.attempts += 1;
    await tx.flush();
    await appendAuditEvent(tx, {
      ...identity,
      action: 'notification.posted',
      targetType: row.relatedType,
      targetId: row.relatedId,
      reason: `우편 발송: ${row.subject}`,
      detail: { notificationId: row.id, enclosures: row.attachmentDocumentIds ?? [] },
    });
  });
}
