import { formatProblem } from '../core/problem.js';
import { Engine } from '../engine/engine.js';
import { sha256 } from '../engine/hash.js';
import type { NodeProvider } from '../engine/node-provider.js';
import { submitPhase1 } from '../pipelines/phase1/submit.js';
import { INFRA_RETRY_BACKOFF_MS, openStore, type Run, type StoredEvent } from '../store/index.js';
import { simProvider } from './provider.js';
import { attemptsFromEvents, simStats, type SimStats } from './stats.js';
import { simulationConfig, simulationConfigText, updateFileFor, type Submission } from './traffic.js';
import { VirtualClock } from './virtual-clock.js';
import { specView } from '../engine/job-spec-view.js';

/**
 * Virtual-time engine settings. Wake hints start a job the moment a node frees or an update
 * arrives, and the simulation wakes the worker when an infra retry's back-off ends (see
 * `wakeOnRetry`), so the poll, a fallback against lost hints, is never what starts a job
 * here. Each poll costs real time: a year of traffic polled once a minute took three
 * minutes a capacity; every six hours, the heartbeats of running jobs are most of the
 * steps and a capacity takes seconds.
 */
export const SIM_ENGINE = { leaseMs: 10 * 60_000, pollMs: 6 * 3_600_000, sweepEveryMs: 6 * 3_600_000, retryBackoffMs: INFRA_RETRY_BACKOFF_MS } as const;

export interface SimulationOptions {
  readonly submissions: readonly Submission[];
  readonly capacity: number;
  readonly seed: number;
  readonly bootMs?: number;
  readonly provisionMs?: number;
  readonly testMs?: number;
  readonly red?: number;
  readonly infra?: number;
  /** The test time's jitter either way (share of --test); default 0.25. */
  readonly testJitter?: number;
  /**
   * Where nodes come from: 'image' (default) boots every job from its target's known-good
   * image unless the update touches a must-provision package, as Sluice plans; 'provision'
   * provisions every job from scratch, as if no target had an image.
   */
  readonly nodes?: 'image' | 'provision';
}

export interface SimulationResult {
  readonly capacity: number;
  readonly stats: SimStats;
  /** Jobs whose node was provisioned from scratch (the others booted from an image). */
  readonly provisioned: number;
  /** Submissions the engine refused (as `sluice submit` would), with why. */
  readonly rejected: readonly string[];
  readonly runs: readonly Run[];
  /**
   * Per run, the least its phase1 could have taken alone on `capacity` nodes, from the work
   * its jobs took (retries included): its longest job, or all its work spread over every node.
   */
  readonly ownPhase1Ms: ReadonlyMap<string, number>;
  readonly realMs: number;
}

/**
 * One simulation: a fresh in-memory store, a virtual clock starting at the first
 * submission, and the real engine, submission and store code on simulated nodes.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const realStart = performance.now();
  const subs = o.submissions;
  const first = subs[0];
  if (!first) throw new RangeError('no traffic to simulate');
  const store = await openStore('sqlite::memory:');
  try {
    const configText = simulationConfigText(subs, { capacity: o.capacity });
    const config = simulationConfig(subs, { capacity: o.capacity });
    // No known-good image anywhere: the planner provisions every job, saying why.
    const images = o.nodes === 'provision' ? new Map(Object.keys(config.targets).map((t) => [t, null])) : undefined;
    const clock = new VirtualClock(first.submittedAt);
    const provider = wakeOnRetry(clock, () => engine.notify(), simProvider({
      clock, capacity: o.capacity, seed: o.seed, bootMs: o.bootMs, provisionMs: o.provisionMs, testMs: o.testMs, red: o.red, infra: o.infra, testJitter: o.testJitter,
    }));
    const accepted: string[] = [];
    const rejected: string[] = [];
    let reported = 0;
    let allSubmitted = false;
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    const checkDone = () => { if (allSubmitted && reported >= accepted.length) finish(); };
    const engine = new Engine({
      store, providers: [provider], clock, workerId: 'sim', ...SIM_ENGINE,
      reporters: [{ report: async () => { reported++; checkDone(); } }],
    });
    engine.start();
    const submitter = (async () => {
      for (const s of subs) {
        await clock.sleep(s.submittedAt - clock.now());
        const result = await submitPhase1({
          store, config, configHash: sha256(configText), file: `updates/${s.id}.yml`, bytes: new TextEncoder().encode(updateFileFor(s)),
          author: { name: 'sluice simulate', email: 'simulate@sluice.invalid' }, now: clock.now(), runId: `sim-${s.id}`, ...(images ? { images } : {}),
        });
        if (result.ok) accepted.push(result.runId);
        else rejected.push(`${s.id}: ${result.problems.map(formatProblem).join('; ')}`);
        engine.notify();
      }
      allSubmitted = true;
      checkDone();
    })();
    await clock.runUntil(Promise.all([submitter, done]));
    await clock.runUntil(engine.stop());
    const runs = (await Promise.all(accepted.map((id) => store.getRun(id)))).filter((r): r is Run => r !== undefined);
    const jobs = (await Promise.all(accepted.map((id) => store.listJobs(id)))).flat();
    const attempts = attemptsFromEvents(await allEvents(store));
    const stats = simStats({
      runs: runs.map((r) => ({ id: r.id, createdAt: r.createdAt, finishedAt: r.finishedAt, verdict: r.verdict })),
      jobs: jobs.map((j) => ({ id: j.id, runId: j.runId })),
      attempts,
      capacity: o.capacity,
    });
    const provisioned = jobs.filter((j) => specView(j)?.mode === 'provision').length;
    return { capacity: o.capacity, stats, provisioned, rejected, runs, ownPhase1Ms: ownPhase1(jobs, attempts, o.capacity), realMs: performance.now() - realStart };
  } finally {
    await store.close();
  }
}

function ownPhase1(jobs: readonly { id: string; runId: string }[], attempts: readonly { jobId: string; startedAt: number; endedAt: number }[], capacity: number): Map<string, number> {
  const workOf = new Map<string, number>();
  for (const a of attempts) workOf.set(a.jobId, (workOf.get(a.jobId) ?? 0) + (a.endedAt - a.startedAt));
  const byRun = new Map<string, number[]>();
  for (const j of jobs) byRun.set(j.runId, [...(byRun.get(j.runId) ?? []), workOf.get(j.id) ?? 0]);
  return new Map([...byRun].map(([run, work]) => [run, Math.max(0, ...work, work.reduce((a, b) => a + b, 0) / capacity)]));
}

/**
 * A real worker polls every second, so a job requeued for an infra retry starts within a
 * second of its back-off ending; with the long virtual poll it would wait up to an hour.
 * The store sets the back-off (retryBackoffMs times the attempts spent): wake the worker
 * when it ends, as a poll would have.
 */
function wakeOnRetry(clock: VirtualClock, wake: () => void, provider: NodeProvider): NodeProvider {
  return {
    name: provider.name,
    capacity: provider.capacity,
    async execute(ex) {
      const outcome = await provider.execute(ex);
      if (outcome.result === 'infra') void clock.sleep(SIM_ENGINE.retryBackoffMs * ex.attempt).then(wake);
      return outcome;
    },
  };
}

async function allEvents(store: { listEvents(q: { afterSeq?: number; limit?: number }): Promise<StoredEvent[]> }): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (;;) {
    const page = await store.listEvents({ afterSeq: out.at(-1)?.seq ?? 0, limit: 5000 });
    out.push(...page);
    if (page.length < 5000) return out;
  }
}
