/**
 * The built-in development directory: one documented demo user per role, so that the embedded system
 * can be tried without an LDAP server. The settings refuse it in production (LDAP_URL is required there).
 * Passwords are compared as scrypt hashes in constant time, like a real directory would.
 */
import { scryptSync, timingSafeEqual } from 'node:crypto';
import { type RoleId } from '../../domain/roles';
import { DirectoryError, USERNAME_PATTERN, type DirectoryUser } from './ldap-directory';

/** The demo password of every demo user (README, "Demo users"). */
export const DEMO_PASSWORD = 'gm-demo-2026';

export const DEMO_USERS: readonly DirectoryUser[] = [
  {
    username: 'choi.chief',
    displayName: '최과장',
    dn: 'uid=choi.chief,ou=정보통신과,ou=광명시청',
    departmentPath: ['광명시청', '정보통신과'],
    roles: ['chief'],
  },
  {
    username: 'park.deputy',
    displayName: '박팀장',
    dn: 'uid=park.deputy,ou=정보통신과,ou=광명시청',
    departmentPath: ['광명시청', '정보통신과'],
    roles: ['deputy'],
  },
  {
    username: 'lee.operator',
    displayName: '이담당',
    dn: 'uid=lee.operator,ou=정보통신과,ou=광명시청',
    departmentPath: ['광명시청', '정보통신과'],
    roles: ['operator'],
    extension: '02-2680-2114',
  },
  {
    username: 'kim.head',
    displayName: '김과장',
    dn: 'uid=kim.head,ou=복지정책과,ou=광명시청',
    departmentPath: ['광명시청', '복지정책과'],
    roles: ['dept_head'],
    extension: '02-2680-1200',
  },
  {
    username: 'jung.staff',
    displayName: '정주무관',
    dn: 'uid=jung.staff,ou=복지정책과,ou=광명시청',
    departmentPath: ['광명시청', '복지정책과'],
    roles: ['staff'],
    extension: '02-2680-1234',
  },
  {
    username: 'han.auditor',
    displayName: '한감사',
    dn: 'uid=han.auditor,ou=감사담당관,ou=광명시청',
    departmentPath: ['광명시청', '감사담당관'],
    roles: ['auditor'],
  },
  { username: 'yoon.records', displayName: '윤기록', dn: 'uid=yoon.records,ou=총무과,ou=광명시청', departmentPath: ['광명시청', '총무과'], roles: ['records'] },
];

const SALT = 'development-directory';
const hash = (password: string) => scryptSync(password, SALT, 32);

/** Names match without case, as the city's directory (LDAP, Active Directory) matches them; the user is told the stored one. */
const demoUser = (username: string) => DEMO_USERS.find((user) => user.username.toLowerCase() === username.toLowerCase());

export class DevelopmentDirectory {
  private readonly demoHash = hash(DEMO_PASSWORD);

  async authenticate(username: string, password: string): Promise<DirectoryUser> {
    const user = USERNAME_PATTERN.test(username) ? demoUser(username) : undefined;
    // Hash even for an unknown user, so the answer takes as long either way.
    const matches = timingSafeEqual(hash(password.slice(0, 256)), this.demoHash);
    if (!user || !matches) throw new DirectoryError('INVALID_CREDENTIALS', '사용자 이름 또는 비밀번호가 올바르지 않습니다.');
    return user;
  }

  async findUser(username: string): Promise<DirectoryUser | undefined> {
    return demoUser(username);
  }

  async roleHolders(roles: readonly RoleId[]): Promise<DirectoryUser[]> {
    return DEMO_USERS.filter((user) => user.roles.some((role) => roles.includes(role)));
  }

  async check(): Promise<void> {}
}
