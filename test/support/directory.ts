/**
 * The test tree loaded into the real slapd that `npm test` starts (TEST_LDAP_URL): the city hall with two
 * departments, officials with passwords and extensions, role groups, and a read-only service account.
 */
import { readFileSync } from 'node:fs';
import { AlreadyExistsError, Client } from 'ldapts';
import type { LdapDirectoryOptions } from '../../infra/directory/ldap-directory';

export const SUFFIX = 'dc=gwangmyeong,dc=test';
export const PASSWORDS = { service: 'reader-secret-1', 'lee.operator': '이담당-비밀번호-1', 'choi.chief': 'chief-pass-2', 'kim.staff': 'staff-pass-3' };

export function ldapServer(): { url: string; adminPassword: string } {
  const url = process.env.TEST_LDAP_URL;
  const passwordFile = process.env.TEST_LDAP_ADMIN_PASSWORD_FILE;
  if (!url || !passwordFile) {
    throw new Error('TEST_LDAP_URL is not set: the directory suite needs the slapd that npm test starts');
  }
  return { url, adminPassword: readFileSync(passwordFile, 'utf8').trim() };
}

const people = (uid: string, cn: string, ou: string[], extra: Record<string, string> = {}) => ({
  dn: `uid=${uid},${ou.map((unit) => `ou=${unit}`).join(',')},${SUFFIX}`,
  attributes: {
    objectClass: ['inetOrgPerson'],
    uid,
    cn,
    sn: cn.slice(0, 1),
    displayName: cn,
    userPassword: PASSWORDS[uid as keyof typeof PASSWORDS],
    ...extra,
  },
});

const TREE: { dn: string; attributes: Record<string, string | string[]> }[] = [
  { dn: SUFFIX, attributes: { objectClass: ['dcObject', 'organization'], dc: 'gwangmyeong', o: '광명시' } },
  { dn: `cn=reader,${SUFFIX}`, attributes: { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'reader', userPassword: PASSWORDS.service } },
  { dn: `ou=광명시청,${SUFFIX}`, attributes: { objectClass: ['organizationalUnit'], ou: '광명시청' } },
  { dn: `ou=정보통신과,ou=광명시청,${SUFFIX}`, attributes: { objectClass: ['organizationalUnit'], ou: '정보통신과' } },
  { dn: `ou=복지정책과,ou=광명시청,${SUFFIX}`, attributes: { objectClass: ['organizationalUnit'], ou: '복지정책과' } },
  { dn: `ou=groups,${SUFFIX}`, attributes: { objectClass: ['organizationalUnit'], ou: 'groups' } },
  people('lee.operator', '이담당', ['정보통신과', '광명시청'], { telephoneNumber: '02-2680-2114' }),
  people('choi.chief', '최과장', ['정보통신과', '광명시청']),
  people('kim.staff', '김주무관', ['복지정책과', '광명시청'], { telephoneNumber: '02-2680-1234' }),
];

const member = (uid: string, units: string[]) => `uid=${uid},${units.map((unit) => `ou=${unit}`).join(',')},${SUFFIX}`;
const GROUPS = [
  { cn: 'recording-chief', members: [member('choi.chief', ['정보통신과', '광명시청'])] },
  { cn: 'recording-operator', members: [member('lee.operator', ['정보통신과', '광명시청'])] },
  { cn: 'unrelated', members: [member('kim.staff', ['복지정책과', '광명시청'])] },
];

/** Loads the tree into an empty server; returns directory options that map the role groups. */
export async function loadTestTree(): Promise<LdapDirectoryOptions> {
  const { url, adminPassword } = ldapServer();
  const client = new Client({ url });
  await client.bind(`cn=admin,${SUFFIX}`, adminPassword);
  try {
    // Several suites share one server: the tree is loaded by whichever comes first.
    const add = (dn: string, attributes: Record<string, string | string[]>) =>
      client.add(dn, attributes).catch((error: unknown) => {
        if (!(error instanceof AlreadyExistsError)) throw error;
      });
    for (const entry of TREE) await add(entry.dn, entry.attributes);
    for (const group of GROUPS) {
      await add(`cn=${group.cn},ou=groups,${SUFFIX}`, { objectClass: ['groupOfNames'], cn: group.cn, member: group.members });
    }
  } finally {
    await client.unbind();
  }
  return {
    url,
    bindDn: `cn=reader,${SUFFIX}`,
    bindPassword: PASSWORDS.service,
    userBase: SUFFIX,
    usernameAttribute: 'uid',
    groupBase: `ou=groups,${SUFFIX}`,
    roleGroups: new Map([
      [`cn=recording-chief,ou=groups,${SUFFIX}`, 'chief'],
      [`cn=recording-operator,ou=groups,${SUFFIX}`, 'operator'],
    ]),
  };
}
