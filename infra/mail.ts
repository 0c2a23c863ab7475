/**
 * Outgoing e-mail. In production every message goes to the city's SMTP relay (SMTP_URL); without one each message is
 * written as an `.eml` file to `<DATA_DIR>/outbox`, which any mail program opens. Both compose the message with the
 * same nodemailer code, so the outbox shows exactly what a relay would have been handed.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { domainToASCII } from 'node:url';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Settings } from './settings';

export interface MailAttachment {
  /** As the recipient sees it; may be Korean (nodemailer encodes it per RFC 2231). */
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface OutgoingMail {
  /** From `Mailer.messageId()`: the same message sent again carries the same id. */
  messageId: string;
  /** One address. */
  to: string;
  subject: string;
  /** Plain text. */
  text: string;
  attachments: readonly MailAttachment[];
}

export interface MailDelivery {
  /** Where the message went, for the audit entry: the relay's answer, or the outbox file. */
  receipt: string;
}

export interface Mailer {
  /** Korean, for /health and the landing page. */
  readonly description: string;
  /** A Message-ID in the sender's domain for a stable local part such as `notification.<id>`. */
  messageId(localPart: string): string;
  send(mail: OutgoingMail): Promise<MailDelivery>;
  /** Resolves when mail can go out; otherwise throws with the reason. */
  check(): Promise<void>;
  close(): void;
}

export type MailSettings = Pick<Settings, 'smtpUrl' | 'mailFrom' | 'dataDir'>;

/** The configuration cannot work; raised when the mailer is built, so start-up stops with the reason. */
export class MailerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailerError';
  }
}

/** A message the relay or the outbox did not take. */
export class MailDeliveryError extends Error {
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  /** The relay refused the recipient for good (5xx to RCPT TO): sending again cannot help. */
  readonly recipientRejected: boolean;

  constructor(message: string, details: { code?: string; responseCode?: number; recipientRejected?: boolean } = {}) {
    super(message);
    this.name = 'MailDeliveryError';
    this.code = details.code;
    this.responseCode = details.responseCode;
    this.recipientRejected = details.recipientRejected ?? false;
  }
}

// A relay that stops answering must fail the attempt well inside an activity's timeout, so that a retry can follow.
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 60_000;
const DNS_TIMEOUT_MS = 10_000;

const LOCAL_PART = /^[A-Za-z0-9][A-Za-z0-9.-]{0,120}$/;

interface Relay {
  host: string;
  port: number;
  secure: boolean;
}

/**
 * Only scheme, host and port are taken from SMTP_URL: nodemailer would turn anything else in a URL (a query such as
 * `?tls.rejectUnauthorized=false`, credentials) into transport options, which the city has not reviewed.
 */
function relayOf(smtpUrl: string): Relay {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new MailerError('SMTP_URL을 주소로 읽을 수 없습니다 (예: smtp://relay.city.local:25)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new MailerError('SMTP_URL은 smtp:// 또는 smtps:// 로 시작해야 합니다');
  }
  if (url.username !== '' || url.password !== '') {
    // The message never repeats the URL: it would carry the password into the log.
    throw new MailerError('SMTP_URL에는 사용자나 비밀번호를 넣지 않습니다: 중계 서버가 이 서버를 주소로 허용해야 합니다');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new MailerError('SMTP_URL에 중계 서버의 호스트가 없습니다 (예: smtp://relay.city.local:25)');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw new MailerError('SMTP_URL에는 smtp://호스트:포트 만 적습니다 (경로나 ?옵션 없이)');
  }
  const secure = url.protocol === 'smtps:';
  return { host, port: url.port === '' ? (secure ? 465 : 25) : Number(url.port), secure };
}

/** The domain of MAIL_FROM (already validated by the settings), as ASCII so that it can end a Message-ID. */
function senderDomain(mailFrom: string): string {
  const address = /<([^<>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom.trim();
  const domain = domainToASCII(address.slice(address.lastIndexOf('@') + 1).toLowerCase());
  if (domain === '') throw new MailerError('MAIL_FROM의 도메인을 읽을 수 없습니다');
  return domain;
}

/** `<notification.abc@city.go.kr>` → `notification.abc@city.go.kr.eml`: one file per message, replaced if sent again. */
function outboxFileName(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`;
}

function deliveryError(error: unknown): MailDeliveryError {
  if (error instanceof MailDeliveryError) return error;
  const failure = error as { message?: unknown; code?: unknown; responseCode?: unknown; command?: unknown };
  const message = typeof failure?.message === 'string' ? failure.message : String(error);
  const code = typeof failure?.code === 'string' ? failure.code : undefined;
  const responseCode = typeof failure?.responseCode === 'number' ? failure.responseCode : undefined;
  const recipientRejected = responseCode !== undefined && responseCode >= 500 && failure?.command === 'RCPT TO';
  return new MailDeliveryError(`메일을 보내지 못했습니다: ${message}`, { code, responseCode, recipientRejected });
}

export function createMailer(settings: MailSettings): Mailer {
  const domain = senderDomain(settings.mailFrom);
  const messageId = (localPart: string) => {
    if (!LOCAL_PART.test(localPart)) throw new Error(`invalid Message-ID local part: ${JSON.stringify(localPart)}`);
    return `<${localPart}@${domain}>`;
  };
  const compose = (mail: OutgoingMail): SendMailOptions => ({
    from: settings.mailFrom,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    // RFC 3834: out-of-office replies and the like are not sent back to a system that nobody reads.
    headers: { 'Auto-Submitted': 'auto-generated' },
    attachments: mail.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
    })),
  });
  // Attachments are always bytes in hand; a path or URL in a message would read files or fetch pages on our behalf.
  const contentOnly = { disableFileAccess: true, disableUrlAccess: true } as const;

  if (settings.smtpUrl) {
    const relay = relayOf(settings.smtpUrl);
    const transport = nodemailer.createTransport({
      ...relay,
      ...contentOnly,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      dnsTimeout: DNS_TIMEOUT_MS,
    });
    return {
      description: `SMTP 중계 서버 ${relay.host}:${relay.port}${relay.secure ? ' (TLS)' : ''}`,
      messageId,
      async send(mail) {
        try {
          const info = await transport.sendMail(compose(mail));
          return { receipt: `SMTP ${String(info.response ?? '').slice(0, 200)}` };
        } catch (error) {
          throw deliveryError(error);
        }
      },
      async check() {
        try {
          await transport.verify();
        } catch (error) {
          throw new Error(`SMTP 중계 서버 ${relay.host}:${relay.port}에 연결할 수 없습니다: ${(error as Error).message}`);
        }
      },
      close() {
        transport.close();
      },
    };
  }

  const folder = path.join(settings.dataDir, 'outbox');
  // CRLF line ends: the bytes of the file are the bytes a relay would receive (RFC 5322).
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...contentOnly });
  return {
    description: `보낼 편지함 폴더 ${folder} (SMTP_URL 없음)`,
    messageId,
    async send(mail) {
      const file = path.join(folder, outboxFileName(mail.messageId));
      const partial = `${file}.${randomUUID()}.partial`;
      try {
        const info = await composer.sendMail(compose(mail));
        await mkdir(folder, { recursive: true, mode: 0o700 });
        // Owner-only: a message holds the recipient's address and the documents sent to them.
        await writeFile(partial, info.message as Buffer, { mode: 0o600 });
        await rename(partial, file);
      } catch (error) {
        await rm(partial, { force: true });
        throw deliveryError(error);
      }
      return { receipt: `보낼 편지함 ${path.basename(file)}` };
    },
    async check() {
      try {
        await mkdir(folder, { recursive: true, mode: 0o700 });
        await access(folder, constants.W_OK);
      } catch (error) {
        throw new Error(`보낼 편지함 폴더 ${folder}에 쓸 수 없습니다: ${(error as Error).message}`);
      }
    },
    close() {
      composer.close();
    },
  };
}
