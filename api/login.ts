/**
 * Login against the directory, with waits and a lock-out per account. The account is the directory's entry (its DN, in
 * one canonical spelling), not the name as typed: directories match names without case, so `Kim.Head` and `kim.head`
 * share one count (issue 22). A name no entry has is counted under its lower-case spelling, so the answer does not
 * reveal which accounts exist. After each wrong password the account waits a little longer before the next try
 * (`firstDelaySeconds`, doubled each time); after `maxFailures` in a row it is locked for the lock-out period, and the
 * chief can lift a lock early (audited). Every attempt is an audit event, in the same transaction as the change it
 * causes (session, counter, lock).
 */
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { canonicalDn } from '../infra/directory/ldap-directory';
import { DirectoryError, type Directory, type DirectoryUser } from '../infra/directory';
import { LoginThrottle } from '../infra/db/entities';
import { retryOnUniqueRace, rowLock } from '../infra/db/row-lock';
import { formatKoreanDateTime } from '../domain/korean-time';
import type { Logger } from '../infra/logger';
import { ApiError } from './errors';
import type { ActiveSession, SessionStore } from './sessions';

export interface LockoutPolicy {
  maxFailures: number;
  lockoutMinutes: number;
  /** The wait after the first wrong password; each further one doubles it, until the lock. 0: no waits. */
  firstDelaySeconds: number;
}

export interface LoginDeps {
  orm: MikroORM;
  directory: Directory;
  sessions: SessionStore;
  policy: LockoutPolicy;
  timeZone: string;
  logger: Logger;
}

export interface LoginAttempt {
  username: string;
  password: string;
  sourceAddress: string;
  requestId: string;
}

/** Whom an attempt is counted against: the directory's entry, or the typed name when no entry has it. */
interface Account {
  key: string;
  username: string;
}

const DIRECTORY_UNAVAILABLE = () =>
  new ApiError(503, 'DIRECTORY_UNAVAILABLE', '디렉터리(로그인 서버)에 연결할 수 없습니다. 잠시 뒤 다시 시도하거나 정보통신 담당에게 알리십시오.');

async function accountOf(directory: Directory, typed: string): Promise<Account> {
  const user = await directory.findUser(typed);
  return user ? { key: `dn:${canonicalDn(user.dn)}`, username: user.username } : { key: `name:${typed.normalize('NFC').toLowerCase()}`, username: typed };
}

/** When the account may try again after `failures` wrong passwords in a row, the last at `lastFailureAt`. */
export function retryAfter(policy: LockoutPolicy, throttle: Pick<LoginThrottle, 'failures' | 'lastFailureAt'>): Date | undefined {
  if (!throttle.lastFailureAt || throttle.failures === 0 || policy.firstDelaySeconds === 0) return undefined;
  return new Date(throttle.lastFailureAt.getTime() + policy.firstDelaySeconds * 1000 * 2 ** (throttle.failures - 1));
}

export async function login(deps: LoginDeps, attempt: LoginAttempt, now = new Date()): Promise<{ token: string; session: ActiveSession }> {
  const { sourceAddress, requestId } = attempt;
  let account: Account;
  try {
    account = await accountOf(deps.directory, attempt.username);
  } catch (error) {
    return directoryDown(deps, attempt, now, error);
  }
  const audit = (em: EntityManager, action: string, reason: string, role = 'anonymous', detail = {}) =>
    appendAuditEvent(em, {
      actor: account.username,
      role,
      sourceAddress,
      action,
      targetType: 'account',
      targetId: account.username,
      reason,
      detail: { requestId, ...(account.username === attempt.username ? {} : { typed: attempt.username }), ...detail },
      at: now,
    });

  const throttle = await deps.orm.em.fork().findOne(LoginThrottle, { accountKey: account.key });
  if (throttle?.lockedUntil && throttle.lockedUntil > now) {
    await deps.orm.em.fork().transactional((em) => audit(em, 'login.refused', '계정 잠김 중 로그인 시도'));
    throw lockedError(throttle.lockedUntil, deps.timeZone);
  }
  const waitUntil = throttle ? retryAfter(deps.policy, throttle) : undefined;
  if (waitUntil && waitUntil > now) {
    await deps.orm.em.fork().transactional((em) => audit(em, 'login.refused', '비밀번호 오류 뒤 대기 시간 중 로그인 시도'));
    throw waitError(waitUntil, now);
  }

  let user: DirectoryUser;
  try {
    user = await deps.directory.authenticate(account.username, attempt.password);
  } catch (error) {
    if (!(error instanceof DirectoryError && error.code === 'INVALID_CREDENTIALS')) return directoryDown(deps, attempt, now, error);
    const failure = await recordFailure(deps, account, now, (em, locked) =>
      locked
        ? audit(em, 'login.locked', `비밀번호 ${deps.policy.maxFailures}회 연속 오류로 ${deps.policy.lockoutMinutes}분간 잠금`)
        : audit(em, 'login.failed', '사용자 이름 또는 비밀번호 오류'),
    );
    if (failure.lockedUntil) throw lockedError(failure.lockedUntil, deps.timeZone);
    const next = retryAfter(deps.policy, failure);
    throw new ApiError(401, 'INVALID_CREDENTIALS', next ? `${error.message} ${waitText(next, now)}` : error.message, {
      retryAfterSeconds: next ? secondsUntil(next, now) : 0,
    });
  }

  if (user.roles.length === 0) {
    await deps.orm.em.fork().transactional((em) => audit(em, 'login.refused', '이 시스템의 역할 그룹에 속하지 않음'));
    throw new ApiError(403, 'NO_ROLE', '이 시스템을 쓸 역할이 없습니다. 역할이 필요하면 관리부서에 신청하십시오.');
  }

  return deps.orm.em.fork().transactional(async (em) => {
    const row = await em.findOne(LoginThrottle, { accountKey: account.key });
    if (row) em.remove(row);
    const started = await deps.sessions.create(em, user, sourceAddress, now);
    await audit(em, 'login.succeeded', '로그인', user.roles[0], { roles: user.roles });
    return started;
  });
}

/** The directory did not answer: said so, audited, and nobody's count changes (it is not the user's mistake). */
async function directoryDown(deps: LoginDeps, attempt: LoginAttempt, now: Date, error: unknown): Promise<never> {
  deps.logger.error('directory unavailable at login', { error, requestId: attempt.requestId });
  await deps.orm.em.fork().transactional((em) =>
    appendAuditEvent(em, {
      actor: attempt.username,
      role: 'anonymous',
      sourceAddress: attempt.sourceAddress,
      action: 'login.failed',
      targetType: 'account',
      targetId: attempt.username,
      reason: '디렉터리에 연결할 수 없음',
      detail: { requestId: attempt.requestId },
      at: now,
    }),
  );
  throw DIRECTORY_UNAVAILABLE();
}

/**
 * Counts a wrong password; the row as it now stands (its lock's end when this failure locked the account). Two first
 * failures at once both find no row; the loser counts again on the winner's row.
 */
async function recordFailure(
  deps: LoginDeps,
  account: Account,
  now: Date,
  auditFailure: (em: EntityManager, locked: boolean) => Promise<unknown>,
): Promise<Pick<LoginThrottle, 'failures' | 'lastFailureAt' | 'lockedUntil'>> {
  return retryOnUniqueRace(() =>
    deps.orm.em.fork().transactional(async (em) => {
      let row = await em.findOne(LoginThrottle, { accountKey: account.key }, rowLock(em));
      if (!row) {
        row = new LoginThrottle(account.key, account.username);
        em.persist(row);
      }
      row.failures += 1;
      row.lastFailureAt = now;
      const locked = row.failures >= deps.policy.maxFailures;
      if (locked) {
        row.lockedUntil = new Date(now.getTime() + deps.policy.lockoutMinutes * 60_000);
        row.failures = 0;
      }
      await em.flush();
      await auditFailure(em, locked);
      return { failures: row.failures, lastFailureAt: row.lastFailureAt, lockedUntil: locked ? row.lockedUntil : undefined };
    }),
  );
}

/** The accounts now locked or waiting after wrong passwords, soonest free last: what the chief may unlock. */
export async function lockedAccounts(em: EntityManager, policy: LockoutPolicy, now = new Date()): Promise<LockedAccount[]> {
  const rows = await em.find(LoginThrottle, {}, { orderBy: { lastFailureAt: 'desc' } });
  return rows.flatMap((row) => {
    const until = row.lockedUntil && row.lockedUntil > now ? row.lockedUntil : retryAfter(policy, row);
    if (!until || until <= now) return [];
    return [{ username: row.username, locked: row.lockedUntil !== undefined && row.lockedUntil > now, until, failures: row.failures }];
  });
}

export interface LockedAccount {
  username: string;
  /** Locked out (true), or only waiting before the next try after a wrong password. */
  locked: boolean;
  until: Date;
  failures: number;
}

/**
 * The chief lifts a lock (or a wait) before it ends, e.g. when an attacker's guesses keep an official out: the count
 * starts again and the unlock is audited with the reason. Refused for an account with nothing to lift.
 */
export async function unlockAccount(
  deps: Pick<LoginDeps, 'orm' | 'directory' | 'policy'>,
  username: string,
  by: { actor: string; role: string; sourceAddress: string; requestId: string },
  reason: string,
  now = new Date(),
): Promise<void> {
  const account = await accountOf(deps.directory, username).catch(() => {
    throw DIRECTORY_UNAVAILABLE();
  });
  await deps.orm.em.fork().transactional(async (em) => {
    const row = await em.findOne(LoginThrottle, { accountKey: account.key }, rowLock(em));
    const until = row?.lockedUntil && row.lockedUntil > now ? row.lockedUntil : row ? retryAfter(deps.policy, row) : undefined;
    if (!row || !until || until <= now) throw new ApiError(409, 'ACCOUNT_NOT_LOCKED', `${account.username} 계정은 잠겨 있지 않습니다.`);
    em.remove(row);
    await em.flush();
    await appendAuditEvent(em, {
      actor: by.actor,
      role: by.role,
      sourceAddress: by.sourceAddress,
      action: 'login.unlocked',
      targetType: 'account',
      targetId: account.username,
      reason,
      detail: { requestId: by.requestId, lockedUntil: until.toISOString(), failures: row.failures },
      at: now,
    });
  });
}

const secondsUntil = (until: Date, now: Date) => Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
const waitText = (until: Date, now: Date) => `${secondsUntil(until, now)}초 뒤에 다시 시도할 수 있습니다.`;

function waitError(until: Date, now: Date): ApiError {
  return new ApiError(429, 'LOGIN_WAIT', `비밀번호를 잘못 입력한 뒤에는 잠시 기다려야 합니다. ${waitText(until, now)}`, {
    retryAfterSeconds: secondsUntil(until, now),
  });
}

function lockedError(until: Date, timeZone: string): ApiError {
  return new ApiError(
    429,
    'ACCOUNT_LOCKED',
    `비밀번호를 여러 번 잘못 입력하여 계정이 잠겼습니다. ${formatKoreanDateTime(until, timeZone)} 이후에 다시 시도하거나 관리부서의 장에게 잠금 해제를 요청하십시오.`,
  );
}
