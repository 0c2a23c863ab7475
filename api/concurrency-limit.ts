/**
 * Work a request starts that costs the server dearly (verifying a provision package: up to 256 MiB on disk and
 * seconds of CPU): at most `perUser` at a time for one user and `total` for everyone. A route asks before its body is
 * read, so a refused request costs its answer and nothing more.
 */
import type { ApiError } from './errors';

export type BusyReason = 'user' | 'total';

export class ConcurrencyLimit {
  private readonly byUser = new Map<string, number>();
  private running = 0;

  constructor(
    private readonly limits: { total: number; perUser: number },
    /** The refusal (429), in Korean, for each reason. */
    private readonly busy: (reason: BusyReason) => ApiError,
  ) {}

  /** Takes a place for `user` or throws the refusal; the function returned gives the place back, once. */
  enter(user: string): () => void {
    const mine = this.byUser.get(user) ?? 0;
    if (mine >= this.limits.perUser) throw this.busy('user');
    if (this.running >= this.limits.total) throw this.busy('total');
    this.byUser.set(user, mine + 1);
    this.running += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.running -= 1;
      const remaining = (this.byUser.get(user) ?? 1) - 1;
      if (remaining > 0) this.byUser.set(user, remaining);
      else this.byUser.delete(user);
    };
  }
}
