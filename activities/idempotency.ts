import { UniqueConstraintViolationException } from '@mikro-orm/core';

/**
 * Runs `create` only if `find` has nothing yet. Activities are retried, and two attempts may even run
 * at once: the loser of the race hits the unique key and returns the winner's row instead of failing.
 */
export async function onceByKey<T>(find: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> {
  const earlier = await find();
  if (earlier !== undefined) return earlier;
  try {
    return await create();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      const winner = await find();
      if (winner !== undefined) return winner;
    }
    throw error;
  }
}
