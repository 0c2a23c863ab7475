/**
 * What the pages of every lifecycle share: the frame (user, navigation), sending a page, and the one page-refusal
 * flow — a refusal a page answers itself is audited as the error handler would have, then the page is shown again
 * with the Korean message.
 */
import type { Response } from 'express';
import { decide, type Grant } from '../access';
import { ApiError } from '../errors';
import {
  ACCESS_REVIEW_READERS,
  ANNOUNCEMENT_READERS,
  anyRole,
  APPLICATION_READERS,
  DISCLOSURE_READERS,
  HOLDER_READERS,
  LOGIN_LOCK_MANAGERS,
  OWN_REQUESTERS,
  RECORDING_READERS,
  UNREGISTERED_READERS,
} from '../policy';
import { requestContext, type RouteCall } from '../routes';
import type { Frame, NavItem } from '../ui/layout';

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The menu: each item shown to whoever its page's grant lets in. */
const NAVIGATION: readonly (NavItem & { access: readonly Grant[] })[] = [
  { path: '/', label: '대시보드', access: anyRole },
  { path: '/recordings', label: '녹취정보 조회', access: RECORDING_READERS },
  { path: '/unregistered-recordings', label: '미등록 녹취', access: UNREGISTERED_READERS },
  { path: '/full-recording', label: '전수 녹취', access: APPLICATION_READERS },
  { path: '/disclosure', label: '녹취정보 열람·제공', access: DISCLOSURE_READERS },
  { path: '/my/disclosure', label: '내 녹취정보 신청', access: OWN_REQUESTERS },
  { path: '/access-holders', label: '접근 권한자', access: HOLDER_READERS },
  { path: '/access-reviews', label: '접근기록 점검', access: ACCESS_REVIEW_READERS },
  { path: '/login-locks', label: '로그인 잠금', access: LOGIN_LOCK_MANAGERS },
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

/** The frame of a page of this site, with the menu item `current` marked. */
export function framer(deps: { municipalityName: string }): (res: Response, current?: string) => Frame {
  return (res, current) => frameFor(res, deps.municipalityName, current);
}

export function sendPage(res: Response, body: string, status = 200): void {
  res.status(status).type('html').send(body);
}

type AnyCall = RouteCall<unknown, unknown, unknown>;

/** A refusal answered on the page rather than by the error handler, so audited here as the handler would have. */
function auditRefusal(call: Pick<AnyCall, 'req' | 'audit'>, error: ApiError): Promise<void> {
  return call.audit({
    action: 'request.refused',
    targetType: 'route',
    targetId: `${call.req.method} ${call.req.path}`.slice(0, 128),
    reason: `${error.code}: ${error.message}`.slice(0, 500),
    detail: error.detail,
  });
}

/**
 * The page-refusal flow: a refusal (a mistake, a step not allowed now) is audited and `render` shows the page again
 * with its message; anything else — a missing item (404), a failure — goes on to the error handler. A page that can
 * also say why a service did not answer (`unavailable`) shows 5xx refusals too, unaudited as the handler leaves them.
 */
export async function refusedOnPage(
  call: Pick<AnyCall, 'req' | 'audit'>,
  error: unknown,
  render: (refusal: ApiError) => unknown,
  options: { unavailable?: boolean } = {},
): Promise<void> {
  if (!(error instanceof ApiError) || error.status === 404 || (error.status >= 500 && !options.unavailable)) throw error;
  if (error.status < 500) await auditRefusal(call, error);
  await render(error);
}

/** A step taken from a page: on to `next` when it is done, or `show` the page again with the refusal on it. */
export async function stepFromPage(
  call: Pick<AnyCall, 'req' | 'res' | 'audit'>,
  step: () => Promise<unknown>,
  next: string,
  show: (refusal: ApiError) => Promise<void>,
): Promise<void> {
  try {
    await step();
  } catch (error) {
    return refusedOnPage(call, error, show);
  }
  call.res.redirect(303, next);
}
