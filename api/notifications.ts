/**
 * 알림: what the lifecycles tell people inside the system (reminders to approve, the yearly review), shown on the
 * dashboard of whoever they are addressed to. The workflows address a role (`operator`) or a department's head
 * (`dept_head:<department code>`), not a person, so that a reminder reaches whoever holds the role when it fires.
 */
import type { EntityManager } from '@mikro-orm/core';
import { Notification } from '../infra/db/entities';
import type { Principal } from './access';
import { departmentOf } from './departments';

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
};

const SHOWN = 10;
const WINDOW_MS = 30 * 86_400_000;

/** The addresses a user answers to: each of their roles, and their department's head if they are one. */
export async function addressesOf(em: EntityManager, principal: Principal): Promise<string[]> {
  const addresses: string[] = [...principal.roles];
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
