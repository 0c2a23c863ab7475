/**
 * Login, sessions and their safeguards as a user and an attacker meet them: cookie flags, CSRF,
 * session fixation, logout, idle and absolute timeouts, lock-out and rate limiting — each audited.
 * Against the built-in development directory here; against a real slapd at the end.
 */
import type { MikroORM } from '@mikro-orm/core';
import { AuditEvent, LoginThrottle, UserSession } from '../../infra/db/entities';
import { LdapDirectory } from '../../infra/directory/ldap-directory';
import { DEMO_PASSWORD } from '../../infra/directory/development-directory';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { PASSWORDS, loadTestTree } from '../support/directory';
import { auditOf, loggedIn, startTestApi, TestClient, type TestApi } from '../support/api';

let database: TestDatabase;
let orm: MikroORM;
let api: TestApi;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  orm = database.orm;
  api = await startTestApi(orm, { lockout: { maxFailures: 3, lockoutMinutes: 15, firstDelaySeconds: 0 } });
});
afterAll(async () => {
  await api?.close();
  await database?.dispose();
});

const actions = async (actor: string) => (await orm.em.fork().find(AuditEvent, { actor }, { orderBy: { seq: 'asc' } })).map((event) => event.action);

test('the session cookie is HttpOnly, SameSite=Strict, path-wide, and not readable by scripts', async () => {
  const client = new TestClient(api.url);
  const state = await client.request('GET', '/api/session');
  const loginCookie = state.headers.getSetCookie().find((line) => line.startsWith('gm_login_csrf='));
  expect(loginCookie).toMatch(/HttpOnly/);
  expect(loginCookie).toMatch(/SameSite=Strict/);
  client.csrfToken = ((await state.json()) as { csrfToken: string }).csrfToken;
  const response = await client.request('POST', '/api/session', { json: { username: 'choi.chief', password: DEMO_PASSWORD } });
  expect(response.status).toBe(200);
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('gm_session='));
  expect(cookie).toMatch(/; HttpOnly/);
  expect(cookie).toMatch(/; SameSite=Strict/);
  expect(cookie).toMatch(/; Path=\//);
  expect(cookie).not.toMatch(/Secure/);
  expect(await actions('choi.chief')).toContain('login.succeeded');
});

test('behind a TLS proxy the cookies are Secure and HSTS is sent', async () => {
  const tls = await startTestApi(orm, { behindTlsProxy: true });
  try {
    const client = new TestClient(tls.url);
    const state = await client.request('GET', '/api/session');
    expect(state.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
    client.csrfToken = ((await state.json()) as { csrfToken: string }).csrfToken;
    const response = await client.request('POST', '/api/session', { json: { username: 'park.deputy', password: DEMO_PASSWORD } });
    expect(response.headers.getSetCookie().find((line) => line.startsWith('gm_session='))).toMatch(/; Secure/);
  } finally {
    await tls.close();
  }
});

test('login without the login token, or with a forged one, is refused and changes nothing', async () => {
  const client = new TestClient(api.url);
  const before = await orm.em.fork().count(UserSession);
  const bare = await client.json('POST', '/api/session', { json: { username: 'choi.chief', password: DEMO_PASSWORD } });
  expect(bare).toMatchObject({ status: 403, body: { code: 'CSRF_TOKEN_INVALID' } });
  await client.json('GET', '/api/session');
  const forged = await client.json('POST', '/api/session', {
    json: { username: 'choi.chief', password: DEMO_PASSWORD },
    headers: { 'x-csrf-token': 'A'.repeat(43) },
  });
  expect(forged).toMatchObject({ status: 403, body: { code: 'CSRF_TOKEN_INVALID' } });
  expect(await orm.em.fork().count(UserSession)).toBe(before);
  expect(await auditOf(orm, forged.body.requestId as string)).toMatchObject({ action: 'request.refused', actor: 'anonymous' });
});

test("a state-changing request needs this session's CSRF token: another session's token does not do", async () => {
  const victim = await loggedIn(api.url, 'operator');
  const attacker = await loggedIn(api.url, 'staff');
  const forged = await victim.json('DELETE', '/api/session', { headers: { 'x-csrf-token': attacker.csrfToken as string } });
  expect(forged).toMatchObject({ status: 403, body: { code: 'CSRF_TOKEN_INVALID' } });
  const none = await victim.json('DELETE', '/api/session', { csrf: false });
  expect(none.status).toBe(403);
  expect((await victim.json('GET', '/api/session')).body).toMatchObject({ authenticated: true });
});

test('session fixation: a token planted before login is never the logged-in session, and is ended', async () => {
  const attacker = await loggedIn(api.url, 'staff');
  const planted = attacker.cookies.get('gm_session') as string;
  const victim = new TestClient(api.url);
  victim.cookies.set('gm_session', planted);
  // The victim's browser now looks logged in as the attacker; logging in must not keep that token.
  const state = await victim.json<{ csrfToken: string }>('GET', '/api/session');
  victim.csrfToken = state.body.csrfToken;
  const login = await victim.json('POST', '/api/session', { json: { username: 'choi.chief', password: DEMO_PASSWORD } });
  expect(login.status).toBe(200);
  expect(victim.cookies.get('gm_session')).not.toBe(planted);
  expect((await attacker.json('GET', '/api/session')).body).toMatchObject({ authenticated: false });
  expect((await victim.json('GET', '/api/session')).body).toMatchObject({ authenticated: true, user: { username: 'choi.chief' } });
});

test('logout ends the session on the server: the old cookie no longer works', async () => {
  const client = await loggedIn(api.url, 'deputy');
  const token = client.cookies.get('gm_session') as string;
  expect((await client.json('DELETE', '/api/session')).status).toBe(204);
  const replay = new TestClient(api.url);
  replay.cookies.set('gm_session', token);
  expect(await replay.json('GET', '/api/recordings')).toMatchObject({ status: 401, body: { code: 'AUTHENTICATION_REQUIRED' } });
  expect(await actions('park.deputy')).toContain('logout');
});

test('an idle session and one past its absolute lifetime end, and the ending is audited', async () => {
  const idle = await loggedIn(api.url, 'auditor');
  const em = orm.em.fork();
  const row = await em.findOneOrFail(UserSession, { username: 'han.auditor', endReason: null });
  row.lastSeenAt = new Date(Date.now() - 31 * 60_000);
  await em.flush();
  expect((await idle.json('GET', '/api/access-holders')).status).toBe(401);
  expect((await em.fork().findOneOrFail(UserSession, { tokenHash: row.tokenHash })).endReason).toBe('idle');

  const old = await loggedIn(api.url, 'records');
  const oldRow = await em.findOneOrFail(UserSession, { username: 'yoon.records', endReason: null });
  oldRow.expiresAt = new Date(Date.now() - 1_000);
  await em.flush();
  expect((await old.json('GET', '/api/session')).body).toMatchObject({ authenticated: false });
  const ended = await em.fork().find(AuditEvent, { action: 'session.ended' });
  expect(ended.map((event) => [event.targetId, event.reason])).toEqual(
    expect.arrayContaining([
      ['han.auditor', expect.stringContaining('유휴')],
      ['yoon.records', expect.stringContaining('최대 사용 시간')],
    ]),
  );
});

test('repeated wrong passwords lock the account, even the right password is refused until the lock ends', async () => {
  const client = new TestClient(api.url);
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    expect((await client.login('kim.head', 'wrong-password')).body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  }
  const locking = await client.login('kim.head', 'wrong-password');
  expect(locking).toMatchObject({ status: 429, body: { code: 'ACCOUNT_LOCKED' } });
  expect(locking.body.message).toMatch(/잠겼습니다.*\d{4}\. \d{1,2}\. \d{1,2}\. \d{2}:\d{2}/);
  expect(await client.login('kim.head', DEMO_PASSWORD)).toMatchObject({ status: 429, body: { code: 'ACCOUNT_LOCKED' } });
  expect(await actions('kim.head')).toEqual(['login.failed', 'login.failed', 'login.locked', 'login.refused']);

  const em = orm.em.fork();
  const throttle = await em.findOneOrFail(LoginThrottle, { username: 'kim.head' });
  throttle.lockedUntil = new Date(Date.now() - 1_000);
  await em.flush();
  expect((await client.login('kim.head', DEMO_PASSWORD)).status).toBe(200);
  expect(await orm.em.fork().findOne(LoginThrottle, { username: 'kim.head' })).toBeNull();
});

test('every spelling of a name counts against the one account: three wrong tries as Yoon.Records, YOON.RECORDS and yoon.records lock it', async () => {
  const client = new TestClient(api.url);
  expect((await client.login('Yoon.Records', 'wrong-password')).body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  expect((await client.login('YOON.RECORDS', 'wrong-password')).body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  expect(await client.login('yoon.records', 'wrong-password')).toMatchObject({ status: 429, body: { code: 'ACCOUNT_LOCKED' } });
  expect(await new TestClient(api.url).login('YoOn.rEcOrDs', DEMO_PASSWORD)).toMatchObject({ status: 429, body: { code: 'ACCOUNT_LOCKED' } });
  const rows = await orm.em.fork().find(LoginThrottle, { username: 'yoon.records' });
  expect(rows.map((row) => row.accountKey)).toEqual(['dn:uid=yoon.records,ou=총무과,ou=광명시청']);
  // The audit trail names the account once, with what was typed beside it.
  const failures = await orm.em
    .fork()
    .find(AuditEvent, { targetId: 'yoon.records', action: { $in: ['login.failed', 'login.locked', 'login.refused'] } }, { orderBy: { seq: 'asc' } });
  expect(failures.map((event) => [event.actor, event.action, (JSON.parse(event.detail) as { typed?: string }).typed])).toEqual([
    ['yoon.records', 'login.failed', 'Yoon.Records'],
    ['yoon.records', 'login.failed', 'YOON.RECORDS'],
    ['yoon.records', 'login.locked', undefined],
    ['yoon.records', 'login.refused', 'YoOn.rEcOrDs'],
  ]);
});

test('the chief sees the locked account and lifts the lock with a reason, audited; nobody else may', async () => {
  const deputy = await loggedIn(api.url, 'deputy');
  expect((await deputy.json('POST', '/api/login-locks/yoon.records/unlock', { json: { reason: '본인 확인' } })).status).toBe(403);
  const chief = await loggedIn(api.url, 'chief');
  const page = await (await chief.request('GET', '/login-locks')).text();
  expect(page).toContain('yoon.records');
  expect(page).toContain('잠김');
  expect((await chief.json('POST', '/api/login-locks/yoon.records/unlock', { json: { reason: '' } })).body).toMatchObject({ code: 'INVALID_INPUT' });
  const unlocked = await chief.request('POST', '/login-locks/yoon.records/unlock', {
    form: { reason: '본인 전화로 확인 후 해제', _csrf: chief.csrfToken as string },
  });
  expect(unlocked.status).toBe(303);
  expect(await orm.em.fork().findOneOrFail(AuditEvent, { action: 'login.unlocked', targetId: 'yoon.records' })).toMatchObject({
    actor: 'choi.chief',
    role: 'chief',
    reason: '본인 전화로 확인 후 해제',
  });
  expect((await new TestClient(api.url).login('yoon.records', DEMO_PASSWORD)).status).toBe(200);
  expect(await chief.json('POST', '/api/login-locks/yoon.records/unlock', { json: { reason: '다시 해제' } })).toMatchObject({
    status: 409,
    body: { code: 'ACCOUNT_NOT_LOCKED' },
  });
});

test('after a wrong password the account waits before the next try, longer after each one, before any lock', async () => {
  const waiting = await startTestApi(orm, { lockout: { maxFailures: 5, lockoutMinutes: 15, firstDelaySeconds: 2 } });
  try {
    const client = new TestClient(waiting.url);
    const first = await client.login('han.auditor', 'wrong-password');
    expect(first).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
    expect(first.body.message).toMatch(/2초 뒤에 다시 시도할 수 있습니다/);
    // The right password in the wait is refused too, unchecked: waiting is what slows a guesser down.
    const early = await client.login('han.auditor', DEMO_PASSWORD);
    expect(early).toMatchObject({ status: 429, body: { code: 'LOGIN_WAIT' } });
    expect(early.body.message).toMatch(/[12]초 뒤에 다시 시도할 수 있습니다/);
    const em = orm.em.fork();
    const row = await em.findOneOrFail(LoginThrottle, { username: 'han.auditor' });
    row.lastFailureAt = new Date(Date.now() - 2_100);
    await em.flush();
    expect((await client.login('han.auditor', 'wrong-password')).body.message).toMatch(/4초 뒤에/);
    expect((await actions('han.auditor')).slice(-3)).toEqual(['login.failed', 'login.refused', 'login.failed']);
    await orm.em.fork().nativeDelete(LoginThrottle, { username: 'han.auditor' });
  } finally {
    await waiting.close();
  }
});

test('too many login attempts from one address are refused for a minute, audited', async () => {
  const limited = await startTestApi(orm, { loginRateLimitPerMinute: 2 });
  try {
    const client = new TestClient(limited.url);
    await client.login('nobody', 'x');
    await client.login('nobody', 'x');
    const third = await client.login('lee.operator', DEMO_PASSWORD);
    expect(third).toMatchObject({ status: 429, body: { code: 'LOGIN_RATE_LIMITED' } });
    expect(await auditOf(orm, third.body.requestId as string)).toMatchObject({
      action: 'request.refused',
      reason: expect.stringContaining('LOGIN_RATE_LIMITED'),
    });
  } finally {
    await limited.close();
  }
});

describe('against the real directory (slapd)', () => {
  let ldapApi: TestApi;
  beforeAll(async () => {
    ldapApi = await startTestApi(orm, { directory: new LdapDirectory(await loadTestTree()) });
  });
  afterAll(() => ldapApi?.close());

  test('an official logs in with a Korean password; roles and department come from the directory', async () => {
    const client = new TestClient(ldapApi.url);
    expect((await client.login('lee.operator', PASSWORDS['lee.operator'])).status).toBe(200);
    expect((await client.json('GET', '/api/session')).body).toMatchObject({
      authenticated: true,
      user: { username: 'lee.operator', displayName: '이담당', roles: ['operator'], department: ['광명시청', '정보통신과'], extension: '02-2680-2114' },
    });
  });

  test('the directory matches names without case, and so does the count: two spellings, one account keyed by its DN', async () => {
    const client = new TestClient(ldapApi.url);
    await client.login('LEE.OPERATOR', 'wrong-password');
    await client.login('Lee.Operator', 'wrong-password');
    const rows = await orm.em.fork().find(LoginThrottle, { accountKey: { $like: 'dn:%' }, username: 'lee.operator' });
    expect(rows.map((row) => [row.accountKey, row.failures])).toEqual([['dn:uid=lee.operator,ou=정보통신과,ou=광명시청,dc=gwangmyeong,dc=test', 2]]);
    // The right password under another spelling logs in as the directory's user, and clears the count.
    expect((await client.login('LEE.operator', PASSWORDS['lee.operator'])).status).toBe(200);
    expect((await client.json('GET', '/api/session')).body).toMatchObject({ user: { username: 'lee.operator' } });
    expect(await orm.em.fork().count(LoginThrottle, { username: 'lee.operator' })).toBe(0);
  });

  test('a directory user outside every role group is refused with NO_ROLE', async () => {
    const client = new TestClient(ldapApi.url);
    expect(await client.login('kim.staff', PASSWORDS['kim.staff'])).toMatchObject({ status: 403, body: { code: 'NO_ROLE' } });
    expect(await actions('kim.staff')).toContain('login.refused');
  });

  test.each(['*', '*)(uid=*', 'lee.operator)(|(uid=*', 'choi*', 'cn=admin,dc=gwangmyeong,dc=test'])(
    'the filter injection %p is refused before it reaches the directory or the lock-out table',
    async (username) => {
      const client = new TestClient(ldapApi.url);
      const throttles = await orm.em.fork().count(LoginThrottle);
      const result = await client.login(username, PASSWORDS['lee.operator']);
      expect(result).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT' } });
      expect(result.body.message).toMatch(/사용자 이름/);
      expect(await orm.em.fork().count(LoginThrottle)).toBe(throttles);
    },
  );

  test('when the directory is down, login says so and nobody is locked out', async () => {
    const down = await startTestApi(orm, { directory: new LdapDirectory({ ...(await loadTestTree()), url: 'ldap://127.0.0.1:1', timeoutMs: 1_000 }) });
    try {
      const result = await new TestClient(down.url).login('lee.operator', PASSWORDS['lee.operator']);
      expect(result).toMatchObject({ status: 503, body: { code: 'DIRECTORY_UNAVAILABLE' } });
      expect(await orm.em.fork().findOne(LoginThrottle, { username: 'lee.operator' })).toBeNull();
    } finally {
      await down.close();
    }
  });
});

describe.each(availableDrivers())('lock-out under concurrent attempts (%s)', (driver) => {
  let lockoutDatabase: TestDatabase;
  let lockoutApi: TestApi;
  beforeAll(async () => {
    lockoutDatabase = await createTestDatabase(driver);
    lockoutApi = await startTestApi(lockoutDatabase.orm, { lockout: { maxFailures: 5, lockoutMinutes: 15, firstDelaySeconds: 0 } });
  });
  afterAll(async () => {
    await lockoutApi?.close();
    await lockoutDatabase?.dispose();
  });

  test('ten wrong passwords at once are all counted: nothing fails, the account ends up locked', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => new TestClient(lockoutApi.url).login('jung.staff', 'wrong-password')));
    expect(results.map((result) => result.body.code)).toContain('ACCOUNT_LOCKED');
    expect(results.every((result) => ['INVALID_CREDENTIALS', 'ACCOUNT_LOCKED'].includes(result.body.code as string))).toBe(true);
    const em = lockoutDatabase.orm.em.fork();
    const counted = await em.count(AuditEvent, { actor: 'jung.staff', action: { $in: ['login.failed', 'login.locked', 'login.refused'] } });
    expect(counted).toBe(10);
    expect((await em.findOneOrFail(LoginThrottle, { username: 'jung.staff' })).lockedUntil).toBeInstanceOf(Date);
  });
});
