/**
 * The HTTP side: express 5 on the configured address, serving the JSON API and the Korean intranet UI
 * from one route table (route-table/). Every request gets an id, a security-header set with a strict
 * Content-Security-Policy, its session resolved from the cookie, and one structured log line.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { parse as parseCookies } from 'cookie';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { z } from 'zod';
import type { Logger } from '../infra/logger';
import { AuditBatcher } from '../infra/audit/audit-log';
import { ApiError } from './errors';
import type { LockoutPolicy } from './login';
import { createRoutes, frameFor, type SiteFacts } from './route-table';
import { auditor, mountRoute, requestContext, type RequestContext, type RouteSpec } from './routes';
import { SESSION_COOKIE, SessionStore, type SessionTimeouts } from './sessions';
import { errorPage } from './ui/pages';
import type { MonitoringOptions } from './monitoring';

z.config(z.locales.ko());

export interface ApiOptions extends SiteFacts {
  host: string;
  port: number;
  logger: Logger;
  sessionTimeouts: SessionTimeouts;
  lockout: LockoutPolicy;
  loginRateLimitPerMinute: number;
  /** Browsers come through a TLS-terminating proxy on this host: Secure cookies, HSTS, X-Forwarded-For. */
  behindTlsProxy: boolean;
  /** /ready and /metrics (api/monitoring.ts); its `http` counts every request answered here. */
  monitoring?: MonitoringOptions;
}

export interface ApiServer {
  readonly app: express.Express;
  readonly routes: readonly RouteSpec[];
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
}

/** Exported so browser tests of page parts served without the whole API hold them to the same policy. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  // The viewing (열람) player plays an approved call from this origin only.
  mediaSrc: ["'self'"],
  scriptSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/** Answered as JSON whatever went wrong: their callers are probes and scrapers, not browsers. */
const MONITORING_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * A 404 is audited when it can be a probe: a route answered it (an id that is not there, or is another case's — a hold,
 * an attachment, a document asked for under the wrong case), or a logged-in user asked for an address that does not
 * exist. Anonymous requests for addresses that do not exist (scanners) are only logged and counted in `/metrics`: each
 * would otherwise be an audit entry anyone on the network could write without limit.
 */
const probing = (req: Request, context: RequestContext) => req.route !== undefined || context.principal !== undefined;

/** Refusals answered by the login code have their own audit entries already. */
const AUDITED_BY_LOGIN = new Set(['INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'NO_ROLE', 'DIRECTORY_UNAVAILABLE']);

export function createApiServer(options: ApiOptions): ApiServer {
  const { logger, orm } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.behindTlsProxy ? 'loopback' : false);
  const sessions = new SessionStore(orm, options.sessionTimeouts);
  const audit = new AuditBatcher(orm);

  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      strictTransportSecurity: options.behindTlsProxy ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const context: RequestContext = {
      requestId: randomUUID(),
      sourceAddress: (req.ip ?? req.socket.remoteAddress ?? 'unknown').slice(0, 64),
      cookies: parseCookies(req.headers.cookie ?? ''),
    };
    res.locals.context = context;
    res.setHeader('X-Request-Id', context.requestId);
    // Nothing the system answers may linger in a browser or proxy cache: it is personal data.
    res.setHeader('Cache-Control', 'no-store');
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // The route's template (`/api/recordings/:id`), set by express once a route matched: a bounded label for
      // metrics, and a field to group log lines by. Unmatched requests (404, static files) share one value.
      const matched = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof matched === 'string' ? matched : 'unmatched';
      options.monitoring?.http?.observe({ method: req.method, route, status: res.statusCode, seconds });
      logger.info('request', {
        requestId: context.requestId,
        method: req.method,
        route,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        user: context.principal?.username ?? null,
        role: context.actingRole ?? null,
        address: context.sourceAddress,
      });
    });
    const token = context.cookies[SESSION_COOKIE];
    if (!token) return next();
    try {
      const resolution = await sessions.resolve(token);
      if (resolution.state === 'active') {
        context.principal = resolution.session.principal;
        context.session = { ...resolution.session, token };
      } else if (resolution.state === 'ended' && resolution.justEnded) {
        await auditor(
          audit,
          context,
        )({
          action: 'session.ended',
          targetType: 'account',
          targetId: resolution.username,
          reason: resolution.reason === 'idle' ? '유휴 시간 초과로 세션 종료' : '최대 사용 시간 초과로 세션 종료',
        });
      }
      next();
    } catch (error) {
      next(error);
    }
  });

  const loginThrottle = rateLimit({
    windowMs: 60_000,
    limit: options.loginRateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new ApiError(429, 'LOGIN_RATE_LIMITED', '로그인 시도가 너무 많습니다. 1분 뒤 다시 시도하십시오.')),
  });

  const routes = createRoutes({
    ...options,
    sessions,
    login: { orm, directory: options.directory, sessions, policy: options.lockout, timeZone: options.timeZone, logger },
    loginThrottle,
    secureCookies: options.behindTlsProxy,
  });
  for (const route of routes) mountRoute(app, route, { orm, audit });

  app.use((_req, _res, next) => next(new ApiError(404, 'NOT_FOUND', '요청한 주소를 찾을 수 없습니다.')));

  app.use(async (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const context = requestContext(res);
    const wantsJson = req.path.startsWith('/api/') || MONITORING_PATHS.has(req.path);
    if (error instanceof ApiError && error.status === 401 && !wantsJson && req.method === 'GET') {
      return res.redirect(303, `/login?${new URLSearchParams({ next: req.originalUrl.slice(0, 512) }).toString()}`);
    }
    const known = error instanceof ApiError ? error : undefined;
    if (!known) logger.error('request failed', { error, requestId: context.requestId, method: req.method, path: req.path });
    const status = known?.status ?? 500;
    const code = known?.code ?? 'INTERNAL_ERROR';
    const message = known?.message ?? '서버 내부 오류가 발생했습니다. 관리부서에 문의하십시오.';
    if (known && status < 500 && !AUDITED_BY_LOGIN.has(code) && (status !== 404 || probing(req, context))) {
      try {
        await auditor(
          audit,
          context,
        )({
          action: 'request.refused',
          targetType: 'route',
          targetId: `${req.method} ${req.path}`.slice(0, 128),
          reason: `${code}: ${message}`.slice(0, 500),
          detail: known.detail,
        });
      } catch (auditError) {
        logger.error('refusal could not be audited', { error: auditError, requestId: context.requestId });
      }
    }
    if (res.headersSent) return;
    if (wantsJson) return res.status(status).json({ code, message, requestId: context.requestId });
    res
      .status(status)
      .type('html')
      .send(errorPage(frameFor(res, options.municipalityName), status, code, message, context.requestId));
  });

  let server: Server | undefined;
  return {
    app,
    routes,
    start() {
      return new Promise((resolve, reject) => {
        const listening = app.listen(options.port, options.host, (error?: Error) => {
          if (error) return reject(error);
          server = listening;
          const address = listening.address() as AddressInfo;
          logger.info('api listening', { host: address.address, port: address.port });
          resolve(address);
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
