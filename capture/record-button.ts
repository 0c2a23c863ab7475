/** The record button (선택적 녹취, R1) per call, as the control API reports its presses. */
import type { ButtonInterval } from '../domain/recording';

export interface RecordButtonStats {
  /** Calls dropped, oldest first, to stay within `maxCalls`. */
  evicted: number;
  /** Presses refused: out of order, or beyond `maxIntervalsPerCall`. */
  refused: number;
}

/**
 * The record-button presses per call, as the control API reports them. Bounded: the server forgets a call when it
 * ends, and if it does not (a bug, a lost event), the oldest calls are dropped rather than the memory growing.
 */
export class RecordButton {
  private readonly calls = new Map<string, ButtonInterval[]>();
  private readonly counters: RecordButtonStats = { evicted: 0, refused: 0 };

  constructor(
    private readonly maxCalls = 10_000,
    private readonly maxIntervalsPerCall = 64,
  ) {}

  get stats(): Readonly<RecordButtonStats> {
    return this.counters;
  }

  get size(): number {
    return this.calls.size;
  }

  /**
   * Returns false for a press earlier than the call's last one or beyond the bound. Pressing while on records nothing
   * new but the notice, if the press brings the evidence the first one lacked.
   */
  start(callId: string, at: Date, notice?: string): boolean {
    const intervals = this.calls.get(callId) ?? [];
    const last = intervals[intervals.length - 1];
    if (last && last.stoppedAt === undefined) {
      if (at < last.startedAt) return this.refuse();
      if (notice !== undefined && last.notice === undefined) intervals[intervals.length - 1] = { ...last, notice };
      return true;
    }
    if ((last && at < (last.stoppedAt as Date)) || intervals.length >= this.maxIntervalsPerCall) return this.refuse();
    intervals.push(notice === undefined ? { startedAt: at } : { startedAt: at, notice });
    if (!this.calls.has(callId)) {
      this.calls.set(callId, intervals);
      for (const oldest of this.calls.keys()) {
        if (this.calls.size <= this.maxCalls) break;
        this.calls.delete(oldest);
        this.counters.evicted++;
      }
    }
    return true;
  }

  /** Returns false for a stop earlier than its start; stopping while off is a no-op. */
  stop(callId: string, at: Date): boolean {
    const intervals = this.calls.get(callId);
    const last = intervals?.[intervals.length - 1];
    if (!intervals || !last || last.stoppedAt !== undefined) return true;
    if (at < last.startedAt) return this.refuse();
    intervals[intervals.length - 1] = { ...last, stoppedAt: at };
    return true;
  }

  intervals(callId: string): readonly ButtonInterval[] {
    return this.calls.get(callId) ?? [];
  }

  /** The notice evidence the presses of a call brought, in order, each once. */
  notices(callId: string): string[] {
    return [...new Set(this.intervals(callId).flatMap((interval) => (interval.notice === undefined ? [] : [interval.notice])))];
  }

  /** When the call has ended. */
  forget(callId: string): void {
    this.calls.delete(callId);
  }

  private refuse(): false {
    this.counters.refused++;
    return false;
  }
}
