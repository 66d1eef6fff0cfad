import { setMaxListeners } from 'node:events';
import type { RunVerdict } from '../core/verdicts.js';
import type { ClaimableKind, ClaimedJob, HeldLease, Job, Run, Store } from '../store/index.js';
import { AttemptRunner, type AttemptServices } from './attempt-runner.js';
import type { Clock } from './clock.js';
import type { JobPreparer } from './job-preparer.js';
import type { OutcomeAnalyzer } from './outcome-analyzer.js';
import { updateFileOf, type RunUpdateFile } from '../core/records/run-record.js';
import { JOB_CLASSES, MAX_JOB_NODES, jobClassOfKind, jobKind, nodesOfKind, semaphoresFor } from './job-kind.js';
import type { NodeProvider } from './node-provider.js';
import type { Wake } from './wake.js';
import { specView } from './job-spec-view.js';

/** Runs whose inputs a worker keeps (the oldest forgotten first). */
const INPUTS_KEPT = 64;

/**
 * Jobs one claim transaction takes at most. The store's claim costs the same few
 * statements for one job as for many, but each statement's text grows with the batch.
 */
const MAX_CLAIMS_AT_ONCE = 64;

export interface WorkerOptions {
  readonly store: Store;
  readonly providers: readonly NodeProvider[];
  readonly clock: Clock;
  readonly wake: Wake;
  /** Unique among live workers: it owns leases and job claims. */
  readonly workerId: string;
  /** The dashboard URL of the serve this worker is part of, recorded on each claim: another host's dashboard reads the attempt's log there. */
  readonly origin?: string;
  /** Job and node leases last this long unless renewed by the heartbeat. */
  readonly leaseMs?: number;
  /** How long an idle worker waits for a hint before looking again. */
  readonly pollMs?: number;
  /** How often expired leases of dead workers are reclaimed. */
  readonly sweepEveryMs?: number;
  /** How often providers are asked to remove nodes of runs that are gone (and once at start); default 10 minutes. */
  readonly orphanSweepEveryMs?: number;
  /** An infra retry waits this long times the attempts spent. */
  readonly retryBackoffMs?: number;
  /** How many of a job's attempts lost to a dead worker are given back (the store's default otherwise). */
  readonly interruptedAttempts?: number;
  /** Fetches builds and runs built-in checks before a job's commands. */
  readonly preparer?: JobPreparer;
  /** Reads an attempt's log and test results before its result is recorded. */
  readonly analyzer?: OutcomeAnalyzer;
  /** Named semaphores capping job classes (`phase1/provision: 2`), across all workers. */
  readonly semaphores?: Readonly<Record<string, number>>;
  /** Called at each sweep: the engine drains its report outbox there too. */
  readonly onSweep?: () => Promise<void>;
  /** Called after a job of a controlled run finished: the run may need its next round. */
  readonly onJobFinished?: (runId: string) => void;
  /** Called once a run has its verdict (the reporter: merge, vote). Must be idempotent. */
  /** `reportClaimed`: the store gave this worker the run's report as the run finished (the run as finished). */
  /** `reportClaimed`: the run as finished, its report this worker's to make; `jobs`: its jobs as collated, when the finish read them. */
  readonly onRunFinished?: (runId: string, verdict: RunVerdict, reportClaimed?: Run, jobs?: readonly Job[]) => Promise<void>;
  readonly log?: (line: string) => void;
}

/**
 * The long-lived part of the engine (Buildkite's agent worker): sweeps what dead workers
 * left, takes node capacity as leases and claims jobs fairly, and hands each claimed job
 * to an AttemptRunner (heartbeat, cancel, hand-back, report). Several workers, in one
 * process or many, share one store and never run a job twice.
 */
export class Worker {
  private readonly stopping = new AbortController();
  /** Aborted by handBack(): running jobs are stopped and returned to the queue. */
  private readonly handingBack = new AbortController();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inputsByRun = new Map<string, RunUpdateFile>();
  /** Jobs this worker runs, by provider: a provider it alone fills needs no claim to know it is full. */
  private readonly runningOn = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private holderSeq = 0;
  /** What the last claim that found nothing queued asked, and when (see stillDrained). */
  private drained: { readonly kinds: ReadonlySet<string>; readonly work: number; readonly at: number } | undefined;
  private lastSweep = -Infinity;
  private lastOrphanSweep = -Infinity;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly sweepEveryMs: number;
  private readonly attempts: AttemptServices;

  constructor(private readonly o: WorkerOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.pollMs = o.pollMs ?? 1000;
    this.sweepEveryMs = o.sweepEveryMs ?? 15_000;
    // Each running job listens for a hand-back until it ends: as many listeners as jobs run at once, not a leak.
    setMaxListeners(0, this.handingBack.signal);
    this.attempts = {
      store: o.store, clock: o.clock, workerId: o.workerId, leaseMs: this.leaseMs, retryBackoffMs: o.retryBackoffMs,
      preparer: o.preparer, analyzer: o.analyzer, runInputs: (runId) => this.runInputs(runId),
      onJobFinished: o.onJobFinished, onRunFinished: o.onRunFinished, log: o.log,
    };
  }

  start(): void {
    this.loop ??= this.run();
  }

  private backoff(): { retryBackoffMs?: number } {
    return this.o.retryBackoffMs === undefined ? {} : { retryBackoffMs: this.o.retryBackoffMs };
  }

  /** Stops claiming and waits for the running jobs to finish and be reported. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.o.wake.notify();
    await this.loop;
    await Promise.all(this.inFlight.values());
  }

  /**
   * Stops claiming, stops the running jobs' commands and hands the jobs back to the queue
   * with their attempts given back, so another worker (or this one after its restart)
   * runs them at once: an operator's restart need not wait for a 30-minute job, nor for
   * its lease to expire. stop() then returns as soon as they are handed back.
   */
  handBack(): void {
    this.stopping.abort();
    this.handingBack.abort();
    this.o.wake.notify();
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.sweepIfDue();
        const seen = this.o.wake.generation;
        const started = await this.claimWhatFits();
        // Found drained, the next poll is due a poll after that finding, not after this look.
        const drainedAt = this.drained?.at;
        const wait = drainedAt === undefined ? this.pollMs : Math.max(1, drainedAt + this.pollMs - this.o.clock.now());
        if (!started) await this.o.wake.wait(wait, this.stopping.signal, seen);
      } catch (e) {
        // The store may be briefly unreachable (a PostgreSQL restart): wait and go on.
        this.o.log?.(`worker ${this.o.workerId}: ${(e as Error).message}`);
        await this.o.wake.wait(this.pollMs, this.stopping.signal);
      }
    }
  }

  private async sweepIfDue(): Promise<void> {
    const now = this.o.clock.now();
    if (now - this.lastSweep < this.sweepEveryMs) return;
    this.lastSweep = now;
    // The sweep may queue jobs again (a dead worker's).
    this.drained = undefined;
    // A job's node stays leased past its lease's expiry while the job runs (the store's
    // heldAt): its processes are killed here before the sweep frees the node for another.
    for (const expired of await this.o.store.listExpiredJobs(now)) await this.reap(expired);
    const sweep = { ...this.backoff(), ...(this.o.interruptedAttempts === undefined ? {} : { interruptedAttempts: this.o.interruptedAttempts }) };
    for (const swept of await this.o.store.sweepExpiredJobs(now, sweep)) {
      this.o.log?.(`reclaimed job ${swept.jobId} of dead worker ${swept.worker}${swept.givenBack ? ' (its attempt given back)' : ''}`);
      if (swept.runControlled) this.o.onJobFinished?.(swept.runId);
      if (swept.runVerdict) await this.o.onRunFinished?.(swept.runId, swept.runVerdict);
    }
    await this.o.store.reclaimExpiredLeases(now);
    // A run whose jobs all ended without collating it (every target skipped, and the
    // process died between writing the run and settling it) is collated here.
    for (const runId of await this.o.store.listStrandedRunIds()) {
      const settled = await this.o.store.settleRun({ runId, now });
      if (settled.ok) await this.o.onRunFinished?.(runId, settled.verdict);
    }
    // A report that failed (git busy, Gerrit down) is retried here, not only when a run ends.
    await this.o.onSweep?.();
    await this.reapOrphansIfDue(now);
  }

  /** Nodes no unfinished run owns cost money and addresses: the first sweep after a start removes them. */
  private async reapOrphansIfDue(now: number): Promise<void> {
    if (now - this.lastOrphanSweep < (this.o.orphanSweepEveryMs ?? 600_000)) return;
    this.lastOrphanSweep = now;
    for (const provider of this.o.providers) {
      if (!provider.reapOrphans) continue;
      try {
        // Known images are asked after the live runs (the provider's order): a run that
        // finished in between announced its snapshot before it finished.
        await provider.reapOrphans(() => this.o.store.listUnfinishedRunIds(), () => this.o.store.listKnownImageLocations(provider.name));
      } catch (e) {
        // A cloud that cannot be reached now is swept next time; it never stops the worker.
        this.o.log?.(`cannot sweep provider ${provider.name} for orphaned nodes: ${(e as Error).message}`);
      }
    }
  }

  /** Asks the job's provider to stop what the dead (or stalled) worker may have left running. */
  private async reap(job: Job): Promise<void> {
    const spec = specView(job);
    const provider = this.o.providers.find((p) => p.name === spec?.provider);
    if (!provider?.reap) return;
    try {
      await provider.reap({ runId: job.runId, jobId: job.id, target: job.target, attempt: job.attempt });
    } catch (e) {
      this.o.log?.(`cannot reap job ${job.id}: ${(e as Error).message}`);
    }
  }

  /** Claims jobs while a node and a job for it are free; true when at least one started. */
  private async claimWhatFits(): Promise<boolean> {
    let started = false;
    // Every free node in one claim: its transaction costs the same few statements for 32
    // jobs as for 2 (measured: a fan-out of 32 on PostgreSQL was 66-71 ms above 32 bare
    // spawns claimed at once, 104-115 ms in batches of 2, 4, 8 and 16).
    while (!this.stopping.signal.aborted) {
      const outcome = await this.claimSome(MAX_CLAIMS_AT_ONCE);
      if (outcome === 'none') break;
      if (outcome === 'started') started = true;
      // `contended`: a racing worker took a slot counted free; the next ask sees it held.
    }
    return started;
  }

  /**
   * One store transaction takes the next jobs the providers can run now (the fair order of
   * job-candidates.ts across every class), as many as this worker has free nodes, each with its
   * node and the semaphores capping its class: all or nothing, so a lease is never held for
   * a job that did not start, and no lease is taken while nothing is queued.
   */
  private async claimSome(most: number): Promise<'started' | 'contended' | 'none'> {
    // Every node of every provider runs one of this worker's jobs: the store can only say
    // `none` (a job finishing here wakes the loop again), so it is not asked.
    const kinds = this.claimableKinds();
    if (kinds.length === 0) return 'none';
    const now = this.o.clock.now();
    if (this.stillDrained(kinds, now)) return 'none';
    const work = this.o.wake.workGeneration;
    const free = this.o.providers.reduce((n, p) => n + Math.max(0, p.capacity - (this.runningOn.get(p.name) ?? 0)), 0);
    const holders = Array.from({ length: Math.max(1, Math.min(free, most)) }, () => `${this.o.workerId}#${++this.holderSeq}`);
    const emptyKinds = this.runnableKinds();
    const claim = await this.o.store.claimJobsWithLeases({ worker: this.o.workerId, holders, now, leaseMs: this.leaseMs, kinds, emptyKinds, ...(this.o.origin === undefined ? {} : { origin: this.o.origin }) });
    this.drained = !claim.ok && claim.code === 'empty' ? { kinds: new Set(emptyKinds), work, at: now } : undefined;
    if (!claim.ok) return claim.code === 'contended' ? 'contended' : 'none';
    for (const claimed of claim.claims) this.startAttempt(claimed);
    return 'started';
  }

  /**
   * The last claim found no job of these kinds queued, and since then no hint said work
   * may have been queued, nor has a poll's time passed (a retry's wait may have ended): the
   * nodes its own jobs freed meanwhile change nothing, so the store is not asked again. A
   * fan-out's children each ended with such a claim, a round trip each.
   */
  private stillDrained(kinds: readonly ClaimableKind[], now: number): boolean {
    const d = this.drained;
    return d !== undefined && d.work === this.o.wake.workGeneration && now - d.at < this.pollMs && kinds.every((k) => d.kinds.has(k.kind));
  }

  private startAttempt({ job, leases, startedRun }: ClaimedJob): void {
    if (startedRun) this.keepInputs(startedRun);
    const nodes = nodesOfKind(job.kind);
    const provider = this.o.providers.find((p) => job.kind === jobKind(jobClassOfKind(job.kind), p.name, nodes));
    const on = provider?.name ?? '';
    this.runningOn.set(on, (this.runningOn.get(on) ?? 0) + nodes);
    const done = (provider ? new AttemptRunner(this.attempts, provider, job, leases).run(this.handingBack.signal) : this.abandon(job, leases))
      .catch((e) => this.o.log?.(`job ${job.id}: ${(e as Error).stack ?? String(e)}`))
      .finally(() => {
        this.inFlight.delete(job.id);
        this.runningOn.set(on, (this.runningOn.get(on) ?? nodes) - nodes);
        this.o.wake.notify('freed');
      });
    this.inFlight.set(job.id, done);
  }

  /**
   * Every kind this worker's providers run, with the node and semaphores a job of it needs;
   * less the providers whose every node runs a job of this worker (other workers' jobs are
   * counted by the store's claim).
   */
  /**
   * Every kind this worker's providers could run once its own jobs free their nodes: a
   * claim that finds none of them queued (`empty`) holds however many nodes free later.
   */
  private runnableKinds(): string[] {
    return this.o.providers.flatMap((provider) => Array.from({ length: Math.min(provider.capacity, MAX_JOB_NODES) }, (_, i) => i + 1)
      .flatMap((nodes) => JOB_CLASSES.map((cls) => jobKind(cls, provider.name, nodes))));
  }

  private claimableKinds(): ClaimableKind[] {
    return this.o.providers.flatMap((provider) => {
      const free = provider.capacity - (this.runningOn.get(provider.name) ?? 0);
      // A job of n nodes is claimable while n of the provider's nodes may be free.
      const sizes = Array.from({ length: Math.min(free, MAX_JOB_NODES) }, (_, i) => i + 1);
      const liveLogPath = provider.liveLogPath?.bind(provider);
      return sizes.flatMap((nodes) => JOB_CLASSES.map((cls) => ({
        kind: jobKind(cls, provider.name, nodes),
        leases: [
          { resource: `provider:${provider.name}`, capacity: provider.capacity, count: nodes },
          ...semaphoresFor(cls, this.o.semaphores ?? {}).map(([name, capacity]) => ({ resource: `semaphore:${name}`, capacity })),
        ],
        ...(liveLogPath ? { liveLogPath } : {}),
      })));
    });
  }

  /** Cannot happen (the kinds asked for are the providers'); ends the attempt as infra rather than hold its leases. */
  private async abandon(job: Job, held: readonly HeldLease[]): Promise<void> {
    await this.o.store.finishJob({
      jobId: job.id, worker: this.o.workerId, now: this.o.clock.now(), result: 'infra', reason: `no provider runs jobs of kind ${job.kind}`,
      releaseLeases: held, ...this.backoff(),
    });
  }

  /**
   * A run's inputs, which never change once it is written: read once for all its jobs (a
   * fan-out of 32 children asked the store 32 times for the same row).
   */
  private async runInputs(runId: string): Promise<RunUpdateFile | undefined> {
    const known = this.inputsByRun.get(runId);
    if (known) return known;
    const run = await this.o.store.getRun(runId);
    return run ? this.keepInputs(run) : undefined;
  }

  private keepInputs(run: Run): RunUpdateFile | undefined {
    const inputs = updateFileOf(run);
    if (inputs) {
      this.inputsByRun.set(run.id, inputs);
      if (this.inputsByRun.size > INPUTS_KEPT) this.inputsByRun.delete(this.inputsByRun.keys().next().value as string);
    }
    return inputs;
  }
}
