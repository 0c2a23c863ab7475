/**
 * Queues what the system tells people into the notification outbox, with its audit entry, in one
 * transaction. The idempotency key (workflow id + purpose) makes a retried activity return the row
 * it wrote the first time instead of writing a second one.
 */
import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Notification, type NotificationChannel } from '../infra/db/entities';

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
}

export interface NotificationActivityDeps {
  orm: MikroORM;
}

export function createNotificationActivities({ orm }: NotificationActivityDeps) {
  const findExisting = (key: string) => orm.em.fork().findOne(Notification, { idempotencyKey: key });

  return {
    async queueNotification(input: QueueNotificationInput): Promise<{ id: string; created: boolean }> {
      const existing = await findExisting(input.idempotencyKey);
      if (existing) return { id: existing.id, created: false };
      try {
        const id = await orm.em.fork().transactional(async (em) => {
          const notification = new Notification(
            input.idempotencyKey, input.channel, input.recipient, input.subject, input.body,
            input.relatedType, input.relatedId, new Date(input.triggeredAt),
          );
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
      } catch (error) {
        // A concurrent attempt of the same activity won the race: its row is the one.
        if (error instanceof UniqueConstraintViolationException) {
          const winner = await findExisting(input.idempotencyKey);
          if (winner) return { id: winner.id, created: false };
        }
        throw error;
      }
    },
  };
}
