/**
 * Online guessing of device passwords over RTSP Digest, slowed and then stopped. Each failed attempt (a wrong user
 * name or password) is counted against its source; the answer to the n-th failure within the
 * window waits `firstDelayMs`·2^(n−1), and the `maxFailures`-th blocks the source for `blockMs`: its attempts are
 * refused without being checked, so a guess made while blocked can never succeed.
 *
 * What a source is depends on who may be sharing it. A stranger's address is one source, and so is every device name
 * strangers try (guessing one device from many addresses is still slowed). A trusted address (the PBX's) counts per
 * device name tried from it, and strangers' failures never count against it: a stranger guessing — even the PBX's
 * own device name, even from behind the PBX's address — cannot lock the PBX out of its own device.
 *
 * A replayed header is no guess (and devices that never count send one with every request): the digest refuses it
 * as stale, and it is counted apart, not here.
 *
 * The failures are also summed per address for the audit chain (`AuthFailureLog`), one summary per interval rather
 * than one entry per guess.
 */

export interface AuthLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * A PBX with a wrong password fails about once per call attempt and is fixed by a person, not by retrying: five in
 * ten minutes is far beyond a typo, and the delays before the block (0.25, 0.5, 1, 2 s) cost an honest device little.
 */
export const DEFAULT_AUTH_LIMITS: AuthLimits = { maxFailures: 5, windowMs: 10 * 60_000, blockMs: 5 * 60_000, firstDelayMs: 250, maxDelayMs: 4_000 };

/** Sources remembered at once; the least recently failing is forgotten first. */
const MAX_SOURCES = 10_000;
/** A claimed user name longer than any device's is cut, so a key cannot be made large. */
const MAX_NAME_LENGTH = 64;

interface SourceState {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

export type FailureOutcome = { readonly blocked: false; readonly delayMs: number } | { readonly blocked: true; readonly blockedForMs: number };

export class AuthThrottle {
  private readonly sources = new Map<string, SourceState>();

  constructor(
    private readonly trusted: (address: string) => boolean,
    private readonly limits: AuthLimits = DEFAULT_AUTH_LIMITS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Whether attempts from `address` are refused now: for `device` when it is named, for any device otherwise. */
  blocked(address: string, device: string | undefined): boolean {
    const now = this.clock();
    return this.keys(address, device).some((key) => (this.sources.get(key)?.blockedUntil ?? 0) > now);
  }

  /** Counts a failed attempt: how long to hold its answer, or the block it brought on. */
  failed(address: string, device: string | undefined): FailureOutcome {
    const now = this.clock();
    // A trusted address's attempt without a user name has no source to count against: it still waits.
    let failures = 1;
    let blocked = false;
    for (const key of this.keys(address, device)) {
      const state = this.sources.get(key) ?? { failures: 0, windowStart: now, blockedUntil: 0 };
      this.sources.delete(key);
      if (now - state.windowStart > this.limits.windowMs) Object.assign(state, { failures: 0, windowStart: now });
      state.failures++;
      if (state.failures >= this.limits.maxFailures) {
        Object.assign(state, { failures: 0, windowStart: now, blockedUntil: now + this.limits.blockMs });
        blocked = true;
      }
      failures = Math.max(failures, state.failures);
      this.sources.set(key, state);
      if (this.sources.size > MAX_SOURCES) this.sources.delete(this.sources.keys().next().value as string);
    }
    if (blocked) return { blocked, blockedForMs: this.limits.blockMs };
    return { blocked, delayMs: Math.min(this.limits.maxDelayMs, this.limits.firstDelayMs * 2 ** (failures - 1)) };
  }

  private keys(address: string, device: string | undefined): string[] {
    const name = device?.slice(0, MAX_NAME_LENGTH);
    if (this.trusted(address)) return name === undefined ? [] : [`trusted ${address} ${name}`];
    return name === undefined ? [`address ${address}`] : [`address ${address}`, `device ${name}`];
  }
}

/** What the audit chain keeps of one address's failures in one interval; address '*' sums the addresses past the bound. */
export interface AuthFailureSummary {
  readonly address: string;
  readonly from: Date;
  readonly to: Date;
  /** Wrong user names or passwords that were checked. */
  readonly failures: number;
  /** Attempts and connections refused unchecked because the source was blocked. */
  readonly refusedWhileBlocked: number;
  /** Whether the address or one of its device names was blocked in this interval. */
  readonly blocked: boolean;
  /** The device names tried, at most MAX_NAMES_PER_SUMMARY of them. */
  readonly devices: readonly string[];
  readonly moreDevices: boolean;
}

export type AuthFailureEvent = 'failed' | 'refused-blocked' | 'blocked';

/** Addresses summarised one by one per interval; a wider attack is one '*' summary more, not thousands of entries. */
const MAX_SUMMARIES = 100;
const MAX_NAMES_PER_SUMMARY = 10;

/** The failures since the last `drain()`, summed per address. */
export class AuthFailureLog {
  private summaries = new Map<string, AuthFailureSummary>();

  record(address: string, device: string | undefined, event: AuthFailureEvent, at = new Date()): void {
    const name = device?.slice(0, MAX_NAME_LENGTH);
    this.merge({
      address,
      from: at,
      to: at,
      failures: event === 'failed' ? 1 : 0,
      refusedWhileBlocked: event === 'refused-blocked' ? 1 : 0,
      blocked: event === 'blocked',
      devices: name === undefined ? [] : [name],
      moreDevices: false,
    });
  }

  /** The summaries so far, forgotten here: the caller writes them, or gives them back with `restore`. */
  drain(): AuthFailureSummary[] {
    const drained = [...this.summaries.values()];
    this.summaries = new Map();
    return drained;
  }

  /** Summaries that could not be written, merged into the next interval's so nothing counted is lost. */
  restore(summaries: readonly AuthFailureSummary[]): void {
    for (const summary of summaries) this.merge(summary);
  }

  private merge(summary: AuthFailureSummary): void {
    const address = this.summaries.has(summary.address) || this.summaries.size < MAX_SUMMARIES ? summary.address : '*';
    const known = this.summaries.get(address);
    if (!known) {
      this.summaries.set(address, { ...summary, address });
      return;
    }
    const devices = new Set([...known.devices, ...summary.devices]);
    this.summaries.set(address, {
      address,
      from: known.from < summary.from ? known.from : summary.from,
      to: known.to > summary.to ? known.to : summary.to,
      failures: known.failures + summary.failures,
      refusedWhileBlocked: known.refusedWhileBlocked + summary.refusedWhileBlocked,
      blocked: known.blocked || summary.blocked,
      devices: [...devices].slice(0, MAX_NAMES_PER_SUMMARY),
      moreDevices: known.moreDevices || summary.moreDevices || devices.size > MAX_NAMES_PER_SUMMARY,
    });
  }
}
