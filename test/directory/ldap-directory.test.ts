/**
 * Login, roles and departments against a real OpenLDAP slapd, and the attempts an attacker makes at a
 * login form: filter injection, wildcards, empty passwords.
 */
import { DirectoryError, LdapDirectory, parseDn, type LdapDirectoryOptions } from '../../infra/directory/ldap-directory';
import { loadTestTree, PASSWORDS } from '../support/directory';

let options: LdapDirectoryOptions;
let directory: LdapDirectory;
beforeAll(async () => {
  options = await loadTestTree();
  directory = new LdapDirectory(options);
});

const refusedAs = (code: string) => ({ name: 'DirectoryError', code });

test('an official logs in: name, department from the tree, roles from the groups, extension', async () => {
  const user = await directory.authenticate('lee.operator', PASSWORDS['lee.operator']);
  expect(user).toMatchObject({
    username: 'lee.operator',
    displayName: '이담당',
    departmentPath: ['광명시청', '정보통신과'],
    roles: ['operator'],
    extension: '02-2680-2114',
  });
});

test('a user in no role group has no role', async () => {
  expect((await directory.authenticate('kim.staff', PASSWORDS['kim.staff'])).roles).toEqual([]);
});

test('a wrong password and an unknown user get the same answer', async () => {
  const wrong = await directory.authenticate('lee.operator', 'wrong').catch((error: unknown) => error);
  const unknown = await directory.authenticate('nobody', 'whatever').catch((error: unknown) => error);
  expect(wrong).toMatchObject(refusedAs('INVALID_CREDENTIALS'));
  expect(unknown).toMatchObject(refusedAs('INVALID_CREDENTIALS'));
  expect((wrong as Error).message).toBe((unknown as Error).message);
});

test('an empty password is refused, never sent as an unauthenticated bind', async () => {
  await expect(directory.authenticate('lee.operator', '')).rejects.toMatchObject(refusedAs('INVALID_CREDENTIALS'));
});

test.each(['*', '*)(uid=*', 'lee.operator)(|(uid=*', 'lee*', 'admin\\2a', 'uid=lee.operator', ' lee.operator', '이담당', 'a'.repeat(65)])(
  'a hostile user name %j finds nobody',
  async (username) => {
    await expect(directory.authenticate(username, PASSWORDS['lee.operator'])).rejects.toMatchObject(refusedAs('INVALID_CREDENTIALS'));
    expect(await directory.findUser(username)).toBeUndefined();
  },
);

test('Art. 8(3): the holders of the managing roles are listed from the groups', async () => {
  const holders = await directory.roleHolders(['chief', 'deputy', 'operator']);
  expect(holders.map((holder) => [holder.username, holder.roles])).toEqual([
    ['choi.chief', ['chief']],
    ['lee.operator', ['operator']],
  ]);
});

test('an unreachable directory is reported as such, not as a wrong password', async () => {
  const down = new LdapDirectory({ ...options, url: 'ldap://127.0.0.1:1', timeoutMs: 1_000 });
  await expect(down.authenticate('lee.operator', PASSWORDS['lee.operator'])).rejects.toMatchObject(refusedAs('DIRECTORY_UNAVAILABLE'));
  await expect(down.check()).rejects.toBeInstanceOf(DirectoryError);
});

test('DNs with escaped Korean and commas are read back correctly', () => {
  expect(parseDn('uid=a,ou=\\EC\\A0\\95\\EB\\B3\\B4\\ED\\86\\B5\\EC\\8B\\A0\\EA\\B3\\BC,ou=A\\, B,dc=test')).toEqual([
    { type: 'uid', value: 'a' },
    { type: 'ou', value: '정보통신과' },
    { type: 'ou', value: 'A, B' },
    { type: 'dc', value: 'test' },
  ]);
});
