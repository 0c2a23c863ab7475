/**
 * The real API (express, sessions, audit) over a real test database and a real directory, listening on
 * 127.0.0.1, with a small cookie-keeping client that behaves like a browser with SameSite cookies.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { createDocumentStore, type DocumentStore } from '../../infra/documents/document-store';
import { disclosureSettings } from '../../app/system';
import { createApiServer, type ApiOptions, type ApiServer } from '../../api/server';
import { CaptureControlClient } from '../../capture/control-client';
import { AuditEvent, Department, Extension, Recording } from '../../infra/db/entities';
import { seedDevelopmentOrganisation } from '../../infra/db/development-organisation';
import { DEMO_PASSWORD } from '../../infra/directory/development-directory';
import { DevelopmentDirectory } from '../../infra/directory/development-directory';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import { createLogger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import { type RoleId } from '../../domain/roles';
import { TEST_GRANT_KEYS } from './grants';
import { samplePdf, samplePng } from './sample-files';

export interface TestApi {
  url: string;
  /** Where this API seals documents and attachments (removed on close), and the store itself. */
  documentsDir: string;
  documents: DocumentStore;
  server: ApiServer;
  calendar: LegalCalendar;
  close(): Promise<void>;
}

let calendar: LegalCalendar | undefined;
/** The shipped announcement and its text, as an installation without its own has them. */
const defaults = loadSettings({});

export async function startTestApi(orm: MikroORM, overrides: Partial<ApiOptions> = {}): Promise<TestApi> {
  calendar ??= await loadLegalCalendar('Asia/Seoul');
  const documentsDir = mkdtempSync(path.join(tmpdir(), 'api-documents-'));
  const documents = overrides.documents ?? createDocumentStore({ dataDir: documentsDir, masterKey: randomBytes(32) });
  const server = createApiServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ component: 'api-test' }, 'error'),
    orm,
    directory: new DevelopmentDirectory(),
    calendar,
    health: { database: async () => ({ state: 'up', detail: 'test' }) },
    municipalityName: '광명시',
    retentionPeriod: '30일',
    timeZone: 'Asia/Seoul',
    maxPrivilegedHolders: 4,
    holdMaxPeriod: { amount: 3, unit: 'month' },
    searchRangeDays: 30,
    // No appliance unless a suite starts one (test/support/appliance.ts): an export then finds it unreachable.
    capture: new CaptureControlClient({ baseUrl: 'http://127.0.0.1:1', token: 'no-appliance' }),
    grantSigningKey: TEST_GRANT_KEYS.privateKey,
    exportPasswordMinLength: 10,
    documents,
    attachments: { maxFiles: 3, maxFileBytes: 256 * 1024 },
    fullRecordingApprovalChain: ['operator', 'deputy', 'chief'],
    approvalReminderWorkingDays: 2,
    disclosure: disclosureSettings(defaults),
    signOffLabels: defaults.signOffLabels,
    announcement: { text: defaults.announcementText, audioFile: defaults.announcementAudioFile },
    sessionTimeouts: { idleMinutes: 30, absoluteMinutes: 480 },
    // No waits between wrong passwords unless a suite asks (test/api/sessions.test.ts): most suites log in once per user.
    lockout: { maxFailures: 5, lockoutMinutes: 15, firstDelaySeconds: 0 },
    loginRateLimitPerMinute: 1_000,
    behindTlsProxy: false,
    ...overrides,
  });
  const address = await server.start();
  const close = async () => {
    await server.stop();
    rmSync(documentsDir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${address.port}`, documentsDir, documents, server, calendar, close };
}

/** The demo user of each role (README "Demo users"). */
export const DEMO_BY_ROLE: Record<RoleId, string> = {
  chief: 'choi.chief',
  deputy: 'park.deputy',
  operator: 'lee.operator',
  dept_head: 'kim.head',
  staff: 'jung.staff',
  auditor: 'han.auditor',
  records: 'yoon.records',
};

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  body?: string;
  /** A `multipart/form-data` form, as a browser sends one with files; a repeated field is a list. */
  multipart?: { fields?: Record<string, string | string[]>; files?: TestFile[] };
  headers?: Record<string, string>;
  /** Send this session's CSRF token (default for state-changing requests). */
  csrf?: boolean;
}

export interface TestFile {
  field: string;
  name: string;
  /** The type the browser claims (the server tells the real one from the bytes). */
  type: string;
  content: Buffer;
}

/** Small complete files of the accepted kinds, for evidence and scans (the server reads them whole). */
export const SAMPLE_FILES = { pdf: samplePdf(), png: samplePng() };

function multipartBody(form: NonNullable<RequestOptions['multipart']>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(form.fields ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) data.append(name, one);
  }
  for (const file of form.files ?? []) data.append(file.field, new Blob([file.content], { type: file.type }), file.name);
  return data;
}

/** One browser: keeps cookies, knows its CSRF token, never follows redirects on its own. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** The Cookie header this browser sends; also for requests made without fetch (a large body streamed from a file). */
  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    let body: string | FormData | undefined = options.body;
    if (options.multipart) {
      body = multipartBody(options.multipart);
    } else if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    if (method !== 'GET' && options.csrf !== false && this.csrfToken) headers['x-csrf-token'] ??= this.csrfToken;
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = (pair as string).split('=') as [string, string];
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async json<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Logs in through the JSON API the way a script would: token first, then credentials. */
  async login(username: string, password = DEMO_PASSWORD): Promise<{ status: number; body: Record<string, unknown> }> {
    const state = await this.json<{ csrfToken: string }>('GET', '/api/session');
    this.csrfToken = state.body.csrfToken;
    const result = await this.json('POST', '/api/session', { json: { username, password } });
    if (result.status === 200) this.csrfToken = result.body.csrfToken as string;
    return result;
  }
}

export async function loggedIn(baseUrl: string, role: RoleId): Promise<TestClient> {
  const client = new TestClient(baseUrl);
  const result = await client.login(DEMO_BY_ROLE[role]);
  if (result.status !== 200) throw new Error(`login as ${role} failed: ${JSON.stringify(result.body)}`);
  return client;
}

export interface SeededCalls {
  itDepartment: Department;
  welfareDepartment: Department;
  /** jung.staff's extension (owner and directory number). */
  staffExtension: Extension;
  /** kim.head's extension. */
  headExtension: Extension;
  /** The managing department's extension (lee.operator). */
  itExtension: Extension;
  staffCall: Recording;
  headCall: Recording;
  itCall: Recording;
  deletedCall: Recording;
}

/** Two departments, three extensions and a few calls in the last days, one of them deleted. */
export async function seedCalls(orm: MikroORM, now = new Date()): Promise<SeededCalls> {
  const em = orm.em.fork();
  const organisation = await seedDevelopmentOrganisation(em);
  const department = (name: string) => organisation.departments.get(name) as Department;
  const extension = (owner: string) => organisation.extensions.get(owner) as Extension;
  const itDepartment = department('정보통신과');
  const welfareDepartment = department('복지정책과');
  const staffExtension = extension('jung.staff');
  const headExtension = extension('kim.head');
  const itExtension = extension('lee.operator');
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
  const call = (id: string, extension: Extension, hours: number, other: string, mode: 'selective' | 'full' = 'selective') => {
    const recording = new Recording(id, extension, hoursAgo(hours), 'inbound', mode, 'PCMU', new Date(now.getTime() + 20 * 86_400_000));
    recording.otherPartyNumber = other;
    recording.endedAt = new Date(recording.startedAt.getTime() + 95_000);
    recording.durationMs = 95_000;
    recording.noticeGiven = true;
    return recording;
  };
  const staffCall = call('call-staff-1', staffExtension, 2, '010-5555-1234');
  const headCall = call('call-head-1', headExtension, 3, '031-777-8888', 'full');
  const itCall = call('call-it-1', itExtension, 4, '02-2680-9999');
  const deletedCall = call('call-staff-old', staffExtension, 24 * 5, '010-0000-1111');
  deletedCall.deletedAt = hoursAgo(1);
  deletedCall.otherPartyNumber = undefined;
  em.persist([staffCall, headCall, itCall, deletedCall]);
  await em.flush();
  return { itDepartment, welfareDepartment, staffExtension, headExtension, itExtension, staffCall, headCall, itCall, deletedCall };
}

/** The one audit entry a request left. */
export async function auditOf(orm: MikroORM, requestId: string): Promise<AuditEvent> {
  const events = await orm.em.fork().find(AuditEvent, { detail: { $like: `%"requestId":"${requestId}"%` } });
  if (events.length !== 1) throw new Error(`expected one audit entry for request ${requestId}, found ${events.length}`);
  return events[0] as AuditEvent;
}
