/**
 * Every route of the system, API and UI, with who may call it. Adding a route means adding it here;
 * the route×role test walks this list and the express router, so a route added anywhere else fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/paths';
import type { MikroORM } from '@mikro-orm/core';
import type { Response, RequestHandler } from 'express';
import { z } from 'zod';
import type { CaptureControlClient } from '../capture/control-client';
import type { Directory } from '../infra/directory';
import type { DocumentStore } from '../infra/documents/document-store';
import { USERNAME_PATTERN } from '../infra/directory/ldap-directory';
import type { LegalCalendar } from '../domain/legal-period';
import { DisclosureRequest, Recording } from '../infra/db/entities';
import { type RoleId, type SignOffRole } from '../domain/roles';
import { anyRole, decide, PRIVILEGED_ROLES, ROLES, type Grant, type Principal } from './access';
import { listPrivilegedHolders, privilegedHolders } from './access-holders';
import { ApiError, notFound } from './errors';
import { checkHealth, type HealthCheck } from './health';
import { monitoringRoutes, type MonitoringOptions } from './monitoring';
import { holdReason, holdView, openHolds, recordingDetail, releaseHold, setHold } from './holds';
import { login, type LoginDeps } from './login';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi';
import {
  accessReport, accessReviewDetail, accessReviewParams, accessReviewSignOffBody, accessReviewView, listAccessReviews, readAccessReview,
  signOffAccessReview, type AccessReviewDeps,
} from './access-review';
import { PROCESS_VIEW_ASSETS, processViewRoutes } from './process-views';
import { TIMELINE_ASSETS, timelineRoutes } from './timeline-routes';
import { letterToPost, readInAppNotifications, readLettersToPost, recordLetterPosted } from './notifications';
import { readRetentionOverview } from './retention-overview';
import { announcementDownload, readAnnouncementAudio, type AnnouncementSettings } from './announcement';
import { complianceExceptions, readComplianceExceptions } from './compliance-exceptions';
import { announcementPage, complianceCard } from './ui/notice-pages';
import { exportOwnRecording, partyExportBody, partyExportForm, sendExport } from './party-export';
import {
  addEvidence, applicationBody, applicationDetail, evidenceFile, applicationDocument, applicationForm, type ApplicationBody, applicationIdParams, applicationView, applyForFullRecording,
  extensionView, listApplications, listExtensions, ownDepartmentApplication, ownDepartmentList, parseApplicationForm, permittedActions,
  previewApplicationDocument, readApplication, readFullRecordingOverview, renewApplication, revokeApplication, revokeBody, revokeForm, signOffApplication, signOffBody, signOffForm,
} from './full-recording';
import { attachmentParams, attachmentView, sendAttachment } from './attachments';
import type { UploadRule } from './uploads';
import { applicationFormPage, applicationPage, fullRecordingCard, fullRecordingListPage } from './ui/full-recording-pages';
import type { FullRecordingWorkflows } from '../infra/temporal/full-recording';
import type { AccessReviewWorkflows } from '../infra/temporal/access-review';
import type { DisclosureWorkflows } from '../infra/temporal/disclosure';
import type { SignOffLabels } from '../templates/documents';
import { exportLedger, ledgerQuery } from './ledger';
import {
  addRequestAttachments, attachmentFields, buildPackage, confirmBody, confirmRecordings, destructionReportBody, disclosureSignOffBody, handoverBody,
  listRequests, packageFile, packageResult, proposeMatches, readRequest, recordDestructionReport, recordHandover, registerRequest, registrationBody, fileOwnRequest, listOwnRequests, ownExtensionNumbers, ownRequestBody,
  requestAttachment, requestDetail, requestDocument, requestIdParams, requestView, signOffRequest, submitRequest, withdrawBody, withdrawRequest,
  packagePublicKey, playParams, verifyFields, verifyUploadedPackage, viewingAudio, type DisclosureDeps,
} from './disclosure';
import {
  attachmentForm, attachmentFromForm, confirmForm, confirmFromForm, destructionReportForm, destructionReportFromForm, handoverForm, handoverFromForm,
  localInputValue, ownRequestForm, ownRequestFromForm, type OwnRequestForm, registrationForm, registrationFromForm, signOffFromForm, withdrawForm, withdrawFromForm, type RegistrationForm,
} from './disclosure-forms';
import { permittedSteps, readDisclosureOverview } from './disclosure-overview';
import { accessReviewListPage, accessReviewPage } from './ui/access-review-pages';
import { disclosureCard, disclosureListPage, disclosurePage, ownRequestsPage, packagePage, registrationFormPage } from './ui/disclosure-pages';
import {
  isPartyToRecording,
  recordingIdParams,
  recordingSearchQuery,
  recordingSearchResult,
  recordingSummary,
  searchRecordings,
  toSummary,
} from './recording-search';
import { auditIdentityOf, defineRoute, requestContext, validate, type RouteCall, type RouteSpec } from './routes';
import { LOGIN_CSRF_COOKIE, newToken, SESSION_COOKIE, type SessionStore } from './sessions';
import type { Frame, NavItem } from './ui/layout';
import { accessHoldersPage, dashboardPage, lettersCard, loginPage, recordingPage, recordingsPage } from './ui/pages';

/** What the routes need to know of the system, given by whoever starts the API. */
export interface SiteFacts {
  orm: MikroORM;
  directory: Directory;
  calendar: LegalCalendar;
  health: Record<string, HealthCheck>;
  municipalityName: string;
  /** The storage period as the rules say it, e.g. `30일`. */
  retentionPeriod: string;
  timeZone: string;
  maxPrivilegedHolders: number;
  /** Default search range: the storage period in days. */
  searchRangeDays: number;
  /** The capture appliance's control API: it seals the party's own export. */
  capture: CaptureControlClient;
  /** EXPORT_PASSWORD_MIN_LENGTH */
  exportPasswordMinLength: number;
  /** Where attached files are kept sealed (the same store as generated documents). */
  documents: DocumentStore;
  /** ATTACHMENT_MAX_FILES and ATTACHMENT_MAX_FILE_MB */
  attachments: { maxFiles: number; maxFileBytes: number };
  /**
   * A recording past due whose last hold was released goes back to retention (its day's workflow is started again
   * through the Temporal client); absent where the API runs without Temporal (API suites).
   */
  afterHoldReleased?: (recording: Recording) => Promise<void>;
  /** Full-recording applications' workflows; absent where the API runs without Temporal (they answer 503 then). */
  fullRecordingWorkflows?: FullRecordingWorkflows;
  /** FULL_RECORDING_APPROVAL_CHAIN */
  fullRecordingApprovalChain: readonly SignOffRole[];
  /** APPROVAL_REMINDER_WORKING_DAYS */
  approvalReminderWorkingDays: number;
  /** Disclosure requests' workflows (Art. 9); absent where the API runs without Temporal (they answer 503 then). */
  disclosureWorkflows?: DisclosureWorkflows;
  /** The monthly access reviews' workflows (started by a Schedule); absent without Temporal (sign-off answers 503). */
  accessReviewWorkflows?: AccessReviewWorkflows;
  /** DISCLOSURE_SIGN_OFF_CHAIN, DISCLOSURE_VIEWING_WINDOW_HOURS and the DESTRUCTION_REPORT_* settings. */
  disclosure: Pick<DisclosureDeps, 'signOffChain' | 'viewingWindowHours' | 'destructionReport'>;
  /** SIGN_OFF_LABELS: the 결재 column headings of forms and the ledger. */
  signOffLabels: SignOffLabels;
  /** TEMPLATES_DIR: the city's own DOCX templates, if any. */
  templatesDir?: string;
  /** ANNOUNCEMENT_TEXT and ANNOUNCEMENT_AUDIO_FILE (Art. 7). */
  announcement: AnnouncementSettings;
  /** /ready and /metrics (api/monitoring.ts): the request counters, the metrics token, the worker's metrics. */
  monitoring?: MonitoringOptions;
}

export interface RouteDeps extends SiteFacts {
  sessions: SessionStore;
  login: LoginDeps;
  loginThrottle: RequestHandler;
  secureCookies: boolean;
}

const MANAGING: Grant = { roles: PRIVILEGED_ROLES, scope: 'everything' };
/** Officials see the metadata of calls they were a party to (Art. 8(1) proviso). */
const PARTIES: Grant = { roles: ['staff', 'dept_head'], scope: 'ownCalls' };
const RECORDING_READERS: readonly Grant[] = [MANAGING, PARTIES];
const HOLDER_READERS: readonly Grant[] = [{ roles: [...PRIVILEGED_ROLES, 'auditor'], scope: 'everything' }];
/** The health report names servers and folders: for the managing department and operations. */
const HEALTH_READERS: readonly RoleId[] = [...PRIVILEGED_ROLES, 'auditor'];
/** Holds outside the disclosure lifecycle: the chief alone, with a reason (issue 6). */
const HOLD_SETTERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }];
const holdParams = z.object({ id: z.uuid(), holdId: z.uuid() }).strict();
/** Full-recording applications (Art. 6): the applying department's head for their own department, the rest by role. */
const OWN_DEPARTMENT_HEAD: Grant = { roles: ['dept_head'], scope: 'ownDepartment' };
const APPLICANTS: readonly Grant[] = [OWN_DEPARTMENT_HEAD];
const APPLICATION_READERS: readonly Grant[] = [{ roles: [...PRIVILEGED_ROLES, 'auditor'], scope: 'everything' }, OWN_DEPARTMENT_HEAD];
const SIGNERS: readonly Grant[] = [MANAGING];
const REVOKERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }, OWN_DEPARTMENT_HEAD];
/**
 * Art. 9 requests: the managing department works them (the operator registers and takes each handling step, the
 * chain signs off, the operator or the chief records a withdrawal); auditors read the cases, never their files.
 */
const DISCLOSURE_READERS: readonly Grant[] = [{ roles: [...PRIVILEGED_ROLES, 'auditor'], scope: 'everything' }];
const DISCLOSURE_OPERATOR: readonly Grant[] = [{ roles: ['operator'], scope: 'everything' }];
const DISCLOSURE_WITHDRAWERS: readonly Grant[] = [{ roles: ['operator', 'chief'], scope: 'everything' }];
/** Room for the drawn signature (a PNG of at most 200 KB as base64) next to the other fields. */
const HANDOVER_BODY_LIMIT = '320kb';
/**
 * Officials who may be a party to a call file their own request; the handler only ever reads or files the caller's
 * own (their extensions, their requests), so the grant needs no ownership rule on a path parameter.
 */
const letterParams = z.object({ id: z.uuid({ message: '우편 번호가 올바르지 않습니다' }) }).strict();
/** 월간 접근기록 점검: the managing department and auditors read the reviews and their reports; the chief signs them off. */
const ACCESS_REVIEW_READERS: readonly Grant[] = [{ roles: [...PRIVILEGED_ROLES, 'auditor'], scope: 'everything' }];
const ACCESS_REVIEW_FILES = ACCESS_REVIEW_READERS;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ACCESS_REVIEW_SIGNERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }];
const OWN_REQUESTERS: readonly Grant[] = [{ roles: ['staff', 'dept_head'], scope: 'everything' }];
/** jung.staff's own extension in the demo directory. */
const ownRequestsQuery = z.object({ filed: z.string().regex(/^\d{4}-\d{4}$/).optional() }).strict();
const OWN_REQUEST_EXAMPLE = {
  kind: 'viewing', applicantBirthDate: '1985-03-01', applicantContact: '010-1234-5678', applicantEmail: null, extension: '02-2680-1234',
  recordingFrom: '2026-11-27T13:00:00+09:00', recordingTo: '2026-11-27T15:00:00+09:00', purpose: '민원 응대 내용 확인', reason: '민원인과 통화한 내용을 확인하려 합니다.',
};
const DISCLOSURE_EXAMPLE = {
  kind: 'provision', applicantName: '홍길동', applicantBirthDateOrBusinessNumber: '1980-01-01', applicantAddress: '경기도 광명시 철산로 123',
  applicantContact: '010-1234-5678', applicantEmail: 'hong@example.test', recordingFrom: '2026-11-27T13:00:00+09:00',
  recordingTo: '2026-11-27T15:00:00+09:00', phoneNumber: '010-5555-1234', purpose: '민원 분쟁 증빙', relationToParty: '통화 당사자 본인',
  reason: '통화 내용 확인이 필요합니다.', ground: 'party', groundDetail: '신분증으로 본인 확인',
};
/** The same Form 1 as the registration page sends it: the date-times as datetime-local inputs give them. */
const DISCLOSURE_FORM_EXAMPLE = { ...DISCLOSURE_EXAMPLE, recordingFrom: '2026-11-27T13:00', recordingTo: '2026-11-27T15:00' };
/** Form 4: the records officer exports it (Art. 9(3) ledger); the managing department and auditors read it too. */
const LEDGER_READERS: readonly Grant[] = [{ roles: [...PRIVILEGED_ROLES, 'auditor', 'records'], scope: 'everything' }];
/** A package brought back to be checked is read whole: an hour of a call is about 115 MB as PCM WAV. */
const PACKAGE_MAX_BYTES = 256 * 1024 * 1024;
const requestAttachmentParams = z.object({ id: z.uuid(), attachmentId: z.uuid() }).strict();
const requestDocumentParams = z.object({ id: z.uuid(), documentId: z.uuid() }).strict();
/** The announcement is the managing department's to hand to the PBX. */
const ANNOUNCEMENT_READERS: readonly Grant[] = [MANAGING];
/** Calls recorded without notice (Art. 7): the managing department's to follow up, the auditors' to oversee. */
const COMPLIANCE_READERS: readonly Grant[] = HOLDER_READERS;
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const APPLICATION_EXAMPLE = {
  extensions: ['02-2680-1234'],
  ground: 'malicious_complaints',
  reason: '폭언·욕설 민원이 반복되어 직원 보호를 위해 전수 녹취가 필요합니다',
  periodFrom: '2026-12-01',
  periodTo: '2027-05-31',
};

const partyToRecording = {
  description: '본인이 당사자(통화한 내선의 공무원)인 녹취만',
  appliesAs: 'check' as const,
  isParty: (em: Parameters<typeof isPartyToRecording>[0], principal: Principal, params: { id: string }) =>
    isPartyToRecording(em, principal, params.id),
};
const partyCallsOnly = { description: '본인이 당사자인 통화만 검색됨', appliesAs: 'filter' as const };
/**
 * The party's own export (R5): every role is held to its own calls, so a chief or operator who was not on the
 * call is refused like anyone else — their way to others' calls is Art. 9, not this.
 */
const PARTY_ONLY: readonly Grant[] = [{ roles: ROLES, scope: 'ownCalls' }];
const EXPORT_EXAMPLE = { password: 'Gwangmyeong-2026!', reason: '민원 처리 경위 확인을 위해 업무용 PC에 보관' };

const loginBody = z
  .object({
    // The directory's own rule for user names, checked before anything reaches LDAP or the lock-out table.
    username: z.string().regex(USERNAME_PATTERN, { message: '사용자 이름은 영문, 숫자, . _ - 로 64자까지 적습니다' }),
    password: z.string().min(1, { message: '비밀번호를 입력하십시오' }).max(256, { message: '비밀번호가 너무 깁니다' }),
  })
  .strict();
/** Only a local path may follow login, so the form cannot be used to send users elsewhere. */
const localPath = z.string().regex(/^\/(?![/\\])[A-Za-z0-9/_\-?=&.%]*$/).max(512);
const loginForm = loginBody.extend({ next: localPath.optional().catch(undefined) });
const loginPageQuery = z.object({ next: localPath.optional().catch(undefined) });

const sessionUser = z.object({
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  department: z.array(z.string()),
  extension: z.string().nullable(),
});
const sessionState = z.object({
  authenticated: z.boolean(),
  csrfToken: z.string().describe('상태를 바꾸는 요청의 X-CSRF-Token 헤더 값'),
  user: sessionUser.optional(),
  expiresAt: z.string().optional(),
});

function asset(name: string): Buffer {
  return readFileSync(path.join(PROJECT_ROOT, 'api', 'public', name));
}

/** The UI's static files: a fixed list read once, so no request path ever reaches the file system. */
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: asset('app.css') },
  'app.js': { type: 'text/javascript; charset=utf-8', body: asset('app.js') },
  'favicon.svg': { type: 'image/svg+xml', body: asset('favicon.svg') },
  'process-view.js': { type: PROCESS_VIEW_ASSETS['process-view.js'], body: asset('process-view.js') },
  'process-view.css': { type: PROCESS_VIEW_ASSETS['process-view.css'], body: asset('process-view.css') },
  'timeline.css': { type: TIMELINE_ASSETS['timeline.css'], body: asset('timeline.css') },
};
const assetParams = z.object({ name: z.enum(Object.keys(ASSETS) as [string, ...string[]]) });

const NAVIGATION: readonly (NavItem & { access: readonly Grant[] })[] = [
  { path: '/', label: '대시보드', access: anyRole },
  { path: '/recordings', label: '녹취정보 조회', access: RECORDING_READERS },
  { path: '/full-recording', label: '전수 녹취', access: APPLICATION_READERS },
  { path: '/disclosure', label: '녹취정보 열람·제공', access: DISCLOSURE_READERS },
  { path: '/my/disclosure', label: '내 녹취정보 신청', access: OWN_REQUESTERS },
  { path: '/access-holders', label: '접근 권한자', access: HOLDER_READERS },
  { path: '/access-reviews', label: '접근기록 점검', access: ACCESS_REVIEW_READERS },
  { path: '/notice', label: '사전고지', access: ANNOUNCEMENT_READERS },
];

export function frameFor(res: Response, municipalityName: string, currentPath?: string): Frame {
  const context = requestContext(res);
  if (!context.principal || !context.session) return { municipalityName };
  const principal = context.principal;
  return {
    municipalityName,
    currentPath,
    user: {
      principal,
      csrfToken: context.session.csrfToken,
      nav: NAVIGATION.filter((item) => decide(item.access, principal).allowed),
    },
  };
}

export function createRoutes(deps: RouteDeps): RouteSpec[] {
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: deps.secureCookies, path: '/' };
  const sendPage = (res: Response, body: string, status = 200) => res.status(status).type('html').send(body);
  const frame = (res: Response, current?: string) => frameFor(res, deps.municipalityName, current);
  const searchOptions = { calendar: deps.calendar, defaultRangeDays: deps.searchRangeDays };

  /** The login form's double-submit token: reused while the browser has one. */
  const loginCsrf = (call: RouteCall<unknown, unknown, unknown>) => {
    const existing = call.context.cookies[LOGIN_CSRF_COOKIE];
    const token = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : newToken();
    call.res.cookie(LOGIN_CSRF_COOKIE, token, cookieOptions);
    return token;
  };

  const startSession = async (call: RouteCall<unknown, unknown, { username: string; password: string }>) => {
    const previous = call.context.cookies[SESSION_COOKIE];
    const started = await login(deps.login, {
      username: call.body.username,
      password: call.body.password,
      sourceAddress: call.context.sourceAddress,
      requestId: call.context.requestId,
    });
    // A session token the browser held before login is never reused (session fixation).
    if (previous) await deps.orm.em.fork().transactional((em) => deps.sessions.end(em, previous, 'superseded'));
    call.res.cookie(SESSION_COOKIE, started.token, cookieOptions);
    call.res.clearCookie(LOGIN_CSRF_COOKIE, cookieOptions);
    return started;
  };

  const endSession = async (call: RouteCall<unknown, unknown, unknown>) => {
    const token = call.context.cookies[SESSION_COOKIE] as string;
    await deps.orm.em.fork().transactional(async (em) => {
      await deps.sessions.end(em, token, 'logout');
    });
    await call.audit({ action: 'logout', targetType: 'account', targetId: call.principal?.username ?? '', reason: '로그아웃' });
    call.res.clearCookie(SESSION_COOKIE, cookieOptions);
  };

  const search = async (call: RouteCall<unknown, z.output<typeof recordingSearchQuery>, unknown>) => {
    // Search grants are `everything` or `ownCalls`; anything narrower than everything is held to the caller's own calls.
    const scope = call.scope === 'everything' ? 'everything' : 'ownCalls';
    const result = await searchRecordings(call.em, call.principal as Principal, scope, call.query, searchOptions);
    await call.audit({
      action: 'recording.search',
      targetType: 'recording',
      targetId: 'search',
      reason: '녹취정보 조회',
      detail: { query: call.query, scope: call.scope, resultIds: result.items.map((item) => item.id) },
    });
    return result;
  };

  const readRecording = async (call: RouteCall<{ id: string }, unknown, unknown>) => {
    const recording = await call.em.findOne(Recording, call.params.id, { populate: ['extension', 'extension.department'] });
    if (!recording) throw notFound();
    await call.audit({ action: 'recording.read', targetType: 'recording', targetId: recording.id, reason: '녹취정보 상세 조회', detail: { scope: call.scope } });
    return { ...toSummary(recording), holds: await openHolds(call.em, recording.id) };
  };

  const releaseOne = async (call: RouteCall<{ id: string; holdId: string }, unknown, { reason: string }>) => {
    const dueAgain = await releaseHold(call.em, call.context, call.params.id, call.params.holdId, call.body.reason);
    if (dueAgain) await deps.afterHoldReleased?.(dueAgain);
  };

  const fullRecordingDeps = {
    calendar: deps.calendar,
    directory: deps.directory,
    municipalityName: deps.municipalityName,
    templatesDir: deps.templatesDir,
    announcementText: deps.announcement.text,
    workflows: deps.fullRecordingWorkflows,
    approvalChain: deps.fullRecordingApprovalChain,
    reminderWorkingDays: deps.approvalReminderWorkingDays,
    documents: deps.documents,
    maxEvidenceFiles: deps.attachments.maxFiles,
  };
  const disclosureDeps: DisclosureDeps = {
    ...deps.disclosure,
    workflows: deps.disclosureWorkflows,
    capture: deps.capture,
    documents: deps.documents,
    timeZone: deps.timeZone,
    maxAttachments: deps.attachments.maxFiles,
    reminderWorkingDays: deps.approvalReminderWorkingDays,
  };
  const accessReviewDeps: AccessReviewDeps = { workflows: deps.accessReviewWorkflows, documents: deps.documents };
  /** Scans of a disclosure case (its ground, the signed Form 2, the returned Form 3), one purpose per request. */
  const disclosureUpload: UploadRule = { field: 'files', ...deps.attachments };
  /** 증빙자료 with a full-recording application: on the form that files it, and added while it is reviewed. */
  const evidenceUpload: UploadRule = { field: 'evidence', ...deps.attachments };

  /** A refusal answered on the page rather than by the error handler, so audited here as the handler would have. */
  const auditRefusal = (call: RouteCall<unknown, unknown, unknown>, error: ApiError) =>
    call.audit({
      action: 'request.refused', targetType: 'route', targetId: `${call.req.method} ${call.req.path}`.slice(0, 128),
      reason: `${error.code}: ${error.message}`.slice(0, 500), detail: error.detail,
    });
  /** A refusal the page answers (a mistake, a step not allowed now); anything else goes to the error handler. */
  const answeredOnPage = (error: unknown): error is ApiError => error instanceof ApiError && error.status < 500 && error.status !== 404;

  /** The application page, with the forms the user may use now; `error` comes back from a refused form. */
  const showApplication = async (call: RouteCall<{ id: string }, unknown, unknown>, error?: ApiError) => {
    const item = await readApplication(fullRecordingDeps, call);
    const can = await permittedActions(fullRecordingDeps, call.em, call.principal as Principal, item);
    sendPage(
      call.res,
      applicationPage(frame(call.res, '/full-recording'), { item, can, evidenceLimits: deps.attachments, error: error?.message }, deps.timeZone),
      error?.status ?? 200,
    );
  };
  /** A step taken from the page: back to the application, with the refusal shown on it if there was one. */
  const fromPage = async (call: RouteCall<{ id: string }, unknown, unknown>, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      if (!answeredOnPage(error)) throw error;
      await auditRefusal(call, error);
      return showApplication(call, error);
    }
    call.res.redirect(303, `/full-recording/${call.params.id}`);
  };
  const showApplicationForm = async (call: RouteCall<unknown, unknown, unknown>, values?: Record<string, unknown>, error?: ApiError | string) => {
    const mine = await listExtensions(call);
    const open = await listApplications(call);
    const taken = new Set(open.filter((item) => ['under_review', 'approved', 'active'].includes(item.status)).flatMap((item) => item.extensions));
    const message = typeof error === 'string' ? error : error?.message;
    sendPage(
      call.res,
      applicationFormPage(frame(call.res, '/full-recording'), {
        extensions: mine.map((extension) => ({ number: extension.number, owner: extension.owner, available: !taken.has(extension.number) })),
        evidenceLimits: deps.attachments,
        values: values as never,
        error: message,
        today: deps.calendar.localDate(new Date()),
      }),
      error ? (typeof error === 'string' ? 400 : error.status) : 200,
    );
  };

  /** The application form's fields checked as the API checks them; a mistake or a refusal comes back on the form. */
  const withApplicationForm = async (
    call: RouteCall<unknown, unknown, z.output<typeof applicationForm>>,
    use: (body: ApplicationBody) => Promise<void>,
  ) => {
    const { body, error } = parseApplicationForm(call.body);
    if (!body) {
      await auditRefusal(call, new ApiError(400, 'INVALID_INPUT', error ?? '입력을 확인하십시오.'));
      return showApplicationForm(call, call.body, call.files.length > 0 ? `${error} 첨부했던 증빙자료는 다시 골라 주십시오.` : error);
    }
    try {
      await use(body);
    } catch (refusal) {
      if (!answeredOnPage(refusal)) throw refusal;
      await auditRefusal(call, refusal);
      // A browser cannot put chosen files back into a form: say so rather than let them vanish.
      const again = call.files.length > 0 ? ' 첨부했던 증빙자료는 다시 골라 주십시오.' : '';
      await showApplicationForm(call, call.body, again ? new ApiError(refusal.status, refusal.code, `${refusal.message}${again}`) : refusal);
    }
  };


  /** The disclosure case page, with only the forms the user may use now; `error` comes back from a refused form. */
  const showDisclosure = async (call: RouteCall<{ id: string }, unknown, unknown>, error?: ApiError) => {
    const principal = call.principal as Principal;
    const item = await readRequest(disclosureDeps, call);
    const steps = permittedSteps(principal, item);
    const matches = steps.confirmRecordings ? await proposeMatches(call) : [];
    const page = disclosurePage(frame(call.res, '/disclosure'), {
      item, steps, matches, files: decide([MANAGING], principal).allowed, chain: deps.disclosure.signOffChain, signOffLabels: deps.signOffLabels,
      uploadLimits: deps.attachments, now: localInputValue(new Date(), deps.timeZone), error: error?.message,
      playable: item.kind === 'viewing' && item.workflow?.state === 'released' && decide([MANAGING], principal).allowed
        && item.workflow.viewingUntil !== null && Date.parse(item.workflow.viewingUntil) > Date.now(),
    }, deps.timeZone);
    sendPage(call.res, page, error?.status ?? 200);
  };
  /** A step taken on the case page: back to the case, or the case again with the refusal on it. */
  const fromCase = async (call: RouteCall<{ id: string }, unknown, unknown>, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      if (!answeredOnPage(error)) throw error;
      await auditRefusal(call, error);
      return showDisclosure(call, error);
    }
    call.res.redirect(303, `/disclosure/${call.params.id}`);
  };
  const showAccessReview = async (call: RouteCall<{ id: string }, unknown, unknown>, error?: ApiError) => {
    const principal = call.principal as Principal;
    const item = await readAccessReview(accessReviewDeps, call);
    const canSignOff = principal.roles.includes('chief') && item.status === 'awaiting_sign_off' && item.awaiting === 'chief';
    const files = decide(ACCESS_REVIEW_FILES, principal).allowed;
    sendPage(call.res, accessReviewPage(frame(call.res, '/access-reviews'), item, { canSignOff, files, error: error?.message }, deps.timeZone), error?.status ?? 200);
  };
  const showOwnRequests = async (call: RouteCall<unknown, unknown, unknown>, input: { values?: OwnRequestForm; error?: ApiError; filed?: string }) => {
    const principal = call.principal as Principal;
    const [items, extensions] = await Promise.all([listOwnRequests(call), ownExtensionNumbers(call.em, principal)]);
    sendPage(
      call.res,
      ownRequestsPage(frame(call.res, '/my/disclosure'), { items, extensions, values: input.values, error: input.error, filed: input.filed }, deps.timeZone),
      input.error?.status ?? 200,
    );
  };
  const showRegistrationForm = (call: RouteCall<unknown, unknown, unknown>, values?: RegistrationForm, error?: ApiError) =>
    sendPage(call.res, registrationFormPage(frame(call.res, '/disclosure'), { values, error: error?.message }), error?.status ?? 200);

  const exportDeps = { capture: deps.capture, timeZone: deps.timeZone, exportPasswordMinLength: deps.exportPasswordMinLength };
  /** The detail page; a party also gets the export form (R5), usable while the recording is kept. */
  const showRecording = async (
    call: RouteCall<{ id: string }, unknown, unknown>,
    exportForm: { error?: string; reason?: string } = {},
    status = 200,
  ) => {
    const item = await readRecording(call);
    const party = await isPartyToRecording(call.em, call.principal as Principal, call.params.id);
    const available = item.deletedAt === null && new Date(item.retentionDueAt) > new Date();
    const form = party ? { available, minLength: deps.exportPasswordMinLength, ...exportForm } : undefined;
    const canHold = (call.principal as Principal).roles.includes('chief');
    sendPage(call.res, recordingPage(frame(call.res, '/recordings'), item, deps.timeZone, form, canHold), status);
  };

  /** The dashboard's and the API's list of calls recorded without notice evidence; the ids shown are audited. */
  const readCompliance = async ({ em, audit }: Pick<RouteCall<unknown, unknown, unknown>, 'em' | 'audit'>) => {
    const exceptions = await readComplianceExceptions(em);
    await audit({
      action: 'compliance_exceptions.read',
      targetType: 'recording',
      targetId: 'compliance_exceptions',
      reason: '사전고지 준수 예외 조회',
      detail: { total: exceptions.total, resultIds: exceptions.items.map((item) => item.recordingId) },
    });
    return exceptions;
  };

  const readHolders = async (call: RouteCall<unknown, unknown, unknown>) => {
    const holders = await listPrivilegedHolders(deps.directory, deps.maxPrivilegedHolders);
    await call.audit({
      action: 'access_holders.read',
      targetType: 'directory',
      targetId: 'privileged_roles',
      reason: '접근 권한자 현황 조회',
      detail: { count: holders.count, overLimit: holders.overLimit },
    });
    return holders;
  };

  const routes: RouteSpec[] = [
    defineRoute({
      method: 'get', path: '/health', kind: 'api', access: 'public',
      summary: '구성 요소 상태 (감시용; 상태만, 개인정보 없음)',
      async handle({ res }) {
        const report = await checkHealth(deps.health);
        res.status(report.state === 'up' ? 200 : 503).json(report);
      },
    }),
    defineRoute({
      method: 'get', path: OPENAPI_PATH, kind: 'api', access: 'public',
      summary: '이 API의 OpenAPI 3 문서',
      async handle({ res }) {
        res.json(buildOpenApiDocument(routes, { title: `${deps.municipalityName} 행정전화 녹취시스템 API`, version: '1' }));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/session', kind: 'api', access: 'public', response: sessionState,
      summary: '로그인 상태와 CSRF 토큰 (로그인 전이면 로그인 요청용 토큰)',
      async handle(call) {
        const { context, res } = call;
        if (context.principal && context.session) {
          res.json({
            authenticated: true,
            csrfToken: context.session.csrfToken,
            expiresAt: context.session.expiresAt.toISOString(),
            user: {
              username: context.principal.username,
              displayName: context.principal.displayName,
              roles: context.principal.roles,
              department: context.principal.departmentPath,
              extension: context.principal.extension ?? null,
            },
          });
        } else {
          res.json({ authenticated: false, csrfToken: loginCsrf(call) });
        }
      },
    }),
    defineRoute({
      method: 'post', path: '/api/session', kind: 'api', access: 'public', body: loginBody, response: sessionState,
      summary: '로그인 (디렉터리 계정). X-CSRF-Token 에 GET /api/session 의 토큰을 보냅니다',
      throttle: deps.loginThrottle,
      example: { body: { username: 'nobody', password: 'wrong' } },
      async handle(call) {
        const started = await startSession(call);
        call.res.json({ authenticated: true, csrfToken: started.session.csrfToken, expiresAt: started.session.expiresAt.toISOString() });
      },
    }),
    defineRoute({
      method: 'delete', path: '/api/session', kind: 'api', access: anyRole,
      summary: '로그아웃',
      async handle(call) {
        await endSession(call);
        call.res.status(204).end();
      },
    }),
    defineRoute({
      method: 'get', path: '/api/recordings', kind: 'api', access: RECORDING_READERS, ownership: partyCallsOnly,
      query: recordingSearchQuery, response: recordingSearchResult,
      summary: '녹취정보 검색 (통화 기록만, 음성 없음)',
      async handle(call) {
        call.res.json(await search(call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/recordings/:id', kind: 'api', access: RECORDING_READERS, ownership: partyToRecording,
      params: recordingIdParams, response: recordingDetail,
      summary: '녹취정보 한 건 (통화 기록과 보존 중지, 음성 없음)',
      async handle(call) {
        call.res.json(await readRecording(call));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/recordings/:id/export', kind: 'api', access: PARTY_ONLY, ownership: partyToRecording,
      params: recordingIdParams, body: partyExportBody, releasesAudio: 'party-export',
      summary: '본인 녹취 내보내기 (운영 규정 제8조제1항): 당사자만, 보존기간 안에, AES-256 암호 ZIP(WAV)으로만. 사유는 감사 기록에 남고 비밀번호는 저장되지 않음',
      example: { body: EXPORT_EXAMPLE },
      async handle(call) {
        sendExport(call.res, await exportOwnRecording(exportDeps, call, call.body));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/recordings/:id/holds', kind: 'api', access: HOLD_SETTERS,
      params: recordingIdParams, body: holdReason, response: holdView,
      summary: '보존 중지 걸기 (과장, 사유 필수): 보존기간이 지나도 해제될 때까지 삭제하지 않음',
      example: { body: { reason: '소송 자료 보전 요청' } },
      async handle(call) {
        call.res.status(201).json(await setHold(call.em, call.context, call.params.id, call.body.reason));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/recordings/:id/holds/:holdId/release', kind: 'api', access: HOLD_SETTERS,
      params: holdParams, body: holdReason,
      summary: '보존 중지 해제 (과장, 사유 필수): 보존기간이 지났으면 곧 삭제됨',
      example: { params: { holdId: '00000000-0000-4000-8000-000000000000' }, body: { reason: '소송 종결' } },
      async handle(call) {
        await releaseOne(call);
        call.res.json({ released: call.params.holdId });
      },
    }),
    defineRoute({
      method: 'get', path: '/api/extensions', kind: 'api', access: APPLICATION_READERS, ownership: ownDepartmentList,
      response: z.array(extensionView),
      summary: '내선과 현재 녹취 방식 (전수 녹취는 시작 시각과 함께)',
      async handle(call) {
        call.res.json(await listExtensions(call));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/full-recording-applications', kind: 'api', access: APPLICANTS, ownership: ownDepartmentList,
      body: applicationBody, response: applicationView,
      summary: '전수 녹취 사용 신청 (운영 규정 제6조): 사용부서의 장이 소속 부서 내선에 대해',
      example: { body: APPLICATION_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await applyForFullRecording(fullRecordingDeps, call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/full-recording-applications', kind: 'api', access: APPLICATION_READERS, ownership: ownDepartmentList,
      response: z.array(applicationView),
      summary: '전수 녹취 신청 목록 (사용부서의 장은 소속 부서의 것만)',
      async handle(call) {
        call.res.json(await listApplications(call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/full-recording-applications/:id', kind: 'api', access: APPLICATION_READERS, ownership: ownDepartmentApplication,
      params: applicationIdParams, response: applicationDetail,
      summary: '전수 녹취 신청 한 건: 결재 단계, 장치 적용 여부, 처리 이력 (누가, 언제, 왜)',
      async handle(call) {
        call.res.json(await readApplication(fullRecordingDeps, call));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/full-recording-applications/:id/sign-off', kind: 'api', access: SIGNERS,
      params: applicationIdParams, body: signOffBody,
      summary: '검토·승인 또는 반려 (결재선 순서대로, 자기 신청·두 단계 겸임 불가)',
      example: { body: { decision: 'approve', comment: '검토 완료' } },
      async handle(call) {
        await signOffApplication(fullRecordingDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/full-recording-applications/:id/revoke', kind: 'api', access: REVOKERS, ownership: ownDepartmentApplication,
      params: applicationIdParams, body: revokeBody,
      summary: '신청 철회 또는 전수 녹취 취소 (신청 부서의 장 또는 과장, 사유 필수): 선택적 녹취로 돌아감',
      example: { body: { reason: '민원이 해소됨' } },
      async handle(call) {
        await revokeApplication(fullRecordingDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/full-recording-applications/:id/renew', kind: 'api', access: APPLICANTS, ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '취소할 때까지의 전수 녹취를 한 해 더 (연장 검토)',
      async handle(call) {
        await renewApplication(fullRecordingDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/full-recording-applications/:id/evidence', kind: 'api', access: APPLICANTS, ownership: ownDepartmentApplication,
      params: applicationIdParams, upload: evidenceUpload, response: z.array(attachmentView),
      summary: '증빙자료 추가 (검토 중인 신청, 신청 부서의 장): PDF·JPEG·PNG, 내용으로 형식 확인; 답은 증빙자료 전체 목록',
      async handle(call) {
        call.res.status(201).json(await addEvidence(fullRecordingDeps, call));
      },
    }),
    defineRoute<z.output<typeof attachmentParams>>({
      method: 'get', path: '/api/full-recording-applications/:id/evidence/:attachmentId', kind: 'api', access: APPLICATION_READERS,
      ownership: ownDepartmentApplication, params: attachmentParams,
      summary: '증빙자료 내려받기 (첨부파일로만, 내려받기마다 감사 기록)',
      async handle(call) {
        const { row, content } = await evidenceFile(fullRecordingDeps, call);
        sendAttachment(call.res, row, content);
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests', kind: 'api', access: DISCLOSURE_OPERATOR, body: registrationBody, response: requestView,
      summary: '녹취정보 (열람, 제공) 신청서 접수 (제9조, 별지 제1호서식): 관리번호 YYYY-NNNN을 붙이고 업무 흐름을 시작',
      example: { body: DISCLOSURE_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await registerRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/my/disclosure-requests', kind: 'api', access: OWN_REQUESTERS, body: ownRequestBody, response: requestView,
      summary: '통화 당사자인 직원이 본인 내선의 녹취정보 열람·제공을 직접 신청 (제9조제1항): 성명·소속은 디렉터리에서, 당사자 확인은 로그인으로',
      example: { body: OWN_REQUEST_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await fileOwnRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/my/disclosure-requests', kind: 'api', access: OWN_REQUESTERS, response: z.array(requestView),
      summary: '내가 직접 낸 녹취정보 신청과 그 상태',
      async handle(call) {
        call.res.json(await listOwnRequests(call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/letters-to-post', kind: 'api', access: DISCLOSURE_OPERATOR, response: z.array(letterToPost),
      summary: '우편 발송 대기: 전자우편이 없는 받는 사람에게 인쇄해 보낼 공문 (오래된 것부터)',
      async handle(call) {
        call.res.json(await readLettersToPost(call.em));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/letters-to-post/:id/posted', kind: 'api', access: DISCLOSURE_OPERATOR, params: letterParams,
      summary: '우편 발송 처리: 인쇄해 보낸 공문을 발송됨으로 (감사 기록)',
      async handle(call) {
        await recordLetterPosted(call.em, auditIdentityOf(call), call.params.id);
        call.res.status(204).end();
      },
    }),
    defineRoute({
      method: 'get', path: '/api/disclosure-requests', kind: 'api', access: DISCLOSURE_READERS, response: z.array(requestView),
      summary: '녹취정보 열람·제공 신청 목록 (최근 500건)',
      async handle(call) {
        call.res.json(await listRequests(call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/disclosure-requests/:id', kind: 'api', access: DISCLOSURE_READERS, params: requestIdParams, response: requestDetail,
      summary: '녹취정보 신청 한 건: 신청 내용, 확인된 녹취, 결재, 첨부·문서, 처리 이력 (조회는 감사 기록)',
      async handle(call) {
        call.res.json(await readRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/disclosure-requests/:id/matches', kind: 'api', access: [MANAGING], params: requestIdParams,
      summary: '신청의 녹취 일시·번호에 맞는 녹취 (삭제된 것은 삭제 일시와 함께)',
      async handle(call) {
        call.res.json(await proposeMatches(call));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/recordings', kind: 'api', access: DISCLOSURE_OPERATOR, params: requestIdParams, body: confirmBody,
      summary: '신청에 해당하는 녹취 확인 (접수 단계; 확인한 녹취는 곧바로 보존 중지)',
      example: { body: { recordingIds: [] } },
      async handle(call) {
        await confirmRecordings(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/submit', kind: 'api', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      summary: '결재 상신 (녹취와 제9조제1항의 근거가 갖추어져야 함; 아니면 이유와 함께 거부)',
      async handle(call) {
        await submitRequest(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/sign-off', kind: 'api', access: [MANAGING], params: requestIdParams, body: disclosureSignOffBody,
      summary: '결재 (담당자 → 팀장 → 과장, 설정의 순서대로; 반려하면 거부 통지서를 만들고 종결)',
      example: { body: { decision: 'approve', comment: '확인' } },
      async handle(call) {
        await signOffRequest(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/withdraw', kind: 'api', access: DISCLOSURE_WITHDRAWERS, params: requestIdParams, body: withdrawBody,
      summary: '신청인의 철회 (녹취정보를 내주기 전까지)',
      example: { body: { reason: '신청인이 철회함' } },
      async handle(call) {
        await withdrawRequest(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/attachments', kind: 'api', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      body: attachmentFields, upload: disclosureUpload, response: z.array(attachmentView),
      summary: '첨부 (multipart, 항목 purpose와 files): 근거 서류, 서명된 인수·인계증, 회신받은 파기 결과 회신서 — PDF·JPEG·PNG',
      example: { body: { purpose: 'ground_document' } },
      async handle(call) {
        call.res.status(201).json(await addRequestAttachments(disclosureDeps, call));
      },
    }),
    defineRoute<z.output<typeof requestAttachmentParams>>({
      method: 'get', path: '/api/disclosure-requests/:id/attachments/:attachmentId', kind: 'api', access: [MANAGING], params: requestAttachmentParams,
      summary: '첨부파일 내려받기 (첨부파일로만, 감사 기록)',
      async handle(call) {
        const { row, content } = await requestAttachment(disclosureDeps, call);
        sendAttachment(call.res, row, content);
      },
    }),
    defineRoute<z.output<typeof requestDocumentParams>>({
      method: 'get', path: '/api/disclosure-requests/:id/documents/:documentId', kind: 'api', access: [MANAGING], params: requestDocumentParams,
      summary: '신청의 문서 (인수·인계증, 빈 파기 결과 회신서, 거부 통지서) DOCX',
      async handle(call) {
        const { name, docx } = await requestDocument(disclosureDeps, call);
        call.res.type(DOCX_TYPE).attachment(name).set('Cache-Control', 'no-store').send(docx);
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/handover', kind: 'api', access: DISCLOSURE_OPERATOR, params: requestIdParams, body: handoverBody,
      bodyLimit: HANDOVER_BODY_LIMIT,
      summary: '인수자가 서명한 인수·인계증(별지 제2호서식) 접수 — 화면 서명(on_screen: 서명을 서식에 넣어 보관) 또는 종이 서명 스캔(paper_scan): 이때부터 열람·제공, 제공이면 이 수령일부터 파기 회신 기한',
      example: { body: { signatureKind: 'paper_scan', attachmentId: '00000000-0000-4000-8000-000000000000', recipientName: '홍길동', receivedAt: '2026-11-27T10:00:00+09:00' } },
      async handle(call) {
        await recordHandover(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/package', kind: 'api', access: DISCLOSURE_OPERATOR, params: requestIdParams, response: packageResult,
      summary: '제공 파일 작성: 확인된 녹취(WAV)와 서명된 목록, 빈 파기 결과 회신서를 AES-256 ZIP으로. 비밀번호는 이 응답에서 한 번만',
      async handle(call) {
        call.res.set('Cache-Control', 'no-store').status(201).json(await buildPackage(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/disclosure-requests/:id/package', kind: 'api', access: [MANAGING], params: requestIdParams, releasesAudio: 'disclosure',
      summary: '제공 파일 내려받기 (비밀번호로 암호화한 ZIP, 감사 기록)',
      async handle(call) {
        const { row, zip } = await packageFile(disclosureDeps, call);
        call.res.type('application/zip').attachment(row.fileName).set('Cache-Control', 'no-store').send(zip);
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-requests/:id/destruction-report', kind: 'api', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      body: destructionReportBody,
      summary: '회신받은 파기 결과 회신서 접수: 종결, 보존 중지 해제',
      example: { body: { attachmentId: '00000000-0000-4000-8000-000000000000', destroyedAt: '2026-11-27T10:00:00+09:00', method: 'delete_overwrite', allCopiesDestroyed: true } },
      async handle(call) {
        await recordDestructionReport(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute<z.output<typeof playParams>>({
      method: 'get', path: '/api/disclosure-requests/:id/recordings/:recordingId/audio', kind: 'api', access: [MANAGING], params: playParams,
      releasesAudio: 'disclosure',
      summary: '열람 (관리부서에서, 열람 시간 안에만): 확인된 녹취를 재생용으로 (저장·캐시 금지, 재생마다 감사 기록)',
      async handle(call) {
        const wav = await viewingAudio(disclosureDeps, call);
        call.res.on('close', () => wav.fill(0));
        call.res.status(200).type('audio/wav').set({ 'Cache-Control': 'no-store', 'Content-Disposition': 'inline' }).send(wav);
      },
    }),
    defineRoute({
      method: 'get', path: '/api/disclosure-packages/public-key', kind: 'api', access: 'public',
      summary: '제공 파일의 서명을 확인할 공개키 (PEM)와 그 지문 — 신청인·법원 등이 검증에 씀',
      async handle(call) {
        call.res.json(await packagePublicKey(disclosureDeps));
      },
    }),
    defineRoute({
      method: 'post', path: '/api/disclosure-packages/verify', kind: 'api', access: DISCLOSURE_READERS, body: verifyFields,
      upload: { field: 'package', maxFiles: 1, maxFileBytes: PACKAGE_MAX_BYTES, accept: ['application/zip'] },
      summary: '제공 파일 검증 (multipart: package, password): 서명, 파일마다 SHA-256, 빠지거나 더해진 파일 — 결과는 감사 기록',
      example: { body: { password: 'not-the-password' } },
      async handle(call) {
        call.res.json(await verifyUploadedPackage(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/ledger', kind: 'api', access: LEDGER_READERS, query: ledgerQuery,
      summary: '관리대장 (별지 제4호서식) 한 해치, XLSX 또는 CSV (내려받기는 감사 기록)',
      example: { query: { year: '2026' } },
      async handle(call) {
        const file = await exportLedger({ calendar: deps.calendar, municipalityName: deps.municipalityName, timeZone: deps.timeZone, signOffLabels: deps.signOffLabels }, call);
        call.res.type(file.type).attachment(file.name).set('Cache-Control', 'no-store').send(file.body);
      },
    }),
    defineRoute({
      method: 'get', path: '/api/access-reviews', kind: 'api', access: ACCESS_REVIEW_READERS, response: z.array(accessReviewView),
      summary: '월간 접근기록 점검 (안전성 확보조치 기준 제8조): 최근 60개월',
      async handle(call) {
        call.res.json(await listAccessReviews(call));
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>>({
      method: 'get', path: '/api/access-reviews/:id', kind: 'api', access: ACCESS_REVIEW_READERS, params: accessReviewParams, response: accessReviewDetail,
      summary: '한 달의 접근기록 점검: 건수, 점검 대기·완료, 처리 흐름 (조회는 감사 기록)',
      async handle(call) {
        call.res.json(await readAccessReview(accessReviewDeps, call));
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>>({
      method: 'get', path: '/api/access-reviews/:id/report', kind: 'api', access: ACCESS_REVIEW_FILES, params: accessReviewParams,
      summary: '접근기록 점검 보고서 XLSX (요약, 재생·내보내기, 거부, 업무시간 외, 이상 징후; 내려받기는 감사 기록)',
      async handle(call) {
        const { name, xlsx } = await accessReport(accessReviewDeps, call);
        call.res.type(XLSX_TYPE).attachment(name).set('Cache-Control', 'no-store').send(xlsx);
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>, unknown, z.output<typeof accessReviewSignOffBody>>({
      method: 'post', path: '/api/access-reviews/:id/sign-off', kind: 'api', access: ACCESS_REVIEW_SIGNERS, params: accessReviewParams, body: accessReviewSignOffBody,
      summary: '과장의 접근기록 점검 완료 기록',
      example: { body: { comment: '이상 징후 2건 확인, 해당 직원 면담 완료' } },
      async handle(call) {
        await signOffAccessReview(accessReviewDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'get', path: '/access-reviews', kind: 'page', access: ACCESS_REVIEW_READERS,
      summary: '접근기록 점검 목록 화면',
      async handle(call) {
        sendPage(call.res, accessReviewListPage(frame(call.res, '/access-reviews'), await listAccessReviews(call), deps.timeZone));
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>>({
      method: 'get', path: '/access-reviews/:id', kind: 'page', access: ACCESS_REVIEW_READERS, params: accessReviewParams,
      summary: '한 달의 접근기록 점검 화면 (과장은 점검 완료 기록)',
      async handle(call) {
        await showAccessReview(call);
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>, unknown, z.output<typeof accessReviewSignOffBody>>({
      method: 'post', path: '/access-reviews/:id/sign-off', kind: 'page', access: ACCESS_REVIEW_SIGNERS, params: accessReviewParams, body: accessReviewSignOffBody,
      summary: '접근기록 점검 완료 (화면)',
      example: { body: { comment: '확인함' } },
      async handle(call) {
        try {
          await signOffAccessReview(accessReviewDeps, call);
        } catch (error) {
          if (!answeredOnPage(error)) throw error;
          await auditRefusal(call, error);
          return showAccessReview(call, error);
        }
        call.res.redirect(303, `/access-reviews/${call.params.id}`);
      },
    }),
    defineRoute({
      method: 'get', path: '/api/compliance-exceptions', kind: 'api', access: COMPLIANCE_READERS, response: complianceExceptions,
      summary: '사전고지 준수 예외 (운영 규정 제7조): 최근 30일 고지 증거 없이 녹음된 통화, 최근 20건과 전체 건수',
      async handle(call) {
        call.res.json(await readCompliance(call));
      },
    }),
    defineRoute({
      method: 'get', path: '/api/access-holders', kind: 'api', access: HOLDER_READERS, response: privilegedHolders,
      summary: '접근 권한자 현황 (운영 규정 제8조제3항)',
      async handle(call) {
        call.res.json(await readHolders(call));
      },
    }),

    defineRoute({
      method: 'get', path: '/assets/:name', kind: 'page', access: 'public', params: assetParams,
      summary: '화면의 정적 파일',
      example: { params: { name: 'app.css' } },
      async handle({ res, params }) {
        const asset = ASSETS[params.name] as { type: string; body: Buffer };
        res.type(asset.type).send(asset.body);
      },
    }),
    defineRoute({
      method: 'get', path: '/login', kind: 'page', access: 'public', query: loginPageQuery,
      summary: '로그인 화면',
      async handle(call) {
        if (call.principal) return void call.res.redirect(303, call.query.next ?? '/');
        const report = await checkHealth(deps.health);
        sendPage(call.res, loginPage(frame(call.res), { csrfToken: loginCsrf(call), next: call.query.next, healthState: report.state, retentionPeriod: deps.retentionPeriod }));
      },
    }),
    defineRoute({
      method: 'post', path: '/login', kind: 'page', access: 'public', body: loginForm,
      summary: '로그인 (화면)',
      throttle: deps.loginThrottle,
      example: { body: { username: 'nobody', password: 'wrong' } },
      async handle(call) {
        try {
          await startSession(call);
          call.res.redirect(303, call.body.next ?? '/');
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          const report = await checkHealth(deps.health);
          const page = loginPage(frame(call.res), {
            csrfToken: loginCsrf(call), username: call.body.username, error: error.message, next: call.body.next, healthState: report.state, retentionPeriod: deps.retentionPeriod,
          });
          sendPage(call.res, page, error.status);
        }
      },
    }),
    defineRoute({
      method: 'post', path: '/logout', kind: 'page', access: anyRole,
      summary: '로그아웃 (화면)',
      async handle(call) {
        await endSession(call);
        call.res.redirect(303, '/login');
      },
    }),
    defineRoute({
      method: 'get', path: '/', kind: 'page', access: anyRole,
      summary: '대시보드',
      async handle({ res, principal, em, audit }) {
        const user = principal as Principal;
        const operations = user.roles.some((role) => HEALTH_READERS.includes(role));
        const health = operations ? await checkHealth(deps.health) : undefined;
        const retention = operations ? await readRetentionOverview(em) : undefined;
        const applications = decide(APPLICATION_READERS, user);
        const fullRecording = applications.allowed
          ? fullRecordingCard(
              await readFullRecordingOverview(fullRecordingDeps, em, user, applications.scope === 'everything' ? 'everything' : 'ownDepartment'),
              deps.timeZone,
            )
          : undefined;
        const compliance = decide(COMPLIANCE_READERS, user).allowed
          ? complianceCard(await readCompliance({ em, audit }), deps.timeZone, decide([MANAGING], user).allowed)
          : undefined;
        const disclosure = decide([MANAGING], user).allowed ? disclosureCard(await readDisclosureOverview(disclosureDeps, em, user)) : undefined;
        const notifications = await readInAppNotifications(em, user);
        const letters = decide(DISCLOSURE_OPERATOR, user).allowed ? lettersCard(await readLettersToPost(em), frame(res, '/'), deps.timeZone) : undefined;
        sendPage(res, dashboardPage(frame(res, '/'), user.roles, health, deps.timeZone, { notifications, letters, retention, fullRecording, disclosure, compliance }));
      },
    }),
    defineRoute({
      method: 'post', path: '/letters/:id/posted', kind: 'page', access: DISCLOSURE_OPERATOR, params: letterParams,
      summary: '우편 발송 처리 (화면): 인쇄해 보낸 공문을 대기 목록에서 내림',
      async handle(call) {
        await recordLetterPosted(call.em, auditIdentityOf(call), call.params.id);
        call.res.redirect(303, '/');
      },
    }),
    defineRoute({
      method: 'get', path: '/recordings', kind: 'page', access: RECORDING_READERS, ownership: partyCallsOnly,
      query: recordingSearchQuery,
      summary: '녹취정보 조회 화면',
      async handle(call) {
        const result = await search(call);
        sendPage(call.res, recordingsPage(frame(call.res, '/recordings'), call.query, result, undefined, deps.timeZone));
      },
    }),
    defineRoute({
      method: 'get', path: '/recordings/:id', kind: 'page', access: RECORDING_READERS, ownership: partyToRecording,
      params: recordingIdParams,
      summary: '녹취정보 상세 화면',
      async handle(call) {
        await showRecording(call);
      },
    }),
    defineRoute({
      method: 'post', path: '/recordings/:id/holds', kind: 'page', access: HOLD_SETTERS,
      params: recordingIdParams, body: holdReason,
      summary: '보존 중지 걸기 (화면)',
      example: { body: { reason: '소송 자료 보전 요청' } },
      async handle(call) {
        await setHold(call.em, call.context, call.params.id, call.body.reason);
        call.res.redirect(303, `/recordings/${call.params.id}`);
      },
    }),
    defineRoute({
      method: 'post', path: '/recordings/:id/holds/:holdId/release', kind: 'page', access: HOLD_SETTERS,
      params: holdParams, body: holdReason,
      summary: '보존 중지 해제 (화면)',
      example: { params: { holdId: '00000000-0000-4000-8000-000000000000' }, body: { reason: '소송 종결' } },
      async handle(call) {
        await releaseOne(call);
        call.res.redirect(303, `/recordings/${call.params.id}`);
      },
    }),
    defineRoute({
      method: 'post', path: '/recordings/:id/export', kind: 'page', access: PARTY_ONLY, ownership: partyToRecording,
      params: recordingIdParams, body: partyExportForm, releasesAudio: 'party-export',
      summary: '본인 녹취 내보내기 (화면): 암호 ZIP을 내려받거나, 고칠 점을 상세 화면에 보여 줌',
      example: { body: { ...EXPORT_EXAMPLE, passwordConfirm: EXPORT_EXAMPLE.password } },
      async handle(call) {
        try {
          if (call.body.password !== call.body.passwordConfirm) {
            throw new ApiError(400, 'INVALID_INPUT', '두 번 입력한 비밀번호가 서로 다릅니다.');
          }
          const request = validate(partyExportBody, { password: call.body.password, reason: call.body.reason }, 'body');
          sendExport(call.res, await exportOwnRecording(exportDeps, call, request));
        } catch (error) {
          if (!(error instanceof ApiError) || error.status === 404) throw error;
          if (error.status < 500) await auditRefusal(call, error);
          await showRecording(call, { error: error.message, reason: call.body.reason }, error.status);
        }
      },
    }),
    defineRoute({
      method: 'get', path: '/full-recording', kind: 'page', access: APPLICATION_READERS, ownership: ownDepartmentList,
      summary: '전수 녹취: 신청 목록, 내 결재 대기, 내선별 녹취 방식',
      async handle(call) {
        const principal = call.principal as Principal;
        const items = await listApplications(call);
        // The same inbox as the dashboard's card.
        const scope = call.scope === 'everything' ? 'everything' : 'ownDepartment';
        const inbox = (await readFullRecordingOverview(fullRecordingDeps, call.em, principal, scope)).awaitingMe;
        const extensions = await listExtensions(call);
        sendPage(call.res, fullRecordingListPage(frame(call.res, '/full-recording'), { items, inbox, extensions, canApply: principal.roles.includes('dept_head') }, deps.timeZone));
      },
    }),
    defineRoute({
      method: 'get', path: '/full-recording/new', kind: 'page', access: APPLICANTS, ownership: ownDepartmentList,
      summary: '전수 녹취 신청서 작성',
      async handle(call) {
        await showApplicationForm(call);
      },
    }),
    defineRoute({
      method: 'post', path: '/full-recording', kind: 'page', access: APPLICANTS, ownership: ownDepartmentList, body: applicationForm, upload: evidenceUpload,
      summary: '전수 녹취 신청 (화면)',
      example: { body: APPLICATION_EXAMPLE },
      async handle(call) {
        await withApplicationForm(call, async (body) => {
          const created = await applyForFullRecording(fullRecordingDeps, { ...call, body });
          call.res.redirect(303, `/full-recording/${created.id}`);
        });
      },
    }),
    defineRoute({
      method: 'post', path: '/full-recording/preview', kind: 'page', access: APPLICANTS, ownership: ownDepartmentList, body: applicationForm, upload: evidenceUpload,
      summary: '전수 녹취 신청서 미리보기 (DOCX, 접수하지 않음)',
      example: { body: APPLICATION_EXAMPLE },
      async handle(call) {
        await withApplicationForm(call, async (body) => {
          const docx = await previewApplicationDocument(fullRecordingDeps, { ...call, body });
          call.res.type(DOCX_TYPE).attachment('full-recording-application-preview.docx').send(docx);
        });
      },
    }),
    defineRoute({
      method: 'get', path: '/full-recording/:id', kind: 'page', access: APPLICATION_READERS, ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '전수 녹취 신청 한 건 (결재, 취소, 연장)',
      async handle(call) {
        await showApplication(call);
      },
    }),
    defineRoute({
      method: 'get', path: '/full-recording/:id/document', kind: 'page', access: APPLICATION_READERS, ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '전수 녹취 사용 신청서 (DOCX)',
      async handle(call) {
        const { name, docx } = await applicationDocument(fullRecordingDeps, call);
        call.res.type(DOCX_TYPE).attachment(name).send(docx);
      },
    }),
    defineRoute({
      method: 'post', path: '/full-recording/:id/sign-off', kind: 'page', access: SIGNERS, params: applicationIdParams, body: signOffForm,
      summary: '검토·승인 또는 반려 (화면)',
      example: { body: { decision: 'approve', comment: '검토 완료' } },
      async handle(call) {
        await fromPage(call, async () => {
          const parsed = signOffBody.safeParse(call.body);
          if (!parsed.success) throw new ApiError(400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? '입력을 확인하십시오');
          await signOffApplication(fullRecordingDeps, { ...call, body: parsed.data });
        });
      },
    }),
    defineRoute({
      method: 'post', path: '/full-recording/:id/revoke', kind: 'page', access: REVOKERS, ownership: ownDepartmentApplication,
      params: applicationIdParams, body: revokeForm,
      summary: '신청 철회 또는 전수 녹취 취소 (화면)',
      example: { body: { reason: '민원이 해소됨' } },
      async handle(call) {
        await fromPage(call, async () => {
          const parsed = revokeBody.safeParse(call.body);
          if (!parsed.success) throw new ApiError(400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? '입력을 확인하십시오');
          await revokeApplication(fullRecordingDeps, { ...call, body: parsed.data });
        });
      },
    }),
    defineRoute({
      method: 'post', path: '/full-recording/:id/evidence', kind: 'page', access: APPLICANTS, ownership: ownDepartmentApplication,
      params: applicationIdParams, upload: evidenceUpload,
      summary: '증빙자료 추가 (화면, 검토 중인 신청)',
      async handle(call) {
        await fromPage(call, async () => {
          await addEvidence(fullRecordingDeps, call);
        });
      },
    }),
    defineRoute({
      method: 'post', path: '/full-recording/:id/renew', kind: 'page', access: APPLICANTS, ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '한 해 더 전수 녹취 (화면)',
      async handle(call) {
        await fromPage(call, () => renewApplication(fullRecordingDeps, call));
      },
    }),
    defineRoute({
      method: 'get', path: '/disclosure', kind: 'page', access: DISCLOSURE_READERS,
      summary: '녹취정보 열람·제공: 신청 목록과 내 결재 대기',
      async handle(call) {
        const principal = call.principal as Principal;
        const items = await listRequests(call);
        // The same inbox as the dashboard's card, for those who sign; auditors sign nothing.
        const signs = principal.roles.some((role) => (deps.disclosure.signOffChain as readonly string[]).includes(role));
        const inbox = signs ? (await readDisclosureOverview(disclosureDeps, call.em, principal)).awaitingMe : undefined;
        sendPage(call.res, disclosureListPage(frame(call.res, '/disclosure'), { items, inbox, canRegister: principal.roles.includes('operator') }, deps.timeZone));
      },
    }),
    defineRoute({
      method: 'get', path: '/my/disclosure', kind: 'page', access: OWN_REQUESTERS, query: ownRequestsQuery,
      summary: '내 녹취정보 신청: 본인 내선의 통화를 직접 신청하고 상태를 봄',
      async handle(call) {
        await showOwnRequests(call, { filed: call.query.filed });
      },
    }),
    defineRoute({
      method: 'post', path: '/my/disclosure', kind: 'page', access: OWN_REQUESTERS, body: ownRequestForm,
      summary: '본인 통화의 녹취정보 신청 (화면): 잘못 적은 곳은 적은 내용과 함께 다시',
      example: { body: { ...OWN_REQUEST_EXAMPLE, applicantEmail: '', recordingFrom: '2026-11-27T13:00', recordingTo: '2026-11-27T15:00' } },
      async handle(call) {
        try {
          const created = await fileOwnRequest(disclosureDeps, { ...call, body: ownRequestFromForm(call.body, deps.calendar) });
          call.res.redirect(303, `/my/disclosure?filed=${encodeURIComponent(created.managementNumber)}`);
        } catch (error) {
          if (!answeredOnPage(error)) throw error;
          await auditRefusal(call, error);
          await showOwnRequests(call, { values: call.body, error });
        }
      },
    }),
    defineRoute({
      method: 'get', path: '/disclosure/new', kind: 'page', access: DISCLOSURE_OPERATOR,
      summary: '녹취정보 열람·제공 신청서(별지 제1호서식) 접수 화면',
      async handle(call) {
        showRegistrationForm(call);
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure', kind: 'page', access: DISCLOSURE_OPERATOR, body: registrationForm,
      summary: '녹취정보 열람·제공 신청서 접수 (화면): 잘못 적은 곳은 적은 내용과 함께 신청서 화면에',
      example: { body: DISCLOSURE_FORM_EXAMPLE },
      async handle(call) {
        try {
          const body = registrationFromForm(call.body, deps.calendar);
          const created = await registerRequest(disclosureDeps, { ...call, body });
          call.res.redirect(303, `/disclosure/${created.id}`);
        } catch (error) {
          if (!answeredOnPage(error)) throw error;
          await auditRefusal(call, error);
          showRegistrationForm(call, call.body, error);
        }
      },
    }),
    defineRoute({
      method: 'get', path: '/disclosure/:id', kind: 'page', access: DISCLOSURE_READERS, params: requestIdParams,
      summary: '녹취정보 신청 한 건: 신청 내용, 녹취, 결재, 첨부·문서, 처리 이력과 지금 할 수 있는 처리',
      async handle(call) {
        await showDisclosure(call);
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/recordings', kind: 'page', access: DISCLOSURE_OPERATOR, params: requestIdParams, body: confirmForm,
      summary: '신청에 해당하는 녹취 확인 (화면)',
      async handle(call) {
        await fromCase(call, () => confirmRecordings(disclosureDeps, { ...call, body: confirmFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/submit', kind: 'page', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      summary: '결재 상신 (화면)',
      async handle(call) {
        await fromCase(call, () => submitRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/sign-off', kind: 'page', access: [MANAGING], params: requestIdParams, body: signOffForm,
      summary: '결재 (화면)',
      example: { body: { decision: 'approve', comment: '확인' } },
      async handle(call) {
        await fromCase(call, () => signOffRequest(disclosureDeps, { ...call, body: signOffFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/withdraw', kind: 'page', access: DISCLOSURE_WITHDRAWERS, params: requestIdParams, body: withdrawForm,
      summary: '신청인의 철회 (화면)',
      example: { body: { reason: '신청인이 철회함' } },
      async handle(call) {
        await fromCase(call, () => withdrawRequest(disclosureDeps, { ...call, body: withdrawFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/attachments', kind: 'page', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      body: attachmentForm, upload: disclosureUpload,
      summary: '첨부 (화면): 근거 서류, 서명된 인수·인계증, 회신받은 파기 결과 회신서',
      example: { body: { purpose: 'ground_document' } },
      async handle(call) {
        await fromCase(call, () => addRequestAttachments(disclosureDeps, { ...call, body: attachmentFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/handover', kind: 'page', access: DISCLOSURE_OPERATOR, params: requestIdParams, body: handoverForm,
      bodyLimit: HANDOVER_BODY_LIMIT,
      summary: '서명된 인수·인계증 접수 (화면): 화면 서명 또는 종이 서명 스캔',
      async handle(call) {
        await fromCase(call, () => recordHandover(disclosureDeps, { ...call, body: handoverFromForm(call.body, deps.calendar) }));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/package', kind: 'page', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      summary: '제공 파일 만들기 (화면): 비밀번호는 결과 화면에 한 번만',
      async handle(call) {
        let built;
        try {
          built = await buildPackage(disclosureDeps, call);
        } catch (error) {
          if (!answeredOnPage(error)) throw error;
          await auditRefusal(call, error);
          return showDisclosure(call, error);
        }
        // Loaded by buildPackage in this request already.
        const request = await call.em.findOneOrFail(DisclosureRequest, call.params.id);
        // The password is on this page only: never kept by a browser or a proxy (every answer says so; this one must).
        call.res.set('Cache-Control', 'no-store');
        sendPage(call.res, packagePage(frame(call.res, '/disclosure'), { ...built, id: request.id, managementNumber: request.managementNumber }));
      },
    }),
    defineRoute({
      method: 'post', path: '/disclosure/:id/destruction-report', kind: 'page', access: DISCLOSURE_OPERATOR, params: requestIdParams,
      body: destructionReportForm,
      summary: '회신받은 파기 결과 회신서 접수 (화면)',
      async handle(call) {
        await fromCase(call, () => recordDestructionReport(disclosureDeps, { ...call, body: destructionReportFromForm(call.body, deps.calendar) }));
      },
    }),
    defineRoute({
      method: 'get', path: '/notice', kind: 'page', access: ANNOUNCEMENT_READERS,
      summary: '사전고지 안내멘트: 문구와 교환기용 음성 파일 (운영 규정 제7조)',
      async handle(call) {
        sendPage(call.res, announcementPage(frame(call.res, '/notice'), deps.announcement.text, await readAnnouncementAudio(deps.announcement.audioFile)));
      },
    }),
    defineRoute({
      method: 'get', path: '/notice/announcement.wav', kind: 'page', access: ANNOUNCEMENT_READERS, releasesAudio: 'announcement',
      summary: '사전고지 안내멘트 음성 파일 (WAV, G.711, 8 kHz, 모노)',
      async handle(call) {
        const { fileName, bytes } = await announcementDownload(deps.announcement.audioFile);
        call.res.type('audio/wav').attachment(fileName).send(bytes);
      },
    }),
    defineRoute({
      method: 'get', path: '/access-holders', kind: 'page', access: HOLDER_READERS,
      summary: '접근 권한자 현황 화면',
      async handle(call) {
        sendPage(call.res, accessHoldersPage(frame(call.res, '/access-holders'), await readHolders(call), deps.timeZone));
      },
    }),
    ...processViewRoutes(),
    ...monitoringRoutes(deps),
    ...timelineRoutes({
      documents: deps.documents,
      // Both wrap the same Temporal client; either reads any workflow's history.
      histories: deps.disclosureWorkflows ?? deps.fullRecordingWorkflows,
      timeZone: deps.timeZone,
      municipalityName: deps.municipalityName,
      frame: (res, current) => frame(res, current),
    }),
  ];
  return routes;
}
