import { isReadable } from '../core/records/run-record.js';
import type { RunVerdict } from '../core/verdicts.js';
import type { Job, Run } from '../store/index.js';
import { systemClock, type Clock } from './clock.js';
import type { RunController } from './run-controller.js';
import { Wake } from './wake.js';
import { Worker, type WorkerOptions } from './worker.js';

/**
 * Makes a finished run's verdict count outside the store: merges the update, votes in
 * Gerrit. Called at least once per finished run (again after a crash), so it must be
 * idempotent; the engine marks the run reported once it returns.
 */
export interface RunReporter {
  report(run: Run, jobs: readonly Job[]): Promise<void>;
  /**
   * A reporter with an outbox of its own (notifications, retried with backoff) sends what
   * is due there: the engine calls it at start, after each pass of the report outbox and
   * at each sweep. It resolves with when its next item falls due (undefined: none), and
   * the engine calls it again then.
   */
  drain?(signal: AbortSignal): Promise<number | undefined>;
}

/** The worker's options, less what the engine itself provides (its clock default, wake-ups, callbacks). */
export interface EngineOptions extends Omit<WorkerOptions, 'clock' | 'wake' | 'onRunFinished' | 'onJobFinished' | 'onSweep'> {
  readonly reporters?: readonly RunReporter[];
  /** Controllers of runs whose jobs come round by round (phase2, promote), by `runs.controller`. */
  readonly controllers?: readonly RunController[];
  readonly clock?: Clock;
}

/** Runs the report outbox reads at a time. */
const REPORTS_PER_PASS = 100;

/** The engine of one process: a worker, and the outbox of reports it drains. */
export class Engine {
  readonly wake: Wake;
  readonly clock: Clock;
  private readonly worker: Worker;
  private reporting: Promise<void> | undefined;
  /** Runs this worker finished whose reports it holds (the store gave them as the runs finished). */
  /** Runs this worker finished whose reports the store gave it, as they were finished. */
  /** Runs whose report a finish here took, with their jobs when the finish read them. */
  private readonly claimedReports: { run: Run; jobs?: readonly Job[] }[] = [];
  /** A pass over the whole outbox is owed. */
  private scanWanted = false;
  private advancing: Promise<void> | undefined;
  private advanceAgain = false;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  /** The wake-up set for the reporters' next due item: its time and how to cancel it. */
  private drainTimer: { at: number; cancel: AbortController } | undefined;
  private readonly stopping = new AbortController();
  private unsubscribe: Promise<() => Promise<void>> | undefined;

  constructor(private readonly o: EngineOptions) {
    this.clock = o.clock ?? systemClock;
    this.wake = new Wake(this.clock);
    this.worker = new Worker({
      ...o, clock: this.clock, wake: this.wake,
      onRunFinished: (runId, verdict, reportClaimed, jobs) => this.runFinished(runId, verdict, reportClaimed, jobs),
      onJobFinished: () => { void this.advanceOwed(); },
      // Reports run git and Gerrit, advancing may compose stage: neither may hold up the
      // claim loop, or nodes idle while the outbox drains.
      onSweep: async () => { void this.advanceOwed(); void this.reportOwed(); void this.drainOwed(); },
    });
  }

  /** Starts working; first sends the reports a previous process owed. */
  start(): void {
    this.worker.start();
    void this.advanceOwed();
    void this.reportOwed();
    void this.drainOwed();
    this.unsubscribe = this.o.store.subscribe((hint) => this.wake.notify(hint)).catch((e) => {
      this.o.log?.(`no wake-ups from the store (polling every ${this.o.pollMs ?? 1000} ms instead): ${(e as Error).message}`);
      return async () => {};
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.worker.stop();
    await this.advancing;
    await this.reporting;
    this.drainTimer?.cancel.abort();
    await this.draining;
    await this.lastDrain();
    await (await this.unsubscribe)?.();
  }

  /** Hands the running jobs back to the queue (attempts given back); stop() then returns once they are. */
  handBack(): void {
    this.stopping.abort();
    this.worker.handBack();
  }

  /** A new run was written: wake idle workers now rather than at their next poll. */
  notify(): void {
    this.wake.notify();
    void this.advanceOwed();
  }

  /**
   * Resolves with the run once it has its verdict and its report; `onProgress` sees each
   * change. A report still failing `reportGraceMs` after the verdict (the update repository
   * is broken, say) does not hold the caller forever: the run comes back unreported, and
   * the outbox keeps trying.
   */
  async waitForRun(runId: string, onProgress?: (run: Run, jobs: readonly Job[]) => void, stop?: AbortSignal, reportGraceMs = 60_000): Promise<Run> {
    let last = '';
    let finishedSeen: number | undefined;
    for (;;) {
      const run = await this.o.store.getRun(runId);
      if (!run) throw new Error(`no run ${runId}`);
      const jobs = await this.o.store.listJobs(runId);
      const shape = JSON.stringify([run.state, run.verdict, jobs.map((j) => [j.state, j.result, j.attempt])]);
      if (shape !== last) { last = shape; onProgress?.(run, jobs); }
      if ((run.state === 'finished' && run.reportedAt !== null) || stop?.aborted) return run;
      if (run.controller !== null && run.state !== 'finished' && jobs.every((j) => j.state === 'finished')) void this.advanceOwed();
      if (run.state === 'finished') {
        finishedSeen ??= this.clock.now();
        if (this.clock.now() - finishedSeen > reportGraceMs) return run;
        void this.reportOwed();
      }
      await this.wake.wait(this.o.pollMs ?? 1000, stop);
    }
  }

  private async runFinished(runId: string, _verdict: RunVerdict, reportClaimed: Run | undefined, jobs: readonly Job[] | undefined): Promise<void> {
    if (reportClaimed) this.claimedReports.push({ run: reportClaimed, ...(jobs ? { jobs } : {}) });
    else this.scanWanted = true;
    void this.reportLoop();
    this.wake.notify();
  }

  /**
   * Advances every controlled run that has no open job: its controller adds the next
   * round or gives the verdict. Concurrent calls coalesce into one more pass; the advance
   * lease keeps other workers (and processes) off a run while its controller works.
   */
  advanceOwed(): Promise<void> {
    if (this.advancing) {
      this.advanceAgain = true;
      return this.advancing;
    }
    this.advancing = (async () => {
      do {
        this.advanceAgain = false;
        for (const run of await this.o.store.listIdleControlledRuns()) {
          if (this.stopping.signal.aborted) return;
          await this.advanceOne(run);
        }
      } while (this.advanceAgain && !this.stopping.signal.aborted);
    })().catch((e) => this.o.log?.(`advancing runs: ${(e as Error).message}`))
      .finally(() => {
        this.advancing = undefined;
        // Asked for between the last pass and here: that call found this pass still going
        // and counted on it, so it is owed one more (else it waited for the next sweep).
        if (this.advanceAgain && !this.stopping.signal.aborted) void this.advanceOwed();
      });
    return this.advancing;
  }

  private async advanceOne(run: Run): Promise<void> {
    const { store } = this.o;
    const controller = this.o.controllers?.find((c) => c.name === run.controller);
    if (!controller) return;
    const leaseMs = this.o.leaseMs ?? 60_000;
    const claim = () => store.claimRunAdvance({ runId: run.id, worker: this.o.workerId, now: this.clock.now(), leaseMs });
    if (!(await claim())) return;
    await store.markRunStarted({ runId: run.id, now: this.clock.now() });
    // Composing stage or publishing may outlast the lease: renew it while the controller works.
    const renew = new AbortController();
    const renewing = (async () => {
      while (!renew.signal.aborted) {
        await this.clock.sleep(Math.max(1, Math.floor(leaseMs / 3)), renew.signal);
        if (!renew.signal.aborted) await claim().catch(() => false);
      }
    })();
    try {
      const fresh = (await store.getRun(run.id)) ?? run;
      const jobs = await store.listJobs(run.id);
      const step = fresh.cancelRequestedAt !== null
        ? { kind: 'finish' as const, verdict: 'cancelled' as const, reason: 'cancelled', outcome: isReadable(fresh) ? fresh.outcome : null }
        : await controller.advance(readable(fresh), jobs, this.stopping.signal);
      if (step.kind === 'jobs') {
        const added = await store.addJobs({ runId: run.id, jobs: step.jobs, now: this.clock.now() });
        if (!added.ok) this.o.log?.(`run ${run.id}: next round not added (${added.code})`);
        this.wake.notify();
      } else if (step.kind === 'wait') {
        // The renewal stops first, or a renewal in flight could take the lease back after it is let go.
        renew.abort();
        await renewing;
        await store.parkControlledRun({ runId: run.id, worker: this.o.workerId, why: step.why, now: this.clock.now() });
      } else {
        const done = await store.finishControlledRun({ runId: run.id, now: this.clock.now(), verdict: step.verdict, reason: step.reason, outcome: step.outcome });
        if (done.ok) await this.runFinished(run.id, step.verdict, undefined, undefined);
      }
    } catch (e) {
      // The lease lapses and the next sweep (here or in another process) tries again.
      this.o.log?.(`run ${run.id}: ${controller.name} could not advance: ${(e as Error).message}`);
      await store.appendEvent({ at: this.clock.now(), kind: 'run.advance_failed', runId: run.id, payload: { message: (e as Error).message } }).catch(() => undefined);
    } finally {
      renew.abort();
      await renewing;
    }
  }

  /** Drains the outbox; concurrent calls coalesce into one more pass. */
  reportOwed(): Promise<void> {
    this.scanWanted = true;
    return this.reportLoop();
  }

  /**
   * Makes the reports owed, one at a time (reporters write to one update repository): first
   * those of runs this worker finished, whose reports the store gave it in the same
   * transaction (no outbox to read, no claim to make), then, when asked, a pass over the
   * outbox for every other one (another process's, a failed report, a restart's).
   */
  private reportLoop(): Promise<void> {
    if (this.reporting) return this.reporting;
    this.reporting = (async () => {
      while ((this.claimedReports.length > 0 || this.scanWanted) && !this.stopping.signal.aborted) {
        const claimed = this.claimedReports.shift();
        if (claimed !== undefined) {
          // Finished and unreported when the claim was taken; markRunReported refuses a run reported since.
          await this.reportRun(claimed.run, claimed.jobs);
          continue;
        }
        this.scanWanted = false;
        let more: boolean;
        do {
          const owed = await this.o.store.listUnreportedRuns(REPORTS_PER_PASS);
          let reported = 0;
          for (const run of owed) {
            const claimedNow = await this.o.store.claimRunReport({ runId: run.id, worker: this.o.workerId, now: this.clock.now(), leaseMs: this.o.leaseMs ?? 60_000 });
            if (claimedNow && (await this.reportRun(run))) reported++;
          }
          // A full page may have more behind it; go on while reports are being made (a page
          // of reports that all fail waits for the next sweep rather than spin).
          more = owed.length === REPORTS_PER_PASS && reported > 0;
        } while (more && !this.stopping.signal.aborted);
      }
    })().catch((e) => this.o.log?.(`draining the report outbox: ${(e as Error).message}`))
      .finally(() => {
        this.reporting = undefined;
        this.wake.notify();
        // A report may have written notifications: send them now rather than at the next sweep.
        if (!this.stopping.signal.aborted) void this.drainOwed();
        // Asked for between the loop's last check and here: that call found the loop still
        // going and counted on it, so it is owed one more (else it waited for the next sweep).
        if ((this.claimedReports.length > 0 || this.scanWanted) && !this.stopping.signal.aborted) void this.reportLoop();
      });
    return this.reporting;
  }

  /** One run's report, the right to make it already taken; false when it failed (left in the outbox). */
  private async reportRun(run: Run, collated?: readonly Job[]): Promise<boolean> {
    try {
      const jobs = collated ?? await this.o.store.listJobs(run.id);
      for (const r of this.o.reporters ?? []) await r.report(run, jobs);
      return await this.o.store.markRunReported({ runId: run.id, now: this.clock.now(), revision: run.verdictRevision });
    } catch (e) {
      // Left in the outbox: the next pass (or process) retries it once the claim lapses.
      this.o.log?.(`report of run ${run.id} failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** Runs the reporters' own outboxes (drain); concurrent calls coalesce into one more pass. */
  drainOwed(): Promise<void> {
    const reporters = (this.o.reporters ?? []).filter((r) => r.drain);
    if (reporters.length === 0) return Promise.resolve();
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      let next: number | undefined;
      do {
        this.drainAgain = false;
        next = undefined;
        for (const r of reporters) {
          if (this.stopping.signal.aborted) return;
          try {
            const due = await r.drain?.(this.stopping.signal);
            if (due !== undefined && (next === undefined || due < next)) next = due;
          } catch (e) {
            this.o.log?.(`draining a reporter's outbox: ${(e as Error).message}`);
          }
        }
      } while (this.drainAgain && !this.stopping.signal.aborted);
      if (next !== undefined) this.drainAt(next);
    })().finally(() => {
      this.draining = undefined;
      if (this.drainAgain && !this.stopping.signal.aborted) void this.drainOwed();
    });
    return this.draining;
  }

  /**
   * One pass over the reporters' outboxes as the engine stops: a command's engine (`sluice
   * submit`) lives only as long as its run, and what its report wrote goes out before it
   * exits. One attempt each; a failure waits in the store for the next process.
   */
  private async lastDrain(): Promise<void> {
    for (const r of this.o.reporters ?? []) {
      try {
        await r.drain?.(new AbortController().signal);
      } catch (e) {
        this.o.log?.(`draining a reporter's outbox: ${(e as Error).message}`);
      }
    }
  }

  /** Drains again at `at` (a retry's due time), unless an earlier wake-up is set already. */
  private drainAt(at: number): void {
    if (this.stopping.signal.aborted || (this.drainTimer && this.drainTimer.at <= at && !this.drainTimer.cancel.signal.aborted)) return;
    this.drainTimer?.cancel.abort();
    const timer = { at, cancel: new AbortController() };
    this.drainTimer = timer;
    void this.clock.sleep(Math.max(0, at - this.clock.now()), timer.cancel.signal).then(() => {
      if (timer.cancel.signal.aborted) return;
      this.drainTimer = undefined;
      void this.drainOwed();
    });
  }
}

/** A controller plans only from a run it can read: an unreadable one fails its advance (logged, tried again) until it is cancelled. */
function readable(run: Run): Run {
  if (!isReadable(run)) throw new Error(`its record cannot be read by this version (${run.storedPipeline}: ${run.problem})`);
  return run;
}
