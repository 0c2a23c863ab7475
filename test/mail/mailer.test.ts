/**
 * The mailer as configured, without a server: SMTP_URL and MAIL_FROM are refused in Korean when they cannot work
 * (a password or transport options smuggled into the URL never reach nodemailer, and no message repeats a
 * password), and Message-IDs end in the sender's domain.
 */
import { createMailer, MailerError } from '../../infra/mail';
import { loadSettings, SettingsError } from '../../infra/settings';

const DEFAULTS = loadSettings({});

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems.map((problem) => problem.env);
    throw error;
  }
  return [];
};

const built = (smtpUrl: string | undefined, mailFrom = DEFAULTS.mailFrom) => {
  const mailer = createMailer({ smtpUrl, mailFrom, dataDir: DEFAULTS.dataDir });
  mailer.close();
  return mailer;
};

test("MAIL_FROM defaults to the system in the municipality's name; a bare address is accepted, a header in it is not", () => {
  expect(DEFAULTS.mailFrom).toBe('"광명시 행정전화 녹취시스템" <recording@localhost>');
  expect(loadSettings({ MAIL_FROM: 'noreply@gm.go.kr' }).mailFrom).toBe('noreply@gm.go.kr');
  expect(problemsOf({ MAIL_FROM: '"녹취" <noreply@gm.go.kr>\r\nBcc: eve@example.com' })).toEqual(['MAIL_FROM']);
  expect(problemsOf({ MAIL_FROM: '녹취시스템' })).toEqual(['MAIL_FROM']);
});

test('the settings refuse an SMTP_URL of another scheme', () => {
  expect(problemsOf({ SMTP_URL: 'http://relay.city.local' })).toEqual(['SMTP_URL']);
  expect(problemsOf({ SMTP_URL: 'relay.city.local:25' })).toEqual(['SMTP_URL']);
});

test.each([
  ['not a URL', 'SMTP_URL을 주소로 읽을 수 없습니다'],
  ['http://relay.city.local', 'smtp:// 또는 smtps://'],
  ['smtp://', '호스트가 없습니다'],
  ['smtp://mailer:s3cret-pass@relay.city.local:587', '사용자나 비밀번호를 넣지 않습니다'],
  ['smtp://relay.city.local:25/?tls.rejectUnauthorized=false', '경로나 ?옵션 없이'],
  ['smtp://relay.city.local/inbox', '경로나 ?옵션 없이'],
])('the mailer is not built from SMTP_URL %s', (smtpUrl, reason) => {
  let error: unknown;
  try {
    built(smtpUrl);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(MailerError);
  expect((error as Error).message).toContain(reason);
  expect((error as Error).message).not.toContain('s3cret');
});

test('a relay is named by host and port, with the port its scheme implies', () => {
  expect(built('smtp://relay.city.local').description).toBe('SMTP 중계 서버 relay.city.local:25');
  expect(built('smtps://relay.city.local').description).toBe('SMTP 중계 서버 relay.city.local:465 (TLS)');
  expect(built('smtp://[::1]:2525').description).toBe('SMTP 중계 서버 ::1:2525');
  expect(built(undefined).description).toMatch(/^보낼 편지함 폴더 .*outbox \(SMTP_URL 없음\)$/);
});

test("Message-IDs end in the sender's domain, in ASCII", () => {
  expect(built(undefined).messageId('notification.1234')).toBe('<notification.1234@localhost>');
  expect(built(undefined, '"광명시" <녹취@광명.한국>').messageId('notification.1')).toBe('<notification.1@xn--hc0b48w.xn--3e0b707e>');
  expect(() => built(undefined).messageId('notification 1>')).toThrow('invalid Message-ID local part');
});
