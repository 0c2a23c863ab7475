/**
 * Delivers an e-mail notification from the outbox (activities/notifications.ts queues it) with the generated
 * documents it names attached, and records the outcome on the row and in the audit log.
 *
 * Idempotent across retries: a row already `sent` is not sent again. The one gap left — the relay accepted the
 * message, then the worker died before the row said so — sends it a second time with the same Message-ID, derived
 * from the notification id, so the recipient's mail system and any reader can tell it is the same message.
 */
import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { GeneratedDocument, Notification } from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import { MailDeliveryError, type MailAttachment, type Mailer } from '../infra/mail';
import { FORM_KINDS, type FormKind } from '../templates/forms';

export interface MailActivityDeps {
  orm: MikroORM;
  documents: DocumentStore;
  mailer: Mailer;
}

export interface DeliverNotificationInput {
  notificationId: string;
}

export interface DeliverNotificationResult {
  messageId: string;
  /** False when an earlier attempt had already sent it, and nothing was sent now. */
  sentNow: boolean;
}

const ACTOR = 'system:mail';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** One plain address, as the outbox stores recipients: a list or a display name here would be a bug upstream. */
const ADDRESS = /^[^\s<>()@,;:"\\[\]]+@[^\s<>()@,;:"\\[\]]+\.[^\s<>()@,;:"\\[\]]+$/;
const LAST_ERROR_MAX = 2000;

const OFFICE_FORMATS = {
  docx: { extension: '.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  xlsx: { extension: '.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
} as const;

/** What a recipient calls each form; a new form kind does not compile until it is named here. */
const FORM_TITLES: Record<FormKind, string> = {
  'form1-application': '녹취정보 열람·제공 신청서',
  'form2-handover-receipt': '녹취정보 인수·인계증',
  'form3-destruction-report': '녹취정보 파기 결과 회신서',
  'form4-ledger': '녹취정보 관리대장',
  'full-recording-application': '전수 녹취 사용 신청서',
  'disclosure-rejection-notice': '녹취정보 신청 거부 통지서',
  'destruction-report-reminder': '녹취정보 파기 결과 회신 요청',
  'destruction-report-escalation': '녹취정보 파기 결과 미회신 보고',
};

const isFormKind = (kind: string): kind is FormKind => (FORM_KINDS as readonly string[]).includes(kind);

/**
 * The forms are DOCX; anything else (the ledger as a workbook) is told by its bytes: both are ZIP packages, and the
 * part names of their main document are stored uncompressed in the ZIP headers.
 */
function officeFormatOf(document: GeneratedDocument, content: Buffer): keyof typeof OFFICE_FORMATS {
  if (isFormKind(document.kind)) return 'docx';
  if (content.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    if (content.includes('xl/workbook.xml')) return 'xlsx';
    if (content.includes('word/document.xml')) return 'docx';
  }
  throw ApplicationFailure.create({
    type: 'AttachmentFormatUnknown',
    message: `첨부할 문서 ${document.id}(${document.kind})가 DOCX나 XLSX가 아닙니다`,
    nonRetryable: true,
  });
}

/**
 * A file name the recipient can read: the purpose when it is written in Korean (it names this very document, e.g.
 * `파기 결과 회신서 (빈 서식)`), otherwise the form's title; without what Windows refuses in a file name.
 */
function fileNameOf(document: GeneratedDocument, extension: string): string {
  const base = /[\uac00-\ud7a3]/.test(document.purpose) ? document.purpose : isFormKind(document.kind) ? FORM_TITLES[document.kind] : '문서';
  const cleaned = base
    .replace(/[\\/:*?"<>|\u0000-\u001f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[. ]+$/, '')
    .slice(0, 80);
  return `${cleaned || '문서'}${extension}`;
}

/** Two attachments of the same name would overwrite each other in the recipient's download folder. */
function uniqueNames(attachments: MailAttachment[]): MailAttachment[] {
  const seen = new Map<string, number>();
  return attachments.map((attachment) => {
    const count = (seen.get(attachment.filename) ?? 0) + 1;
    seen.set(attachment.filename, count);
    if (count === 1) return attachment;
    const dot = attachment.filename.lastIndexOf('.');
    return { ...attachment, filename: `${attachment.filename.slice(0, dot)} (${count})${attachment.filename.slice(dot)}` };
  });
}

interface LoadedAttachment {
  mail: MailAttachment;
  /** For the audit entry: which document, and the hash of the bytes that left. */
  evidence: { documentId: string; sha256: string };
}

async function loadAttachments(em: EntityManager, documents: DocumentStore, ids: readonly string[]): Promise<LoadedAttachment[]> {
  if (ids.length === 0) return [];
  const rows = await em.find(GeneratedDocument, { id: { $in: [...ids] } }, { populate: ['wrappedKey'] });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const loaded = ids.map((id) => {
    const document = byId.get(id);
    if (!document) {
      throw ApplicationFailure.create({ type: 'AttachmentMissing', message: `첨부할 문서가 없습니다: ${id}`, nonRetryable: true });
    }
    const content = documents.get(document.id, document.wrappedKey);
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (sha256 !== document.sha256) {
      throw ApplicationFailure.create({
        type: 'AttachmentCorrupted',
        message: `첨부할 문서 ${id}의 내용이 만들 때와 다릅니다 (SHA-256 불일치)`,
        nonRetryable: true,
      });
    }
    const format = OFFICE_FORMATS[officeFormatOf(document, content)];
    return {
      mail: { filename: fileNameOf(document, format.extension), contentType: format.contentType, content },
      evidence: { documentId: id, sha256 },
    };
  });
  const named = uniqueNames(loaded.map((attachment) => attachment.mail));
  return loaded.map((attachment, index) => ({ ...attachment, mail: named[index] as MailAttachment }));
}

/** One delivery attempt in the audit chain: ids and codes only; the recipient's address stays on the notification row. */
function auditDelivery(em: EntityManager, notification: Notification, action: 'notification.sent' | 'notification.failed', detail: Record<string, unknown>) {
  return appendAuditEvent(em, {
    actor: ACTOR,
    role: 'system',
    sourceAddress: 'worker',
    action,
    targetType: notification.relatedType,
    targetId: notification.relatedId,
    reason: notification.subject,
    detail: { notificationId: notification.id, channel: notification.channel, attempts: notification.attempts, ...detail },
  });
}

export function createMailActivities({ orm, documents, mailer }: MailActivityDeps) {
  const recordSent = (notificationId: string, messageId: string, receipt: string, attachments: LoadedAttachment[]) =>
    orm.em.fork().transactional(async (em) => {
      const notification = await em.findOneOrFail(Notification, notificationId);
      notification.status = 'sent';
      notification.sentAt = new Date();
      notification.attempts += 1;
      await auditDelivery(em, notification, 'notification.sent', { messageId, receipt, attachments: attachments.map((attachment) => attachment.evidence) });
    });

  const recordFailure = (notificationId: string, messageId: string, error: unknown) =>
    orm.em.fork().transactional(async (em) => {
      const notification = await em.findOneOrFail(Notification, notificationId);
      const message = error instanceof Error ? error.message : String(error);
      const delivery =
        error instanceof MailDeliveryError ? error : error instanceof Error && error.cause instanceof MailDeliveryError ? error.cause : undefined;
      notification.status = 'failed';
      notification.attempts += 1;
      notification.lastError = message.slice(0, LAST_ERROR_MAX);
      // Codes, not the relay's text: a rejection quotes the recipient's address.
      await auditDelivery(em, notification, 'notification.failed', {
        messageId,
        errorType: error instanceof ApplicationFailure ? (error.type ?? 'ApplicationFailure') : error instanceof Error ? error.name : 'unknown',
        errorCode: delivery?.code,
        responseCode: delivery?.responseCode,
      });
    });

  return {
    // An arrow, not a method: callers take it off the object; it uses no `this`.
    deliverNotification: async ({ notificationId }: DeliverNotificationInput): Promise<DeliverNotificationResult> => {
      const notFound = () => ApplicationFailure.create({ type: 'NotificationNotFound', message: `알림이 없습니다: ${notificationId}`, nonRetryable: true });
      if (!UUID.test(notificationId)) throw notFound();
      const em = orm.em.fork();
      const notification = await em.findOne(Notification, notificationId);
      if (!notification) throw notFound();
      const messageId = mailer.messageId(`notification.${notification.id}`);
      if (notification.status === 'sent') return { messageId, sentNow: false };
      if (notification.channel !== 'email') {
        throw ApplicationFailure.create({
          type: 'NotAnEmailNotification',
          message: `전자우편 알림이 아니어서 메일로 보내지 않습니다 (채널: ${notification.channel}, 알림 ${notification.id})`,
          nonRetryable: true,
        });
      }

      let attachments: LoadedAttachment[];
      let receipt: string;
      try {
        if (!ADDRESS.test(notification.recipient)) {
          throw ApplicationFailure.create({
            type: 'InvalidRecipient',
            message: `받는 사람이 전자우편 주소 하나가 아닙니다 (알림 ${notification.id})`,
            nonRetryable: true,
          });
        }
        attachments = await loadAttachments(em, documents, notification.attachmentDocumentIds ?? []);
        ({ receipt } = await mailer.send({
          messageId,
          to: notification.recipient,
          subject: notification.subject,
          text: notification.body,
          attachments: attachments.map((attachment) => attachment.mail),
        }));
      } catch (caught) {
        const error =
          caught instanceof MailDeliveryError && caught.recipientRejected
            ? ApplicationFailure.create({ type: 'MailRecipientRejected', message: caught.message, nonRetryable: true, cause: caught })
            : caught;
        try {
          await recordFailure(notification.id, messageId, error);
        } catch {
          // The delivery's own error is what the retry policy and the operator need; the row catches up next attempt.
        }
        throw error;
      }
      // Not inside the try: once the relay has the message, a failure here must not mark the row `failed`.
      await recordSent(notification.id, messageId, receipt, attachments);
      return { messageId, sentNow: true };
    },
  };
}
