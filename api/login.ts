/**
 * Login against the directory with per-account lock-out. Wrong passwords are counted per user name
 * (known or not, so the answer does not reveal which accounts exist); after the configured number the
 * account is refused for the lock-out period. Every attempt is an audit event, in the same transaction
 * as the change it causes (session, counter, lock).
 */
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
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

export async function login(deps: LoginDeps, attempt: LoginAttempt, now = new Date()): Promise<{ token: string; session: ActiveSession }> {
  const { username, sourceAddress, requestId } = attempt;
  const audit = (em: Parameters<typeof appendAuditEvent>[0], action: string, reason: string, role = 'anonymous', detail = {}) =>
    appendAuditEvent(em, {
      actor: username,
      role,
      sourceAddress,
      action,
      targetType: 'account',
      targetId: username,
      reason,
      detail: { requestId, ...detail },
      at: now,
    });

  const throttle = await deps.orm.em.fork().findOne(LoginThrottle, { username });
  if (throttle?.lockedUntil && throttle.lockedUntil > now) {
    await deps.orm.em.fork().transactional((em) => audit(em, 'login.refused', '계정 잠김 중 로그인 시도'));
    throw lockedError(throttle.lockedUntil, deps.timeZone);
  }

  let user: DirectoryUser;
  try {
    user = await deps.directory.authenticate(username, attempt.password);
  } catch (error) {
    if (error instanceof DirectoryError && error.code === 'INVALID_CREDENTIALS') {
      const lockedUntil = await recordFailure(deps, username, now, (em, locked) =>
        locked
          ? audit(em, 'login.locked', `비밀번호 ${deps.policy.maxFailures}회 연속 오류로 ${deps.policy.lockoutMinutes}분간 잠금`)
          : audit(em, 'login.failed', '사용자 이름 또는 비밀번호 오류'),
      );
      if (lockedUntil) throw lockedError(lockedUntil, deps.timeZone);
      throw new ApiError(401, 'INVALID_CREDENTIALS', error.message);
    }
    deps.logger.error('directory unavailable at login', { error, requestId });
    await deps.orm.em.fork().transactional((em) => audit(em, 'login.failed', '디렉터리에 연결할 수 없음'));
    throw new ApiError(503, 'DIRECTORY_UNAVAILABLE', '디렉터리(로그인 서버)에 연결할 수 없습니다. 잠시 뒤 다시 시도하거나 정보통신 담당에게 알리십시오.');
  }

  if (user.roles.length === 0) {
    await deps.orm.em.fork().transactional((em) => audit(em, 'login.refused', '이 시스템의 역할 그룹에 속하지 않음'));
    throw new ApiError(403, 'NO_ROLE', '이 시스템을 쓸 역할이 없습니다. 역할이 필요하면 관리부서에 신청하십시오.');
  }

  return deps.orm.em.fork().transactional(async (em) => {
    const row = await em.findOne(LoginThrottle, { username });
    if (row) em.remove(row);
    const started = await deps.sessions.create(em, user, sourceAddress, now);
    await audit(em, 'login.succeeded', '로그인', user.roles[0], { roles: user.roles });
    return started;
  });
}

/**
 * Counts a wrong password; returns the lock's end when this failure locked the account. Two first failures
 * at once both find no row; the loser counts again on the winner's row.
 */
async function recordFailure(
  deps: LoginDeps,
  username: string,
  now: Date,
  auditFailure: (em: Parameters<typeof appendAuditEvent>[0], locked: boolean) => Promise<unknown>,
): Promise<Date | undefined> {
  return retryOnUniqueRace(() =>
    deps.orm.em.fork().transactional(async (em) => {
      let row = await em.findOne(LoginThrottle, { username }, rowLock(em));
      if (!row) {
        row = new LoginThrottle(username);
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
      return locked ? row.lockedUntil : undefined;
    }),
  );
}

function lockedError(until: Date, timeZone: string): ApiError {
  return new ApiError(
    429,
    'ACCOUNT_LOCKED',
    `비밀번호를 여러 번 잘못 입력하여 계정이 잠겼습니다. ${formatKoreanDateTime(until, timeZone)} 이후에 다시 시도하십시오.`,
  );
}
