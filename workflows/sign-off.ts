/**
 * 결재: the chain of sign-offs both lifecycles share (a full-recording application's review and approval, a
 * disclosure request's 담당자 → 팀장 → 과장). Each role of the chain (from the settings) signs in turn; a step left
 * waiting reminds its role after the configured number of working days, and again every as many after; a rejection
 * at any step ends the chain. Deterministic: workflow code only.
 */
import { condition } from '@temporalio/workflow';
import type { SignOffRole } from '../domain/roles';
import type { SignOff, SignOffSignal } from '../domain/sign-off';

export interface SignOffChainStatus {
  awaiting?: SignOffRole;
  signOffs: SignOff[];
  remindersSent: number;
}

export interface SignOffChainOptions {
  chain: readonly SignOffRole[];
  reminderWorkingDays: number;
  status: SignOffChainStatus;
  /** Set by the workflow's signal handler once a sign-off passes the rules; taken (cleared) by the chain. */
  decision: { current?: SignOffSignal };
  /** The case ended some other way while waiting (withdrawn, revoked). */
  stopped(): boolean;
  /** When a step that has waited since `since` is due its next reminder (the legal calendar, through an activity). */
  reminderAt(since: string): Promise<string>;
  remind(role: SignOffRole, at: string, count: number): Promise<unknown>;
  /** A step approved before the last (the last one's approval is the chain's outcome). */
  signedOff(signOff: SignOff): Promise<unknown>;
  now(): string;
}

export type SignOffChainOutcome = { outcome: 'approved' | 'rejected'; last: SignOff } | { outcome: 'stopped' };

function take(decision: { current?: SignOffSignal }): SignOffSignal {
  const signal = decision.current as SignOffSignal;
  decision.current = undefined;
  return signal;
}

export async function runSignOffChain(options: SignOffChainOptions): Promise<SignOffChainOutcome> {
  const { status, decision } = options;
  for (const [step, role] of options.chain.entries()) {
    // Not cleared here: a sign-off for this step may have arrived while the previous one was being recorded.
    status.awaiting = role;
    let since = options.now();
    for (;;) {
      const at = await options.reminderAt(since);
      if (await condition(() => decision.current !== undefined || options.stopped(), Math.max(0, Date.parse(at) - Date.now()))) break;
      status.remindersSent += 1;
      await options.remind(role, at, status.remindersSent);
      since = at;
    }
    if (options.stopped()) return { outcome: 'stopped' };
    const signed = take(decision);
    const signOff: SignOff = { role, actor: signed.actor.username, decision: signed.decision, comment: signed.comment, at: options.now() };
    status.signOffs.push(signOff);
    // The next step is open from this moment, not once the step is recorded: a query showing the sign-off shows it too.
    status.awaiting = signed.decision === 'approve' ? options.chain[step + 1] : undefined;
    if (signed.decision === 'reject') return { outcome: 'rejected', last: signOff };
    if (step < options.chain.length - 1) await options.signedOff(signOff);
  }
  return { outcome: 'approved', last: status.signOffs.at(-1) as SignOff };
}
