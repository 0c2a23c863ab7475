import { DEMO_PASSWORD, DEMO_USERS, DevelopmentDirectory } from '../../infra/directory/development-directory';
import { type RoleId } from '../../domain/roles';

const directory = new DevelopmentDirectory();

test('there is one documented demo user for every role', () => {
  const roles: RoleId[] = ['chief', 'deputy', 'operator', 'dept_head', 'staff', 'auditor', 'records'];
  expect(DEMO_USERS.flatMap((user) => user.roles).sort()).toEqual([...roles].sort());
});

test.each(DEMO_USERS.map((user) => [user.username, user.roles[0]]))('%s logs in with the demo password as %s', async (username, role) => {
  expect((await directory.authenticate(username, DEMO_PASSWORD)).roles).toEqual([role]);
});

test('a wrong password, an unknown user and a hostile name are refused alike', async () => {
  for (const [username, password] of [
    ['lee.operator', 'wrong'],
    ['nobody', DEMO_PASSWORD],
    ['*)(uid=*', DEMO_PASSWORD],
    ['lee.operator', ''],
  ]) {
    await expect(directory.authenticate(username as string, password as string)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  }
});

test('Art. 8(3) role holders come from the same users', async () => {
  expect((await directory.roleHolders(['chief', 'deputy', 'operator'])).map((user) => user.username)).toEqual(['choi.chief', 'park.deputy', 'lee.operator']);
});
