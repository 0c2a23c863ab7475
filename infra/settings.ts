/**
 * Every setting of the system in one typed, validated place. Each entry names its environment
 * variable, documents itself (README's settings table is checked against this list by a test) and
 * defaults to Gwangmyeong City's rules and the embedded development servers. An invalid value stops
 * start-up with a message that names the variable.
 *
 * One file: one validated schema of every setting, which README's table is checked against; split, a setting could
 * be added where the check does not look.
 */
import path from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS } from './logger';
import { isAddressOrRange } from './net';
import { PROJECT_ROOT } from './paths';
import { approximateDays, parsePeriod, type Period } from '../domain/period';
import { ROLE_IDS, SIGN_OFF_ROLES, type RoleId } from '../domain/roles';

const period = z.string().transform((text, ctx): Period => {
  const parsed = parsePeriod(text);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `기간은 30d, 6m, 1y 처럼 적습니다 (받은 값: "${text}")` });
    return z.NEVER;
  }
  return parsed;
});

const dayPeriod = period.refine((p) => p.unit === 'day', { message: '이 기간은 일(d) 단위여야 합니다' });

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?[0-9]+$/, { message: '정수여야 합니다' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Comma-separated list of whole days, e.g. reminder offsets `7,1` (days before a deadline). */
const dayList = z
  .string()
  .regex(/^\s*[0-9]{1,3}(\s*,\s*[0-9]{1,3})*\s*$/, { message: '쉼표로 구분한 일수여야 합니다 (예: 7,1)' })
  .transform((text) => [...new Set(text.split(',').map((part) => Number(part.trim())))].sort((a, b) => b - a));

const signOffChain = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(z.enum(SIGN_OFF_ROLES)).min(1))
  .refine((chain) => new Set(chain).size === chain.length, { message: '같은 결재 단계가 두 번 나옵니다' })
  .refine((chain) => chain[chain.length - 1] === 'chief' || chain.length < 3, {
    message: '결재선이 세 단계이면 마지막은 chief(과장)여야 합니다',
  });

const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'IANA 시간대 이름이어야 합니다 (예: Asia/Seoul)' },
);

const port = integer(0, 65_535);
/** Comma-separated IP addresses and CIDR ranges; empty for none. */
const addressList = z
  .string()
  .transform((text) => [...new Set(text.split(',').map((part) => part.trim()))].filter((part) => part !== ''))
  .refine((entries) => entries.every(isAddressOrRange), { message: '쉼표로 구분한 IP 주소나 CIDR 대역이어야 합니다 (예: 10.20.0.5,10.20.1.0/24)' });
const host = z.string().min(1);
const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `주소는 ${protocols.join(' 또는 ')} 로 시작해야 합니다` },
  );
const optionalText = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text.trim() === '' ? undefined : text.trim()));
const flag = z.enum(['true', 'false']).transform((text) => text === 'true');
/** One sender: a display name and an address in angle brackets, or the address alone; never a line break (a header). */
const mailbox = z
  .string()
  .trim()
  .max(254)
  .refine((text) => /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(text), {
    message: '"이름" <주소@도메인> 또는 주소@도메인 으로 적습니다',
  });

interface SettingSpec<T extends z.ZodType> {
  env: string;
  doc: string;
  default?: string;
  schema: T;
}

function setting<T extends z.ZodType>(spec: SettingSpec<T>): SettingSpec<T> {
  return spec;
}

/** The catalogue: order is the README's order. */
export const SETTINGS = {
  environment: setting({
    env: 'APP_ENV',
    doc: '`development` (embedded servers, demo directory allowed) or `production` (refuses embedded defaults that are unsafe)',
    default: 'development',
    schema: z.enum(['development', 'production']),
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    doc: 'least severe level written to the JSON log: `debug`, `info`, `warn` or `error`',
    default: 'info',
    schema: z.enum(LOG_LEVELS),
  }),
  dataDir: setting({
    env: 'DATA_DIR',
    doc: "folder for the embedded SQLite database, the Temporal dev server's database and log, and the development master key",
    default: 'data',
    schema: z.string().min(1),
  }),
  timeZone: setting({
    env: 'TIME_ZONE',
    doc: 'time zone in which dates are shown and legal periods counted',
    default: 'Asia/Seoul',
    schema: timeZone,
  }),
  municipalityName: setting({
    env: 'MUNICIPALITY_NAME',
    doc: 'name of the municipality on forms and letters (광명시)',
    default: '광명시',
    schema: z.string().min(1).max(50),
  }),
  managingDepartmentName: setting({
    env: 'MANAGING_DEPARTMENT_NAME',
    doc: 'name of the managing department (관리부서) on forms',
    default: '정보통신과',
    schema: z.string().min(1).max(50),
  }),
  retentionPeriod: setting({
    env: 'RETENTION_PERIOD',
    doc: 'Art. 8(1) storage period of a recording, calendar days/months/years from the recording date (`30d`, `60d`, `6m`, `1y`)',
    default: '30d',
    schema: period,
  }),
  caseSignOffAlertDays: setting({
    env: 'CASE_SIGN_OFF_ALERT_DAYS',
    doc: 'days a disclosure case may keep its recordings (held) before it is released; past it the chief is told (daily inventory)',
    default: '14',
    schema: integer(1, 365),
  }),
  caseForm3AlertDays: setting({
    env: 'CASE_FORM3_ALERT_DAYS',
    doc: 'days past the Form 3 deadline a case may keep its recordings (held); past it the chief is told (daily inventory)',
    default: '14',
    schema: integer(1, 365),
  }),
  managingDepartmentEmail: setting({
    env: 'MANAGING_DEPARTMENT_EMAIL',
    doc: "the managing department's e-mail address: the daily retention inventory's findings are sent there too (optional)",
    schema: optionalText.pipe(z.email({ message: '전자우편 주소 형식이어야 합니다' }).optional()),
  }),
  holdMaxPeriod: setting({
    env: 'HOLD_MAX_PERIOD',
    doc: 'the longest a 보존 중지 decision may keep a recording, from the day it is decided; keeping it longer is a new decision with its own basis',
    default: '3m',
    schema: period,
  }),
  destructionReportPeriod: setting({
    env: 'DESTRUCTION_REPORT_PERIOD',
    doc: "Art. 9(4) period for the recipient's Form 3, counted the Civil Act way from the day of receipt",
    default: '30d',
    schema: period,
  }),
  destructionReportReminderDays: setting({
    env: 'DESTRUCTION_REPORT_REMINDER_DAYS',
    doc: 'days before the Form 3 deadline on which the recipient is reminded (comma-separated)',
    default: '7,1',
    schema: dayList,
  }),
  destructionReportEscalationAfter: setting({
    env: 'DESTRUCTION_REPORT_ESCALATION_AFTER',
    doc: 'how long after a missed Form 3 deadline the case is escalated to the chief',
    default: '3d',
    schema: dayPeriod,
  }),
  destructionReportRepeatEvery: setting({
    env: 'DESTRUCTION_REPORT_REPEAT_EVERY',
    doc: 'after the escalation, how often the recipient of an unreturned Form 3 is reminded again',
    default: '7d',
    schema: dayPeriod,
  }),
  disclosureViewingWindowHours: setting({
    env: 'DISCLOSURE_VIEWING_WINDOW_HOURS',
    doc: 'Art. 9: once the recipient has signed Form 2, for how many hours the approved recordings may be played for viewing (열람) in the managing department',
    default: '2',
    schema: integer(1, 72),
  }),
  approvalReminderWorkingDays: setting({
    env: 'APPROVAL_REMINDER_WORKING_DAYS',
    doc: 'working days a sign-off may wait before the next approver is reminded',
    default: '2',
    schema: integer(1, 30),
  }),
  accessReviewReadsPerDay: setting({
    env: 'ACCESS_REVIEW_READS_PER_DAY',
    doc: 'monthly access review: more distinct recordings than this read by one user in one day is reported as an anomaly',
    default: '20',
    schema: integer(1, 10_000),
  }),
  accessReviewRefusalsPerDay: setting({
    env: 'ACCESS_REVIEW_REFUSALS_PER_DAY',
    doc: 'monthly access review: more refused requests than this for one user in one day is reported as an anomaly',
    default: '10',
    schema: integer(1, 10_000),
  }),
  auditRetentionPeriod: setting({
    env: 'AUDIT_RETENTION_PERIOD',
    doc: 'how long audit entries (access records) stay in the live audit log before they are archived into sealed, signed segments under `<DATA_DIR>/audit-archive` and removed from the database, counted in calendar days/months/years back from the start of today; 안전성 확보조치 기준 제8조 asks for at least one year (two for large or sensitive systems)',
    default: '2y',
    schema: period.refine((p) => approximateDays(p) >= 365, { message: '감사 기록(접속기록)은 1년 이상 보관해야 합니다 (안전성 확보조치 기준 제8조)' }),
  }),
  disclosureSignOffChain: setting({
    env: 'DISCLOSURE_SIGN_OFF_CHAIN',
    doc: 'sign-off order for disclosures (결재선), from `operator,deputy,chief`; shorter chains model 전결',
    default: 'operator,deputy,chief',
    schema: signOffChain,
  }),
  fullRecordingApprovalChain: setting({
    env: 'FULL_RECORDING_APPROVAL_CHAIN',
    doc: 'review and approval order for full-recording applications',
    default: 'operator,deputy,chief',
    schema: signOffChain,
  }),
  signOffLabels: setting({
    env: 'SIGN_OFF_LABELS',
    doc: 'the 결재 labels printed on forms and the ledger for the operator, deputy and chief steps, comma-separated',
    default: '담당자,팀장,과장',
    schema: z
      .string()
      .transform((text) => text.split(',').map((part) => part.trim()))
      .pipe(z.tuple([z.string().min(1).max(10), z.string().min(1).max(10), z.string().min(1).max(10)]))
      .transform(([operator, deputy, chief]) => ({ operator, deputy, chief })),
  }),
  templatesDir: setting({
    env: 'TEMPLATES_DIR',
    doc: "folder of the city's own DOCX templates (`form1-application.docx`, …); a form without a file there uses the built-in template. Templates run docx-templates commands: only the managing department may write there",
    schema: optionalText,
  }),
  announcementText: setting({
    env: 'ANNOUNCEMENT_TEXT',
    doc: 'Art. 7: the prior-notice announcement the PBX plays before a call on a full-recording extension (and may play when the record button starts a selective one), as shown to the managing department beside its audio file',
    default: '이 통화는 정확한 업무 처리를 위해 녹음됩니다.',
    schema: z.string().trim().min(1).max(500),
  }),
  announcementAudioFile: setting({
    env: 'ANNOUNCEMENT_AUDIO_FILE',
    doc: "the announcement as the PBX takes it: WAV, G.711 µ-law, 8 kHz, mono; the default is the file shipped in the project, spoken from the default text (`infra/scripts/make-announcement.sh` makes another from a city's own text)",
    default: '<project>/templates/announcement/announcement-ko.wav',
    schema: z.string().min(1),
  }),
  maxPrivilegedHolders: setting({
    env: 'MAX_PRIVILEGED_HOLDERS',
    doc: 'Art. 8(3): most people who may hold `chief`, `deputy` and `operator` together before the system flags it',
    default: '4',
    schema: integer(1, 100),
  }),
  masterKeyFile: setting({
    env: 'MASTER_KEY_FILE',
    doc: 'file holding the 32-byte master key that wraps every recording key (base64); created on first start in development only',
    default: '<DATA_DIR>/keys/master.key',
    schema: z.string().min(1),
  }),
  packageSigningKeyFile: setting({
    env: 'PACKAGE_SIGNING_KEY_FILE',
    doc: 'Ed25519 private key (PKCS#8 PEM) with which the capture appliance signs the manifest of every provision package (Art. 9); only the appliance reads it. Created on first start in development only; its public key is what the city publishes for recipients to verify against',
    default: '<DATA_DIR>/keys/package-signing.pem',
    schema: z.string().min(1),
  }),
  grantSigningKeyFile: setting({
    env: 'GRANT_SIGNING_KEY_FILE',
    doc: 'Ed25519 private key (PKCS#8 PEM) with which the back office (API and worker) signs the grants the capture appliance releases audio and sets full recording against (issue 18); never on the appliance host. Created on first start in development only',
    default: '<DATA_DIR>/keys/grant-signing.pem',
    schema: z.string().min(1),
  }),
  grantPublicKeyFile: setting({
    env: 'GRANT_PUBLIC_KEY_FILE',
    doc: "the grant signing key's public key (SPKI PEM), all the capture appliance holds to check grants; production refuses to start the appliance without it. Written beside the private key in development",
    default: '<DATA_DIR>/keys/grant-public.pem',
    schema: z.string().min(1),
  }),
  auditSigningKeyFile: setting({
    env: 'AUDIT_SIGNING_KEY_FILE',
    doc: 'Ed25519 private key (PKCS#8 PEM) with which the worker (and `npm run audit:archive`) signs each archived audit segment and its checkpoint; `npm run audit:verify` checks them with its public half. Keep it, and its backup, as long as the archive: it is what proves the archive unchanged. Created on first start in development only',
    default: '<DATA_DIR>/keys/audit-signing.pem',
    schema: z.string().min(1),
  }),
  captureHost: setting({
    env: 'CAPTURE_HOST',
    doc: 'address the capture appliance listens on for RTSP/RTP from the PBX (its control API stays on 127.0.0.1)',
    default: '127.0.0.1',
    schema: host,
  }),
  captureRtspPort: setting({ env: 'CAPTURE_RTSP_PORT', doc: 'RTSP port the PBX pushes calls to', default: '8554', schema: port }),
  captureRtpPorts: setting({
    env: 'CAPTURE_RTP_PORTS',
    doc: 'UDP port range for RTP and RTCP, `first-last` (even first port; two ports per party of a call)',
    default: '30000-33999',
    schema: z
      .string()
      .regex(/^[0-9]{4,5}-[0-9]{4,5}$/, { message: '30000-33999 처럼 적습니다' })
      .transform((text) => {
        const [first, last] = text.split('-').map(Number) as [number, number];
        return { first, last };
      })
      .refine(({ first, last }) => first % 2 === 0 && first >= 1024 && last <= 65_535 && last > first, {
        message: '첫 포트는 1024 이상의 짝수이고 마지막 포트는 그보다 커야 합니다',
      }),
  }),
  captureControlPort: setting({
    env: 'CAPTURE_CONTROL_PORT',
    doc: "port of the capture appliance's control API on 127.0.0.1 (modes, record button, health, deletion)",
    default: '8555',
    schema: port,
  }),
  captureControlUrl: setting({
    env: 'CAPTURE_CONTROL_URL',
    doc: 'where the API, the worker and the health check reach the capture control API; default `http://127.0.0.1:<CAPTURE_CONTROL_PORT>` (capture on this host). The API listens on 127.0.0.1 only: from another host, reach it through a TLS tunnel to the telecom room',
    schema: optionalText.pipe(url(['http:', 'https:']).optional()),
  }),
  captureControlApiTokenFile: setting({
    env: 'CAPTURE_CONTROL_API_TOKEN_FILE',
    doc: "the API's bearer token for the capture control API (health, the package's public key, the party export, the provision package, viewing audio); read by the API and the appliance. Created on first start in development only",
    default: '<DATA_DIR>/keys/capture-control-api.token',
    schema: z.string().min(1),
  }),
  captureControlWorkerTokenFile: setting({
    env: 'CAPTURE_CONTROL_WORKER_TOKEN_FILE',
    doc: "the worker's bearer token for the capture control API (health, extension modes, deletion of due recordings); read by the worker, the capture supervisor of `npm start` and the appliance. Created on first start in development only",
    default: '<DATA_DIR>/keys/capture-control-worker.token',
    schema: z.string().min(1),
  }),
  captureControlPbxTokenFile: setting({
    env: 'CAPTURE_CONTROL_PBX_TOKEN_FILE',
    doc: "the PBX integration's bearer token for the capture control API (the record button only); read by the PBX integration (in development the call generator) and the appliance. Created on first start in development only",
    default: '<DATA_DIR>/keys/capture-control-pbx.token',
    schema: z.string().min(1),
  }),
  captureDevicesFile: setting({
    env: 'CAPTURE_DEVICES_FILE',
    doc: "the devices allowed to push calls: one `name:password` per line, checked by RTSP Digest; created in development with the call generator's device only",
    default: '<DATA_DIR>/keys/capture-devices',
    schema: z.string().min(1),
  }),
  captureRtspTrustedAddresses: setting({
    env: 'CAPTURE_RTSP_TRUSTED_ADDRESSES',
    doc: "the PBX's or media gateway's addresses, comma-separated IP addresses or CIDR ranges. Their RTSP connections keep three quarters of the appliance's 1,000 connection slots (other addresses share the last quarter, and 128 unauthenticated ones per address), and other hosts' failed logins never block them. Empty: every peer is treated as a stranger, and a stranger guessing the PBX's device name blocks the PBX too",
    default: '127.0.0.1,::1',
    schema: addressList,
  }),
  captureSessionTimeoutSeconds: setting({
    env: 'CAPTURE_SESSION_TIMEOUT_SECONDS',
    doc: 'an RTSP session with no request and no RTP for this long is closed and its recording finished',
    default: '60',
    schema: integer(5, 3600),
  }),
  callGenerator: setting({
    env: 'CALL_GENERATOR',
    doc: '`true` runs the built-in call generator (development only: it pushes demo calls so recordings appear); default `true` in development',
    default: '',
    // Undefined until resolveDerived() decides it from APP_ENV.
    schema: z.enum(['', 'true', 'false']).transform((text) => (text === '' ? undefined : text === 'true')),
  }),
  callGeneratorIntervalSeconds: setting({
    env: 'CALL_GENERATOR_INTERVAL_SECONDS',
    doc: 'the call generator starts a call this often (each lasts 5–20 s)',
    default: '30',
    schema: integer(1, 86_400),
  }),
  databaseDriver: setting({
    env: 'DB_DRIVER',
    doc: '`sqlite` (embedded, file under DATA_DIR), `postgresql` or `mssql`',
    default: 'sqlite',
    schema: z.enum(['sqlite', 'postgresql', 'mssql']),
  }),
  databaseName: setting({
    env: 'DB_NAME',
    doc: 'database name; for sqlite a file path (default `<DATA_DIR>/recording.sqlite`)',
    default: '',
    schema: z.string(),
  }),
  databaseHost: setting({ env: 'DB_HOST', doc: 'database server host', default: '127.0.0.1', schema: host }),
  databasePort: setting({
    env: 'DB_PORT',
    doc: 'database server port (default 5432 for postgresql, 1433 for mssql)',
    default: '0',
    schema: port,
  }),
  databaseUser: setting({ env: 'DB_USER', doc: 'database user', default: '', schema: z.string() }),
  databasePasswordFile: setting({
    env: 'DB_PASSWORD_FILE',
    doc: 'file holding the database password (never the password itself in the environment)',
    schema: optionalText,
  }),
  databaseTls: setting({
    env: 'DB_TLS',
    doc: 'require TLS to the database server',
    default: 'false',
    schema: flag,
  }),
  temporalAddress: setting({
    env: 'TEMPORAL_ADDRESS',
    doc: 'address of a Temporal cluster (`host:port`); when set, `npm start` starts no dev server',
    schema: optionalText,
  }),
  temporalNamespace: setting({
    env: 'TEMPORAL_NAMESPACE',
    doc: 'Temporal namespace',
    default: 'default',
    schema: z.string().min(1),
  }),
  temporalTaskQueue: setting({
    env: 'TEMPORAL_TASK_QUEUE',
    doc: 'task queue of the worker',
    default: 'recording',
    schema: z.string().min(1),
  }),
  temporalTlsCertFile: setting({
    env: 'TEMPORAL_TLS_CERT_FILE',
    doc: 'client certificate (PEM) for mutual TLS to the Temporal cluster',
    schema: optionalText,
  }),
  temporalTlsKeyFile: setting({
    env: 'TEMPORAL_TLS_KEY_FILE',
    doc: 'client private key (PEM) for mutual TLS',
    schema: optionalText,
  }),
  temporalTlsCaFile: setting({
    env: 'TEMPORAL_TLS_CA_FILE',
    doc: "CA certificate (PEM) that signed the cluster's server certificate",
    schema: optionalText,
  }),
  temporalTlsServerName: setting({
    env: 'TEMPORAL_TLS_SERVER_NAME',
    doc: "server name to verify in the cluster's certificate",
    schema: optionalText,
  }),
  temporalDevPort: setting({
    env: 'TEMPORAL_DEV_PORT',
    doc: 'gRPC port of the embedded Temporal dev server',
    default: '7233',
    schema: port,
  }),
  temporalUiPort: setting({
    env: 'TEMPORAL_UI_PORT',
    doc: 'web UI port of the embedded Temporal dev server',
    default: '8233',
    schema: port,
  }),
  workerMetricsPort: setting({
    env: 'WORKER_METRICS_PORT',
    doc: "port on 127.0.0.1 where a process running the worker exports the Temporal SDK's own Prometheus metrics (workflow task latencies, polls, slots), read through the API's `/metrics`; empty: not exported",
    schema: optionalText.pipe(
      z
        .string()
        .regex(/^[0-9]{1,5}$/, { message: '포트 번호여야 합니다' })
        .transform(Number)
        .pipe(z.number().int().min(1).max(65_535))
        .optional(),
    ),
  }),
  metricsTokenFile: setting({
    env: 'METRICS_TOKEN_FILE',
    doc: 'file holding a bearer token that lets a Prometheus on another host read `/metrics`; without it only callers on this host (not through the TLS proxy) may',
    schema: optionalText,
  }),
  apiHost: setting({
    env: 'API_HOST',
    doc: 'address the API listens on',
    default: '127.0.0.1',
    schema: host,
  }),
  apiPort: setting({ env: 'API_PORT', doc: 'port of the API and the intranet UI', default: '8080', schema: port }),
  apiBehindTlsProxy: setting({
    env: 'API_BEHIND_TLS_PROXY',
    doc: '`true` when browsers reach the API through a TLS-terminating reverse proxy on this host: cookies get `Secure`, HSTS is sent and the client address is taken from `X-Forwarded-For` set by 127.0.0.1',
    default: 'false',
    schema: flag,
  }),
  exportPasswordMinLength: setting({
    env: 'EXPORT_PASSWORD_MIN_LENGTH',
    doc: "Art. 8(1): shortest password an official may set on the party's own export of a recording (also: at least three of lower case, upper case, digits and symbols, and not containing the user name)",
    default: '10',
    schema: integer(8, 128),
  }),
  attachmentMaxFileMegabytes: setting({
    env: 'ATTACHMENT_MAX_FILE_MB',
    doc: 'largest file (MiB) a user may attach to a case (evidence, scans); only PDF, JPEG and PNG are accepted, told by their content',
    default: '10',
    schema: integer(1, 50),
  }),
  attachmentMaxFiles: setting({
    env: 'ATTACHMENT_MAX_FILES',
    doc: 'most files one case may have attached for one purpose (e.g. the evidence of a full-recording application)',
    default: '5',
    schema: integer(1, 20),
  }),
  sessionIdleTimeoutMinutes: setting({
    env: 'SESSION_IDLE_TIMEOUT_MINUTES',
    doc: 'a session without a request for this many minutes ends (logged out)',
    default: '30',
    schema: integer(1, 24 * 60),
  }),
  sessionAbsoluteTimeoutMinutes: setting({
    env: 'SESSION_ABSOLUTE_TIMEOUT_MINUTES',
    doc: 'a session ends this many minutes after login, however active',
    default: '480',
    schema: integer(1, 7 * 24 * 60),
  }),
  loginMaxFailures: setting({
    env: 'LOGIN_MAX_FAILURES',
    doc: 'wrong passwords in a row after which an account is locked out of login (audited)',
    default: '5',
    schema: integer(1, 100),
  }),
  loginLockoutMinutes: setting({
    env: 'LOGIN_LOCKOUT_MINUTES',
    doc: 'how long a locked-out account is refused login',
    default: '15',
    schema: integer(1, 24 * 60),
  }),
  loginDelaySeconds: setting({
    env: 'LOGIN_DELAY_SECONDS',
    doc: 'the wait after a wrong password before the account may try again; it doubles with each further wrong password until the lock-out (0: no waits)',
    default: '1',
    schema: integer(0, 60),
  }),
  loginRateLimitPerMinute: setting({
    env: 'LOGIN_RATE_LIMIT_PER_MINUTE',
    doc: 'login attempts accepted per minute from one client address, whatever the account',
    default: '20',
    schema: integer(1, 10_000),
  }),
  directoryUrl: setting({
    env: 'LDAP_URL',
    doc: 'directory (LDAP / Active Directory) URL, `ldap://` or `ldaps://`; unset means the built-in development directory',
    schema: optionalText.pipe(url(['ldap:', 'ldaps:']).optional()),
  }),
  directoryBindDn: setting({
    env: 'LDAP_BIND_DN',
    doc: 'DN of the read-only service account that searches the directory (search-then-bind)',
    schema: optionalText,
  }),
  directoryBindPasswordFile: setting({
    env: 'LDAP_BIND_PASSWORD_FILE',
    doc: "file holding the service account's password",
    schema: optionalText,
  }),
  directoryUserBase: setting({
    env: 'LDAP_USER_BASE',
    doc: 'where users are searched, e.g. `ou=광명시청,dc=gm,dc=go,dc=kr`; the OUs above a user name their department',
    schema: optionalText,
  }),
  directoryUsernameAttribute: setting({
    env: 'LDAP_USERNAME_ATTRIBUTE',
    doc: 'the attribute holding the login name: `uid` (OpenLDAP) or `sAMAccountName` (Active Directory)',
    default: 'uid',
    schema: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { message: 'LDAP 속성 이름이어야 합니다' }),
  }),
  directoryGroupBase: setting({
    env: 'LDAP_GROUP_BASE',
    doc: 'where the role groups (groupOfNames with member) are searched',
    schema: optionalText,
  }),
  directoryRoleGroups: setting({
    env: 'LDAP_ROLE_GROUPS',
    doc: 'which group gives which role: `chief=<group DN>;deputy=<group DN>;…` with the role ids of DESIGN.md',
    default: '',
    schema: z.string().transform((text, ctx) => {
      const mapping = new Map<string, RoleId>();
      for (const pair of text
        .split(';')
        .map((part) => part.trim())
        .filter(Boolean)) {
        const equals = pair.indexOf('=');
        const role = pair.slice(0, equals).trim();
        const groupDn = pair.slice(equals + 1).trim();
        if (equals < 1 || !(ROLE_IDS as readonly string[]).includes(role) || !groupDn.includes('=')) {
          ctx.addIssue({ code: 'custom', message: `역할=그룹DN 형식이 아닙니다: "${pair}" (역할: ${ROLE_IDS.join(', ')})` });
          return z.NEVER;
        }
        mapping.set(groupDn, role as RoleId);
      }
      return mapping;
    }),
  }),
  directoryTlsCaFile: setting({
    env: 'LDAP_TLS_CA_FILE',
    doc: 'CA certificate (PEM) of the directory server for `ldaps://`',
    schema: optionalText,
  }),
  smtpUrl: setting({
    env: 'SMTP_URL',
    doc: "SMTP relay URL: `smtp://host:port` (port 25 by default; STARTTLS whenever the relay offers it) or `smtps://host:port` (TLS from the start, 465 by default). No user or password: the relay accepts this server by its address. A relay certificate signed by the city's own CA needs that CA in `NODE_EXTRA_CA_CERTS`. Unset means each message is written as an `.eml` file to `<DATA_DIR>/outbox`",
    schema: optionalText.pipe(url(['smtp:', 'smtps:']).optional()),
  }),
  mailFrom: setting({
    env: 'MAIL_FROM',
    doc: 'sender of every e-mail, `"이름" <address>` or a bare address; its domain also ends each Message-ID',
    default: '"광명시 행정전화 녹취시스템" <recording@localhost>',
    schema: mailbox,
  }),
} as const;

type Catalogue = typeof SETTINGS;
type CatalogueValues = { readonly [K in keyof Catalogue]: z.output<Catalogue[K]['schema']> };
export type Settings = Omit<CatalogueValues, 'callGenerator' | 'captureControlUrl'> & {
  readonly callGenerator: boolean;
  readonly captureControlUrl: string;
};

export class SettingsError extends Error {
  constructor(readonly problems: readonly { env: string; message: string }[]) {
    super('설정이 올바르지 않아 시작할 수 없습니다:\n' + problems.map((problem) => `  ${problem.env}: ${problem.message}`).join('\n'));
    this.name = 'SettingsError';
  }
}

/** Reads and validates every setting; on any error throws one SettingsError naming every bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const values: Record<string, unknown> = {};
  const problems: { env: string; message: string }[] = [];
  for (const [key, spec] of Object.entries(SETTINGS) as [keyof Catalogue, SettingSpec<z.ZodType>][]) {
    const raw = env[spec.env] ?? spec.default;
    const result = spec.schema.safeParse(raw);
    if (result.success) values[key] = result.data;
    else problems.push({ env: spec.env, message: result.error.issues.map((issue) => issue.message).join('; ') });
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return resolveDerived(values as CatalogueValues, env, problems);
}

/** For a process's entry point: the settings, or the message naming every bad variable and exit code 2. */
export function loadSettingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** Defaults that depend on other settings, and rules that span several. */
function resolveDerived(settings: CatalogueValues, env: NodeJS.ProcessEnv, problems: { env: string; message: string }[]): Settings {
  const dataDir = path.resolve(settings.dataDir);
  const masterKeyFile = env.MASTER_KEY_FILE === undefined ? path.join(dataDir, 'keys', 'master.key') : path.resolve(settings.masterKeyFile);
  const databaseName =
    settings.databaseName !== '' ? settings.databaseName : settings.databaseDriver === 'sqlite' ? path.join(dataDir, 'recording.sqlite') : 'recording';
  const keyFile = (variable: string, name: string, value: string) => (env[variable] === undefined ? path.join(dataDir, 'keys', name) : path.resolve(value));
  const captureControlApiTokenFile = keyFile('CAPTURE_CONTROL_API_TOKEN_FILE', 'capture-control-api.token', settings.captureControlApiTokenFile);
  const captureControlWorkerTokenFile = keyFile('CAPTURE_CONTROL_WORKER_TOKEN_FILE', 'capture-control-worker.token', settings.captureControlWorkerTokenFile);
  const captureControlPbxTokenFile = keyFile('CAPTURE_CONTROL_PBX_TOKEN_FILE', 'capture-control-pbx.token', settings.captureControlPbxTokenFile);
  const captureDevicesFile = keyFile('CAPTURE_DEVICES_FILE', 'capture-devices', settings.captureDevicesFile);
  const packageSigningKeyFile = keyFile('PACKAGE_SIGNING_KEY_FILE', 'package-signing.pem', settings.packageSigningKeyFile);
  const grantSigningKeyFile = keyFile('GRANT_SIGNING_KEY_FILE', 'grant-signing.pem', settings.grantSigningKeyFile);
  const grantPublicKeyFile = keyFile('GRANT_PUBLIC_KEY_FILE', 'grant-public.pem', settings.grantPublicKeyFile);
  const auditSigningKeyFile = keyFile('AUDIT_SIGNING_KEY_FILE', 'audit-signing.pem', settings.auditSigningKeyFile);
  const announcementAudioFile =
    env.ANNOUNCEMENT_AUDIO_FILE === undefined
      ? path.join(PROJECT_ROOT, 'templates', 'announcement', 'announcement-ko.wav')
      : path.resolve(settings.announcementAudioFile);
  const callGenerator = settings.callGenerator ?? settings.environment === 'development';
  const captureControlUrl = (settings.captureControlUrl ?? `http://127.0.0.1:${settings.captureControlPort}`).replace(/\/+$/, '');
  const databasePort = settings.databasePort !== 0 ? settings.databasePort : settings.databaseDriver === 'mssql' ? 1433 : 5432;

  const tlsFiles = [settings.temporalTlsCertFile, settings.temporalTlsKeyFile];
  if (tlsFiles.filter(Boolean).length === 1) {
    problems.push({ env: 'TEMPORAL_TLS_CERT_FILE', message: '인증서와 개인키 파일은 함께 지정해야 합니다 (TEMPORAL_TLS_KEY_FILE)' });
  }
  if (settings.directoryUrl) {
    const required = [
      ['LDAP_BIND_DN', settings.directoryBindDn],
      ['LDAP_BIND_PASSWORD_FILE', settings.directoryBindPasswordFile],
      ['LDAP_USER_BASE', settings.directoryUserBase],
      ['LDAP_GROUP_BASE', settings.directoryGroupBase],
    ] as const;
    for (const [env, value] of required) {
      if (!value) problems.push({ env, message: 'LDAP_URL을 쓰려면 이 설정도 필요합니다' });
    }
    if (settings.directoryRoleGroups.size === 0) {
      problems.push({ env: 'LDAP_ROLE_GROUPS', message: '역할을 주는 그룹이 하나도 없습니다' });
    }
  }
  if (settings.sessionAbsoluteTimeoutMinutes < settings.sessionIdleTimeoutMinutes) {
    problems.push({ env: 'SESSION_ABSOLUTE_TIMEOUT_MINUTES', message: '절대 만료 시간은 유휴 만료 시간보다 짧을 수 없습니다' });
  }
  if (settings.environment === 'production') {
    if (settings.databaseDriver === 'sqlite') {
      problems.push({ env: 'DB_DRIVER', message: '운영 모드에서는 내장 SQLite를 쓸 수 없습니다 (postgresql 또는 mssql)' });
    }
    if (!settings.temporalAddress) {
      problems.push({ env: 'TEMPORAL_ADDRESS', message: '운영 모드에서는 Temporal 클러스터 주소가 필요합니다' });
    }
    if (!settings.directoryUrl) {
      problems.push({ env: 'LDAP_URL', message: '운영 모드에서는 내장 개발용 디렉터리를 쓸 수 없습니다' });
    }
    if (callGenerator) {
      problems.push({ env: 'CALL_GENERATOR', message: '운영 모드에서는 시험용 통화 발생기를 켤 수 없습니다' });
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return {
    ...settings,
    dataDir,
    masterKeyFile,
    databaseName,
    databasePort,
    captureControlApiTokenFile,
    captureControlWorkerTokenFile,
    captureControlPbxTokenFile,
    captureDevicesFile,
    callGenerator,
    captureControlUrl,
    announcementAudioFile,
    packageSigningKeyFile,
    grantSigningKeyFile,
    grantPublicKeyFile,
    auditSigningKeyFile,
  };
}
