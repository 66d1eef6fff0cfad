import type { RunVerdict } from '../core/verdicts.js';
import type { HeldLease, Job, Run, Store } from '../store/index.js';
import type { Clock } from './clock.js';
import { BASELINE_CONTENT } from '../core/baseline.js';
import type { JobPreparer } from './job-preparer.js';
import type { RunUpdateFile } from '../core/records/run-record.js';
import type { JobSpec } from './job-spec.js';
import type { ExecutionOutcome, NodeProvider } from './node-provider.js';
import type { OutcomeAnalyzer } from './outcome-analyzer.js';
import { AttemptStop } from './stop-reason.js';
import { abortQuietly } from './abort-quietly.js';

/** What an attempt needs from the worker that claimed it. */
export interface AttemptServices {
  readonly store: Store;
  readonly clock: Clock;
  readonly workerId: string;
  /** The job's lock and its leases last this long; the heartbeat renews them at a third of it. */
  readonly leaseMs: number;
  /** An infra retry waits this long times the attempts spent (the store's default otherwise). */
  readonly retryBackoffMs: number | undefined;
  readonly preparer: JobPreparer | undefined;
  readonly analyzer: OutcomeAnalyzer | undefined;
  /** The run's inputs, which the worker keeps for all of a run's jobs. */
  /** The update file the job's run tests (phase1's), read once per run. */
  readonly runInputs: (runId: string) => Promise<RunUpdateFile | undefined>;
  readonly onJobFinished: ((runId: string) => void) | undefined;
  /** `reportClaimed`: the run's report is this worker's to make (the store took it as the run finished), with the run as finished. */
  readonly onRunFinished: ((runId: string, verdict: RunVerdict, reportClaimed?: Run, jobs?: readonly Job[]) => Promise<void>) | undefined;
  readonly log: ((line: string) => void) | undefined;
}

/**
 * One attempt of one claimed job (Buildkite's job runner): prepares it, runs it on its
 * provider while a heartbeat keeps its lock and leases, stops it on a cancel, a lost lease
 * or the worker's hand-back, and records what it came to, freeing its leases in the same
 * transaction.
 */
export class AttemptRunner {
  private readonly stop = new AttemptStop();

  constructor(
    private readonly s: AttemptServices,
    private readonly provider: NodeProvider,
    private readonly job: Job,
    private readonly held: readonly HeldLease[],
  ) {}

  /** Runs the attempt to its record; `handingBack` aborts when the worker hands its jobs back. */
  async run(handingBack: AbortSignal): Promise<void> {
    const handBack = () => this.stop.request({ kind: 'handed_back' });
    if (handingBack.aborted) handBack();
    else handingBack.addEventListener('abort', handBack, { once: true });
    const beat = new AbortController();
    const heartbeat = this.heartbeat(beat.signal);
    let outcome: ExecutionOutcome;
    try {
      outcome = await this.execute();
    } catch (e) {
      // A full disk is said plainly: the operator frees space (docs/retention.md), nobody debugs the provider.
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOSPC' ? `no space left on device while writing ${err.path ?? 'the job\'s files'} (${err.syscall ?? 'write'})` : `the provider failed: ${err.message}`;
      outcome = { result: 'infra', reason, node: this.provider.name, logPath: null };
    } finally {
      this.stop.settle();
      handingBack.removeEventListener('abort', handBack);
      abortQuietly(beat);
      await heartbeat;
    }
    await this.record(outcome);
  }

  /**
   * Renews the job's lock and leases until the attempt ends; stops it on a cancel or a lost
   * lock, and fences itself: an attempt whose renewals have not succeeded by a margin
   * before its lease runs out stops its commands, since once the lease has run out the
   * sweep may give the job, and its node, to another worker.
   */
  private async heartbeat(signal: AbortSignal): Promise<void> {
    const { store, clock, workerId, leaseMs } = this.s;
    let renewedUntil = this.job.lockedUntil ?? clock.now() + leaseMs;
    const fence = this.fence(signal, () => renewedUntil);
    while (!signal.aborted) {
      await clock.sleep(Math.max(1, Math.floor(leaseMs / 3)), signal);
      if (signal.aborted) break;
      const now = clock.now();
      try {
        const hb = await store.heartbeatJob({ jobId: this.job.id, worker: workerId, now, leaseMs });
        for (const h of this.held) await store.renewLease({ ...h, now, ttlMs: leaseMs });
        if (!hb.ok) { this.stop.request({ kind: 'lease_lost' }); break; }
        renewedUntil = hb.lockedUntil;
        if (hb.cancelRequested) this.stop.request({ kind: 'cancelled' });
      } catch (e) {
        // The store is briefly unreachable: keep the job running and beat again; the fence
        // stops it if the outage outlasts the lease.
        this.s.log?.(`heartbeat of job ${this.job.id}: ${(e as Error).message}`);
      }
    }
    await fence;
  }

  /** Stops the attempt at `renewedUntil()` less a margin (a sixth of the lease), unless renewed by then. */
  private async fence(signal: AbortSignal, renewedUntil: () => number): Promise<void> {
    const { clock, leaseMs } = this.s;
    const margin = Math.max(1, Math.floor(leaseMs / 6));
    while (!signal.aborted) {
      const left = renewedUntil() - margin - clock.now();
      if (left <= 0) {
        this.s.log?.(`job ${this.job.id}: stopped, its lease could not be renewed (it runs out at ${new Date(renewedUntil()).toISOString()}); the sweep gives it back`);
        this.stop.request({ kind: 'lease_lost' });
        return;
      }
      await clock.sleep(left, signal);
    }
  }

  /** Prepares the attempt (builds, checks) and runs its commands on a node. */
  private async execute(): Promise<ExecutionOutcome> {
    const { job } = this;
    const spec = job.spec as JobSpec | undefined;
    if (!spec) throw new Error(`job ${job.id} has no spec`);
    let updateFiles = spec.updates?.map((u) => ({ name: `${u.id}.yml`, content: u.content }));
    if (!updateFiles) {
      const inputs = await this.s.runInputs(job.runId);
      if (!inputs) throw new Error(`job ${job.id} has no run inputs`);
      updateFiles = [{ name: `${inputs.updateId}.yml`, content: inputs.content }];
    }
    const execution = { runId: job.runId, jobId: job.id, attempt: job.attempt, spec, updateFiles, signal: this.stop.signal };
    const prepared = this.s.preparer ? await this.s.preparer.prepare(execution) : { ok: true as const, env: {} };
    if (!prepared.ok) return prepared.outcome;
    // phase2's checks stage is all preparation: no node, no command.
    if (spec.stage === 'checks') return { result: 'success', reason: 'the package checks passed', node: 'prepare', logPath: prepared.logPath ?? null };
    const inputDirs = { ...spec.dirs, ...prepared.dirs };
    return this.provider.execute({
      ...execution, preparedEnv: { ...spec.env, ...prepared.env },
      ...(Object.keys(inputDirs).length > 0 ? { inputDirs } : {}), ...(spec.delivery ? { delivery: spec.delivery } : {}),
    });
  }

  /** Records the attempt as its stop reason (or, when it ran to its end, its outcome) says. */
  private async record(ran: ExecutionOutcome): Promise<void> {
    const { store, clock, workerId } = this.s;
    const { job, held } = this;
    const stopped = this.stop.reason;
    switch (stopped?.kind) {
      case 'lease_lost':
        // The job is not this worker's any more: its new holder or the sweep records it.
        for (const h of held) await store.releaseLease(h);
        return;
      case 'handed_back': {
        const back = await store.finishJob({
          jobId: job.id, worker: workerId, now: clock.now(), result: 'infra', reason: `handed back to the queue: worker ${workerId} stopped`,
          node: ran.node, logPath: ran.logPath, handBack: true, releaseLeases: held,
        });
        if (back.ok && back.runVerdict) await this.s.onRunFinished?.(job.runId, back.runVerdict);
        return;
      }
      case 'cancelled':
        return this.finish({ ...ran, result: 'cancelled', reason: 'cancelled while running' });
      case undefined: {
        const outcome = this.s.analyzer && (ran.result === 'failure' || ran.result === 'success') ? await this.analyze(ran) : ran;
        if (outcome.snapshot && outcome.result === 'success') {
          // Before the job finishes, so the images reporter (run on the verdict) finds it.
          await store.appendEvent({ at: clock.now(), kind: 'image.snapshot', runId: job.runId, jobId: job.id, payload: { ...outcome.snapshot, provider: this.provider.name, target: job.target } });
        }
        return this.finish(outcome);
      }
    }
  }

  /** Ends the attempt with its outcome; the node and semaphores are freed in the same transaction. */
  private async finish(outcome: ExecutionOutcome): Promise<void> {
    const { job } = this;
    const finished = await this.s.store.finishJob({
      jobId: job.id, worker: this.s.workerId, now: this.s.clock.now(), result: outcome.result, reason: outcome.reason,
      node: outcome.node, logPath: outcome.logPath, ...(outcome.excerpt === undefined ? {} : { excerpt: outcome.excerpt }),
      ...(this.s.retryBackoffMs === undefined ? {} : { retryBackoffMs: this.s.retryBackoffMs }),
      releaseLeases: this.held, claimReportMs: this.s.leaseMs,
    });
    if (finished.ok && finished.runVerdict) await this.s.onRunFinished?.(job.runId, finished.runVerdict, finished.reportClaimed === true ? finished.finishedRun : undefined, finished.finishedJobs);
    if (finished.ok && finished.runControlled) this.s.onJobFinished?.(job.runId);
  }

  /** Classifies the attempt from its log and records its per-test results; analysis failing never fails the job. */
  private async analyze(outcome: ExecutionOutcome): Promise<ExecutionOutcome> {
    const { job } = this;
    const spec = job.spec as JobSpec;
    try {
      const analysis = await (this.s.analyzer as OutcomeAnalyzer).analyze({ jobId: job.id, runId: job.runId, attempt: job.attempt, spec }, outcome);
      if (analysis.tests.length > 0) {
        const content = spec.updates ? spec.updates.map((u) => u.id).join(' ') : spec.updateId;
        const hash = (await this.s.runInputs(job.runId))?.contentHash;
        await this.s.store.recordTestResults({
          jobId: job.id, attempt: job.attempt, runId: job.runId, target: job.target,
          content: spec.stage === 'baseline' ? BASELINE_CONTENT : spec.updates ? `group:${content}` : hash ?? content, results: analysis.tests, now: this.s.clock.now(),
        });
      }
      return analysis.outcome;
    } catch (e) {
      this.s.log?.(`analysis of job ${job.id}: ${(e as Error).message}`);
      return outcome;
    }
  }
}
