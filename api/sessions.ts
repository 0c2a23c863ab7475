/**
 * Login sessions kept in the database. The browser holds a random 256-bit token in an HttpOnly,
 * SameSite=Strict cookie; the database holds only its SHA-256. Login always issues a new token, so a
 * token planted before login (session fixation) never becomes a logged-in session.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { DirectoryUser } from '../infra/directory';
import { type RoleId } from '../domain/roles';
import { UserSession, type SessionEndReason } from '../infra/db/entities';
import type { Principal } from './access';

export const SESSION_COOKIE = 'gm_session';
/** Double-submit token for the login form, before there is a session to hold a CSRF token. */
export const LOGIN_CSRF_COOKIE = 'gm_login_csrf';

/** lastSeenAt is written at most this often, so a busy user does not cost a write per request. */
const TOUCH_INTERVAL_MS = 60_000;

export const newToken = () => randomBytes(32).toString('base64url');
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function tokensEqual(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface SessionTimeouts {
  idleMinutes: number;
  absoluteMinutes: number;
}

export interface ActiveSession {
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

export type Resolution =
  | { state: 'active'; session: ActiveSession }
  | { state: 'ended'; reason: SessionEndReason; username: string; /** Ended by this very check (timeout). */ justEnded: boolean }
  | { state: 'unknown' };

export class SessionStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly timeouts: SessionTimeouts,
  ) {}

  /** Starts a session in the caller's transaction (the login's audit entry commits with it). */
  async create(em: EntityManager, user: DirectoryUser, sourceAddress: string, now = new Date()): Promise<{ token: string; session: ActiveSession }> {
    const token = newToken();
    const row = new UserSession(
      hashToken(token),
      user.username,
      user.displayName,
      user.roles.join(','),
      JSON.stringify(user.departmentPath),
      user.extension,
      newToken(),
      sourceAddress,
      now,
      now,
      new Date(now.getTime() + this.timeouts.absoluteMinutes * 60_000),
    );
    em.persist(row);
    await em.flush();
    return { token, session: toActive(row) };
  }

  async resolve(token: string, now = new Date()): Promise<Resolution> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { state: 'unknown' };
    const em = this.orm.em.fork();
    const row = await em.findOne(UserSession, { tokenHash: hashToken(token) });
    if (!row) return { state: 'unknown' };
    if (row.endReason) return { state: 'ended', reason: row.endReason, username: row.username, justEnded: false };
    const idleSince = now.getTime() - row.lastSeenAt.getTime();
    const reason: SessionEndReason | undefined = now >= row.expiresAt ? 'absolute' : idleSince >= this.timeouts.idleMinutes * 60_000 ? 'idle' : undefined;
    if (reason) {
      row.endedAt = now;
      row.endReason = reason;
      await em.flush();
      return { state: 'ended', reason, username: row.username, justEnded: true };
    }
    if (idleSince >= TOUCH_INTERVAL_MS) {
      row.lastSeenAt = now;
      await em.flush();
    }
    return { state: 'active', session: toActive(row) };
  }

  /** Ends a session in the caller's transaction; true if it was still open. */
  async end(em: EntityManager, token: string, reason: SessionEndReason, now = new Date()): Promise<boolean> {
    const row = await em.findOne(UserSession, { tokenHash: hashToken(token) });
    if (!row || row.endReason) return false;
    row.endedAt = now;
    row.endReason = reason;
    await em.flush();
    return true;
  }
}

function toActive(row: UserSession): ActiveSession {
  return {
    principal: {
      username: row.username,
      displayName: row.displayName,
      roles: row.roles.split(',').filter(Boolean) as RoleId[],
      departmentPath: JSON.parse(row.departmentPath) as string[],
      extension: row.extension ?? undefined,
    },
    csrfToken: row.csrfToken,
    expiresAt: row.expiresAt,
  };
}
