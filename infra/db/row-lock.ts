import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';

const isSqlite = (em: EntityManager) => em.getPlatform().constructor.name === 'BetterSqlitePlatform';

/** Find options that lock the row FOR UPDATE where the database has row locks; SQLite serialises writers itself. */
export function rowLock(em: EntityManager): { lockMode?: LockMode } {
  return isSqlite(em) ? {} : { lockMode: LockMode.PESSIMISTIC_WRITE };
}

/**
 * SQLite's one write lock is taken by a transaction's first write. A transaction that reads first and writes after
 * is refused at once (SQLITE_BUSY, no waiting) when another process wrote in between — the API, the worker and the
 * capture appliance all write the embedded database. A no-op write first takes the lock, waiting its turn (the
 * connection's busy timeout), so what the transaction then reads stays true until it commits. Elsewhere a no-op.
 */
export async function takeWriteLockFirst(em: EntityManager): Promise<void> {
  // In the caller's transaction: the pool's one SQLite connection is the one that transaction holds.
  if (isSqlite(em)) await em.getConnection().execute('update audit_chain_head set last_seq = last_seq where id = 1', [], 'run', em.getTransactionContext());
}

/**
 * Runs `work` again once if it lost a race to insert the same unique row (two first writers both found no
 * row): the second run finds the winner's row and continues from there.
 */
export async function retryOnUniqueRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return work();
    throw error;
  }
}
