import { EntitySchema } from '@mikro-orm/core';
import { UnicodeTextType } from '../types';

export const SESSION_END_REASONS = ['logout', 'idle', 'absolute', 'superseded'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/**
 * A login session. The row is keyed by the SHA-256 of the cookie's token, so a copy of the database
 * does not hand out live sessions. Kept in the database (not in one process's memory) so that a
 * restart or a second API process does not log everyone out. Ended sessions stay for the audit.
 */
export class UserSession {
  endedAt?: Date;
  endReason?: SessionEndReason;
  constructor(
    public tokenHash: string,
    public username: string,
    public displayName: string,
    /** Role ids from the directory at login, comma-separated. */
    public roles: string,
    /** The user's organisational units from the top of the tree down, as JSON. */
    public departmentPath: string,
    public extension: string | undefined,
    /** Every state-changing request of this session must carry this token (header or form field). */
    public csrfToken: string,
    public sourceAddress: string,
    public createdAt: Date,
    public lastSeenAt: Date,
    public expiresAt: Date,
  ) {}
}

export const UserSessionSchema = new EntitySchema<UserSession>({
  class: UserSession,
  tableName: 'user_session',
  indexes: [{ properties: ['username'] }],
  properties: {
    tokenHash: { type: 'string', length: 64, primary: true },
    username: { type: 'string', length: 128 },
    displayName: { type: 'string', length: 100 },
    roles: { type: 'string', length: 255 },
    departmentPath: { type: UnicodeTextType },
    extension: { type: 'string', length: 32, nullable: true },
    csrfToken: { type: 'string', length: 64 },
    sourceAddress: { type: 'string', length: 64 },
    createdAt: { type: 'datetime' },
    lastSeenAt: { type: 'datetime' },
    expiresAt: { type: 'datetime' },
    endedAt: { type: 'datetime', nullable: true },
    endReason: { enum: true, items: () => [...SESSION_END_REASONS], type: 'string', length: 16, nullable: true },
  },
});

/**
 * Wrong passwords in a row per account, and the wait or lock-out they lead to. Reset by a successful login or the
 * chief's unlock. Keyed by the account as the directory knows it (`dn:` and its canonical DN), or `name:` and the typed
 * name in lower case when no entry has it, so every spelling of one account shares one count.
 */
export class LoginThrottle {
  failures = 0;
  lastFailureAt?: Date;
  lockedUntil?: Date;
  constructor(
    public accountKey: string,
    /** The directory's user name (or the typed one), for the chief's list. */
    public username: string,
  ) {}
}

export const LoginThrottleSchema = new EntitySchema<LoginThrottle>({
  class: LoginThrottle,
  tableName: 'login_throttle',
  properties: {
    accountKey: { type: 'string', length: 450, primary: true },
    username: { type: 'string', length: 128 },
    failures: { type: 'integer', default: 0 },
    lastFailureAt: { type: 'datetime', nullable: true },
    lockedUntil: { type: 'datetime', nullable: true },
  },
});
