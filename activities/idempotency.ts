import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { AuditEvent } from '../infra/db/entities';

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

/** One step of a case's lifecycle as its workflow reports it: the audit entry it becomes, and when. */
export interface CaseStep {
  /** Unique per step of one workflow run (`<workflow id>:<sequence>`): a retried activity writes nothing twice. */
  stepKey: string;
  /** `<lifecycle>.<action>` in the audit chain. */
  action: string;
  actor: string;
  role: string;
  reason?: string;
  detail?: Record<string, unknown>;
  at: string;
}

/**
 * Whether a lifecycle step is already in the audit chain under its step key (`<workflow id>:<sequence>`): a retried
 * activity that recorded it before its answer was lost then writes nothing twice. Call inside the step's transaction,
 * after taking the write lock, so two attempts cannot both find nothing.
 */
export async function stepRecorded(em: EntityManager, targetType: string, targetId: string, stepKey: string): Promise<boolean> {
  return (await em.count(AuditEvent, { targetType, targetId, detail: { $like: `%"stepKey":"${stepKey}"%` } })) > 0;
}
