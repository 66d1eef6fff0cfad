import type { Config } from '../../core/config.js';
import { deliveryFor, pipelineFor } from '../../core/config.js';
import type { ImageRecord, Job, Run, Store, StoredEventOf } from '../../store/index.js';
import type { RunReporter } from '../../engine/engine.js';
import { jobClass, jobKind } from '../../engine/job-kind.js';
import type { JobSpec } from '../../engine/job-spec.js';
import { BASELINE_DISABLER } from '../../core/baseline.js';

export { BASELINE_CONTENT, BASELINE_DISABLER } from '../../core/baseline.js';

export type ImagesSubmitResult =
  | { readonly ok: true; readonly runId: string; readonly targets: readonly string[] }
  | { readonly ok: false; readonly kind: 'invalid'; readonly message: string };

/**
 * The images pipeline's baseline (DESIGN.md "images"): each target provisioned from its base
 * with no update, running its baseline tests (`pipelines.images.test`, else phase1's). Its
 * per-test results are the reference an update's failures are compared with
 * (docs/analysis.md), and a red baseline disables the target with the evidence.
 */
export async function submitImages(s: { store: Store; config: Config; targets?: readonly string[]; now: number; runId: string }): Promise<ImagesSubmitResult> {
  const all = Object.keys(s.config.targets).sort();
  const targets = s.targets && s.targets.length > 0 ? [...s.targets] : all;
  const unknown = targets.filter((t) => !all.includes(t));
  if (unknown.length > 0) return { ok: false, kind: 'invalid', message: `not configured: ${unknown.join(', ')} (targets: ${all.join(', ')})` };
  const jobs = [];
  for (const target of targets) {
    const own = pipelineFor(s.config, target, 'images');
    const p = own.test !== undefined ? own : pipelineFor(s.config, target, 'phase1');
    if (p.test === undefined) return { ok: false, kind: 'invalid', message: `no baseline test for ${target}: set pipelines.images.test (or pipelines.phase1.test)` };
    const provider = s.config.targets[target]?.provider ?? 'local';
    const spec: JobSpec = {
      pipeline: 'images', updateId: '', target, provider, builds: [], mode: 'provision', image: null,
      modeBecause: 'a baseline is provisioned from the target\'s base, with no update', command: p.test, timeoutMs: p.timeoutMs,
      stage: 'baseline', updates: [], delivery: deliveryFor(s.config, target, own.test !== undefined ? 'images' : 'phase1'),
    };
    jobs.push({ id: `${s.runId}.${target.replace(/\//g, '_')}`, target, kind: jobKind(jobClass('images', 'provision'), provider), maxAttempts: p.retries + 1, spec });
  }
  const inserted = await s.store.insertRunWithJobs({ run: { id: s.runId, pipeline: 'images', inputs: { targets, plannedAt: s.now }, reason: null }, jobs, now: s.now });
  if (!inserted.ok) throw new Error(`cannot record run ${s.runId}: ${inserted.code}`);
  return { ok: true, runId: s.runId, targets };
}

/**
 * The images reporter. A baseline that could not run its tests at all (no per-test
 * results: provisioning broke, the command failed outright) disables its target with the
 * failing job's reason as evidence. A baseline whose tests partly fail is still a
 * baseline: those failures are pre-existing for every update (docs/analysis.md), and the
 * target gets a proposal to disable it (`target.disable_proposed`, shown by `sluice
 * targets list`), not a disable. A green one enables a target that a red baseline
 * disabled (never one an operator disabled by hand).
 */
/** A baseline run of one target (a reference for a failing job), unless one is already queued or running. */
export async function requestBaselineRun(s: { store: Store; config: Config; target: string; now: number; runId: string }): Promise<string | undefined> {
  const going = await s.store.listRuns({ unfinished: true, limit: 200 });
  if (going.some((r) => r.pipeline === 'images' && r.inputs.targets.includes(s.target))) return undefined;
  const r = await submitImages({ store: s.store, config: s.config, targets: [s.target], now: s.now, runId: s.runId });
  return r.ok ? r.runId : undefined;
}

export interface ImagesReporterOptions {
  readonly store: Store;
  readonly now: () => number;
  /** What the target's production repository holds now: the key an image is recorded with. */
  readonly productionKey?: (target: string) => Promise<string | undefined>;
  /** Known-good images kept per target (images.keep); older ones are pruned. */
  readonly keep?: number;
  /** Removes a pruned image from its provider (a local archive, a cloud image). */
  readonly removeImage?: (image: ImageRecord) => Promise<void>;
}

export function imagesReporter(o: ImagesReporterOptions): RunReporter {
  return {
    async report(run: Run, jobs: readonly Job[]) {
      if (run.pipeline !== 'images') return;
      await recordSnapshots(o, run, jobs);
      for (const job of jobs) {
        const state = await o.store.getTargetState(job.target, o.now());
        if (job.result === 'failure') {
          const reason = `baseline red in run ${run.id}: ${job.reason ?? 'the baseline tests failed'} (sluice logs ${job.id})`;
          const tests = await o.store.listTestResults(job.id);
          if (tests.length > 0) {
            await o.store.appendEvent({ at: o.now(), kind: 'target.disable_proposed', runId: run.id, jobId: job.id, payload: { target: job.target, reason } });
          } else if (!state.disabled || state.disabledBy === BASELINE_DISABLER) {
            await o.store.disableTarget({ target: job.target, reason, by: BASELINE_DISABLER, now: o.now() });
          }
        } else if (job.result === 'success' && state.disabled && state.disabledBy === BASELINE_DISABLER) {
          await o.store.enableTarget({ target: job.target, by: BASELINE_DISABLER, now: o.now() });
        }
      }
    },
  };
}


/** The snapshots of the run's green baselines become known-good images; each target keeps its newest `keep`. */
async function recordSnapshots(o: ImagesReporterOptions, run: Run, jobs: readonly Job[]): Promise<void> {
  const green = new Set(jobs.filter((j) => j.result === 'success').map((j) => j.id));
  const snapshots = (await o.store.listEvents({ runId: run.id, limit: 10_000 })).filter((e): e is StoredEventOf<'image.snapshot'> & { jobId: string } => e.kind === 'image.snapshot' && e.jobId !== null && green.has(e.jobId));
  const touched = new Set<string>();
  for (const e of snapshots) {
    const p = e.payload;
    await o.store.recordImage({
      name: p.name, target: p.target, provider: p.provider, location: p.location, productionKey: (await o.productionKey?.(p.target)) ?? null,
      runId: run.id, jobId: e.jobId, createdAt: o.now(),
    });
    touched.add(p.target);
  }
  for (const target of touched) {
    const old = (await o.store.listImages({ target })).slice(o.keep ?? 3);
    for (const image of old) await o.removeImage?.(image);
    await o.store.markImagesPruned({ names: old.map((i) => i.name), now: o.now() });
  }
}
