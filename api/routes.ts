/**
 * The route registry: every route of the API and the UI is declared through it (the route table, api/route-table/)
 * with its access rule (a grant of api/policy.ts), its request schemas (which both validate requests and produce the
 * OpenAPI document) and its handler.
 * Mounting a route wires the same chain for all of them, in this order: authorise → concurrency limit → content
 * type → body → CSRF → validate → ownership → handler. Every refusal on the way is an audit event.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AuditBatcher, AuditInput } from '../infra/audit/audit-log';
import { decide, type Access, type Principal, type Scope } from './access';
import type { ConcurrencyLimit } from './concurrency-limit';
import { ApiError } from './errors';
import type { ActiveSession } from './sessions';
import { assertSafeText } from './text-input';
import { LOGIN_CSRF_COOKIE, tokensEqual } from './sessions';
import { readMultipart, type UploadedFile, type UploadRule } from './uploads';
import { receiveFileUpload, type FileUploadRule, type ReceivedUpload, type StoredUpload } from './upload-to-file';

export type HttpMethod = 'get' | 'post' | 'delete';

/** What the request-context middleware knows about every request before any route runs. */
export interface RequestContext {
  requestId: string;
  sourceAddress: string;
  cookies: Record<string, string | undefined>;
  principal?: Principal;
  session?: ActiveSession & { token: string };
  /** The role that let the caller in, once a route has authorised them. */
  actingRole?: string;
}

export function requestContext(res: Response): RequestContext {
  return res.locals.context as RequestContext;
}

/** How an `ownCalls` or `ownDepartment` grant is enforced: refuse a single item that is not the caller's, or narrow a list. */
export type OwnershipRule<P> =
  | { description: string; appliesAs: 'check'; isParty(em: EntityManager, principal: Principal, params: P): Promise<boolean> }
  | { description: string; appliesAs: 'filter' };

export interface RouteCall<P, Q, B> {
  req: Request;
  res: Response;
  context: RequestContext;
  principal: Principal | undefined;
  scope: Scope;
  params: P;
  query: Q;
  body: B;
  /** The files of a route that declares `upload`, checked by type and size; empty otherwise. */
  files: UploadedFile[];
  /** The file of a route that declares `uploadToFile`, on disk until released; absent if none was chosen. */
  storedFile?: StoredUpload;
  /**
   * Removes the stored file and gives back the route's concurrency place. A handler calls it before answering, so the
   * client's next request finds the place free; otherwise it happens once the handler ends, whatever the outcome.
   */
  release: () => Promise<void>;
  em: EntityManager;
  /** Appends an audit entry (group-committed, awaited) with this request's user, role and address. */
  audit: (entry: AuditEntry) => Promise<void>;
}

export type AuditEntry = Pick<AuditInput, 'action' | 'targetType' | 'targetId' | 'reason' | 'detail'>;

/**
 * The only ways audio may leave the system (R6): the party's own export (R5) and, once built, the Art. 9 disclosure
 * procedure. A route that can answer audio declares which; the audio-routes test refuses any other. `announcement`
 * is no call's audio but the system's own prior-notice announcement (Art. 7), declared so the same test can hold it
 * to the shipped file.
 */
export type AudioRelease = 'party-export' | 'disclosure' | 'announcement';

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  path: string;
  /** `api` answers JSON and is in the OpenAPI document; `page` answers HTML. */
  kind: 'api' | 'page';
  /** Korean, for the OpenAPI document. */
  summary: string;
  access: Access;
  ownership?: OwnershipRule<P>;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Files come with the fields (`multipart/form-data` instead of JSON or a urlencoded form). */
  upload?: UploadRule;
  /** One file with the fields, too large for memory: written to a private temporary file instead (upload-to-file.ts). */
  uploadToFile?: FileUploadRule;
  /** Work too costly to run without bound: a place is taken after authorisation, before the body is read. */
  concurrency?: ConcurrencyLimit;
  /** A body larger than the usual limit, for the one route that carries an image in its fields (the drawn signature). */
  bodyLimit?: string;
  /** Documents the success body of an `api` route. */
  response?: z.ZodType;
  /** Set only on a route that answers audio (a recording always sealed), naming the procedure that allows it. */
  releasesAudio?: AudioRelease;
  /** Runs before authorisation (the login rate limit). */
  throttle?: RequestHandler;
  /** A request that passes validation, used by the route×role test. */
  example?: { params?: Record<string, string>; query?: Record<string, string>; body?: Record<string, unknown> };
  handle(call: RouteCall<P, Q, B>): Promise<void>;
}

/** Keeps the generic parameters of one declaration while routes of many shapes sit in one list. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = Record<string, never>>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<unknown, unknown, unknown> {
  return spec;
}

const STATE_CHANGING: readonly HttpMethod[] = ['post', 'delete'];
const JSON_LIMIT = '64kb';
const FORM_LIMIT = '16kb';

export interface MountOptions {
  orm: MikroORM;
  audit: AuditBatcher;
}

/** Audits as this request's user, acting role and address; resolves once the entry is committed. */
export function auditor(audit: AuditBatcher, context: RequestContext) {
  return (entry: AuditEntry): Promise<void> =>
    audit.append({
      ...entry,
      actor: context.principal?.username ?? 'anonymous',
      role: context.actingRole ?? context.principal?.roles[0] ?? 'anonymous',
      sourceAddress: context.sourceAddress,
      detail: { requestId: context.requestId, ...entry.detail },
    });
}

/**
 * Who acts, for an audit entry a handler writes in its own transaction (beside the change it records): the user, the
 * role the route granted, the address and the request id, as `call.audit` would name them.
 */
export function auditIdentityOf(call: Pick<RouteCall<unknown, unknown, unknown>, 'principal' | 'context'>) {
  const { principal, context } = call;
  if (!principal || !context.actingRole) throw new Error('auditIdentityOf: the route has no logged-in user');
  return { actor: principal.username, role: context.actingRole, sourceAddress: context.sourceAddress, requestId: context.requestId };
}

export function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return {} as T;
  // Before the schema, on the raw value: a text refused for its characters says so, whatever else is wrong with it.
  assertSafeText(schema, value, where);
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || where}: ${issue.message}`);
  throw new ApiError(400, 'INVALID_INPUT', `입력값이 올바르지 않습니다 — ${problems.join('; ')}`, { problems });
}

/** Errors from express's body parsers, as the API's own. */
function bodyParseError(error: unknown): ApiError {
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') return new ApiError(413, 'BODY_TOO_LARGE', '요청 본문이 너무 큽니다.');
  return new ApiError(400, 'MALFORMED_BODY', '요청 본문을 해석할 수 없습니다 (형식 오류).', { parser: type });
}

function runParser(parser: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => parser(req, res, (error?: unknown) => (error ? reject(bodyParseError(error)) : resolve())));
}

export function mountRoute(app: express.Express, route: RouteSpec, options: MountOptions): void {
  if (route.access !== 'public' && route.access.some((grant) => grant.scope !== 'everything') && !route.ownership) {
    throw new Error(`${route.method.toUpperCase()} ${route.path}: an ownCalls or ownDepartment grant needs an ownership rule`);
  }
  const stateChanging = STATE_CHANGING.includes(route.method);
  const mediaType =
    route.upload || route.uploadToFile ? 'multipart/form-data' : route.kind === 'api' ? 'application/json' : 'application/x-www-form-urlencoded';
  const parser =
    route.kind === 'api'
      ? express.json({ limit: route.bodyLimit ?? JSON_LIMIT, strict: true })
      : express.urlencoded({ extended: false, limit: route.bodyLimit ?? FORM_LIMIT, parameterLimit: 50 });

  const handler = async (req: Request, res: Response, next: NextFunction) => {
    const context = requestContext(res);
    let leave: (() => void) | undefined;
    let received: ReceivedUpload | undefined;
    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= (async () => {
        try {
          await received?.remove();
        } finally {
          leave?.();
        }
      })());
    try {
      const decision = decide(route.access, context.principal);
      if (!decision.allowed) {
        if (decision.reason === 'unauthenticated') {
          throw new ApiError(401, 'AUTHENTICATION_REQUIRED', '로그인이 필요합니다.');
        }
        throw new ApiError(403, 'FORBIDDEN', '이 기능을 쓸 권한이 없습니다.', { roles: context.principal?.roles });
      }
      context.actingRole = decision.role;
      // Before the body: a request refused here is answered without a byte of its body kept.
      leave = route.concurrency?.enter(context.principal?.username ?? context.sourceAddress);

      let fields: Record<string, unknown> = {};
      let files: UploadedFile[] = [];
      if (stateChanging) {
        const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
        if (hasBody || route.body) {
          if (!req.is(mediaType)) {
            throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `요청 본문은 ${mediaType} 형식이어야 합니다.`, {
              contentType: req.headers['content-type'] ?? null,
            });
          }
          if (route.upload) {
            ({ fields, files } = await readMultipart(req, route.upload));
          } else if (route.uploadToFile) {
            received = await receiveFileUpload(req, route.uploadToFile);
            fields = received.fields;
          } else {
            await runParser(parser, req, res);
            if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
              throw new ApiError(400, 'MALFORMED_BODY', '요청 본문은 하나의 객체여야 합니다.');
            }
            fields = { ...(req.body as Record<string, unknown>) };
          }
        }
        checkCsrf(req, context, fields);
        delete fields._csrf;
      }

      const params = validate(route.params, req.params, 'params');
      const query = validate(route.query, req.query, 'query');
      const body = validate(route.body, fields, 'body');
      const em = options.orm.em.fork();
      if (decision.scope !== 'everything' && route.ownership?.appliesAs === 'check') {
        if (!(await route.ownership.isParty(em, context.principal as Principal, params))) {
          throw decision.scope === 'ownCalls'
            ? new ApiError(403, 'NOT_PARTY', '본인이 당사자인 통화만 볼 수 있습니다.', { params })
            : new ApiError(403, 'NOT_OWN_DEPARTMENT', '소속 부서의 자료만 볼 수 있습니다.', { params });
        }
      }
      await route.handle({
        req,
        res,
        context,
        principal: context.principal,
        scope: decision.scope,
        params,
        query,
        body,
        files,
        storedFile: received?.file,
        release,
        em,
        audit: auditor(options.audit, context),
      });
    } catch (error) {
      next(error);
    } finally {
      await release().catch(next);
    }
  };
  app[route.method](route.path, ...(route.throttle ? [route.throttle] : []), handler);
}

function checkCsrf(req: Request, context: RequestContext, fields: Record<string, unknown>): void {
  const sent = req.get('x-csrf-token') ?? fields._csrf;
  const expected = context.session ? context.session.csrfToken : context.cookies[LOGIN_CSRF_COOKIE];
  if (typeof sent !== 'string' || !tokensEqual(sent, expected)) {
    throw new ApiError(403, 'CSRF_TOKEN_INVALID', '요청 확인 토큰이 없거나 맞지 않습니다. 화면을 새로 고친 뒤 다시 시도하십시오.');
  }
}
