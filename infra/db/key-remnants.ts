/**
 * Where a deleted recording's wrapped key can outlive its deletion inside the database's own files, and the daily
 * work that ends that (issue 19; run by activities/database-maintenance.ts, scheduled by
 * infra/temporal/database-vacuum.ts). The deletion path clears the key from the live row (infra/db/recording-deletion.ts,
 * activities/retention.ts); what is left is the row's earlier version.
 *
 * - **SQLite** zeroes what a delete or an update frees on every connection (`secure_delete`, infra/db/sqlite-driver.ts),
 *   but in WAL mode the zeroed page is first appended to the log, while the database file — and older frames of the
 *   log — still hold the page as it was. A `TRUNCATE` checkpoint copies the newest pages into the file and empties the
 *   log.
 * - **PostgreSQL** keeps an updated row's old version (the key in it) in the table's heap as a dead tuple. A plain
 *   `VACUUM` only marks its space reusable: the bytes stay in the page until a later row happens to be written over
 *   them (test/persistence/key-remnants.test.ts reads the pages to show both). `VACUUM FULL` writes the table anew with
 *   its live rows only and drops the old file, so no earlier version is left in the table. It locks the table
 *   exclusively while it runs — measured at 6.5 s for 1.5 million recordings (935 MB with indexes) on the development
 *   VM — so it runs at night, gives up waiting for its lock after `LOCK_TIMEOUT` (the activity is retried), and needs
 *   free disk space the size of the table while it runs.
 * - **MSSQL**: not covered yet (SQL Server's ghost cleanup removes deleted records without overwriting them either;
 *   an index rebuild would).
 *
 * The tables are every one holding wrapped keys (infra/db/wrapped-keys.ts). The server's write-ahead log (PostgreSQL's
 * WAL, recycled after checkpoints) and the filesystem's freed blocks are outside what this reaches; a stale key there
 * is still wrapped by the master key, which rotating retires.
 */
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { wrappedKeyEntities } from './wrapped-keys';

/** How long VACUUM FULL waits for its exclusive lock before giving up (a long report or search holding the table). */
export const LOCK_TIMEOUT = '30s';

export type KeyRemnantScrub =
  | { driver: 'postgresql'; tables: string[]; durationMs: number }
  | { driver: 'sqlite'; tables: string[]; durationMs: number; checkpoint: { busy: number; log: number; checkpointed: number } }
  | { driver: 'mssql'; tables: string[]; durationMs: number; skipped: true };

interface PgConnection {
  query(sql: string): Promise<unknown>;
}

const quoted = (table: string) => `"${table.replace(/"/g, '""')}"`;

export async function scrubKeyRemnants(orm: MikroORM): Promise<KeyRemnantScrub> {
  const started = Date.now();
  const tables = wrappedKeyEntities(orm).map((holder) => holder.table);
  const em = orm.em.fork() as SqlEntityManager;
  const platform = em.getPlatform().constructor.name;
  if (platform === 'BetterSqlitePlatform') {
    const knex = em.getKnex();
    const [secure] = await knex.raw<{ secure_delete: number }[]>('pragma secure_delete');
    if (Number(secure?.secure_delete) !== 1) throw new Error('SQLite connection without secure_delete: see infra/db/sqlite-driver.ts');
    const [checkpoint] = await knex.raw<{ busy: number; log: number; checkpointed: number }[]>('pragma wal_checkpoint(TRUNCATE)');
    // Busy: a reader kept the log from being emptied; retried, as the pages it must not yet overwrite may hold a key.
    if (!checkpoint || checkpoint.busy !== 0) throw new Error(`SQLite checkpoint did not finish (busy): ${JSON.stringify(checkpoint)}`);
    return { driver: 'sqlite', tables, durationMs: Date.now() - started, checkpoint: { ...checkpoint } };
  }
  if (platform !== 'PostgreSqlPlatform') return { driver: 'mssql', tables: [], durationMs: 0, skipped: true };
  // VACUUM cannot run inside a transaction, and the lock timeout must hold for the same session: one connection of
  // the pool, in autocommit, for all of it.
  const client = em.getKnex().client as { acquireConnection(): Promise<PgConnection>; releaseConnection(connection: PgConnection): Promise<unknown> };
  const connection = await client.acquireConnection();
  try {
    await connection.query(`set lock_timeout = '${LOCK_TIMEOUT}'`);
    for (const table of tables) await connection.query(`vacuum (full, analyze) ${quoted(table)}`);
  } finally {
    await connection.query('reset lock_timeout').catch(() => undefined);
    await client.releaseConnection(connection);
  }
  return { driver: 'postgresql', tables, durationMs: Date.now() - started };
}
