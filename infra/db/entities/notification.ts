import { EntitySchema } from '@mikro-orm/core';
import { UnicodeTextType } from '../types';
import { BaseEntity } from './base';

export const NOTIFICATION_CHANNELS = ['email', 'post', 'in_app'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * The outbox of everything the system tells people (reminders, escalations, decisions). The
 * idempotency key makes a retried activity find its earlier row instead of sending twice.
 */
export class Notification extends BaseEntity<'status' | 'sentAt' | 'attempts' | 'lastError' | 'attachmentDocumentIds'> {
  status: NotificationStatus = 'pending';
  /** Generated documents sent with it (an e-mail's attachments, a letter's enclosures), by id. */
  attachmentDocumentIds?: string[];
  sentAt?: Date;
  attempts = 0;
  lastError?: string;
  constructor(
    public idempotencyKey: string,
    public channel: NotificationChannel,
    public recipient: string,
    public subject: string,
    public body: string,
    public relatedType: string,
    public relatedId: string,
    /** When the lifecycle decided to send it (workflow time), which is what a reader of the case checks. */
    public triggeredAt: Date,
  ) {
    super();
  }
}

export const NotificationSchema = new EntitySchema<Notification, BaseEntity>({
  class: Notification,
  extends: 'BaseEntity',
  tableName: 'notification',
  indexes: [{ properties: ['relatedType', 'relatedId'] }, { properties: ['status'] }],
  properties: {
    idempotencyKey: { type: 'string', length: 200, unique: true },
    channel: { enum: true, items: () => [...NOTIFICATION_CHANNELS], type: 'string', length: 16 },
    recipient: { type: 'string', length: 254 },
    subject: { type: 'string', length: 300 },
    body: { type: UnicodeTextType },
    relatedType: { type: 'string', length: 64 },
    relatedId: { type: 'string', length: 128 },
    triggeredAt: { type: 'datetime' },
    status: { enum: true, items: () => [...NOTIFICATION_STATUSES], type: 'string', length: 16, default: 'pending' },
    sentAt: { type: 'datetime', nullable: true },
    attempts: { type: 'integer', default: 0 },
    lastError: { type: UnicodeTextType, nullable: true },
    attachmentDocumentIds: { type: 'json', nullable: true },
  },
});
