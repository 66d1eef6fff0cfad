import type { RunVerdict } from '../core/verdicts.js';
import type { Job, Store } from '../store/index.js';
import type { Clock } from './clock.js';
import type { JobSpec, RunInputs } from './job-spec.js';
import { jobKind } from './job-kind.js';
import type { ExecutionOutcome, NodeProvider } from './node-provider.js';
import type { Wake } from './wake.js';

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
  /** An infra retry waits this long times the attempts spent. */
  readonly retryBackoffMs?: number;
  /** Called at each sweep: the engine drains its report outbox there too. */
  readonly onSweep?: () => Promise<void>;
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
  private readonly inFlight = new Map<string, Promise<void>>();
  private loop: Promise<void> | undefined;
  private holderSeq = 0;
  private lastSweep = -Infinity;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly sweepEveryMs: number;

  constructor(private readonly o: WorkerOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.pollMs = o.pollMs ?? 1000;
    this.sweepEveryMs = o.sweepEveryMs ?? 15_000;
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

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.sweepIfDue();
        const started = await this.claimWhatFits();
        if (!started) await this.o.wake.wait(this.pollMs, this.stopping.signal);
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
    for (const swept of await this.o.store.sweepExpiredJobs(now, this.backoff())) {
      this.o.log?.(`reclaimed job ${swept.jobId} of dead worker ${swept.worker}`);
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
  }

  /** Claims jobs while some provider has a free node; true when at least one started. */
  private async claimWhatFits(): Promise<boolean> {
    let started = false;
    for (const provider of this.o.providers) {
      while (!this.stopping.signal.aborted) {
        const now = this.o.clock.now();
        const holder = `${this.o.workerId}#${++this.holderSeq}`;
        const resource = `provider:${provider.name}`;
        const lease = await this.o.store.acquireLease({ resource, capacity: provider.capacity, holder, now, ttlMs: this.leaseMs });
        if (!lease.ok) break;
        const claim = await this.o.store.claimNextJob({ worker: this.o.workerId, now, leaseMs: this.leaseMs, kinds: [jobKind('phase1', provider.name)] });
        if (!claim.ok) {
          await this.o.store.releaseLease({ resource, slot: lease.slot, holder });
          break;
        }
        const job = claim.job;
        const done = this.execute(provider, job, { resource, slot: lease.slot, holder })
          .catch((e) => this.o.log?.(`job ${job.id}: ${(e as Error).stack ?? String(e)}`))
          .finally(() => { this.inFlight.delete(job.id); this.o.wake.notify(); });
        this.inFlight.set(job.id, done);
        started = true;
      }
    }
    return started;
  }

  private async execute(provider: NodeProvider, job: Job, node: { resource: string; slot: number; holder: string }): Promise<void> {
    const { store, clock } = this.o;
    const abort = new AbortController();
    let lost = false;
    let cancelRequested = false;
    const beat = new AbortController();
    const heartbeat = (async () => {
      while (!beat.signal.aborted) {
        await clock.sleep(Math.max(1, Math.floor(this.leaseMs / 3)), beat.signal);
        if (beat.signal.aborted) break;
        const now = clock.now();
        try {
          const hb = await store.heartbeatJob({ jobId: job.id, worker: this.o.workerId, now, leaseMs: this.leaseMs });
          await store.renewLease({ ...node, now, ttlMs: this.leaseMs });
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
      const run = await store.getRun(job.runId);
      const inputs = run?.inputs as RunInputs | undefined;
      const spec = job.spec as JobSpec;
      if (!inputs || !spec) throw new Error(`job ${job.id} has no spec or run inputs`);
      outcome = await provider.execute({
        runId: job.runId, jobId: job.id, attempt: job.attempt, spec,
        updateFile: { name: `${inputs.updateId}.yml`, content: inputs.content }, signal: abort.signal,
      });
    } catch (e) {
      outcome = { result: 'infra', reason: `the provider failed: ${(e as Error).message}`, node: provider.name, logPath: null };
    } finally {
      beat.abort();
      await heartbeat;
    }
    if (cancelRequested) outcome = { ...outcome, result: 'cancelled', reason: 'cancelled while running' };
    if (!lost) {
      const finished = await store.finishJob({
        jobId: job.id, worker: this.o.workerId, now: clock.now(), result: outcome.result, reason: outcome.reason,
        node: outcome.node, logPath: outcome.logPath, ...this.backoff(),
      });
      if (finished.ok && finished.runVerdict) await this.o.onRunFinished?.(job.runId, finished.runVerdict);
    }
    await store.releaseLease(node);
  }
}
