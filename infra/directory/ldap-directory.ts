/**
 * The city's directory (LDAP; in practice Active Directory) as the system needs it: who a user is,
 * whether their password is right, which roles their groups give them, and which department their
 * entry sits in. Search-then-bind with a service account; every value put into a filter is escaped
 * by ldapts' filter objects, and user names are checked against a strict pattern before any query.
 */
import { AndFilter, Client, EqualityFilter, InvalidCredentialsError, type Entry } from 'ldapts';
import { type RoleId } from '../../domain/roles';

export interface DirectoryUser {
  username: string;
  displayName: string;
  dn: string;
  /** The organisational units above the entry, from the top of the tree down (e.g. 광명시청 › 정보통신과). */
  departmentPath: string[];
  roles: RoleId[];
  /** The administrative extension (telephoneNumber), where the directory has one. */
  extension?: string;
}

export type DirectoryErrorCode = 'INVALID_CREDENTIALS' | 'DIRECTORY_UNAVAILABLE';

export class DirectoryError extends Error {
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DirectoryError';
  }
}

export interface LdapDirectoryOptions {
  url: string;
  bindDn: string;
  bindPassword: string;
  userBase: string;
  /** `uid` (OpenLDAP) or `sAMAccountName` (Active Directory). */
  usernameAttribute: string;
  groupBase: string;
  /** Which group DN gives which role. */
  roleGroups: ReadonlyMap<string, RoleId>;
  timeoutMs?: number;
  tlsCa?: Buffer;
}

/** Directory user names: letters, digits, dot, hyphen, underscore — nothing a filter or DN could misread. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const INVALID = () => new DirectoryError('INVALID_CREDENTIALS', '사용자 이름 또는 비밀번호가 올바르지 않습니다.');

/** Splits a DN into its RDNs, honouring backslash escapes (RFC 4514). */
export function parseDn(dn: string): { type: string; value: string }[] {
  const rdns: { type: string; value: string }[] = [];
  let current = '';
  for (let index = 0; index < dn.length; index += 1) {
    const char = dn[index] as string;
    if (char === '\\' && index + 1 < dn.length) {
      current += char + (dn[index + 1] as string);
      index += 1;
    } else if (char === ',') {
      rdns.push(splitRdn(current));
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) rdns.push(splitRdn(current));
  return rdns;
}

function splitRdn(rdn: string): { type: string; value: string } {
  const equals = rdn.indexOf('=');
  const raw = rdn.slice(equals + 1).trim();
  // Hex pairs (\ED\95\9C) are UTF-8 bytes; a backslash before any other character quotes it.
  const bytes: number[] = [];
  for (let index = 0; index < raw.length; index += 1) {
    const char = raw[index] as string;
    if (char === '\\' && /^[0-9A-Fa-f]{2}$/.test(raw.slice(index + 1, index + 3))) {
      bytes.push(parseInt(raw.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (char === '\\') {
      bytes.push(...Buffer.from(raw[index + 1] ?? '', 'utf8'));
      index += 1;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return { type: rdn.slice(0, equals).trim().toLowerCase(), value: Buffer.from(bytes).toString('utf8') };
}

const first = (entry: Entry, attribute: string): string | undefined => {
  const value = entry[attribute];
  const item = Array.isArray(value) ? value[0] : value;
  return item === undefined ? undefined : Buffer.isBuffer(item) ? item.toString('utf8') : String(item);
};

/**
 * One spelling for every way of writing a DN (attribute types and values compared without case, as directories match
 * names, escapes resolved, spaces around separators dropped): what an entry is known by, whatever name led to it.
 */
export const canonicalDn = (dn: string): string =>
  parseDn(dn)
    .map(({ type, value }) => `${type}=${value.toLowerCase().replace(/[\\,+="<>;]/g, (char) => `\\${char}`)}`)
    .join(',');

const sameDn = (a: string, b: string) => canonicalDn(a) === canonicalDn(b);

export class LdapDirectory {
  constructor(private readonly options: LdapDirectoryOptions) {}

  private client(): Client {
    return new Client({
      url: this.options.url,
      timeout: this.options.timeoutMs ?? 5_000,
      connectTimeout: this.options.timeoutMs ?? 5_000,
      tlsOptions: this.options.tlsCa ? { ca: [this.options.tlsCa], minVersion: 'TLSv1.2' } : undefined,
    });
  }

  /** Runs `body` with a client bound as the service account, and always unbinds. */
  private async asService<T>(body: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client();
    try {
      await client.bind(this.options.bindDn, this.options.bindPassword);
      return await body(client);
    } catch (error) {
      if (error instanceof DirectoryError) throw error;
      throw new DirectoryError('DIRECTORY_UNAVAILABLE', '디렉터리 서버에 연결할 수 없습니다. 관리부서에 문의하십시오.', { cause: error });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private async toUser(client: Client, entry: Entry): Promise<DirectoryUser> {
    const { searchEntries: groups } = await client.search(this.options.groupBase, {
      scope: 'sub',
      filter: new AndFilter({
        filters: [new EqualityFilter({ attribute: 'objectClass', value: 'groupOfNames' }), new EqualityFilter({ attribute: 'member', value: entry.dn })],
      }),
      attributes: ['dn'],
    });
    const roles = new Set<RoleId>();
    for (const group of groups) {
      for (const [groupDn, role] of this.options.roleGroups) if (sameDn(group.dn, groupDn)) roles.add(role);
    }
    return {
      username: first(entry, this.options.usernameAttribute) ?? '',
      displayName: first(entry, 'displayName') ?? first(entry, 'cn') ?? '',
      dn: entry.dn,
      departmentPath: parseDn(entry.dn)
        .filter((rdn) => rdn.type === 'ou')
        .map((rdn) => rdn.value)
        .reverse(),
      roles: [...roles].sort(),
      extension: first(entry, 'telephoneNumber'),
    };
  }

  private async findEntry(client: Client, username: string): Promise<Entry | undefined> {
    const { searchEntries } = await client.search(this.options.userBase, {
      scope: 'sub',
      filter: new AndFilter({
        filters: [
          new EqualityFilter({ attribute: 'objectClass', value: 'inetOrgPerson' }),
          new EqualityFilter({ attribute: this.options.usernameAttribute, value: username }),
        ],
      }),
      attributes: [this.options.usernameAttribute, 'displayName', 'cn', 'telephoneNumber'],
      sizeLimit: 2,
    });
    // Two entries with one user name is a directory error; refusing is safer than guessing.
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  /** Checks a user's password by binding as them; the same answer for an unknown user and a wrong password. */
  async authenticate(username: string, password: string): Promise<DirectoryUser> {
    // An empty password would be an unauthenticated bind, which many servers accept as success.
    if (!USERNAME_PATTERN.test(username) || password.length === 0 || password.length > 256) throw INVALID();
    return this.asService(async (service) => {
      const entry = await this.findEntry(service, username);
      if (!entry) throw INVALID();
      const asUser = this.client();
      try {
        await asUser.bind(entry.dn, password);
      } catch (error) {
        if (error instanceof InvalidCredentialsError) throw INVALID();
        throw error;
      } finally {
        await asUser.unbind().catch(() => undefined);
      }
      return this.toUser(service, entry);
    });
  }

  async findUser(username: string): Promise<DirectoryUser | undefined> {
    if (!USERNAME_PATTERN.test(username)) return undefined;
    return this.asService(async (service) => {
      const entry = await this.findEntry(service, username);
      return entry ? this.toUser(service, entry) : undefined;
    });
  }

  /** Art. 8(3): everyone who holds one of these roles now, from the groups' members. */
  async roleHolders(roles: readonly RoleId[]): Promise<DirectoryUser[]> {
    return this.asService(async (service) => {
      const memberDns = new Set<string>();
      for (const [groupDn, role] of this.options.roleGroups) {
        if (!roles.includes(role)) continue;
        const { searchEntries } = await service.search(groupDn, { scope: 'base', attributes: ['member'] });
        for (const group of searchEntries) {
          const members = group.member;
          for (const member of Array.isArray(members) ? members : members ? [members] : []) {
            memberDns.add(Buffer.isBuffer(member) ? member.toString('utf8') : String(member));
          }
        }
      }
      const holders: DirectoryUser[] = [];
      for (const dn of memberDns) {
        const { searchEntries } = await service.search(dn, {
          scope: 'base',
          attributes: [this.options.usernameAttribute, 'displayName', 'cn', 'telephoneNumber'],
        });
        if (searchEntries[0]) holders.push(await this.toUser(service, searchEntries[0]));
      }
      return holders.sort((a, b) => a.username.localeCompare(b.username));
    });
  }

  /** For /health: the service account can bind. */
  async check(): Promise<void> {
    await this.asService(async () => undefined);
  }
}
