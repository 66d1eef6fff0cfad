import { Cron } from 'croner';
import type { Config } from '../core/config.js';
import { afterStart, decideRung, FRESH_MEMORY, type RungMemory } from '../core/continuous-ladder.js';
import type { Build } from '../core/update-schema.js';
import { simulatePhase2Run } from './phase2-run.js';
import { quantile, type Spread } from './stats.js';

/**
 * The rest of the ladder for `sluice simulate`: what happens to updates after phase1 merged
 * them into updates/, as a discrete-event model in virtual time (ms since the epoch).
 * Pure: the phase1 outcomes come from the engine simulation, the random numbers from the
 * caller, and the only code it runs is croner's schedule arithmetic and the real phase2
 * planner (src/sim/phase2-run.ts), so the batches, rounds and jobs are those a real phase2
 * would take.
 *
 * The model (docs/simulate.md):
 * - **phase2** fires on its cron schedule. A firing with updates/ empty does nothing. A
 *   firing while a phase2 runs starts no second one: it is coalesced into one phase2 that
 *   starts the moment the running one ends (however many firings fell during it). A phase2
 *   takes the files in updates/ at its start (merged at or before it); files merged later
 *   wait for the next one.
 * - **Rounds.** A phase2 tests its batch (in the planner's order: file names), then the
 *   groups the planner's bisection asks for, a round at a time. A group is the planner's
 *   jobs: one per target of its updates (phase2 provisions every affected target from
 *   scratch); the jobs of a round share `capacity` nodes, each job taking one round
 *   duration (provision + test), so a round lasts ceil(jobs / capacity) round durations:
 *   groups run side by side when the nodes suffice and queue otherwise. The next round
 *   starts when every group of this one has a result.
 * - **Outcomes.** Each time an update enters updates/ it is a culprit with probability
 *   `culpritRate`, drawn from the key (update, entry): a group fails when it holds a
 *   culprit, or, with probability `flakyRate`, for no reason (drawn per run, round and
 *   group). When bisection ends, the clean updates move to ready/ together; each culprit
 *   goes back to its packager and re-enters updates/ `fixDelayMs` later as a new entry
 *   (the fix's phase1 is folded into that delay), at most `maxFixes` times; after that, or
 *   when `fixDelayMs` is null, it is dropped and never reaches production.
 * - **promote** fires on its own cron schedule, takes every update in ready/ at its start
 *   and puts them in production `promoteMs` later (stage test + sync; stage is not failed
 *   here: the ladder's test is phase2). One promote at a time, coalesced like phase2.
 * - **Continuous** (`ladder: 'continuous'`): no cron. Each rung decides with the policy
 *   `sluice serve` runs (src/core/continuous-ladder.ts): phase2 starts when updates/ holds an
 *   entry no phase2 took and none runs (after `phase2WindowMs`, if any), promote when ready/
 *   does, one at a time each.
 * - Not modelled: phase1's use of the nodes (phase2 and promote have them to themselves),
 *   infra failures in phase2, disabled targets, failing package checks, updates changed
 *   while phase2 tests them, a stage that fails.
 */

export interface LadderUpdate {
  readonly id: string;
  readonly submittedAt: number;
  /** When phase1 merged it into updates/; null when phase1 did not pass it. */
  readonly mergedAt: number | null;
  /** Its update file's builds: the phase2 planner maps them onto the configuration's targets. */
  readonly builds: readonly Build[];
}

export type LadderMode = 'scheduled' | 'continuous';

export const LADDER_DEFAULTS = {
  ladder: 'scheduled' as LadderMode,
  phase2WindowMs: 0,
  phase2Schedule: '0 3 * * *',
  /** A phase2 job: provision from scratch (30m) + the full tests (20m). */
  phase2RoundMs: 50 * 60_000,
  promoteSchedule: '0 6 * * 1-5',
  /** Stage test (20m) + sync to production (5m). */
  promoteMs: 25 * 60_000,
  culpritRate: 0.05,
  flakyRate: 0,
  fixDelayMs: 2 * 86_400_000,
  maxFixes: 3,
  timezone: 'UTC',
} as const;

export interface LadderOptions {
  /** The configuration phase2 plans with (the simulation's: every target of the traffic). */
  readonly config: Config;
  /** Cron firings, or the continuous policy. */
  readonly ladder?: LadderMode;
  /** Continuous: how long phase2 waits for more updates once one is new. */
  readonly phase2WindowMs?: number;
  /** Nodes for phase2 jobs. */
  readonly capacity: number;
  readonly phase2Schedule?: string;
  readonly phase2RoundMs?: number;
  readonly promoteSchedule?: string;
  readonly promoteMs?: number;
  readonly culpritRate?: number;
  readonly flakyRate?: number;
  /** Null: a culprit is dropped at once. */
  readonly fixDelayMs?: number | null;
  readonly maxFixes?: number;
  readonly timezone?: string;
  /**
   * A keyed random number in [0, 1): the same key always gives the same number, so an
   * update's draws do not depend on the order events happened in (and runs at different
   * capacities see the same culprits). The simulation passes its seeded `keyedRandom`.
   */
  readonly random: (key: string) => number;
}

export interface LadderOutcome {
  readonly id: string;
  readonly submittedAt: number;
  readonly mergedAt: number | null;
  readonly readyAt: number | null;
  readonly productionAt: number | null;
  /** How often phase2 found it a culprit. */
  readonly culpritTimes: number;
  readonly dropped: boolean;
}

export interface Phase2Run {
  readonly startedAt: number;
  readonly endedAt: number;
  /** Started because a firing fell during the previous run, rather than by a firing of its own. */
  readonly coalesced: boolean;
  /** The snapshot, in the order bisection splits it (the planner's: file-name order). */
  readonly batch: readonly string[];
  /** Test rounds, the first (the whole batch) included. */
  readonly rounds: number;
  readonly jobs: number;
  readonly culprits: readonly string[];
  readonly moved: readonly string[];
}

export interface PromoteRun {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly coalesced: boolean;
  readonly updates: readonly string[];
}

export interface LadderResult {
  readonly updates: readonly LadderOutcome[];
  readonly phase2: readonly Phase2Run[];
  readonly promotes: readonly PromoteRun[];
}

interface Entry { readonly id: string; readonly at: number; readonly entry: number }

export function simulateLadder(updates: readonly LadderUpdate[], o: LadderOptions): LadderResult {
  const opt = { ...LADDER_DEFAULTS, ...withoutUndefined(o) };
  if (!Number.isSafeInteger(opt.capacity) || opt.capacity < 1) throw new RangeError('capacity must be a whole number of at least 1');
  if (!(opt.phase2RoundMs > 0) || !(opt.promoteMs > 0)) throw new RangeError('durations must be positive');
  if (new Set(updates.map((u) => u.id)).size !== updates.length) throw new RangeError('each update appears once');
  const byId = new Map(updates.map((u) => [u.id, u]));
  const state = new Map(updates.map((u) => [u.id, { readyAt: null as number | null, productionAt: null as number | null, culpritTimes: 0, dropped: false }]));
  const stateOf = (id: string) => state.get(id) as { readyAt: number | null; productionAt: number | null; culpritTimes: number; dropped: boolean };
  const buildsOf = (id: string) => (byId.get(id) as LadderUpdate).builds;

  // phase2 does not depend on promote: run it to the end, then promote what it made ready.
  // By merge time: phase1 may pass updates in another order than they were submitted.
  const inUpdates: Entry[] = updates.filter((u) => u.mergedAt !== null).map((u) => ({ id: u.id, at: u.mergedAt as number, entry: 1 })).sort(byTimeThenId);
  const phase2: Phase2Run[] = [];
  const culpritAt = new Map<string, boolean>();
  const isCulprit = (e: Entry) => {
    const k = `${e.id}\0${e.entry}`;
    let c = culpritAt.get(k);
    if (c === undefined) culpritAt.set(k, c = opt.random(`culprit\0${k}`) < opt.culpritRate);
    return c;
  };
  const rung = (expr: string, windowMs: number) => (opt.ladder === 'continuous' ? runContinuously(windowMs) : runOnSchedule(schedule(expr, opt.timezone)));
  rung(opt.phase2Schedule, opt.phase2WindowMs)(inUpdates, (batch, start, coalesced) => {
    const entryOf = new Map(batch.map((e) => [e.id, e]));
    const run = simulatePhase2Run(batch.map((e) => ({ id: e.id, builds: buildsOf(e.id) })), {
      config: opt.config, capacity: opt.capacity, roundMs: opt.phase2RoundMs,
      fails: (group, round) => {
        const flaky = opt.flakyRate > 0 && opt.random(`flaky\0${phase2.length}\0${round}\0${group.join(',')}`) < opt.flakyRate;
        return flaky || group.some((id) => isCulprit(entryOf.get(id) as Entry));
      },
    });
    const end = start + run.durationMs;
    const culprits = run.outcome.culprits.flatMap((c) => c.updates);
    for (const id of run.outcome.clean) stateOf(id).readyAt = end;
    for (const id of culprits) {
      const s = stateOf(id);
      s.culpritTimes++;
      const e = entryOf.get(id) as Entry;
      if (opt.fixDelayMs === null || e.entry > opt.maxFixes) s.dropped = true;
      else insertSorted(inUpdates, { id, at: end + opt.fixDelayMs, entry: e.entry + 1 });
    }
    phase2.push({ startedAt: start, endedAt: end, coalesced, batch: run.batch, rounds: run.rounds, jobs: run.jobs, culprits, moved: [...run.outcome.clean] });
    return end;
  });

  const inReady: Entry[] = updates.flatMap((u) => {
    const at = stateOf(u.id).readyAt;
    return at === null ? [] : [{ id: u.id, at, entry: 1 }];
  }).sort(byTimeThenId);
  const promotes: PromoteRun[] = [];
  rung(opt.promoteSchedule, 0)(inReady, (batch, start, coalesced) => {
    const end = start + opt.promoteMs;
    for (const e of batch) stateOf(e.id).productionAt = end;
    promotes.push({ startedAt: start, endedAt: end, coalesced, updates: batch.map((e) => e.id) });
    return end;
  });

  return {
    updates: updates.map((u) => ({ id: u.id, submittedAt: u.submittedAt, mergedAt: u.mergedAt, ...stateOf(u.id) })),
    phase2,
    promotes,
  };
}

/** Next firing strictly after `t`, or null when the schedule has no more. */
type Schedule = (t: number) => number | null;

function schedule(expr: string, timezone: string): Schedule {
  // The same firings; croner's fixed offset is some eighty times faster than its time-zone path.
  const cron = new Cron(expr, timezone === 'UTC' ? { paused: true, utcOffset: 0 } : { paused: true, timezone });
  return (t) => cron.nextRun(new Date(t))?.getTime() ?? null;
}

/**
 * A pipeline that runs one at a time on a schedule: at each firing it takes every entry of
 * `queue` (sorted by time) that arrived by then and runs them, `run` returning when it ends.
 * A firing while it runs is coalesced: the next run starts as the running one ends. `run`
 * may add entries to the queue, later than the run's end.
 */
type RunRung = (batch: Entry[], start: number, coalesced: boolean) => number;

function runOnSchedule(next: Schedule) {
  return (queue: Entry[], run: RunRung) => runScheduled(next, queue, run);
}

function runScheduled(next: Schedule, queue: Entry[], run: RunRung): void {
  let freeAt = -Infinity;
  let pending = false;
  while (queue.length > 0) {
    const first = (queue[0] as Entry).at;
    // croner works in whole seconds and returns the firing strictly after its argument.
    const start = pending ? freeAt : next(Math.max(first, freeAt) - 1);
    if (start === null) return;
    const coalesced = pending;
    pending = false;
    const taken = queue.findIndex((e) => e.at > start);
    const batch = queue.splice(0, taken === -1 ? queue.length : taken);
    if (batch.length === 0) continue;
    freeAt = run(batch, start, coalesced);
    const fired = next(start);
    pending = fired !== null && fired <= freeAt;
  }
}

/**
 * A rung of the continuous ladder: at every event (an entry arrives, the run ends, the
 * window closes) the policy looks at what the folder holds. A taken entry leaves the queue
 * (a culprit comes back as a new entry), so nothing in it was taken: `taken` is empty. A
 * simulated run always has something to test, so a start is never refused.
 */
function runContinuously(windowMs: number) {
  return (queue: Entry[], run: RunRung): void => {
    let memory: RungMemory = FRESH_MEMORY;
    let freeAt = -Infinity;
    let t = queue[0]?.at ?? 0;
    const none = new Map<string, number>();
    while (queue.length > 0) {
      const arrived = queue.filter((e) => e.at <= t);
      const d = decideRung({ holds: arrived.map((e) => ({ id: e.id, content: String(e.entry) })), running: t < freeAt, taken: new Set(), unsettled: none }, memory, t, { windowMs, retryMs: 0 });
      memory = d.memory;
      if (d.kind === 'start') {
        queue.splice(0, arrived.length);
        freeAt = run(arrived, t, false);
        memory = afterStart(memory, 'started', d.fresh, t);
      }
      const nextArrival = queue.find((e) => e.at > t)?.at ?? Infinity;
      const next = Math.min(nextArrival, freeAt > t ? freeAt : Infinity, d.kind === 'wait' ? d.wakeAt ?? Infinity : Infinity);
      if (next === Infinity) return;
      t = next;
    }
  };
}

function byTimeThenId(a: Entry, b: Entry): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function insertSorted(queue: Entry[], e: Entry): void {
  const i = queue.findIndex((q) => byTimeThenId(e, q) < 0);
  if (i === -1) queue.push(e);
  else queue.splice(i, 0, e);
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export interface LadderSummary {
  /** Updates phase1 merged into updates/. */
  readonly merged: number;
  readonly ready: number;
  readonly production: number;
  /** Culprits given up on. */
  readonly dropped: number;
  /** Submission to ready/ and to production, over the updates that got there. */
  readonly toReadyMs: Spread;
  readonly toProductionMs: Spread;
  readonly phase2Runs: number;
  /** phase2 runs started by a firing that fell during the previous one. */
  readonly coalesced: number;
  /** Every test round of every phase2, first rounds included. */
  readonly rounds: number;
  /** Rounds after a phase2's first: the cost of finding culprits. */
  readonly bisectionRounds: number;
  readonly phase2Jobs: number;
  /** Culprits found (an update found twice counts twice). */
  readonly culprits: number;
  readonly promotes: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted.at(-1) ?? 0 };
}

/** The figures of a ladder simulation; `only` restricts the latencies and counts of updates to some ids. */
export function ladderSummary(r: LadderResult, only?: ReadonlySet<string>): LadderSummary {
  const us = only ? r.updates.filter((u) => only.has(u.id)) : r.updates;
  const ready = us.filter((u) => u.readyAt !== null);
  const prod = us.filter((u) => u.productionAt !== null);
  const rounds = r.phase2.reduce((n, p) => n + p.rounds, 0);
  return {
    merged: us.filter((u) => u.mergedAt !== null).length,
    ready: ready.length,
    production: prod.length,
    dropped: us.filter((u) => u.dropped).length,
    toReadyMs: spread(ready.map((u) => (u.readyAt as number) - u.submittedAt)),
    toProductionMs: spread(prod.map((u) => (u.productionAt as number) - u.submittedAt)),
    phase2Runs: r.phase2.length,
    coalesced: r.phase2.filter((p) => p.coalesced).length,
    rounds,
    bisectionRounds: rounds - r.phase2.filter((p) => p.rounds > 0).length,
    phase2Jobs: r.phase2.reduce((n, p) => n + p.jobs, 0),
    culprits: r.phase2.reduce((n, p) => n + p.culprits.length, 0),
    promotes: r.promotes.length,
  };
}

/**
 * RDO's real figure for 2015, quoted from the issue: from an update's `New <id>` commit to
 * its `Push ready/<id>` in the update repository's history, over the updates it pushed. The
 * sample traffic records which updates were pushed (`final`), not when, so this cannot be
 * recomputed from it: it is a constant here.
 */
export const RDO_2015_REFERENCE = {
  medianDays: 8.1,
  p90Days: 41.7,
  from: 'New <id>',
  to: 'Push ready/<id>',
  source: 'quoted from the issue (the sample traffic records which updates were pushed, not when)',
} as const;
