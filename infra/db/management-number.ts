/**
 * 관리번호 `YYYY-NNNN`: unique and gap-free per year (Form 4 is checked for gaps). A number is taken from the year's
 * counter inside the caller's transaction, with the counter row locked (SQLite: the transaction's write lock), so
 * concurrent registrations queue for it and a registration that fails rolls its number back with it.
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { ManagementNumberCounter } from './entities';
import { rowLock } from './row-lock';

export interface ManagementNumber {
  managementNumber: string;
  year: number;
  sequence: number;
}

export function formatManagementNumber(year: number, sequence: number): string {
  return `${year}-${String(sequence).padStart(4, '0')}`;
}

/** Must run inside the transaction that stores the numbered row. */
export async function takeManagementNumber(tx: EntityManager, year: number): Promise<ManagementNumber> {
  let counter = await tx.findOne(ManagementNumberCounter, { year }, rowLock(tx));
  if (!counter) {
    // The year's first number: two registrations may both find no counter. The insert runs in a savepoint, so the
    // loser's unique violation leaves its transaction usable, and it then waits for the winner's row like the rest.
    try {
      await tx.transactional((inner) => inner.insert(ManagementNumberCounter, { year, lastSequence: 0 }));
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    counter = await tx.findOneOrFail(ManagementNumberCounter, { year }, rowLock(tx));
  }
  counter.lastSequence += 1;
  await tx.flush();
  return { managementNumber: formatManagementNumber(year, counter.lastSequence), year, sequence: counter.lastSequence };
}
