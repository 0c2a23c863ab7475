/**
 * Login locks (issue 22): the chief sees the accounts locked out or waiting after wrong passwords and lifts a lock with
 * a reason, since a stranger's guesses can keep an official out. What a lock is, and the unlock itself, are
 * api/login.ts.
 */
import { z } from 'zod';
import { USERNAME_PATTERN } from '../../infra/directory/ldap-directory';
import type { ApiError } from '../errors';
import { lockedAccounts, unlockAccount } from '../login';
import { LOGIN_LOCK_MANAGERS } from '../policy';
import { auditIdentityOf, defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { loginLocksPage } from '../ui/login-lock-pages';
import type { RouteDeps } from './deps';
import { framer, sendPage, stepFromPage } from './page';

const unlockParams = z.object({ username: z.string().regex(USERNAME_PATTERN, { message: '사용자 이름 형식이 아닙니다' }) }).strict();
const unlockBody = z.object({ reason: z.string().trim().min(2, { message: '해제 사유를 적으십시오' }).max(500) }).strict();
const lockedAccount = z.object({ username: z.string(), locked: z.boolean(), until: z.string(), failures: z.number() });

type UnlockCall = RouteCall<z.output<typeof unlockParams>, unknown, z.output<typeof unlockBody>>;

export function loginLockRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const list = (call: RouteCall<unknown, unknown, unknown>) => lockedAccounts(call.em, deps.login.policy);
  const unlock = (call: UnlockCall) => unlockAccount(deps.login, call.params.username, auditIdentityOf(call), call.body.reason);
  const showPage = async (call: RouteCall<unknown, unknown, unknown>, refusal?: ApiError) =>
    sendPage(call.res, loginLocksPage(frame(call.res, '/login-locks'), await list(call), deps.timeZone, refusal?.message), refusal?.status ?? 200);

  return [
    defineRoute({
      method: 'get',
      path: '/api/login-locks',
      kind: 'api',
      access: LOGIN_LOCK_MANAGERS,
      response: z.array(lockedAccount),
      summary: '잠기거나 대기 중인 로그인 계정 (비밀번호 연속 오류)',
      async handle(call) {
        call.res.json((await list(call)).map((account) => ({ ...account, until: account.until.toISOString() })));
      },
    }),
    defineRoute<z.output<typeof unlockParams>, unknown, z.output<typeof unlockBody>>({
      method: 'post',
      path: '/api/login-locks/:username/unlock',
      kind: 'api',
      access: LOGIN_LOCK_MANAGERS,
      params: unlockParams,
      body: unlockBody,
      summary: '로그인 잠금 해제 (관리부서의 장; 사유와 함께 감사 기록)',
      example: { params: { username: 'kim.head' }, body: { reason: '본인 전화 확인 후 해제' } },
      async handle(call) {
        await unlock(call);
        call.res.json({ unlocked: true });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/login-locks',
      kind: 'page',
      access: LOGIN_LOCK_MANAGERS,
      summary: '로그인 잠금 관리 화면',
      async handle(call) {
        await showPage(call);
      },
    }),
    defineRoute<z.output<typeof unlockParams>, unknown, z.output<typeof unlockBody>>({
      method: 'post',
      path: '/login-locks/:username/unlock',
      kind: 'page',
      access: LOGIN_LOCK_MANAGERS,
      params: unlockParams,
      body: unlockBody,
      summary: '로그인 잠금 해제 (화면)',
      example: { params: { username: 'kim.head' }, body: { reason: '본인 확인' } },
      async handle(call) {
        await stepFromPage(
          call,
          () => unlock(call),
          '/login-locks',
          (refusal) => showPage(call, refusal),
        );
      },
    }),
  ];
}
