/**
 * The capture appliance's control API (issue 4, "Store"): the one way the rest of the system — the worker's
 * activities, the API, the PBX integration — tells the appliance anything. HTTP + JSON on 127.0.0.1 only, every
 * request with `Authorization: Bearer <token>`, the token of one client (issue 18): each client has its own
 * (CAPTURE_CONTROL_{API,WORKER,PBX}_TOKEN_FILE) and may use only the routes its scope names (`clients` below), so a
 * leaked PBX token cannot play audio and a leaked worker token cannot build a package.
 *
 *   GET    /health                          api, worker   sessions, packets, loss, registrations, recovery, disk
 *   GET    /package-public-key              api           the public key provision packages are signed with
 *   GET    /extensions/<number>             worker        the extension's mode and since when
 *   PUT    /extensions/<number>/mode        worker        {mode, onBehalfOf, reason, grant?} → the mode read back
 *   POST   /calls/<call id>/record-button   pbx           {action: start|stop, at?, notice?} for a selective call
 *   DELETE /recordings/<recording id>       worker        destroys the file of a recording past its retention date
 *   POST   /inventory                       worker        {asOf?, after?, budgetMs?, maxFindings?, run?} → the retention
 *                                                         inventory of the store's files, one part (capture/inventory.ts)
 *   POST   /recordings/<recording id>/export api + grant  {password} → the party's own export (R5), AES-256 ZIP
 *   POST   /disclosure-packages             api + grant   {managementNumber, recordingIds, password, onBehalfOf,
 *                                                         extraFiles?} → the Art. 9 provision package (signed manifest)
 *   POST   /recordings/<recording id>/viewing api + grant {managementNumber, onBehalfOf} → the recording as a PCM WAV
 *                                                         for Art. 9 viewing (열람), played by the browser
 *
 * The appliance's audit entries name the authenticated client as the actor (`capture-client:<name>`); the user or
 * component a request names in `onBehalfOf` is only the client's word, kept as `detail.onBehalfOf`.
 *
 * Audio leaves only against a grant (infra/grants.ts, header `X-Grant`) that the back office signed with a key the
 * appliance does not hold: its kind is the route's release, it covers every recording asked for and, for Art. 9, the
 * 관리번호 asked for, and it is inside its time window. So the API's token alone plays nothing: a leaked token, or
 * an API host made to ask for what its checks did not allow, gets 403 with a GRANT_* code, and every such refusal
 * is audited with the client and the grant's id where it has one.
 *
 * The party export and the provision package answer only sealed ZIPs (capture/party-export.ts,
 * capture/disclosure-package.ts); the viewing route alone answers plain audio (see AudioRelease). A route must declare
 * `releasesAudio` to send a file at all (R6). The API and the worker decide who may have or hear a recording; the
 * appliance only refuses a recording it does not have, or no longer has.
 * Errors are `{error: {code, message}}` with a stable code and a Korean message; a refused request changes nothing.
 * What the API and its clients share — codes, errors, requests, views, the handlers the appliance implements — is
 * capture/control-contract.ts.
 */
import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { RECORDING_MODES } from '../domain/recording';
import { verifyGrant, type GrantKind, type GrantPayload } from '../infra/grants';
import { CAPTURE_CLIENTS, type CaptureClient } from '../infra/keys';
import type { Logger } from '../infra/logger';
import { AuthFailureLog } from './auth-throttle';
import {
  comparableFileName,
  extraFileNameProblem,
  MANAGEMENT_NUMBER,
  MAX_EXTRA_FILE_BYTES,
  MAX_EXTRA_FILES,
  MAX_PACKAGE_RECORDINGS,
} from './disclosure-package';
import { EXPORT_PASSWORD } from './party-export';
import { INVENTORY_MAX_BUDGET_MS, INVENTORY_MAX_FINDINGS } from './inventory';
import {
  ControlError,
  GrantError,
  type AudioRelease,
  type ControlCaller,
  type ControlErrorCode,
  type ControlHandlers,
  type ControlRouteInfo,
} from './control-contract';
import { CALL_ID, NOTICE, PHONE_NUMBER } from './sdp';

const STATUS: Record<ControlErrorCode, number> = {
  UNAUTHORIZED: 401,
  CLIENT_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BODY_TOO_LARGE: 413,
  INVALID_INPUT: 400,
  NOT_DUE: 409,
  HELD: 409,
  DELETED: 410,
  CORRUPT: 500,
  NOT_CONFIGURED: 503,
  INTERNAL: 500,
  GRANT_MISSING: 403,
  GRANT_MALFORMED: 403,
  GRANT_SIGNATURE_INVALID: 403,
  GRANT_NOT_YET_VALID: 403,
  GRANT_EXPIRED: 403,
  GRANT_WRONG_KIND: 403,
  GRANT_NOT_COVERING: 403,
  GRANT_ALREADY_USED: 403,
};

/** The grant each release needs: a grant of one kind never opens another way out. */
const GRANT_KIND: Readonly<Record<AudioRelease, GrantKind>> = { 'party-export': 'party-export', disclosure: 'provision', viewing: 'viewing' };

/** What a request asks a grant to cover: every recording it names and, for Art. 9, the case's 관리번호. */
interface GrantScope {
  readonly recordings: readonly string[];
  readonly managementNumber?: string;
}

export interface ControlApiOptions {
  readonly port: number;
  /** Each client's bearer token; no two alike, or the appliance could not tell the clients apart. */
  readonly tokens: Readonly<Record<CaptureClient, string>>;
  readonly logger: Logger;
  readonly handlers: ControlHandlers;
  /** The public half of the back office's grant key (GRANT_PUBLIC_KEY_FILE): the only grants audio leaves against. */
  readonly grantPublicKey: KeyObject;
}

export interface ControlApi {
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
  /** `notAllowed`: requests of known clients outside their scope; `grantRefused`: releases refused for their grant. */
  readonly stats: Readonly<{ requests: number; refused: number; unauthorized: number; notAllowed: number; grantRefused: number; failed: number }>;
  readonly routes: readonly ControlRouteInfo[];
  /** Requests without the right token, summed per address for the appliance's audit entries (issue 22). */
  readonly authFailureLog: AuthFailureLog;
}

const MAX_BODY_BYTES = 16 * 1024;
/** Room for the most extra files at their largest, base64 (4 characters per 3 bytes), and the rest of the request. */
const PACKAGE_BODY_BYTES = MAX_EXTRA_FILES * Math.ceil(MAX_EXTRA_FILE_BYTES / 3) * 4 + 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ON_BEHALF_OF = /^[A-Za-z0-9._:@-]{1,128}$/;

const onBehalfOf = z.string().regex(ON_BEHALF_OF);
const managementNumber = z.string().regex(MANAGEMENT_NUMBER, { message: '관리번호는 YYYY-NNNN 형식입니다' });

const modeChange = z.strictObject({
  mode: z.enum(RECORDING_MODES),
  onBehalfOf,
  reason: z.string().trim().min(1).max(500),
  grant: z
    .string()
    .min(1)
    .max(16 * 1024)
    .optional(),
});
const buttonPress = z
  .strictObject({
    action: z.enum(['start', 'stop']),
    at: z.iso.datetime().optional(),
    notice: z.string().regex(NOTICE).optional(),
  })
  .refine((press) => press.action === 'start' || press.notice === undefined, {
    path: ['notice'],
    message: '고지 증거는 녹음 시작과 함께 보냅니다',
  });
const exportRequest = z.strictObject({ password: z.string().regex(EXPORT_PASSWORD) });
const unique = (values: readonly string[]) => new Set(values).size === values.length;
const packageRequest = z.strictObject({
  managementNumber,
  recordingIds: z.array(z.string().regex(UUID)).min(1).max(MAX_PACKAGE_RECORDINGS).refine(unique, { message: '같은 녹취가 두 번 있습니다' }),
  password: z.string().regex(EXPORT_PASSWORD),
  onBehalfOf,
  extraFiles: z
    .array(
      z.strictObject({
        name: z.string().superRefine((name, ctx) => {
          const problem = extraFileNameProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
        contentBase64: z
          .base64()
          .transform((text) => Buffer.from(text, 'base64'))
          .refine((content) => content.length <= MAX_EXTRA_FILE_BYTES, { message: `파일은 ${MAX_EXTRA_FILE_BYTES / 1024 / 1024} MiB까지입니다` }),
      }),
    )
    .max(MAX_EXTRA_FILES)
    .refine((files) => unique(files.map((file) => comparableFileName(file.name))), { message: '같은 이름의 파일이 두 번 있습니다' })
    .default([]),
});
const viewingRequest = z.strictObject({ managementNumber, onBehalfOf });
/** A path under the store's folder, as an inventory's `next` names it: only compared with the files walked, never opened. */
const STORE_PATH = /^(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]{1,128}(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]{1,128}){0,7}$/;
const inventoryRequest = z.strictObject({
  asOf: z.iso.datetime().optional(),
  after: z.string().max(512).regex(STORE_PATH).optional(),
  budgetMs: z.number().int().min(1_000).max(INVENTORY_MAX_BUDGET_MS).optional(),
  maxFindings: z.number().int().min(0).max(INVENTORY_MAX_FINDINGS).optional(),
  // A workflow run as the back office names it: `<workflow id>/<run id>`.
  run: z
    .string()
    .regex(/^[A-Za-z0-9._:@/-]{1,200}$/)
    .optional(),
});

/**
 * `sealed`: an encrypted ZIP the caller keeps, sent as an attachment under its name. `playable`: plain audio for
 * viewing, sent inline with no name to save it under, and wiped once the socket is done with it.
 */
type FileReply = ({ readonly kind: 'sealed'; readonly name: string } | { readonly kind: 'playable' }) & {
  readonly body: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
};
type Reply = { status: number; json: unknown } | { file: FileReply };

interface RouteSpec extends ControlRouteInfo {
  /** Each `<placeholder>` of the path must match its rule, in order, once decoded. */
  readonly params: readonly RegExp[];
  readonly body?: z.ZodType;
  /** Larger than MAX_BODY_BYTES only where the route needs it. */
  readonly maxBodyBytes?: number;
  /** With `releasesAudio`: what the request asks its grant to cover. */
  readonly grantScope?: (params: string[], body: unknown) => GrantScope;
  /** `grant`: verified to cover the request, on the routes that release audio. */
  run(params: string[], body: unknown, caller: ControlCaller, grant?: GrantPayload): Promise<Reply>;
}

type Route = RouteSpec & { readonly pattern: RegExp };

export function createControlApi(options: ControlApiOptions): ControlApi {
  const { handlers, logger } = options;
  const known = CAPTURE_CLIENTS.map((client) => ({ client, digest: digest(options.tokens[client]) }));
  if (new Set(known.map((entry) => entry.digest.toString('hex'))).size !== known.length) {
    throw new Error('녹취 장치 제어 토큰이 클라이언트끼리 같습니다: api, worker, pbx 토큰 파일은 서로 다른 토큰을 담아야 합니다.');
  }
  const stats = { requests: 0, refused: 0, unauthorized: 0, notAllowed: 0, grantRefused: 0, failed: 0 };
  const authFailureLog = new AuthFailureLog();
  const ok = (json: unknown) => ({ status: 200, json });
  const specs: RouteSpec[] = [
    // The API's /health and /metrics, and the capture supervisor of `npm start` (with the worker's token).
    { method: 'GET', path: '/health', clients: ['api', 'worker'], params: [], run: async () => ok(await handlers.health()) },
    { method: 'GET', path: '/package-public-key', clients: ['api'], params: [], run: async () => ok(await handlers.packagePublicKey()) },
    {
      method: 'GET',
      path: '/extensions/<number>',
      clients: ['worker'],
      params: [PHONE_NUMBER],
      run: async ([number]) => ok(found(await handlers.extensionMode(number as string), '내선')),
    },
    {
      method: 'PUT',
      path: '/extensions/<number>/mode',
      clients: ['worker'],
      params: [PHONE_NUMBER],
      body: modeChange,
      run: async ([number], body, caller) => ok(found(await handlers.setExtensionMode(number as string, body as z.output<typeof modeChange>, caller), '내선')),
    },
    {
      method: 'POST',
      path: '/calls/<call id>/record-button',
      clients: ['pbx'],
      params: [CALL_ID],
      body: buttonPress,
      run: async ([callId], body) => {
        const press = body as z.output<typeof buttonPress>;
        const result = await handlers.recordButton(callId as string, press.action, press.at ? new Date(press.at) : new Date(), press.notice);
        return ok({ callId, result });
      },
    },
    {
      method: 'DELETE',
      path: '/recordings/<recording id>',
      clients: ['worker'],
      params: [UUID],
      run: async ([recordingId]) => ok(await handlers.destroyRecording(recordingId as string)),
    },
    {
      // The back office's daily retention inventory (issue 19), from a worker activity.
      method: 'POST',
      path: '/inventory',
      clients: ['worker'],
      params: [],
      body: inventoryRequest,
      run: async (_params, body, caller) => {
        const { asOf, ...request } = body as z.output<typeof inventoryRequest>;
        return ok(await handlers.inventory({ ...request, ...(asOf ? { asOf: new Date(asOf) } : {}) }, caller));
      },
    },
    {
      method: 'POST',
      path: '/recordings/<recording id>/export',
      clients: ['api'],
      releasesAudio: 'party-export',
      params: [UUID],
      body: exportRequest,
      grantScope: ([recordingId]) => ({ recordings: [recordingId as string] }),
      run: async ([recordingId], body, caller, grant) => {
        const sealed = await handlers.exportRecording(recordingId as string, (body as z.output<typeof exportRequest>).password, {
          caller,
          grant: grant as GrantPayload,
        });
        return { file: { kind: 'sealed', name: sealed.fileName, body: sealed.zip } };
      },
    },
    {
      method: 'POST',
      path: '/disclosure-packages',
      // The API builds it when the operator asks (api/disclosure-package.ts), once the workflow allows it.
      clients: ['api'],
      releasesAudio: 'disclosure',
      params: [],
      body: packageRequest,
      maxBodyBytes: PACKAGE_BODY_BYTES,
      grantScope: (_params, body) => {
        const request = body as z.output<typeof packageRequest>;
        return { recordings: request.recordingIds, managementNumber: request.managementNumber };
      },
      run: async (_params, body, caller, grant) => {
        const request = body as z.output<typeof packageRequest>;
        const sealed = await handlers.buildDisclosurePackage(
          { ...request, extraFiles: request.extraFiles.map(({ name, contentBase64 }) => ({ name, content: contentBase64 })) },
          { caller, grant: grant as GrantPayload },
        );
        return {
          file: {
            kind: 'sealed',
            name: sealed.fileName,
            body: sealed.zip,
            // The two hashes the case records: the copy handed over, and the signed list of what it holds.
            headers: { 'X-Package-Sha256': sealed.sha256, 'X-Manifest-Sha256': sealed.manifestSha256 },
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/recordings/<recording id>/viewing',
      clients: ['api'],
      releasesAudio: 'viewing',
      params: [UUID],
      body: viewingRequest,
      grantScope: ([recordingId], body) => ({
        recordings: [recordingId as string],
        managementNumber: (body as z.output<typeof viewingRequest>).managementNumber,
      }),
      run: async ([recordingId], body, caller, grant) => {
        const audio = await handlers.viewingAudio(recordingId as string, body as z.output<typeof viewingRequest>, { caller, grant: grant as GrantPayload });
        // The hash the case's recording row has: the API can tell the audio it plays is the recording it approved.
        return { file: { kind: 'playable', body: audio.wav, headers: { 'X-Stored-Audio-Sha256': audio.sha256 } } };
      },
    },
  ];
  for (const spec of specs) if (spec.releasesAudio && !spec.grantScope) throw new Error(`${spec.method} ${spec.path} releases audio without a grant scope`);
  const routes: Route[] = specs.map((spec) => ({ ...spec, pattern: new RegExp(`^${spec.path.replace(/<[^>]+>/g, '([^/]+)')}$`) }));

  const server = http.createServer((request, response) => {
    stats.requests++;
    void handle(request).then(
      (reply) => ('file' in reply ? sendFile(response, reply.file) : send(response, reply.status, reply.json)),
      (error: unknown) => {
        const refusal = error instanceof ControlError ? error : undefined;
        if (refusal) stats.refused++;
        else {
          stats.failed++;
          logger.error('control request failed', { method: request.method, path: pathOf(request), error });
        }
        const failure = refusal ?? new ControlError('INTERNAL', '녹취 장치 내부 오류입니다. 로그를 확인하세요.');
        if (refusal && refusal.code !== 'NOT_FOUND') {
          logger.warn('control request refused', { method: request.method, path: pathOf(request), code: refusal.code, address: addressOf(request) });
        }
        send(response, STATUS[failure.code], { error: { code: failure.code, message: failure.message } });
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  async function handle(request: http.IncomingMessage): Promise<Reply> {
    const client = clientOf(request.headers.authorization);
    if (!client) {
      stats.unauthorized++;
      authFailureLog.record(addressOf(request), undefined, 'failed');
      // Drain nothing: the body of an unauthenticated request is never read.
      throw new ControlError('UNAUTHORIZED', '녹취 장치 제어 토큰이 없거나 맞지 않습니다.');
    }
    const caller: ControlCaller = { client, address: addressOf(request) };
    const pathname = pathOf(request);
    const candidates = routes.filter((route) => route.pattern.test(pathname));
    if (candidates.length === 0) throw new ControlError('NOT_FOUND', '없는 주소입니다.');
    const route = candidates.find((candidate) => candidate.method === request.method);
    if (!route) throw new ControlError('METHOD_NOT_ALLOWED', `이 주소에는 ${candidates.map((c) => c.method).join(', ')}만 쓸 수 있습니다.`);
    // Before the path's values and the body are checked: a client out of its scope learns nothing of what the route accepts.
    if (!route.clients.includes(client)) await refuseClient(caller, route);
    const params = (route.pattern.exec(pathname) as RegExpExecArray).slice(1).map((part, index) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        throw new ControlError('INVALID_INPUT', '주소의 인코딩이 올바르지 않습니다.');
      }
      if (!(route.params[index] as RegExp).test(decoded)) throw new ControlError('INVALID_INPUT', '주소의 번호나 식별자 형식이 올바르지 않습니다.');
      return decoded;
    });
    let body: unknown;
    if (route.body) {
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') throw new ControlError('UNSUPPORTED_MEDIA_TYPE', '본문은 application/json 이어야 합니다.');
      const parsed = route.body.safeParse(await readJson(request, route.maxBodyBytes ?? MAX_BODY_BYTES));
      if (!parsed.success) {
        throw new ControlError(
          'INVALID_INPUT',
          `입력이 올바르지 않습니다: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '본문'} ${issue.message}`).join('; ')}`,
        );
      }
      body = parsed.data;
    }
    const reply = route.releasesAudio ? await release(request, route, params, body, caller) : await route.run(params, body, caller);
    // A file from a route that does not declare it would be audio leaving by a way R6 does not allow; plain audio
    // from any route but viewing would be audio unsealed for a procedure that hands out sealed copies only.
    if ('file' in reply && !route.releasesAudio) throw new Error(`${route.method} ${route.path} sent a file without releasesAudio`);
    if ('file' in reply && reply.file.kind === 'playable' && route.releasesAudio !== 'viewing') {
      reply.file.body.fill(0);
      throw new Error(`${route.method} ${route.path} sent plain audio without releasesAudio 'viewing'`);
    }
    return reply;
  }

  function clientOf(header: string | undefined): CaptureClient | undefined {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? '');
    if (!match) return undefined;
    const presented = digest(match[1] as string);
    // Compared as digests with every client's, never stopping at a match: the time taken tells neither the length
    // of a guess nor which client's token it came close to.
    let client: CaptureClient | undefined;
    for (const entry of known) if (timingSafeEqual(presented, entry.digest)) client = entry.client;
    return client;
  }

  /** Runs a route that releases audio once its grant covers the request; a refusal for the grant is audited. */
  async function release(request: http.IncomingMessage, route: Route, params: string[], body: unknown, caller: ControlCaller): Promise<Reply> {
    try {
      return await route.run(params, body, caller, coveringGrant(request.headers['x-grant'], route, params, body));
    } catch (error) {
      if (!(error instanceof GrantError)) throw error;
      stats.grantRefused++;
      const refusal = { code: error.code, ...(error.grantId ? { grantId: error.grantId } : {}) };
      logger.warn('audio release refused for its grant', {
        client: caller.client,
        address: caller.address,
        method: route.method,
        path: route.path,
        ...refusal,
      });
      try {
        await handlers.grantRefused(caller, infoOf(route), refusal);
      } catch (auditError) {
        logger.error('grant refusal could not be audited', { client: caller.client, method: route.method, path: route.path, error: auditError });
      }
      throw error;
    }
  }

  /** The request's grant, verified and covering it; throws a GrantError with the refusal's code otherwise. */
  function coveringGrant(header: string | string[] | undefined, route: Route, params: string[], body: unknown): GrantPayload {
    if (typeof header !== 'string' || header === '') throw new GrantError('GRANT_MISSING', '이 요청에는 시스템이 서명한 허가(grant)가 필요합니다 (X-Grant).');
    const verdict = verifyGrant(options.grantPublicKey, header);
    if ('refused' in verdict) throw new GrantError(verdict.refused, verdict.message, verdict.grantId);
    const { grant } = verdict;
    const kind = GRANT_KIND[route.releasesAudio as AudioRelease];
    if (grant.kind !== kind) throw new GrantError('GRANT_WRONG_KIND', `이 요청에는 '${kind}' 허가가 필요한데 '${grant.kind}' 허가입니다.`, grant.id);
    const scope = (route.grantScope as NonNullable<Route['grantScope']>)(params, body);
    const uncovered = scope.recordings.filter((recording) => !grant.recordings.includes(recording));
    if (uncovered.length > 0) throw new GrantError('GRANT_NOT_COVERING', `허가(grant)에 없는 녹취입니다: ${uncovered.join(', ')}`, grant.id);
    if (scope.managementNumber !== undefined && scope.managementNumber !== grant.case.managementNumber) {
      throw new GrantError(
        'GRANT_NOT_COVERING',
        `허가(grant)는 관리번호 ${grant.case.managementNumber ?? '없음'}의 것이라 ${scope.managementNumber}에 쓸 수 없습니다.`,
        grant.id,
      );
    }
    return grant;
  }

  async function refuseClient(caller: ControlCaller, route: Route): Promise<never> {
    stats.notAllowed++;
    const target = infoOf(route);
    logger.warn('control request outside the client scope', { client: caller.client, address: caller.address, method: route.method, path: route.path });
    try {
      await handlers.clientRefused(caller, target);
    } catch (error) {
      // The refusal stands whatever the audit did; the appliance counts the failed write (its health's authAudit).
      logger.error('refused control request could not be audited', { client: caller.client, method: route.method, path: route.path, error });
    }
    throw new ControlError('CLIENT_NOT_ALLOWED', `이 제어 클라이언트(${caller.client})에는 ${route.method} ${route.path} 요청 권한이 없습니다.`);
  }

  return {
    stats,
    authFailureLog,
    routes: routes.map(infoOf),
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // The control API is for this host only (the PBX integration runs beside it or tunnels in).
        server.listen(options.port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function infoOf({ method, path, clients, releasesAudio }: ControlRouteInfo): ControlRouteInfo {
  return { method, path, clients, ...(releasesAudio ? { releasesAudio } : {}) };
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ControlError('NOT_FOUND', `${what}이(가) 없습니다.`);
  return value;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The client's address as the socket has it (the control API is never behind a proxy). */
const addressOf = (request: http.IncomingMessage): string => request.socket.remoteAddress ?? 'unknown';

function pathOf(request: http.IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] as string;
}

function send(response: http.ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  const unread = !response.req.complete;
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...(unread ? { Connection: 'close' } : {}),
  });
  response.end(body, () => {
    if (unread) lingerThenClose(response);
  });
}

/** How long a refused body that is still arriving is read and thrown away before the connection is closed anyway. */
const LINGER_MS = 2_000;

/**
 * Closing a socket while a refused body is still arriving makes the kernel answer the client with a reset, which can
 * reach it before our answer does (the client then sees ECONNRESET, not the 413). So the rest is read and discarded
 * — nothing is kept — until the client has sent it all or LINGER_MS have passed, and then the connection closes.
 */
function lingerThenClose(response: http.ServerResponse): void {
  const request = response.req;
  const close = () => response.socket?.destroy();
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  request.removeAllListeners('data');
  request.once('end', () => {
    clearTimeout(timer);
    close();
  });
  request.resume();
}

function sendFile(response: http.ServerResponse, file: FileReply): void {
  response.writeHead(200, {
    ...file.headers,
    'Content-Type': file.kind === 'sealed' ? 'application/zip' : 'audio/wav',
    'Content-Length': file.body.length,
    'Content-Disposition': file.kind === 'sealed' ? `attachment; filename="${file.name}"` : 'inline',
    'Cache-Control': 'no-store',
  });
  // 'close' comes once the socket has taken the last byte, or has gone: either way nothing reads the buffer after it.
  if (file.kind === 'playable') response.once('close', () => file.body.fill(0));
  response.end(file.body);
}

function readJson(request: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) {
        // The rest is not kept: the answer goes out with `Connection: close`, and the rest is discarded as it arrives.
        reject(new ControlError('BODY_TOO_LARGE', `본문은 ${maxBytes}바이트를 넘을 수 없습니다.`));
        chunks.length = 0;
        request.pause();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ControlError('INVALID_INPUT', '본문이 올바른 JSON이 아닙니다.'));
      }
    });
  });
}
