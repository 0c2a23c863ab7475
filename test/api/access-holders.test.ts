/** Art. 8(3): the holders of access rights are listed from the directory, and too many of them are flagged. */
import type { MikroORM } from '@mikro-orm/core';
import { AuditEvent } from '../../infra/db/entities';
import { LdapDirectory } from '../../infra/directory/ldap-directory';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { loadTestTree, PASSWORDS } from '../support/directory';
import { loggedIn, startTestApi, TestClient, type TestApi } from '../support/api';

let database: TestDatabase;
let orm: MikroORM;
const servers: TestApi[] = [];

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  orm = database.orm;
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await database?.dispose();
});

async function api(overrides: Parameters<typeof startTestApi>[1]): Promise<TestApi> {
  const server = await startTestApi(orm, overrides);
  servers.push(server);
  return server;
}

test('the holders of chief, deputy and operator now, within the maximum; the read is audited', async () => {
  const server = await api({ maxPrivilegedHolders: 3 });
  const auditor = await loggedIn(server.url, 'auditor');
  const { status, body } = await auditor.json('GET', '/api/access-holders');
  expect(status).toBe(200);
  expect(body).toMatchObject({ count: 3, maximum: 3, overLimit: false });
  expect((body.holders as { username: string; roles: string[] }[]).map((holder) => [holder.username, holder.roles])).toEqual([
    ['choi.chief', ['chief']],
    ['lee.operator', ['operator']],
    ['park.deputy', ['deputy']],
  ]);
  expect(await orm.em.fork().count(AuditEvent, { actor: 'han.auditor', action: 'access_holders.read' })).toBe(1);
});

test('more holders than the rules allow are flagged on the page', async () => {
  const server = await api({ maxPrivilegedHolders: 2 });
  const chief = await loggedIn(server.url, 'chief');
  expect((await chief.json('GET', '/api/access-holders')).body).toMatchObject({ count: 3, overLimit: true });
  const page = await (await chief.request('GET', '/access-holders')).text();
  expect(page).toContain('권한자가 3명으로 설정된 최대 인원 2명을 넘습니다');
});

test('read from the real directory (slapd)', async () => {
  const server = await api({ directory: new LdapDirectory(await loadTestTree()) });
  // The test tree's operator logs in; the list comes from the role groups there.
  const client = new TestClient(server.url);
  expect((await client.login('lee.operator', PASSWORDS['lee.operator'])).status).toBe(200);
  const { body } = await client.json('GET', '/api/access-holders');
  expect(body).toMatchObject({ count: 2, overLimit: false });
  expect((body.holders as { username: string; department: string }[]).map((holder) => [holder.username, holder.department])).toEqual([
    ['choi.chief', '광명시청 › 정보통신과'],
    ['lee.operator', '광명시청 › 정보통신과'],
  ]);
});
