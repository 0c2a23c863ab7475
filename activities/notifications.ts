/**
 * Queues what the system tells people into the notification outbox, with its audit entry, in one
 * transaction. The idempotency key (workflow id + purpose) makes a retried activity return the row
 * it wrote the first time instead of writing a second one.
 */
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Notification, type NotificationChannel } from '../infra/db/entities';
import { onceByKey } from './idempotency';

export interface QueueNotificationInput {
  idempotencyKey: string;
  channel: NotificationChannel;
  recipient: string;
  subject: string;
  body: string;
  relatedType: string;
  relatedId: string;
  /** Workflow time at which the lifecycle decided to notify (ISO). */
  triggeredAt: string;
  /** Who causes it: `system:<workflow type>` for timers. */
  actor: string;
  /** Generated documents that go with it (a letter to print, an e-mail's attachments). */
  attachmentDocumentIds?: string[];
}

export interface NotificationActivityDeps {
  orm: MikroORM;
}

export function createNotificationActivities({ orm }: NotificationActivityDeps) {
  return {
    // An arrow, not a method: callers take it off the object; it uses no `this`.
    queueNotification: (input: QueueNotificationInput): Promise<{ id: string; created: boolean }> => {
      return onceByKey<{ id: string; created: boolean }>(
        async () => {
          const existing = await orm.em.fork().findOne(Notification, { idempotencyKey: input.idempotencyKey });
          return existing ? { id: existing.id, created: false } : undefined;
        },
        async () => {
          const id = await orm.em.fork().transactional(async (em) => {
            const notification = new Notification(
              input.idempotencyKey,
              input.channel,
              input.recipient,
              input.subject,
              input.body,
              input.relatedType,
              input.relatedId,
              new Date(input.triggeredAt),
            );
            if (input.attachmentDocumentIds?.length) notification.attachmentDocumentIds = input.attachmentDocumentIds;
            // In-app is delivered by being stored: the dashboard shows it to its addressees (api/notifications.ts).
            if (input.channel === 'in_app') {
              notification.status = 'sent';
              notification.sentAt = new Date();
            }
            em.persist(notification);
            await appendAuditEvent(em, {
              actor: input.actor,
              role: 'system',
              sourceAddress: 'worker',
              action: 'notification.queued',
              targetType: input.relatedType,
              targetId: input.relatedId,
              reason: input.subject,
              detail: {
                notificationId: notification.id,
                channel: input.channel,
                idempotencyKey: input.idempotencyKey,
                triggeredAt: input.triggeredAt,
              },
            });
            return notification.id;
          });
          return { id, created: true };
        },
      );
    },
  };
}
