import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

/** The role of the `sluice serve` that runs the schedules and the triggers: one per store. */
export const SERVICE_ROLE = 'service';

export interface LeadershipOptions {
  readonly store: Pick<Store, 'takeLeadership' | 'renewLeadership' | 'resignLeadership'>;
  readonly role: string;
  /** Who this process is in the lease row and the events: unique per process life. */
  readonly holder: string;
  readonly leaseMs: number;
  /** How often the leader renews, and a follower tries to take over. */
  readonly renewMs: number;
  readonly clock: Clock;
  readonly log?: (line: string) => void;
  /** This process now leads (term `term`): start what only the leader runs. */
  readonly onElected: (term: number) => Promise<void>;
  /** This process leads no more: stop what only the leader runs, at once. */
  readonly onLost: (why: string) => Promise<void>;
}

/**
 * Holds a role's lease in the store while `sluice serve` runs (store/leadership.ts). A
 * follower tries to take the role every `renewMs`; the leader renews it as often, and
 * loses it when a renewal is refused (the lease expired or another holder took it), when
 * a renewal fails, or when the lease runs out by this process's own clock before a
 * renewal came back (the store hangs): in each case it stops the leader's work before
 * anything else, then goes back to following. Elections and losses are handed to
 * `onElected`/`onLost` one at a time, in order. The watchdog on the lease's end is a real
 * timer: this is for `sluice serve` on the system clock, not for the simulation.
 */
export class Leadership {
  private term: number | undefined;
  private expiresAt = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private transitions: Promise<void> = Promise.resolve();
  private heldBy: string | undefined;

  constructor(private readonly o: LeadershipOptions) {
    if (!(o.renewMs > 0 && o.renewMs < o.leaseMs)) throw new RangeError(`the renew interval (${o.renewMs} ms) must be positive and shorter than the lease (${o.leaseMs} ms)`);
  }

  /** True while this process holds a lease that has not run out by its own clock: what a firing checks before it starts a run. */
  get leading(): boolean {
    return this.term !== undefined && this.o.clock.now() < this.expiresAt;
  }

  /**
   * Looks at the lease once (taking it if it is free, and starting the leader's work), then
   * keeps looking in the background. Throws, holding nothing, when the leader's work could
   * not start on this first look (a trigger's configuration problem stops serve at once).
   */
  async start(): Promise<void> {
    if (this.loop) throw new Error('a leadership starts once');
    this.loop = Promise.resolve();
    const failed = await this.tryToTake();
    if (failed !== undefined) {
      this.stopping.abort();
      throw failed;
    }
    this.loop = this.run();
  }

  /** Stops trying; a leader stops its work, then resigns so a follower takes over at its next look. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    const term = this.term;
    if (term === undefined) { await this.transitions; return; }
    this.lose('this serve is stopping');
    await this.transitions;
    try {
      await this.o.store.resignLeadership({ role: this.o.role, holder: this.o.holder, term, now: this.o.clock.now() });
    } catch (e) {
      this.log(`cannot resign (a follower takes over when the lease expires): ${(e as Error).message}`);
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (this.term === undefined) {
        const failed = await this.tryToTake();
        if (failed !== undefined) this.log(`the leader's work could not start, the lease is given up: ${(failed as Error).message}`);
      } else {
        await this.renew(this.term);
      }
      await this.o.clock.sleep(this.o.renewMs, signal);
    }
  }

  /** Takes the lease if it is free; returns what the leader's work threw when it could not start (the lease is given up again). */
  private async tryToTake(): Promise<unknown> {
    const now = this.o.clock.now();
    try {
      const taken = await this.o.store.takeLeadership({ role: this.o.role, holder: this.o.holder, now, ttlMs: this.o.leaseMs });
      if (!taken.ok) {
        if (this.heldBy !== taken.leader.holder) this.log(`following ${taken.leader.holder} (term ${taken.leader.term})`);
        this.heldBy = taken.leader.holder;
        return;
      }
      if (this.stopping.signal.aborted) {
        await this.o.store.resignLeadership({ role: this.o.role, holder: this.o.holder, term: taken.term, now: this.o.clock.now() });
        return;
      }
      this.heldBy = undefined;
      this.term = taken.term;
      this.extend(now);
      this.log(`elected (term ${taken.term})`);
      const term = taken.term;
      let failed: unknown;
      this.transitions = this.transitions.then(() => this.o.onElected(term)).catch((e: unknown) => { failed = e; });
      await this.transitions;
      if (failed === undefined || this.term !== term) return undefined;
      this.term = undefined;
      this.expiresAt = 0;
      clearTimeout(this.watchdog);
      await this.o.store.resignLeadership({ role: this.o.role, holder: this.o.holder, term, now: this.o.clock.now() }).catch(() => undefined);
      return failed;
    } catch (e) {
      this.log(`cannot reach the store to take the lease: ${(e as Error).message}`);
      return undefined;
    }
  }

  private async renew(term: number): Promise<void> {
    const now = this.o.clock.now();
    try {
      const renewed = await this.o.store.renewLeadership({ role: this.o.role, holder: this.o.holder, term, now, ttlMs: this.o.leaseMs });
      if (this.term !== term) return;
      if (renewed.ok) this.extend(now);
      else this.lose('the lease expired or another serve took it over');
    } catch (e) {
      if (this.term === term) this.lose(`cannot renew the lease: ${(e as Error).message}`);
    }
  }

  /**
   * The lease runs until `now + leaseMs` by the store's reckoning, `now` being taken before
   * the request: by this process's clock it cannot have been renewed for longer.
   */
  private extend(now: number): void {
    this.expiresAt = now + this.o.leaseMs;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.lose('the lease ran out before a renewal came back'), Math.max(0, this.expiresAt - this.o.clock.now()));
    this.watchdog.unref();
  }

  private lose(why: string): void {
    if (this.term === undefined) return;
    const term = this.term;
    this.term = undefined;
    this.expiresAt = 0;
    clearTimeout(this.watchdog);
    this.log(`lost the lease (term ${term}): ${why}`);
    this.transitions = this.transitions.then(() => this.o.onLost(why)).catch((e: unknown) => this.log(`stopping the leader's work failed: ${(e as Error).message}`));
  }

  private log(line: string): void {
    this.o.log?.(`leader (${this.o.role}): ${line}`);
  }
}
