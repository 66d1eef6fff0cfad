import { formatFiringTime, nextFiring, SCHEDULE_TIMEZONE } from '../core/schedule.js';
import type { Clock } from './clock.js';

/** As the scheduler: Node's timers cannot wait beyond ~24.8 days, and a clock set right moves the next firing. */
const MAX_SLEEP_MS = 3_600_000;

/**
 * A housekeeping task on a cron expression (retention's prune, docs/retention.md), run by
 * the leading `sluice serve` beside the pipelines' scheduler. Unlike a pipeline's firing it
 * records nothing and catches nothing up: a prune missed while no serve led is the same
 * work as the next one. A firing that comes while the task still runs is skipped.
 */
export class CronTask {
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  private running?: Promise<void>;

  constructor(private readonly o: {
    readonly name: string;
    readonly cron: string;
    readonly clock: Clock;
    readonly task: (firedAt: number) => Promise<void>;
    readonly log: (line: string) => void;
    /** Asked before each firing: the leader's lease is current. */
    readonly mayFire: () => boolean;
    readonly timezone?: string;
  }) {}

  start(): void {
    if (this.loop) throw new Error('a cron task starts once');
    this.loop = this.run();
  }

  /** Stops sleeping at once, and waits for a run under way. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    const zone = this.o.timezone ?? SCHEDULE_TIMEZONE;
    let next = nextFiring(this.o.cron, this.o.clock.now(), zone);
    while (!signal.aborted && next !== null) {
      const now = this.o.clock.now();
      if (next <= now) {
        this.fire(next);
        next = nextFiring(this.o.cron, now, zone);
        continue;
      }
      await this.o.clock.sleep(Math.min(MAX_SLEEP_MS, next - now), signal);
    }
  }

  private fire(firedAt: number): void {
    const when = formatFiringTime(firedAt);
    if (!this.o.mayFire()) return;
    if (this.running) {
      this.o.log(`${this.o.name} "${this.o.cron}": the firing of ${when} is skipped, the previous one still runs`);
      return;
    }
    this.running = this.o.task(firedAt)
      .catch((e: unknown) => this.o.log(`${this.o.name} "${this.o.cron}" fired for ${when}: failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => { this.running = undefined; });
  }
}
