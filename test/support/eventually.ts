/**
 * Waiting for something that happens asynchronously (a row registered after TEARDOWN's answer, a workflow that has
 * reacted to a signal, a counter that has caught up with the datagrams sent) by asking again until it is so, with a
 * deadline — instead of sleeping a guessed time and asserting after it. A sleep is too short on a busy machine (the
 * test flakes) and too long on an idle one (the suite crawls); asking again is neither.
 *
 *   await eventually(() => rows.length === 3, { within: '5s' });
 *   const recording = await eventually(() => findRecording(callId), { within: '10s', what: `call ${callId} registered` });
 *   await eventuallyPasses(() => expect(server.stats.udpForeign).toBe(4000), { within: '5s' });
 *
 * The deadline is only how long to keep asking before calling it a failure: it is never an assertion on how long
 * something took, so pick it generously (what would be wrong, not what is usual).
 */

export interface EventuallyOptions {
  /** How long to keep asking: milliseconds, or '500ms', '5s', '2m'. */
  readonly within: string | number;
  /** Milliseconds between two probes (50 unless told); the first probe runs at once. */
  readonly every?: number;
  /** What is waited for, for the failure message ("call x registered"). */
  readonly what?: string;
}

/** A probe's answer that means "not yet". */
type NotYet = false | null | undefined | 0 | '';

/**
 * Calls `probe` until it returns a truthy value, and resolves to that value. A probe that returns false, null,
 * undefined (or 0, '') or throws is asked again; after the deadline the last error (or the last answer) is reported
 * with `what` and the time waited.
 */
export function eventually<T>(probe: () => T | Promise<T>, options: EventuallyOptions): Promise<Exclude<T, NotYet>> {
  return poll(async () => {
    const answer = await probe();
    return answer ? { done: true, value: answer as Exclude<T, NotYet> } : { done: false, answer };
  }, options);
}

/**
 * Calls `assertions` until it runs without throwing (expect() calls, typically), and resolves to what it returned.
 * After the deadline its last error is rethrown, so the failure shows the assertion's own message and diff.
 */
export function eventuallyPasses<T>(assertions: () => T | Promise<T>, options: EventuallyOptions): Promise<T> {
  return poll(async () => ({ done: true, value: await assertions() }), options);
}

/** Milliseconds from a number or '250ms', '5s', '1.5s', '2m'. */
export function milliseconds(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(duration.trim());
  if (!match) throw new RangeError(`not a duration: ${JSON.stringify(duration)} (say '500ms', '5s', '2m' or a number of ms)`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

type Attempt<T> = { done: true; value: T } | { done: false; answer: unknown };

async function poll<T>(attempt: () => Promise<Attempt<T>>, options: EventuallyOptions): Promise<T> {
  const within = milliseconds(options.within);
  const every = options.every ?? 50;
  // The monotonic clock: a wall clock set back or forward while we wait must not end the wait early or never.
  const started = performance.now();
  let tries = 0;
  let lastError: unknown;
  let lastAnswer: unknown;
  let failed = false;
  for (;;) {
    tries++;
    try {
      const result = await attempt();
      if (result.done) return result.value;
      failed = false;
      lastAnswer = result.answer;
    } catch (error) {
      failed = true;
      lastError = error;
    }
    const elapsed = performance.now() - started;
    // Checked after a probe, so a probe is always asked once more at (or past) the deadline: a slow probe that
    // would have seen the condition on that last call does not turn into a failure.
    if (elapsed >= within) throw failure(options, elapsed, tries, failed ? { error: lastError } : { answer: lastAnswer });
    await new Promise((resolve) => setTimeout(resolve, Math.min(every, within - elapsed)));
  }
}

function failure(options: EventuallyOptions, elapsed: number, tries: number, last: { error: unknown } | { answer: unknown }): Error {
  const waited = `${options.what ?? 'the condition'} was not met within ${options.within} (waited ${Math.round(elapsed)} ms, ${tries} tries)`;
  if ('answer' in last) return new Error(`${waited}; the last answer was ${shown(last.answer)}`);
  if (last.error instanceof Error) {
    // The probe's own error, so its stack points at the failing line and jest shows its diff; the wait is said first.
    const original = last.error.message;
    last.error.message = `${waited}; the last try failed with:\n${original}`;
    // The stack's first lines repeat the message it was made with; some reporters print the stack alone.
    if (last.error.stack?.includes(original)) last.error.stack = last.error.stack.replace(original, last.error.message);
    return last.error;
  }
  return new Error(`${waited}; the last try threw ${shown(last.error)}`);
}

function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
