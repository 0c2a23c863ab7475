/**
 * The embedded SQLite database under the load of an ordinary morning while another process writes it too (the worker
 * and the capture appliance do, beside the API): logins, recording searches and case steps at once answer no 5xx —
 * in particular never "database is locked", which 1 login in about 45 answered when a transaction read before it
 * wrote (issue 22). Every step that answered 201 left its audit entry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { DEMO_PASSWORD } from '../../infra/directory/development-directory';
import { AuditEvent, RecordingHold } from '../../infra/db/entities';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { holdDecision } from '../support/holds';
import { DEMO_BY_ROLE, loggedIn, seedCalls, startTestApi, TestClient, type SeededCalls, type TestApi } from '../support/api';

const DIST = path.join(__dirname, '..', '..', 'dist');
const ROUNDS = 50;

let database: TestDatabase;
let orm: MikroORM;
let api: TestApi;
let calls: SeededCalls;
let writer: ChildProcess;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  orm = database.orm;
  calls = await seedCalls(orm);
  api = await startTestApi(orm, { lockout: { maxFailures: 1_000, lockoutMinutes: 15, firstDelaySeconds: 0 } });
  writer = spawn(process.execPath, [path.join(DIST, 'test', 'support', 'audit-writer-process.js')], {
    env: { ...process.env, DATABASE_SETTINGS: JSON.stringify(database.settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    writer.once('exit', (code) => reject(new Error(`the writer process ended (${code}) before its first entry`)));
    writer.stdout?.once('data', () => resolve());
  });
});

afterAll(async () => {
  if (writer && writer.exitCode === null) {
    const ended = new Promise((resolve) => writer.once('exit', resolve));
    writer.kill('SIGTERM');
    await ended;
  }
  await api?.close();
  await database?.dispose();
});

test(`${ROUNDS} logins, searches and holds at once while another process writes: no 5xx, every hold audited`, async () => {
  const chief = await loggedIn(api.url, 'chief');
  const operator = await loggedIn(api.url, 'operator');
  const writtenBefore = await orm.em.fork().count(AuditEvent, { actor: 'system:captureAppliance' });
  const statuses = await Promise.all(
    Array.from({ length: ROUNDS }, async (_, round) => {
      const login = (await new TestClient(api.url).login(Object.values(DEMO_BY_ROLE)[round % 7] as string, DEMO_PASSWORD)).status;
      const search = (await operator.request('GET', `/api/recordings?extension=${calls.staffExtension.number}`)).status;
      const hold = (await chief.json('POST', `/api/recordings/${calls.itCall.id}/holds`, holdDecision({ reason: `감사 자료 보존 ${round}` }))).status;
      return [login, search, hold];
    }),
  );
  expect(statuses.flat().filter((status) => status >= 500)).toEqual([]);
  expect(new Set(statuses.map(([login]) => login))).toEqual(new Set([200]));
  expect(new Set(statuses.map(([, search]) => search))).toEqual(new Set([200]));
  expect(new Set(statuses.map(([, , hold]) => hold))).toEqual(new Set([201]));
  const em = orm.em.fork();
  expect(await em.count(RecordingHold, { recording: calls.itCall.id })).toBe(ROUNDS);
  expect(await em.count(AuditEvent, { action: 'recording.hold_set', targetId: calls.itCall.id })).toBe(ROUNDS);
  // The other process was writing all along, not waiting for the test to end.
  expect(await em.count(AuditEvent, { actor: 'system:captureAppliance' })).toBeGreaterThan(writtenBefore + 10);
});
