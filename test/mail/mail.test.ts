/**
 * E-mail notifications delivered for real: a real SMTP server (smtp-server, its own process on loopback) receives
 * what the activity sends from the notification outbox over SQLite and PostgreSQL, and a recipient's parser
 * (mailparser) reads it back — recipient, Korean subject and body, the generated documents attached byte for byte.
 * Sent once however often delivered; a relay that is down leaves the row `failed`, audited, and a later retry sends
 * it; without SMTP_URL the same message lands in the outbox folder as an `.eml` file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { simpleParser, type AddressObject } from 'mailparser';
import { createDocumentActivities, type GeneratedDocumentRef } from '../../activities/documents';
import { createMailActivities, type DeliverNotificationResult } from '../../activities/mail';
import { createNotificationActivities } from '../../activities/notifications';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { newDataKey } from '../../infra/crypto/envelope';
import { AuditEvent, GeneratedDocument, Notification, type NotificationChannel } from '../../infra/db/entities';
import { createDocumentStore, type DocumentStore } from '../../infra/documents/document-store';
import { createMailer, type Mailer } from '../../infra/mail';
import { loadSettings } from '../../infra/settings';
import { BLANK_FORMS, municipality } from '../../templates/documents';
import { writeLedgerXlsx } from '../../templates/ledger';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp';

const MAIL_FROM = loadSettings({}).mailFrom;
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const RECIPIENT = 'hong.gildong@example.com';
const SUBJECT = '[광명시] 녹취정보 제공 2026-0001: 파기 결과 회신서를 보내 주십시오';
const BODY = [
  '홍길동 님께',
  '',
  '제공받으신 녹취정보(관리번호 2026-0001)를 파기하신 뒤, 첨부한 파기 결과 회신서를',
  '2026. 12. 28.까지 보내 주십시오.',
  '',
  '광명시 정보통신과 (02-2680-2114)',
].join('\n');

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((object) => object.value.map((address) => address.address));
/** The header section as received: every byte ASCII when the Korean in it is properly encoded. */
const headerSection = (raw: Buffer) => raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the delivery to fail');
}

describe.each(availableDrivers())('e-mail notifications on %s', (driver) => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let dataDir: string;
  let documents: DocumentStore;
  let mailer: Mailer;
  let deliverNotification: ReturnType<typeof createMailActivities>['deliverNotification'];
  let caseNumber = 0;

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    smtp = await startTestSmtpServer();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mail-test-'));
    documents = createDocumentStore({ dataDir, masterKey: newDataKey() });
    mailer = createMailer({ smtpUrl: smtp.url, mailFrom: MAIL_FROM, dataDir });
    ({ deliverNotification } = createMailActivities({ orm: db.orm, documents, mailer }));
  });

  afterAll(async () => {
    mailer?.close();
    await smtp?.close();
    await db?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const nextCase = () => `case-${driver}-${++caseNumber}`;

  const blankForm3 = (caseId: string, key = 'form3-blank'): Promise<GeneratedDocumentRef> =>
    createDocumentActivities({ orm: db.orm, documents }).generateDocument({
      idempotencyKey: `${caseId}:${key}`,
      kind: 'form3-destruction-report',
      fields: BLANK_FORMS['form3-destruction-report'](municipality('광명시')),
      caseType: 'disclosure_request',
      caseId,
      purpose: '파기 결과 회신서 (빈 서식)',
      actor: 'system:disclosure',
    });

  /** Queued by the real outbox activity, its attachments named as the disclosure workflow names them. */
  async function queueEmail(
    caseId: string,
    options: { recipient?: string; subject?: string; channel?: NotificationChannel; attachments?: string[] } = {},
  ): Promise<string> {
    const { id } = await createNotificationActivities({ orm: db.orm }).queueNotification({
      idempotencyKey: `${caseId}:form3-request`,
      channel: options.channel ?? 'email',
      recipient: options.recipient ?? RECIPIENT,
      subject: options.subject ?? SUBJECT,
      body: BODY,
      relatedType: 'disclosure_request',
      relatedId: caseId,
      triggeredAt: new Date().toISOString(),
      actor: 'system:disclosure',
    });
    if (options.attachments) {
      const em = db.orm.em.fork();
      const row = await em.findOneOrFail(Notification, id);
      row.attachmentDocumentIds = options.attachments;
      await em.flush();
    }
    return id;
  }

  const rowOf = (id: string) => db.orm.em.fork().findOneOrFail(Notification, id);
  const auditOf = async (id: string, action: string) =>
    (await db.orm.em.fork().find(AuditEvent, { action }, { orderBy: { seq: 'asc' } }))
      .map((event) => ({ ...event, facts: JSON.parse(event.detail) as Record<string, unknown> }))
      .filter((event) => event.facts.notificationId === id);
  const received = async (result: DeliverNotificationResult): Promise<ReceivedMail[]> =>
    (await smtp.messages()).filter((mail) => mail.parsed.messageId === result.messageId);

  test('arrives with its recipient, Korean subject and body, and the generated Form 3 byte for byte; the row says sent, audited', async () => {
    const caseId = nextCase();
    const form3 = await blankForm3(caseId);
    const id = await queueEmail(caseId, { attachments: [form3.documentId] });

    const result = await deliverNotification({ notificationId: id });
    expect(result).toEqual({ messageId: `<notification.${id}@localhost>`, sentNow: true });

    const [mail, ...more] = await received(result);
    expect(more).toEqual([]);
    expect(mail!.envelope).toEqual({ mailFrom: 'recording@localhost', rcptTo: [RECIPIENT] });
    expect(addresses(mail!.parsed.to)).toEqual([RECIPIENT]);
    expect(mail!.parsed.from?.value).toEqual([{ address: 'recording@localhost', name: '광명시 행정전화 녹취시스템' }]);
    expect(mail!.parsed.subject).toBe(SUBJECT);
    expect(headerSection(mail!.raw)).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/im);
    expect(headerSection(mail!.raw)).toMatch(/^[\x00-\x7f]*$/);
    expect(mail!.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail!.parsed.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(BODY);

    expect(mail!.parsed.attachments).toHaveLength(1);
    const [attachment] = mail!.parsed.attachments;
    expect(attachment!.filename).toBe('파기 결과 회신서 (빈 서식).docx');
    expect(attachment!.contentType).toBe(DOCX_TYPE);
    expect(sha256(attachment!.content)).toBe(form3.sha256);

    const row = await rowOf(id);
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(1);
    expect(row.sentAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(row.lastError ?? undefined).toBeUndefined();

    const [sent, ...again] = await auditOf(id, 'notification.sent');
    expect(again).toEqual([]);
    expect(sent).toMatchObject({ actor: 'system:mail', role: 'system', targetType: 'disclosure_request', targetId: caseId, reason: SUBJECT });
    expect(sent!.facts).toMatchObject({
      channel: 'email',
      messageId: result.messageId,
      attempts: 1,
      attachments: [{ documentId: form3.documentId, sha256: form3.sha256 }],
    });
    expect(sent!.facts.receipt).toMatch(/^SMTP 250 /);
    // The recipient's address is on the notification row only.
    expect(sent!.detail).not.toContain(RECIPIENT);
    expect((await verifyAuditChain(db.orm.em)).ok).toBe(true);
  });

  test('delivered twice, it is sent once', async () => {
    const caseId = nextCase();
    const id = await queueEmail(caseId, { attachments: [(await blankForm3(caseId)).documentId] });
    const first = await deliverNotification({ notificationId: id });
    const second = await deliverNotification({ notificationId: id });
    expect(first.sentNow).toBe(true);
    expect(second).toEqual({ messageId: first.messageId, sentNow: false });
    expect(await received(first)).toHaveLength(1);
    expect((await rowOf(id)).attempts).toBe(1);
    expect(await auditOf(id, 'notification.sent')).toHaveLength(1);
  });

  test('with the relay down the attempt fails, the row is failed with the reason and audited; after it is back a retry sends it', async () => {
    const caseId = nextCase();
    const form3 = await blankForm3(caseId);
    const id = await queueEmail(caseId, { attachments: [form3.documentId] });

    await smtp.stop();
    try {
      const error = await failureOf(deliverNotification({ notificationId: id }));
      // Retryable: Temporal tries again by the activity's retry policy.
      expect(error).not.toBeInstanceOf(ApplicationFailure);
      expect(error.name).toBe('MailDeliveryError');
      expect(error.message).toMatch(/^메일을 보내지 못했습니다: .*ECONNREFUSED/);

      const failed = await rowOf(id);
      expect(failed.status).toBe('failed');
      expect(failed.attempts).toBe(1);
      expect(failed.lastError).toBe(error.message);
      expect(failed.sentAt ?? undefined).toBeUndefined();
      const [audited] = await auditOf(id, 'notification.failed');
      expect(audited).toMatchObject({ actor: 'system:mail', action: 'notification.failed', targetId: caseId });
      expect(audited!.facts).toMatchObject({ attempts: 1, errorType: 'MailDeliveryError', errorCode: expect.any(String) });

      await expect(mailer.check()).rejects.toThrow(/^SMTP 중계 서버 127\.0\.0\.1:\d+에 연결할 수 없습니다/);
    } finally {
      await smtp.start();
    }

    await expect(mailer.check()).resolves.toBeUndefined();
    const retry = await deliverNotification({ notificationId: id });
    expect(retry.sentNow).toBe(true);
    const [mail, ...more] = await received(retry);
    expect(more).toEqual([]);
    expect(sha256(mail!.parsed.attachments[0]!.content)).toBe(form3.sha256);

    const sent = await rowOf(id);
    expect(sent.status).toBe('sent');
    expect(sent.attempts).toBe(2);
    expect(sent.sentAt).toBeInstanceOf(Date);
    // The failed attempt stays on record; the audit log tells the whole story in order.
    expect(sent.lastError).toMatch(/ECONNREFUSED/);
    const story = [...(await auditOf(id, 'notification.failed')), ...(await auditOf(id, 'notification.sent'))].map((event) => [
      event.action,
      event.facts.attempts,
    ]);
    expect(story).toEqual([
      ['notification.failed', 1],
      ['notification.sent', 2],
    ]);
    expect((await verifyAuditChain(db.orm.em)).ok).toBe(true);
  });

  test('a recipient the relay refuses for good is not retried', async () => {
    const caseId = nextCase();
    const id = await queueEmail(caseId, { recipient: 'unknown.person@example.com' });
    const error = await failureOf(deliverNotification({ notificationId: id }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'MailRecipientRejected', nonRetryable: true });
    expect(error.message).toMatch(/550/);
    const row = await rowOf(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await auditOf(id, 'notification.failed'))[0]!.facts).toMatchObject({ errorType: 'MailRecipientRejected', responseCode: 550 });
    expect(await received({ messageId: `<notification.${id}@localhost>`, sentNow: true })).toEqual([]);
  });

  test('several attachments: a form and a workbook, each with a Korean name and its own extension, names kept apart', async () => {
    const caseId = nextCase();
    const form3 = await blankForm3(caseId);
    const copy = await blankForm3(caseId, 'form3-blank-again');
    // The ledger is a workbook, not one of the DOCX forms: stored the way the document store stores any document.
    const workbook = await writeLedgerXlsx([], {
      municipalityName: '광명시',
      timeZone: 'Asia/Seoul',
      sheets: { from: new Date('2026-01-01'), to: new Date('2026-12-31') },
    });
    const ledger = new GeneratedDocument(
      `${caseId}:ledger`,
      'ledger-xlsx',
      'disclosure_request',
      caseId,
      '녹취정보 관리대장 (2026년)',
      'built-in',
      '',
      0,
      '',
      'system:disclosure',
    );
    const stored = documents.put(ledger.id, workbook);
    Object.assign(ledger, stored);
    const em = db.orm.em.fork();
    em.persist(ledger);
    await em.flush();

    const id = await queueEmail(caseId, { attachments: [form3.documentId, ledger.id, copy.documentId] });
    const [mail] = await received(await deliverNotification({ notificationId: id }));
    const attached = mail!.parsed.attachments.map((attachment) => [attachment.filename, attachment.contentType, sha256(attachment.content)]);
    expect(attached).toEqual([
      ['파기 결과 회신서 (빈 서식).docx', DOCX_TYPE, form3.sha256],
      ['녹취정보 관리대장 (2026년).xlsx', XLSX_TYPE, sha256(workbook)],
      ['파기 결과 회신서 (빈 서식) (2).docx', DOCX_TYPE, copy.sha256],
    ]);
  });

  test('a subject carrying a line break and a Bcc header adds no recipient and no header', async () => {
    const caseId = nextCase();
    const id = await queueEmail(caseId, { subject: '[광명시] 안내\r\nBcc: eve@example.com' });
    const [mail] = await received(await deliverNotification({ notificationId: id }));
    expect(mail!.envelope.rcptTo).toEqual([RECIPIENT]);
    expect(mail!.parsed.bcc).toBeUndefined();
    expect(headerSection(mail!.raw)).not.toMatch(/^Bcc:/im);
  });

  test('refused without sending: another channel, an unknown notification, a recipient that is not one address, a missing document', async () => {
    const before = (await smtp.messages()).length;

    const post = await queueEmail(nextCase(), { channel: 'post', recipient: '경기도 광명시 시청로 20 홍길동' });
    await expect(deliverNotification({ notificationId: post })).rejects.toMatchObject({ type: 'NotAnEmailNotification', nonRetryable: true });
    expect(await rowOf(post)).toMatchObject({ status: 'pending', attempts: 0 });

    for (const notificationId of ['00000000-0000-4000-8000-000000000000', "x' or '1'='1"]) {
      await expect(deliverNotification({ notificationId })).rejects.toMatchObject({ type: 'NotificationNotFound', nonRetryable: true });
    }

    const listed = await queueEmail(nextCase(), { recipient: 'a@example.com, b@example.com' });
    await expect(deliverNotification({ notificationId: listed })).rejects.toMatchObject({ type: 'InvalidRecipient', nonRetryable: true });
    expect(await rowOf(listed)).toMatchObject({ status: 'failed', attempts: 1 });

    const missing = await queueEmail(nextCase(), { attachments: ['0f0e0d0c-0b0a-4908-8706-050403020100'] });
    const error = await failureOf(deliverNotification({ notificationId: missing }));
    expect(error).toMatchObject({ type: 'AttachmentMissing', nonRetryable: true });
    expect(error.message).toContain('첨부할 문서가 없습니다');
    expect(await rowOf(missing)).toMatchObject({ status: 'failed', attempts: 1, lastError: error.message });

    expect(await smtp.messages()).toHaveLength(before);
  });

  test('without SMTP_URL the message is an .eml file in <DATA_DIR>/outbox, owner-only, that a mail program opens with its attachment', async () => {
    const outboxData = mkdtempSync(path.join(os.tmpdir(), 'mail-outbox-'));
    const outboxMailer = createMailer({ smtpUrl: undefined, mailFrom: MAIL_FROM, dataDir: outboxData });
    try {
      await expect(outboxMailer.check()).resolves.toBeUndefined();
      const outbox = createMailActivities({ orm: db.orm, documents, mailer: outboxMailer });
      const caseId = nextCase();
      const form3 = await blankForm3(caseId);
      const id = await queueEmail(caseId, { attachments: [form3.documentId] });
      const before = (await smtp.messages()).length;

      const result = await outbox.deliverNotification({ notificationId: id });
      const folder = path.join(outboxData, 'outbox');
      expect(readdirSync(folder)).toEqual([`notification.${id}@localhost.eml`]);
      const file = path.join(folder, `notification.${id}@localhost.eml`);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const raw = readFileSync(file);
      expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/);
      const parsed = await simpleParser(raw);
      expect(parsed.messageId).toBe(result.messageId);
      expect(addresses(parsed.to)).toEqual([RECIPIENT]);
      expect(parsed.subject).toBe(SUBJECT);
      expect(parsed.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(BODY);
      expect(parsed.attachments.map((attachment) => [attachment.filename, sha256(attachment.content)])).toEqual([
        ['파기 결과 회신서 (빈 서식).docx', form3.sha256],
      ]);
      expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 1 });
      expect((await auditOf(id, 'notification.sent'))[0]!.facts.receipt).toBe(`보낼 편지함 notification.${id}@localhost.eml`);
      expect(await smtp.messages()).toHaveLength(before);

      // An outbox that cannot be written is reported by the health check.
      const blocked = mkdtempSync(path.join(os.tmpdir(), 'mail-blocked-'));
      writeFileSync(path.join(blocked, 'outbox'), 'not a folder');
      const blockedMailer = createMailer({ smtpUrl: undefined, mailFrom: MAIL_FROM, dataDir: blocked });
      await expect(blockedMailer.check()).rejects.toThrow(/^보낼 편지함 폴더 .*에 쓸 수 없습니다/);
      blockedMailer.close();
      rmSync(blocked, { recursive: true, force: true });
    } finally {
      outboxMailer.close();
      rmSync(outboxData, { recursive: true, force: true });
    }
  });
});
