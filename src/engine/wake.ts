import type { Clock } from './clock.js';
import { abortQuietly } from './abort-quietly.js';

/**
 * Wake-up hints: a finished job or a new run wakes idle workers at once instead of on
 * their next poll. A hint is only a hint; the store is the truth and the poll the fallback.
 */
export class Wake {
  private waiters = new Set<() => void>();
  private notified = 0;
  private work = 0;

  constructor(private readonly clock: Clock) {}

  /** Count of hints so far: pass it to `wait` to not miss one given while looking. */
  get generation(): number {
    return this.notified;
  }

  /** Hints given that work may be queued (not only that a node was freed): see `notify`. */
  get workGeneration(): number {
    return this.work;
  }

  /**
   * Wakes the waiters. `work` (the default): a job or a run may have been queued. `freed`:
   * only a node was freed (a job ended here), which a worker that found nothing queued
   * need not look at the store for.
   */
  notify(what: 'work' | 'freed' = 'work'): void {
    this.notified++;
    if (what === 'work') this.work++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /**
   * Resolves at the next notify, after `ms` at most, or when `stop` aborts; at once when a
   * hint came after `since` (a `generation` read before the caller looked at the store),
   * or a job that ended while the caller looked would leave it asleep for the whole poll.
   */
  async wait(ms: number, stop?: AbortSignal, since?: number): Promise<void> {
    if (since !== undefined && this.notified !== since) return;
    const ac = new AbortController();
    const onStop = () => abortQuietly(ac);
    stop?.addEventListener('abort', onStop, { once: true });
    const waiter = () => abortQuietly(ac);
    this.waiters.add(waiter);
    try {
      await this.clock.sleep(ms, ac.signal);
    } finally {
      this.waiters.delete(waiter);
      stop?.removeEventListener('abort', onStop);
    }
  }
}
