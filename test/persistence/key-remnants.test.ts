/**
 * A deleted recording's wrapped key does not outlive its deletion in the database's own files (issue 19): recordings
 * deleted by the retention activity, then the nightly vacuum activity, then the bytes of the database read directly —
 * the SQLite file and its write-ahead log, PostgreSQL's heap pages through pageinspect (as the server's superuser).
 * Each check first finds the key where it lingers before the vacuum, so a search that could not see it proves nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { MikroORM } from '@mikro-orm/core';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { AuditEvent, Department, Extension, Recording } from '../../infra/db/entities';
import { initOrm, type DatabaseSettings } from '../../infra/db/orm';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import { testActivityDeps } from '../support/activities';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';

const DAY_MS = 86_400_000;

/** A key as infra/crypto/envelope wraps one: base64 text, unique enough to be searched for in raw bytes. */
const wrappedKey = () => `v1.${randomBytes(60).toString('base64')}`;

async function seed(orm: MikroORM, startedAt: Date, count: number, dueAt: Date): Promise<{ id: string; key: string }[]> {
  const em = orm.em.fork();
  const department = new Department(`d-${randomBytes(3).toString('hex')}`, '복지정책과', 'department');
  const extension = new Extension(`02-2680-${1000 + Math.floor(Math.random() * 8999)}`, department);
  const rows = Array.from({ length: count }, (_, index) => {
    const recording = new Recording(
      `call-${randomBytes(6).toString('hex')}`,
      extension,
      new Date(startedAt.getTime() + index),
      'inbound',
      'selective',
      'PCMU',
      dueAt,
    );
    recording.wrappedKey = wrappedKey();
    recording.otherPartyNumber = '010-1234-5678';
    return recording;
  });
  em.persist([department, extension, ...rows]);
  await em.flush();
  return rows.map((row) => ({ id: row.id, key: row.wrappedKey as string }));
}

/** Every byte of the recording table's heap, as the server has it in its pages (pageinspect, superuser only). */
async function postgresHeap(settings: DatabaseSettings): Promise<Buffer> {
  const superuser = await initOrm({ ...settings, databaseUser: 'postgres' });
  try {
    const connection = superuser.em.getConnection();
    await connection.execute('create extension if not exists pageinspect');
    await connection.execute('checkpoint');
    const pages = (await connection.execute(
      "select get_raw_page('recording', 'main', b::int) as page from generate_series(0, pg_relation_size('recording') / current_setting('block_size')::int - 1) b",
    )) as { page: Buffer }[];
    return Buffer.concat(pages.map((row) => row.page));
  } finally {
    await superuser.close(true);
  }
}

/** The SQLite database file and its write-ahead log, as they are on disk. */
function sqliteFiles(settings: DatabaseSettings): { file: Buffer; wal: Buffer } {
  const wal = `${settings.databaseName}-wal`;
  return { file: readFileSync(settings.databaseName), wal: existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0) };
}

describe.each(availableDrivers())('wrapped keys left behind by deletion, on %s', (driver) => {
  let db: TestDatabase;
  let calendar: LegalCalendar;
  beforeAll(async () => {
    [db, calendar] = await Promise.all([createTestDatabase(driver), loadLegalCalendar('Asia/Seoul')]);
  });
  afterAll(async () => db?.dispose());

  test('deleted by retention, then vacuumed: the old key is nowhere in the database files, the live ones are', async () => {
    const now = new Date();
    const startedAt = new Date(now.getTime() - 40 * DAY_MS);
    // Enough due rows to fill whole pages, as a day of calls does: their new versions cannot stay beside them.
    const deleted = await seed(db.orm, startedAt, 100, new Date(now.getTime() - 9 * DAY_MS));
    const live = await seed(db.orm, new Date(now.getTime() - DAY_MS), 3, new Date(now.getTime() + 29 * DAY_MS));
    const activities = createActivities(testActivityDeps(db.orm, calendar));

    // Deleted as the retention day's run deletes (these rows have no file, so the appliance is not asked).
    const input = { day: calendar.localDate(startedAt), asOf: now.toISOString(), batchSize: 500 };
    const result = await new MockActivityEnvironment().run(() => activities.deleteDueRecordings(input));
    expect(result).toEqual({ deleted: 100, held: 0 });
    const rows = await db.orm.em.fork().find(Recording, { id: { $in: deleted.map((row) => row.id) } }, { populate: ['wrappedKey'] });
    expect(rows.filter((row) => row.wrappedKey)).toEqual([]);

    const has = (bytes: Buffer, key: string) => bytes.includes(Buffer.from(key, 'latin1'));
    if (driver === 'postgresql') {
      // The old row versions are dead tuples in the heap, key and all (on a page with room, reading may already have
      // pruned and compacted a few, writing over them).
      const before = await postgresHeap(db.settings);
      expect(deleted.filter((row) => has(before, row.key)).length).toBeGreaterThan(50);
      // A plain VACUUM frees their space for reuse but leaves their bytes in the pages: not enough.
      await db.orm.em.getConnection().execute('vacuum recording');
      const afterPlain = await postgresHeap(db.settings);
      expect(deleted.filter((row) => has(afterPlain, row.key)).length).toBeGreaterThan(0);
    } else {
      const before = sqliteFiles(db.settings);
      expect(deleted.filter((row) => has(before.file, row.key) || has(before.wal, row.key))).toHaveLength(100);
    }

    const run = `database-vacuum/${randomBytes(4).toString('hex')}`;
    const done = await activities.vacuumKeyTables({ run });
    expect(done).toMatchObject({ driver, tables: expect.arrayContaining(['attachment', 'generated_document', 'recording']) });

    if (driver === 'postgresql') {
      const after = await postgresHeap(db.settings);
      expect(deleted.filter((row) => has(after, row.key))).toEqual([]);
      expect(live.filter((row) => has(after, row.key))).toHaveLength(3);
      const [stats] = (await db.orm.em.getConnection().execute("select n_dead_tup from pg_stat_user_tables where relname = 'recording'")) as {
        n_dead_tup: string;
      }[];
      expect(Number(stats?.n_dead_tup)).toBe(0);
    } else {
      // The log was emptied by the checkpoint; what is in it now came after (the run's audit entry).
      const after = sqliteFiles(db.settings);
      expect(deleted.filter((row) => has(after.file, row.key) || has(after.wal, row.key))).toEqual([]);
      expect(live.filter((row) => has(after.file, row.key))).toHaveLength(3);
      expect(done).toMatchObject({ checkpoint: { busy: 0 } });
    }

    // One audit entry for the run, however often its activity is retried.
    await activities.vacuumKeyTables({ run });
    const entries = await db.orm.em.fork().find(AuditEvent, { action: 'database.vacuumed', targetId: run });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'system:maintenance', targetType: 'database' });
    expect(JSON.parse(entries[0]!.detail)).toMatchObject({ driver });
  });
});
