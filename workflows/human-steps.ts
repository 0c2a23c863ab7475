/**
 * Human steps as Temporal Updates: what an accepted step answers, and how a validator refuses one — a non-retryable
 * failure of one stable type whose message is the Korean reason, which the API shows as it is
 * (infra/temporal/case-workflows.ts).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { RoleId } from '../domain/roles';
import type { Actor } from '../domain/sign-off';

/** The step was accepted, taken as this role; the workflow goes on with it from here. */
export interface StepAccepted {
  actingAs: RoleId;
}

export const STEP_REFUSED = 'StepRefused';
/** A second step of a kind already accepted and not yet taken up would be lost: it is refused instead. */
export const ALREADY_ACCEPTED = '이 단계는 이미 접수되어 처리 중입니다.';

export function refuseStep(reason: string): never {
  throw ApplicationFailure.create({ type: STEP_REFUSED, message: reason, nonRetryable: true });
}

/** The actor the rules chose, or the refusal thrown. */
export function actorOrRefuse(verdict: { actor: Actor } | { refusal: string }): Actor {
  if ('refusal' in verdict) refuseStep(verdict.refusal);
  return verdict.actor;
}

/** A step request as the API builds it before adding the user (each member of the union keeps its own fields). */
export type WithoutUser<T> = T extends unknown ? Omit<T, 'user'> : never;
