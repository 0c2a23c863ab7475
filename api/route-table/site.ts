/** The site itself: health, the OpenAPI document, the session (login and logout, API and pages) and the UI's static files. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { USERNAME_PATTERN } from '../../infra/directory/ldap-directory';
import { PROJECT_ROOT } from '../../infra/paths';
import { ApiError } from '../errors';
import { checkHealth, publicHealth } from '../health';
import { login } from '../login';
import { buildOpenApiDocument, OPENAPI_PATH } from '../openapi';
import { anyRole, HEALTH_READERS } from '../policy';
import { PROCESS_VIEW_ASSETS } from '../process-views';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { LOGIN_CSRF_COOKIE, newToken, SESSION_COOKIE } from '../sessions';
import { loginPage } from '../ui/pages';
import { TIMELINE_ASSETS } from '../ui/timeline-pages';
import type { RouteDeps } from './deps';
import { framer, sendPage } from './page';

const loginBody = z
  .object({
    // The directory's own rule for user names, checked before anything reaches LDAP or the lock-out table.
    username: z.string().regex(USERNAME_PATTERN, { message: '사용자 이름은 영문, 숫자, . _ - 로 64자까지 적습니다' }),
    password: z.string().min(1, { message: '비밀번호를 입력하십시오' }).max(256, { message: '비밀번호가 너무 깁니다' }),
  })
  .strict();
/** Only a local path may follow login, so the form cannot be used to send users elsewhere. */
const localPath = z
  .string()
  .regex(/^\/(?![/\\])[A-Za-z0-9/_\-?=&.%]*$/)
  .max(512);
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

/** `all` is the whole route table, for the OpenAPI document. */
export function siteRoutes(deps: RouteDeps, all: () => readonly RouteSpec[]): RouteSpec[] {
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: deps.secureCookies, path: '/' };
  const frame = framer(deps);

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

  return [
    defineRoute({
      method: 'get',
      path: '/health',
      kind: 'api',
      access: 'public',
      summary: '구성 요소 상태 (감시용; 로그인하지 않으면 구성 요소별 정상·장애만, 상세는 관리부서·감사 역할에게만; 개인정보 없음)',
      async handle({ res, principal }) {
        const report = await checkHealth(deps.health);
        const detailed = principal?.roles.some((role) => HEALTH_READERS.includes(role)) ?? false;
        res.status(report.state === 'up' ? 200 : 503).json(detailed ? report : publicHealth(report));
      },
    }),
    defineRoute({
      method: 'get',
      path: OPENAPI_PATH,
      kind: 'api',
      access: 'public',
      summary: '이 API의 OpenAPI 3 문서',
      async handle({ res }) {
        res.json(buildOpenApiDocument(all(), { title: `${deps.municipalityName} 행정전화 녹취시스템 API`, version: '1' }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/session',
      kind: 'api',
      access: 'public',
      response: sessionState,
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
      method: 'post',
      path: '/api/session',
      kind: 'api',
      access: 'public',
      body: loginBody,
      response: sessionState,
      summary: '로그인 (디렉터리 계정). X-CSRF-Token 에 GET /api/session 의 토큰을 보냅니다',
      throttle: deps.loginThrottle,
      example: { body: { username: 'nobody', password: 'wrong' } },
      async handle(call) {
        const started = await startSession(call);
        call.res.json({ authenticated: true, csrfToken: started.session.csrfToken, expiresAt: started.session.expiresAt.toISOString() });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/session',
      kind: 'api',
      access: anyRole,
      summary: '로그아웃',
      async handle(call) {
        await endSession(call);
        call.res.status(204).end();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:name',
      kind: 'page',
      access: 'public',
      params: assetParams,
      summary: '화면의 정적 파일',
      example: { params: { name: 'app.css' } },
      async handle({ res, params }) {
        const asset = ASSETS[params.name] as { type: string; body: Buffer };
        res.type(asset.type).send(asset.body);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/login',
      kind: 'page',
      access: 'public',
      query: loginPageQuery,
      summary: '로그인 화면',
      async handle(call) {
        if (call.principal) return void call.res.redirect(303, call.query.next ?? '/');
        const report = await checkHealth(deps.health);
        sendPage(
          call.res,
          loginPage(frame(call.res), { csrfToken: loginCsrf(call), next: call.query.next, healthState: report.state, retentionPeriod: deps.retentionPeriod }),
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: '/login',
      kind: 'page',
      access: 'public',
      body: loginForm,
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
            csrfToken: loginCsrf(call),
            username: call.body.username,
            error: error.message,
            next: call.body.next,
            healthState: report.state,
            retentionPeriod: deps.retentionPeriod,
          });
          sendPage(call.res, page, error.status);
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/logout',
      kind: 'page',
      access: anyRole,
      summary: '로그아웃 (화면)',
      async handle(call) {
        await endSession(call);
        call.res.redirect(303, '/login');
      },
    }),
  ];
}
