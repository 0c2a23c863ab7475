import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { appendAuditEvent, AuditBatcher, AuditError, GENESIS_HASH, hashAuditEvent, verifyAuditChain, type AuditInput } from '../../infra/audit/audit-log';
import { AuditEvent, Department } from '../../infra/db/entities';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { withoutAppendOnlyGuard } from '../support/audit';

const run = promisify(execFile);
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

const event = (n: number, extra: Partial<AuditInput> = {}): AuditInput => ({
  actor: 'lee.operator',
  role: 'operator',
  sourceAddress: '10.1.2.3',
  action: 'recording.metadata.read',
  targetType: 'Recording',
  targetId: `rec-${n}`,
  reason: `민원 확인 ${n}`,
  detail: { page: n, filters: { extension: '1234', from: new Date('2026-11-01T00:00:00Z') } },
  ...extra,
});

describe.each(availableDrivers())('audit chain on %s', (driver) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(driver);
  });
  afterEach(async () => db?.dispose());

  test('entries chain from the genesis hash and verify', async () => {
    for (let n = 1; n <= 3; n += 1) {
      await db.orm.em.fork().transactional((em) => appendAuditEvent(em, event(n)));
    }
    const events = await db.orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(events[2]?.reason).toBe('민원 확인 3');
    expect(await verifyAuditChain(db.orm.em)).toEqual({ ok: true, entries: 3, lastHash: events[2]?.hash });
  });

  test('an entry is written with the change it records, or not at all', async () => {
    await expect(
      db.orm.em.fork().transactional(async (em) => {
        em.persist(new Department('GM-X', '감사과', 'department'));
        await appendAuditEvent(em, event(1, { action: 'department.created' }));
        throw new Error('the change failed after auditing');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.orm.em.fork().count(AuditEvent)).toBe(0);
    expect(await db.orm.em.fork().count(Department)).toBe(0);
    await expect(appendAuditEvent(db.orm.em.fork(), event(1))).rejects.toThrow(AuditError);
  });

  test('concurrent writers extend one chain without gaps or forks', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, n) => db.orm.em.fork().transactional((em) => appendAuditEvent(em, event(n)))));
    const result = await verifyAuditChain(db.orm.em, 7);
    expect(result).toMatchObject({ ok: true, entries: 25 });
  });

  test('group-committed entries: every caller waits for its own entry, the chain stays whole, a bad entry fails alone', async () => {
    const batcher = new AuditBatcher(db.orm, 8);
    const appends = Array.from({ length: 40 }, (_, n) => batcher.append(event(n)));
    await expect(batcher.append(event(99, { detail: { bad: Number.NaN } }))).rejects.toThrow(AuditError);
    await Promise.all(appends);
    expect(await db.orm.em.fork().count(AuditEvent)).toBe(40);
    const reasons = (await db.orm.em.fork().find(AuditEvent, {}, { orderBy: { seq: 'asc' } })).map((e) => e.reason);
    expect(reasons).toEqual(Array.from({ length: 40 }, (_, n) => `민원 확인 ${n}`));
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: true, entries: 40 });
  });

  test('the database itself refuses to change or delete an entry', async () => {
    await db.orm.em.fork().transactional((em) => appendAuditEvent(em, event(1)));
    const connection = db.orm.em.getConnection();
    expect(await db.orm.em.fork().count(AuditEvent, { seq: 1 })).toBe(1);
    // Matched by message: the driver's error class can come from another jest module registry (native addon).
    const appendOnly = { message: expect.stringMatching(/append-only/) };
    await expect(connection.execute(`update audit_event set reason = 'x' where seq = 1`)).rejects.toMatchObject(appendOnly);
    await expect(connection.execute(`delete from audit_event where seq = 1`)).rejects.toMatchObject(appendOnly);
  });

  describe('tampering is caught and the first broken entry named', () => {
    beforeEach(async () => {
      for (let n = 1; n <= 5; n += 1) {
        await db.orm.em.fork().transactional((em) => appendAuditEvent(em, event(n)));
      }
    });

    test('a changed reason', async () => {
      await withoutAppendOnlyGuard(db, `update audit_event set reason = '정당한 사유' where seq = 3`);
      expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: false, brokenAt: 3, entries: 2 });
    });

    test('a changed entry whose hash was recomputed breaks the link to the next', async () => {
      const [third] = await db.orm.em.fork().find(AuditEvent, { seq: 3 });
      const forged = hashAuditEvent({ ...(third as AuditEvent), actor: 'someone.else' });
      await withoutAppendOnlyGuard(db, `update audit_event set actor = 'someone.else', hash = '${forged}' where seq = 3`);
      expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: false, brokenAt: 4 });
    });

    test('a deleted entry', async () => {
      await withoutAppendOnlyGuard(db, `delete from audit_event where seq = 2`);
      const result = await verifyAuditChain(db.orm.em);
      expect(result).toMatchObject({ ok: false, brokenAt: 2 });
      expect(result.ok || result.problem).toMatch(/missing/);
    });

    test('removed newest entries', async () => {
      await withoutAppendOnlyGuard(db, `delete from audit_event where seq >= 4`);
      expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: false, brokenAt: 4, entries: 3 });
    });
  });

  if (driver === 'sqlite') {
    test('`npm run audit:verify` reports an intact chain, then names the tampered entry', async () => {
      const database = db.orm.config.get<'dbName', string>('dbName');
      const env = { ...process.env, DB_DRIVER: 'sqlite', DB_NAME: database };
      const verify = () => run('node', [path.join(PROJECT_ROOT, 'dist/ops/cli/audit-verify.js')], { env, cwd: PROJECT_ROOT });
      for (let n = 1; n <= 4; n += 1) {
        await db.orm.em.fork().transactional((em) => appendAuditEvent(em, event(n)));
      }
      await expect(verify()).resolves.toMatchObject({ stdout: expect.stringContaining('4건 모두 정상') });
      await withoutAppendOnlyGuard(db, `update audit_event set target_id = 'rec-999' where seq = 2`);
      await expect(verify()).rejects.toMatchObject({
        code: 1,
        stdout: expect.stringContaining('2번째 기록부터 검증 실패'),
      });
    });
  }
});
