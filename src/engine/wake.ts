import type { Clock } from './clock.js';

/**
 * Wake-up hints: a finished job or a new run wakes idle workers at once instead of on
 * their next poll. A hint is only a hint; the store is the truth and the poll the fallback.
 */
export class Wake {
  private waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves at the next notify, after `ms` at most, or when `stop` aborts. */
  async wait(ms: number, stop?: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const onStop = () => ac.abort();
    stop?.addEventListener('abort', onStop, { once: true });
    const waiter = () => ac.abort();
    this.waiters.add(waiter);
    try {
      await this.clock.sleep(ms, ac.signal);
    } finally {
      this.waiters.delete(waiter);
      stop?.removeEventListener('abort', onStop);
    }
  }
}
