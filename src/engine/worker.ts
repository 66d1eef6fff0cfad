import { setMaxListeners } from 'node:events';
import type { RunVerdict } from '../core/verdicts.js';
import type { ClaimableKind, Job, Store } from '../store/index.js';
import type { Clock } from './clock.js';
import type { JobPreparer } from './job-preparer.js';
import { BASELINE_CONTENT } from '../core/baseline.js';
import type { OutcomeAnalyzer } from './outcome-analyzer.js';
import type { JobSpec, RunInputs } from './job-spec.js';
import { JOB_CLASSES, MAX_JOB_NODES, jobClassOfKind, jobKind, nodesOfKind, semaphoresFor } from './job-kind.js';
import type { ExecutionOutcome, NodeProvider } from './node-provider.js';
import type { Wake } from './wake.js';

/** Runs whose inputs a worker keeps (the oldest forgotten first). */
const INPUTS_KEPT = 64;

/** A lease the worker holds for a running job: its node, and any semaphores. */
interface Held { readonly resource: string; readonly slot: number; readonly holder: string }

export interface WorkerOptions {
  readonly store: Store;
  readonly providers: readonly NodeProvider[];
  readonly clock: Clock;
  readonly wake: Wake;
  /** Unique among live workers: it owns leases and job claims. */
  readonly workerId: string;
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
  readonly onRunFinished?: (runId: string, verdict: RunVerdict) => Promise<void>;
  readonly log?: (line: string) => void;
}

/**
 * The long-lived part of the engine (Buildkite's agent worker): takes node capacity as
 * leases, claims jobs fairly, runs them, heartbeats, reports. Several workers, in one
 * process or many, share one store and never run a job twice.
 */
export class Worker {
  private readonly stopping = new AbortController();
  /** Aborted by handBack(): running jobs are stopped and returned to the queue. */
  private readonly handingBack = new AbortController();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inputsByRun = new Map<string, RunInputs>();
  /** Jobs this worker runs, by provider: a provider it alone fills needs no claim to know it is full. */
  private readonly runningOn = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private holderSeq = 0;
  private lastSweep = -Infinity;
  private lastOrphanSweep = -Infinity;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly sweepEveryMs: number;

  constructor(private readonly o: WorkerOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.pollMs = o.pollMs ?? 1000;
    this.sweepEveryMs = o.sweepEveryMs ?? 15_000;
    // Each running job listens for a hand-back until it ends: as many listeners as jobs run at once, not a leak.
    setMaxListeners(0, this.handingBack.signal);
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
        if (!started) await this.o.wake.wait(this.pollMs, this.stopping.signal, seen);
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
    await this.o.store.reclaimExpiredLeases(now);
    const sweep = { ...this.backoff(), ...(this.o.interruptedAttempts === undefined ? {} : { interruptedAttempts: this.o.interruptedAttempts }) };
    for (const swept of await this.o.store.sweepExpiredJobs(now, sweep)) {
      this.o.log?.(`reclaimed job ${swept.jobId} of dead worker ${swept.worker}${swept.givenBack ? ' (its attempt given back)' : ''}`);
      await this.reap(swept);
      if (swept.runControlled) this.o.onJobFinished?.(swept.runId);
      if (swept.runVerdict) await this.o.onRunFinished?.(swept.runId, swept.runVerdict);
    }
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

  /** Asks the job's provider to stop what the dead worker may have left running. */
  private async reap(swept: { jobId: string; runId: string; target: string; attempt: number }): Promise<void> {
    const job = await this.o.store.getJob(swept.jobId);
    const spec = job?.spec as { provider?: string } | undefined;
    const provider = this.o.providers.find((p) => p.name === spec?.provider);
    if (!provider?.reap) return;
    try {
      await provider.reap({ runId: swept.runId, jobId: swept.jobId, target: swept.target, attempt: swept.attempt });
    } catch (e) {
      this.o.log?.(`cannot reap job ${swept.jobId}: ${(e as Error).message}`);
    }
  }

  /** Claims jobs while a node and a job for it are free; true when at least one started. */
  private async claimWhatFits(): Promise<boolean> {
    let started = false;
    while (!this.stopping.signal.aborted) {
      const outcome = await this.claimOne();
      if (outcome === 'none') break;
      if (outcome === 'started') started = true;
      // `contended`: a racing worker took a slot counted free; the next ask sees it held.
    }
    return started;
  }

  /**
   * One store transaction takes the next job any provider can run now (the fair order of
   * claimNextJob across every class) together with its node and the semaphores capping its
   * class: all or nothing, so a lease is never held for a job that did not start, and no
   * lease is taken while nothing is queued.
   */
  private async claimOne(): Promise<'started' | 'contended' | 'none'> {
    // Every node of every provider runs one of this worker's jobs: the store can only say
    // `none` (a job finishing here wakes the loop again), so it is not asked.
    const kinds = this.claimableKinds();
    if (kinds.length === 0) return 'none';
    const holder = `${this.o.workerId}#${++this.holderSeq}`;
    const claim = await this.o.store.claimJobWithLeases({ worker: this.o.workerId, holder, now: this.o.clock.now(), leaseMs: this.leaseMs, kinds });
    if (!claim.ok) return claim.code;
    const { job, leases } = claim;
    const nodes = nodesOfKind(job.kind);
    const provider = this.o.providers.find((p) => job.kind === jobKind(jobClassOfKind(job.kind), p.name, nodes));
    const on = provider?.name ?? '';
    this.runningOn.set(on, (this.runningOn.get(on) ?? 0) + nodes);
    const done = (provider ? this.execute(provider, job, leases) : this.abandon(job, leases))
      .catch((e) => this.o.log?.(`job ${job.id}: ${(e as Error).stack ?? String(e)}`))
      .finally(() => {
        this.inFlight.delete(job.id);
        this.runningOn.set(on, (this.runningOn.get(on) ?? nodes) - nodes);
        this.o.wake.notify();
      });
    this.inFlight.set(job.id, done);
    return 'started';
  }

  /**
   * Every kind this worker's providers run, with the node and semaphores a job of it needs;
   * less the providers whose every node runs a job of this worker (other workers' jobs are
   * counted by the store's claim).
   */
  private claimableKinds(): ClaimableKind[] {
    return this.o.providers.flatMap((provider) => {
      const free = provider.capacity - (this.runningOn.get(provider.name) ?? 0);
      // A job of n nodes is claimable while n of the provider's nodes may be free.
      const sizes = Array.from({ length: Math.min(free, MAX_JOB_NODES) }, (_, i) => i + 1);
      return sizes.flatMap((nodes) => JOB_CLASSES.map((cls) => ({
        kind: jobKind(cls, provider.name, nodes),
        leases: [
          { resource: `provider:${provider.name}`, capacity: provider.capacity, count: nodes },
          ...semaphoresFor(cls, this.o.semaphores ?? {}).map(([name, capacity]) => ({ resource: `semaphore:${name}`, capacity })),
        ],
      })));
    });
  }

  /** Cannot happen (the kinds asked for are the providers'); ends the attempt as infra rather than hold its leases. */
  private async abandon(job: Job, held: readonly Held[]): Promise<void> {
    await this.o.store.finishJob({
      jobId: job.id, worker: this.o.workerId, now: this.o.clock.now(), result: 'infra', reason: `no provider runs jobs of kind ${job.kind}`,
      releaseLeases: held, ...this.backoff(),
    });
  }

  /** Classifies the attempt from its log and records its per-test results; analysis failing never fails the job. */
  private async analyze(job: Job, outcome: ExecutionOutcome): Promise<ExecutionOutcome> {
    const spec = job.spec as JobSpec;
    try {
      const analysis = await (this.o.analyzer as OutcomeAnalyzer).analyze({ jobId: job.id, runId: job.runId, attempt: job.attempt, spec }, outcome);
      if (analysis.tests.length > 0) {
        const content = spec.updates ? spec.updates.map((u) => u.id).join(' ') : spec.updateId;
        const hash = (await this.runInputs(job.runId) as { contentHash?: string } | undefined)?.contentHash;
        await this.o.store.recordTestResults({
          jobId: job.id, attempt: job.attempt, runId: job.runId, target: job.target,
          content: spec.stage === 'baseline' ? BASELINE_CONTENT : spec.updates ? `group:${content}` : hash ?? content, results: analysis.tests, now: this.o.clock.now(),
        });
      }
      return analysis.outcome;
    } catch (e) {
      this.o.log?.(`analysis of job ${job.id}: ${(e as Error).message}`);
      return outcome;
    }
  }

  /**
   * A run's inputs, which never change once it is written: read once for all its jobs (a
   * fan-out of 32 children asked the store 32 times for the same row).
   */
  private async runInputs(runId: string): Promise<RunInputs | undefined> {
    const known = this.inputsByRun.get(runId);
    if (known) return known;
    const inputs = (await this.o.store.getRun(runId))?.inputs as RunInputs | undefined;
    if (inputs) {
      this.inputsByRun.set(runId, inputs);
      if (this.inputsByRun.size > INPUTS_KEPT) this.inputsByRun.delete(this.inputsByRun.keys().next().value as string);
    }
    return inputs;
  }

  private async execute(provider: NodeProvider, job: Job, held: readonly Held[]): Promise<void> {
    const { store, clock } = this.o;
    const abort = new AbortController();
    let lost = false;
    let cancelRequested = false;
    let settled = false;
    let handedBack = false;
    const handBack = () => { if (!settled) { handedBack = true; abort.abort(); } };
    if (this.handingBack.signal.aborted) handBack();
    else this.handingBack.signal.addEventListener('abort', handBack, { once: true });
    const beat = new AbortController();
    const heartbeat = (async () => {
      while (!beat.signal.aborted) {
        await clock.sleep(Math.max(1, Math.floor(this.leaseMs / 3)), beat.signal);
        if (beat.signal.aborted) break;
        const now = clock.now();
        try {
          const hb = await store.heartbeatJob({ jobId: job.id, worker: this.o.workerId, now, leaseMs: this.leaseMs });
          for (const h of held) await store.renewLease({ ...h, now, ttlMs: this.leaseMs });
          if (!hb.ok) { lost = true; abort.abort(); break; }
          if (hb.cancelRequested && !cancelRequested) { cancelRequested = true; abort.abort(); }
        } catch (e) {
          // The store is briefly unreachable: keep the job running and beat again. If the
          // outage outlasts the lease, the next heartbeat is `lost` and the job stops.
          this.o.log?.(`heartbeat of job ${job.id}: ${(e as Error).message}`);
        }
      }
    })();
    let outcome: ExecutionOutcome;
    try {
      const spec = job.spec as JobSpec | undefined;
      if (!spec) throw new Error(`job ${job.id} has no spec`);
      let updateFiles = spec.updates?.map((u) => ({ name: `${u.id}.yml`, content: u.content }));
      if (!updateFiles) {
        const inputs = await this.runInputs(job.runId);
        if (!inputs) throw new Error(`job ${job.id} has no run inputs`);
        updateFiles = [{ name: `${inputs.updateId}.yml`, content: inputs.content }];
      }
      const execution = { runId: job.runId, jobId: job.id, attempt: job.attempt, spec, updateFiles, signal: abort.signal };
      const prepared = this.o.preparer ? await this.o.preparer.prepare(execution) : { ok: true as const, env: {} };
      if (!prepared.ok) outcome = prepared.outcome;
      // phase2's checks stage is all preparation: no node, no command.
      else if (spec.stage === 'checks') outcome = { result: 'success', reason: 'the package checks passed', node: 'prepare', logPath: prepared.logPath ?? null };
      else {
        const inputDirs = { ...spec.dirs, ...prepared.dirs };
        outcome = await provider.execute({
          ...execution, preparedEnv: { ...spec.env, ...prepared.env },
          ...(Object.keys(inputDirs).length > 0 ? { inputDirs } : {}), ...(spec.delivery ? { delivery: spec.delivery } : {}),
        });
      }
    } catch (e) {
      outcome = { result: 'infra', reason: `the provider failed: ${(e as Error).message}`, node: provider.name, logPath: null };
    } finally {
      settled = true;
      this.handingBack.signal.removeEventListener('abort', handBack);
      beat.abort();
      await heartbeat;
    }
    if (handedBack && !cancelRequested && !lost) {
      // Whatever the stopped commands made of it, the attempt was not the job's to judge.
      const back = await store.finishJob({
        jobId: job.id, worker: this.o.workerId, now: clock.now(), result: 'infra', reason: `handed back to the queue: worker ${this.o.workerId} stopped`,
        node: outcome.node, logPath: outcome.logPath, handBack: true, releaseLeases: held,
      });
      if (back.ok && back.runVerdict) await this.o.onRunFinished?.(job.runId, back.runVerdict);
      return;
    }
    if (cancelRequested) outcome = { ...outcome, result: 'cancelled', reason: 'cancelled while running' };
    if (!lost && !cancelRequested && this.o.analyzer && (outcome.result === 'failure' || outcome.result === 'success')) {
      outcome = await this.analyze(job, outcome);
    }
    if (!lost && outcome.snapshot && outcome.result === 'success') {
      // Before the job finishes, so the images reporter (run on the verdict) finds it.
      await store.appendEvent({ at: clock.now(), kind: 'image.snapshot', runId: job.runId, jobId: job.id, payload: { ...outcome.snapshot, provider: provider.name, target: job.target } });
    }
    if (lost) {
      for (const h of held) await store.releaseLease(h);
      return;
    }
    // The node and semaphores are freed in the transaction that ends the attempt.
    const finished = await store.finishJob({
      jobId: job.id, worker: this.o.workerId, now: clock.now(), result: outcome.result, reason: outcome.reason,
      node: outcome.node, logPath: outcome.logPath, ...(outcome.excerpt === undefined ? {} : { excerpt: outcome.excerpt }), ...this.backoff(),
      releaseLeases: held,
    });
    if (finished.ok && finished.runVerdict) await this.o.onRunFinished?.(job.runId, finished.runVerdict);
    if (finished.ok && finished.runControlled) this.o.onJobFinished?.(job.runId);
  }
}
