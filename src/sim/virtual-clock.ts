import { setImmediate as immediate } from 'node:timers/promises';
import type { Clock } from '../engine/clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

export interface VirtualClockOptions {
  /** Turns of the event loop without any new sleep before the process counts as idle (default 3). */
  readonly idleTurns?: number;
  /** A simulation that takes more steps than this is stuck in a loop (default 10 million). */
  readonly maxSteps?: number;
}

/**
 * Simulated time for `sluice simulate`: a discrete-event loop. Nothing moves by itself:
 * `runUntil` waits until the process has nothing to do but sleep (better-sqlite3 is
 * synchronous, so every store call finishes in microtasks and immediates), then jumps to
 * the earliest timer and fires it. Timers of one instant fire in the order they were set,
 * so a run is deterministic for a given seed.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  /** Counts every sleep set, fired or aborted: unchanged over a few turns means idle. */
  private activity = 0;
  private steps = 0;
  private readonly timers: Timer[] = [];
  private readonly idleTurns: number;
  private readonly maxSteps: number;

  constructor(start = 0, options: VirtualClockOptions = {}) {
    this.current = start;
    this.idleTurns = options.idleTurns ?? 3;
    this.maxSteps = options.maxSteps ?? 10_000_000;
  }

  now(): number {
    return this.current;
  }

  /** Timers set and neither fired nor aborted. */
  get pending(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.activity++;
    return new Promise((resolve) => {
      if (signal?.aborted) { resolve(); return; }
      const timer: Timer = { at: this.current + Math.max(0, ms), seq: ++this.seq, fire: () => done() };
      const onAbort = () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
        this.activity++;
        done();
      };
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.splice(this.insertionIndex(timer), 0, timer);
    });
  }

  /** Resolves once the process has been waiting on timers only for `idleTurns` turns. */
  async idle(): Promise<void> {
    let quiet = 0;
    while (quiet < this.idleTurns) {
      const before = this.activity;
      await immediate();
      quiet = this.activity === before ? quiet + 1 : 0;
    }
  }

  /** Moves time to the earliest timer and fires every timer due then; false when none is set. */
  step(): boolean {
    const first = this.timers[0];
    if (!first) return false;
    if (++this.steps > this.maxSteps) throw new Error(`the simulation took more than ${this.maxSteps} steps: something sleeps in a loop`);
    this.current = Math.max(this.current, first.at);
    let due = 0;
    while (due < this.timers.length && (this.timers[due] as Timer).at <= this.current) due++;
    for (const t of this.timers.splice(0, due)) t.fire();
    this.activity++;
    return true;
  }

  /** Fires, in order, every timer due within `ms`, then leaves the clock `ms` later. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await this.idle();
    while ((this.timers[0]?.at ?? Infinity) <= until) {
      this.step();
      await this.idle();
    }
    this.current = until;
  }

  /**
   * Drives the simulation until `work` settles, and returns its value. Throws when the
   * process is idle with no timer set and `work` is still pending: nothing could ever
   * finish it.
   */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => { settled = true; });
    watched.catch(() => {});
    for (;;) {
      await this.idle();
      if (settled) return watched;
      if (!this.step()) throw new Error(`the simulation stalled at ${new Date(this.current).toISOString()}: nothing is scheduled and the work is unfinished`);
    }
  }

  private insertionIndex(t: Timer): number {
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.timers[mid] as Timer;
      if (m.at < t.at || (m.at === t.at && m.seq < t.seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
