import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';

const isSqlite = (em: EntityManager) => em.getPlatform().constructor.name === 'BetterSqlitePlatform';

/** Find options that lock the row FOR UPDATE where the database has row locks; a SQLite transaction holds the whole database's write lock from its start (sqlite-driver.ts). */
export function rowLock(em: EntityManager): { lockMode?: LockMode } {
  return isSqlite(em) ? {} : { lockMode: LockMode.PESSIMISTIC_WRITE };
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
