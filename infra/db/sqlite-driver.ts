/**
 * The SQLite driver the system uses: MikroORM's better-sqlite3 driver whose transactions begin `IMMEDIATE`.
 *
 * The API, the worker and the capture appliance are separate processes writing one database file. A plain (deferred)
 * SQLite transaction takes the write lock only at its first write; if it read first and another process committed in
 * between, the upgrade is refused at once with "database is locked" — no busy timeout applies, because waiting could
 * not make its reads true again. A transaction that takes the lock at `BEGIN` waits its turn (the busy timeout) and
 * what it reads stays true until it commits, so no request answers "database is locked" (issue 22: 1 login in 45 did).
 * Transactions MikroORM opens read-only keep the plain `BEGIN`: they never write, so they never need the lock.
 *
 * Every connection also turns on `secure_delete` (issue 19): SQLite then overwrites with zeros what a delete or an
 * update frees — a cleared wrapped key, a tombstoned recording's personal fields — instead of leaving it in the page's
 * free space or on a free page until that is reused. In WAL mode the zeroed page goes to the write-ahead log first;
 * the daily checkpoint (activities/database-maintenance.ts) brings it into the database file and empties the log.
 */
import { BetterSqliteConnection, BetterSqliteKnexDialect, BetterSqlitePlatform, AbstractSqlDriver, type Configuration } from '@mikro-orm/better-sqlite';

/**
 * How long a transaction waits for another process's write lock before failing. better-sqlite3 waits synchronously,
 * so this also bounds how long one process can stall on another; the longest writers (a retention batch, an audit
 * batch) hold the lock for well under a second.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

interface KnexTransaction {
  readOnly?: boolean;
  begin(connection: unknown): Promise<unknown>;
  query(connection: unknown, sql: string): Promise<unknown>;
}

interface SqliteDatabase {
  pragma(source: string): unknown;
}

class ImmediateTransactionDialect extends BetterSqliteKnexDialect {
  // knex builds the transaction and starts it only after a tick (it waits for its previous sibling first), so the
  // replaced begin() is the one that runs; savepoints of nested transactions do not go through begin().
  transaction(...args: unknown[]): KnexTransaction {
    const transaction = (super.transaction as (...rest: unknown[]) => KnexTransaction)(...args);
    if (!transaction.readOnly) transaction.begin = (connection) => transaction.query(connection, 'BEGIN IMMEDIATE;');
    return transaction;
  }

  async acquireRawConnection(): Promise<SqliteDatabase> {
    const database = await (super.acquireRawConnection as () => Promise<SqliteDatabase>)();
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    database.pragma('secure_delete = ON');
    return database;
  }
}

class ImmediateTransactionConnection extends BetterSqliteConnection {
  override createKnex(): void {
    // knex takes a client class as well as a client name (MikroORM's own connection passes its dialect class the same
    // way); the declaration only admits names.
    this.client = this.createKnexClient(ImmediateTransactionDialect as unknown as string);
    this.connected = true;
  }
}

export class SqliteDriver extends AbstractSqlDriver<ImmediateTransactionConnection, BetterSqlitePlatform> {
  constructor(config: Configuration) {
    super(config, new BetterSqlitePlatform(), ImmediateTransactionConnection, ['knex', 'better-sqlite3']);
  }
}
