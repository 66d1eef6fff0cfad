import { afterStart, decideRung, FRESH_MEMORY, type RungMemory, type RungPolicy, type RungView } from '../core/continuous-ladder.js';
import type { Clock } from './clock.js';
import type { TriggerOutcome } from './schedule-log.js';
import type { Wake } from './wake.js';

/**
 * One rung of the continuous ladder as the driver sees it: how to look at its folder and
 * its runs, and how to start it. The pipelines supply them (src/pipelines/continuous-ladder.ts):
 * the engine knows no pipeline.
 */
export interface ContinuousRung {
  readonly name: string;
  readonly policy: RungPolicy;
  look(): Promise<RungView>;
  /** Starts a run the way a schedule does: the store refuses a second unfinished one (`coalesced`). */
  start(now: number): Promise<TriggerOutcome>;
}

export interface ContinuousLadderOptions {
  readonly rungs: readonly ContinuousRung[];
  readonly clock: Clock;
  /** The engine's wake-up hints, asked at each wait (a reload replaces the engine): a finished run or report is a reason to look at once. */
  readonly wake: () => Wake;
  /** Looks at least this often without a hint (a merge by another process, an upstream change). */
  readonly pollMs: number;
  /** Looks at most this often, however many hints come (each look reads git and the store). */
  readonly minGapMs: number;
  /** Asked before each start (the leader's lease is current). */
  readonly mayStart?: () => boolean;
  /** A run was started: the engine should pick it up now. */
  readonly onStarted?: (runId: string) => void;
  readonly log?: (line: string) => void;
}

/**
 * The continuous ladder's driver in `sluice serve` (`ladder: continuous`, docs/schedules.md):
 * a loop that looks at each rung after each hint (at most every `minGapMs`) or poll, asks the
 * policy (src/core/continuous-ladder.ts) and starts what it says. Everything it acts on is
 * read from the update repository and the store at each look, so a restart or a new leader
 * carries on where the last one stopped; only a window's opening and recent refusals live
 * in memory, and losing them costs at most one window or one retry.
 */
export class ContinuousLadder {
  private readonly memory = new Map<string, RungMemory>();
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  constructor(private readonly o: ContinuousLadderOptions) {}

  start(): void {
    if (this.loop || this.stopping.signal.aborted) throw new Error('a continuous ladder starts once');
    this.loop = this.run();
  }

  /** Stops looking; waits for a look or start still going. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { clock } = this.o;
    const signal = this.stopping.signal;
    let lastLook = -Infinity;
    while (!signal.aborted) {
      const gap = lastLook + this.o.minGapMs - clock.now();
      if (gap > 0) await clock.sleep(gap, signal);
      if (signal.aborted) return;
      const wake = this.o.wake();
      const since = wake.generation;
      lastLook = clock.now();
      let wakeAt = lastLook + this.o.pollMs;
      for (const rung of this.o.rungs) {
        if (signal.aborted) return;
        const next = await this.step(rung).catch((e: unknown) => {
          this.o.log?.(`continuous ladder: ${rung.name}: cannot look: ${e instanceof Error ? e.message : String(e)}`);
          return null;
        });
        if (next !== null) wakeAt = Math.min(wakeAt, next);
      }
      await wake.wait(Math.max(0, wakeAt - clock.now()), signal, since);
    }
  }

  /** One look at a rung, and the start it calls for; answers when to look again (null: at the next hint or poll). */
  private async step(rung: ContinuousRung): Promise<number | null> {
    const now = this.o.clock.now();
    const view = await rung.look();
    const d = decideRung(view, this.memory.get(rung.name) ?? FRESH_MEMORY, now, rung.policy);
    this.memory.set(rung.name, d.memory);
    if (d.kind === 'wait') return d.wakeAt;
    if (!(this.o.mayStart?.() ?? true)) return null;
    let outcome: TriggerOutcome;
    try {
      outcome = await rung.start(this.o.clock.now());
    } catch (e) {
      // Like a start that found nothing: not again before the retry, but not a loop either.
      outcome = { kind: 'nothing', why: `the start failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    this.memory.set(rung.name, afterStart(d.memory, outcome.kind, d.fresh, now));
    const what = d.fresh.map((c) => c.id).join(', ');
    if (outcome.kind === 'started') {
      this.o.log?.(`continuous ladder: started ${rung.name} run ${outcome.runId} for ${what}`);
      this.o.onStarted?.(outcome.runId);
    } else if (outcome.kind === 'coalesced') {
      this.o.log?.(`continuous ladder: ${rung.name} run ${outcome.runId} is going: ${what} wait for its end`);
    } else {
      this.o.log?.(`continuous ladder: ${rung.name} has nothing to run for ${what}: ${outcome.why}; tried again in ${Math.round(rung.policy.retryMs / 60_000)}m or when something else is new`);
    }
    // Look again at once: the run going (or the refusal) is what the next look decides on.
    return now;
  }
}
