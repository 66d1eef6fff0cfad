import type { PipelineName } from '../core/config-schema.js';
import { formatFiringTime, missedFiring, nextFiring, nextFirings, SCHEDULE_TIMEZONE, type NextFiring, type Schedules } from '../core/schedule.js';
import type { Clock } from './clock.js';
import { recordArmed, recordFired, servedUntil, type FiringOutcome, type ScheduleLogStore, type TriggerOutcome } from './schedule-log.js';

export type { FiringOutcome, TriggerOutcome } from './schedule-log.js';

export interface SchedulerOptions {
  /** Pipeline -> cron expression, as validated in sluice.yaml. */
  schedules: Schedules;
  clock: Clock;
  /**
   * Starts the pipeline for the firing at `firedAt`. It answers `coalesced` itself when
   * the store has an unfinished run of the pipeline; the scheduler only records the answer.
   */
  trigger: (pipeline: PipelineName, firedAt: number) => Promise<TriggerOutcome>;
  store: ScheduleLogStore;
  log?: (line: string) => void;
  /** An IANA zone the expressions are read in; UTC by default. */
  timezone?: string;
  /**
   * Asked before each firing (the leader's lease is current): when it says no, the firing
   * is neither triggered nor recorded, and the scheduler that leads next catches it up.
   */
  mayFire?: () => boolean;
}

/**
 * The longest single sleep. Node's timers cannot wait beyond about 24.8 days (a longer
 * one fires at once), and a wall clock set right by NTP moves the next firing: so a
 * yearly schedule wakes now and then to look again. Not a poll: it only re-reads the clock.
 */
const MAX_SLEEP_MS = 3_600_000;

interface Entry {
  readonly pipeline: PipelineName;
  readonly cron: string;
  /** The next firing to make; null when the expression matches no date to come. */
  next: number | null;
  /** The trigger of this pipeline running now, with its recording. */
  busy?: Promise<void>;
  /** Firings that came while `busy`: recorded as coalesced with it once it is done. */
  readonly coalesced: number[];
}

/**
 * Starts pipelines on their cron schedules (docs/schedules.md). One loop sleeps on the
 * clock until the earliest next firing; a firing calls the trigger without waiting for
 * it, so a slow trigger delays no other pipeline. A firing that comes while the same
 * pipeline's trigger is still running is coalesced with it, never queued. At start, a
 * pipeline whose schedule had firings while no scheduler ran is fired once (catch-up).
 */
export class Scheduler {
  private readonly entries: Entry[];
  private readonly clock: Clock;
  private readonly store: ScheduleLogStore;
  private readonly trigger: SchedulerOptions['trigger'];
  private readonly log: (line: string) => void;
  private readonly timezone: string;
  private readonly mayFire: () => boolean;
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.store = options.store;
    this.trigger = options.trigger;
    this.log = options.log ?? (() => {});
    this.timezone = options.timezone ?? SCHEDULE_TIMEZONE;
    this.mayFire = options.mayFire ?? (() => true);
    this.entries = nextFirings(options.schedules, 0, this.timezone)
      .map(({ pipeline, cron }) => ({ pipeline, cron, next: null, coalesced: [] }));
  }

  /**
   * Reads what was served before, makes the catch-up firings (without waiting for their
   * triggers) and starts sleeping. Throws when the store cannot be read: a scheduler that
   * does not know its past could fire twice or never catch up.
   */
  async start(): Promise<void> {
    if (this.loop || this.stopping.signal.aborted) throw new Error('a scheduler starts once');
    const now = this.clock.now();
    for (const e of this.entries) {
      const served = await servedUntil(this.store, e.pipeline);
      e.next = nextFiring(e.cron, Math.max(now, served ?? now), this.timezone);
      if (served === null) {
        await recordArmed(this.store, now, { pipeline: e.pipeline, cron: e.cron, since: now });
        continue;
      }
      const missed = missedFiring(e.cron, served, now, this.timezone);
      if (missed === null) continue;
      this.log(`schedule ${e.pipeline} "${e.cron}": catching up the firing of ${formatFiringTime(missed)}, missed while no scheduler ran`);
      this.fire(e, missed);
    }
    if (this.stopping.signal.aborted) return;
    this.loop = this.run();
  }

  /** Stops sleeping at once, then waits for the triggers still running and their records. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await Promise.all(this.entries.map((e) => e.busy));
  }

  /** Each scheduled pipeline's next firing after `now`. */
  nextFirings(now: number): NextFiring[] {
    return this.entries.map(({ pipeline, cron }) => ({ pipeline, cron, next: nextFiring(cron, now, this.timezone) }));
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const now = this.clock.now();
      let earliest = Infinity;
      for (const e of this.entries) {
        if (e.next !== null && e.next <= now) {
          // The latest due firing only: after a long pause (a suspended host) one firing
          // stands for all the ones passed, as at a restart.
          const due = missedFiring(e.cron, e.next, now, this.timezone) ?? e.next;
          this.fire(e, due);
          e.next = nextFiring(e.cron, due, this.timezone);
        }
        earliest = Math.min(earliest, e.next ?? Infinity);
      }
      await this.clock.sleep(Math.min(MAX_SLEEP_MS, Math.max(0, earliest - this.clock.now())), signal);
    }
  }

  private fire(e: Entry, firedAt: number): void {
    if (!this.mayFire()) {
      this.log(`schedule ${e.pipeline} "${e.cron}": the firing of ${formatFiringTime(firedAt)} is left to the next leader (this serve's lease ran out)`);
      return;
    }
    if (e.busy) {
      this.log(`schedule ${e.pipeline} "${e.cron}": the firing of ${formatFiringTime(firedAt)} is coalesced with the one still being triggered`);
      e.coalesced.push(firedAt);
      return;
    }
    e.busy = this.triggerAndRecord(e, firedAt);
  }

  private async triggerAndRecord(e: Entry, firedAt: number): Promise<void> {
    try {
      let outcome: FiringOutcome;
      try {
        outcome = await this.trigger(e.pipeline, firedAt);
      } catch (err) {
        outcome = { kind: 'failed', error: err instanceof Error ? err.message : String(err) };
      }
      await this.record(e, firedAt, outcome);
      for (let later = e.coalesced.shift(); later !== undefined; later = e.coalesced.shift()) {
        await this.record(e, later, coalescedOutcome(outcome), firedAt);
      }
    } finally {
      // No await between the last look at `coalesced` and here: a firing is either
      // recorded above or finds the pipeline free and starts a trigger of its own.
      e.busy = undefined;
    }
  }

  /** Records a firing; one the store refused is only logged: a restart fires it again. */
  private async record(e: Entry, firedAt: number, outcome: FiringOutcome, coalescedWith?: number): Promise<void> {
    this.log(`schedule ${e.pipeline} "${e.cron}" fired for ${formatFiringTime(firedAt)}: ${describe(outcome)}`);
    try {
      await recordFired(this.store, this.clock.now(), {
        pipeline: e.pipeline, cron: e.cron, firedAt, outcome, ...(coalescedWith === undefined ? {} : { coalescedWith }),
      });
    } catch (err) {
      this.log(`schedule ${e.pipeline}: cannot record the firing of ${formatFiringTime(firedAt)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** A firing folded into an earlier one's trigger shares its result: the run it started is the one still going. */
function coalescedOutcome(outcome: FiringOutcome): FiringOutcome {
  return outcome.kind === 'started' ? { kind: 'coalesced', runId: outcome.runId } : outcome;
}

function describe(outcome: FiringOutcome): string {
  switch (outcome.kind) {
    case 'started': return `started run ${outcome.runId}`;
    case 'coalesced': return `coalesced with run ${outcome.runId}, still going`;
    case 'nothing': return `nothing to run: ${outcome.why}`;
    case 'failed': return `the trigger failed: ${outcome.error}`;
  }
}
