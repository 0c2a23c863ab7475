import { LockMode, type EntityManager } from '@mikro-orm/core';

/** Find options that lock the row FOR UPDATE where the database has row locks; SQLite serialises writers itself. */
export function rowLock(em: EntityManager): { lockMode?: LockMode } {
  return em.getPlatform().constructor.name === 'BetterSqlitePlatform' ? {} : { lockMode: LockMode.PESSIMISTIC_WRITE };
}
