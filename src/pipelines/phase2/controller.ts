import { deliveryFor } from '../../core/config.js';
import type { Config } from '../../core/config.js';
import type { Phase2Inputs } from '../../core/records/phase2.js';
import { describePhase2, groupBase, nextPhase2Step, phase2HasChecks, planGroupJobs, planPhase2Batch, type Phase2JobRecord, type Phase2Outcome, type Phase2Stage } from './plan.js';
import { dependencyUnits } from '../../core/update-dependencies.js';
import { listReady } from '../../drivers/repo/push-ready.js';
import { readDependencies } from '../dependency-places.js';
import { formatPath, type Problem } from '../../core/problem.js';
import type { TargetDisable } from '../../core/target-state.js';
import { parseUpdateBytes } from '../../core/update-file.js';
import type { Build } from '../../core/update-schema.js';
import type { Job, NewJob, Run, Store } from '../../store/index.js';
import { sha256 } from '../../engine/hash.js';
import { jobClass, jobKind } from '../../engine/job-kind.js';
import type { JobSpec } from '../../engine/job-spec.js';
import type { SnapshotFile } from '../../drivers/repo/snapshot-files.js';
import type { AdvanceStep, RunController } from '../../engine/run-controller.js';

/** One file of updates/ at the snapshot commit, as the update repository gave it. */
export type { SnapshotFile } from '../../drivers/repo/snapshot-files.js';

/** What a phase2 run records of its inputs (`runs.inputs`): its record schema is in core/records. */
export type { Phase2Inputs };

export interface Phase2Submission {
  readonly store: Store;
  readonly config: Config;
  readonly configHash: string;
  readonly snapshot: { readonly commit: string; readonly files: readonly SnapshotFile[] };
  /** The update repository: where updates the snapshot's need stand (ready/, pushed/...). */
  readonly repoPath: string;
  readonly now: number;
  readonly runId: string;
}

export type Phase2SubmitResult =
  | { readonly ok: true; readonly runId: string; readonly batch: readonly string[]; readonly held: Phase2Inputs['held'] }
  /** Another phase2 is still going: this trigger is coalesced into it. */
  | { readonly ok: false; readonly kind: 'busy'; readonly activeRunId: string }
  /** updates/ holds nothing phase2 can test. */
  | { readonly ok: false; readonly kind: 'nothing'; readonly why: string; readonly held: Phase2Inputs['held'] }
  | { readonly ok: false; readonly kind: 'invalid'; readonly problems: readonly Problem[] };

async function disabledTargets(store: Store, now: number): Promise<Map<string, TargetDisable>> {
  const disabled = new Map<string, TargetDisable>();
  for (const t of await store.listTargetStates(now)) {
    if (t.disabled) disabled.set(t.target, { target: t.target, reason: t.reason, by: t.disabledBy, since: t.disabledAt, until: t.until });
  }
  return disabled;
}

function buildsOf(updates: Phase2Inputs['updates']): Map<string, readonly Build[]> {
  const out = new Map<string, readonly Build[]>();
  for (const u of updates) {
    const parsed = parseUpdateBytes(new TextEncoder().encode(u.content), `updates/${u.id}.yml`);
    if (parsed.ok) out.set(u.id, parsed.update.builds);
  }
  return out;
}

/**
 * Starts phase2 on a snapshot of updates/: plans the batch (an update whose every target
 * is disabled, or that no longer fits the configuration, stays for a later phase2) and
 * records the run; its controller plans the rounds. Only one phase2 is unfinished at a
 * time: the store refuses a second, and the caller is told which run it joins.
 */
export async function submitPhase2(s: Phase2Submission): Promise<Phase2SubmitResult> {
  const active = await s.store.activeRunOf('phase2');
  if (active !== undefined) return { ok: false, kind: 'busy', activeRunId: active };
  const disabled = await disabledTargets(s.store, s.now);
  const parsedHeld: { id: string; why: string }[] = [];
  const updates: { id: string; builds: readonly Build[] }[] = [];
  for (const f of s.snapshot.files) {
    const parsed = parseUpdateBytes(new TextEncoder().encode(f.content), `updates/${f.id}.yml`);
    if (!parsed.ok) { parsedHeld.push({ id: f.id, why: `invalid: ${parsed.problems[0]?.message ?? 'unreadable'}` }); continue; }
    updates.push({ id: f.id, builds: parsed.update.builds });
  }
  const reading = await readDependencies(s.store, s.repoPath, s.snapshot.files.map((f) => f.id));
  // An unreadable file of updates/ is where its dependants' need stands: they wait with it.
  const places = [...reading.places, ...parsedHeld.map((h) => ({ id: h.id, place: 'updates' as const, detail: h.why }))];
  const plan = planPhase2Batch(updates, s.config, disabled, { edges: reading.edges, places });
  const held = [...parsedHeld, ...plan.held];
  if (plan.batch.length === 0) {
    return { ok: false, kind: 'nothing', why: s.snapshot.files.length === 0 ? 'updates/ is empty' : `no update in updates/ can be tested now (${held.length} held)`, held };
  }
  const files = new Map(s.snapshot.files.map((f) => [f.id, f]));
  const batchUpdates = plan.batch.map((id) => files.get(id) as SnapshotFile);
  const builds = new Map(updates.map((u) => [u.id, u.builds]));
  const readyFiles = plan.base.length > 0 ? await listReady(s.repoPath) : [];
  const base = readyFiles.filter((f) => plan.base.includes(f.id)).map((f) => ({ id: f.id, content: f.content, contentHash: sha256(new TextEncoder().encode(f.content)) }));
  const untestable = planGroupJobs(plan.batch, builds, s.config, disabled, 'tests').filter((j) => j.skip === null && j.command === undefined);
  if (untestable.length > 0) {
    return {
      ok: false, kind: 'invalid',
      problems: untestable.map((j) => ({ severity: 'error', code: 'E_NO_TEST_COMMAND', file: s.config.file, line: 1, col: 1, path: formatPath(['pipelines', 'phase2', 'test']), message: `no phase2 test command for ${j.target}: set pipelines.phase2.test (or targets."${j.target}".pipelines.phase2.test)` })),
    };
  }
  const inputs: Phase2Inputs = {
    snapshot: { commit: s.snapshot.commit, blobs: Object.fromEntries(batchUpdates.map((f) => [f.id, f.blob])) },
    updates: batchUpdates.map((f) => ({ id: f.id, content: f.content, contentHash: sha256(new TextEncoder().encode(f.content)) })),
    batch: plan.batch, held, withChecks: phase2HasChecks(plan.batch, builds, s.config, disabled),
    configFile: s.config.file, configHash: s.configHash, plannedAt: s.now,
    ...(reading.edges.length > 0 ? {
      dependencies: { edges: reading.edges, places, units: dependencyUnits(plan.batch, reading.edges).filter((u) => u.length > 1), base },
    } : {}),
  };
  const inserted = await s.store.insertRunWithJobs({ run: { id: s.runId, pipeline: 'phase2', controller: 'phase2', inputs, reason: null }, jobs: [], now: s.now });
  if (!inserted.ok) {
    if (inserted.code === 'pipeline_busy') return { ok: false, kind: 'busy', activeRunId: inserted.activeRunId };
    throw new Error(`cannot record run ${s.runId}: ${inserted.code}`);
  }
  return { ok: true, runId: s.runId, batch: plan.batch, held };
}

function recordOf(job: Job): Phase2JobRecord | undefined {
  const spec = job.spec as JobSpec;
  if ((spec.stage !== 'checks' && spec.stage !== 'tests') || spec.round === undefined || !spec.group || job.result === null) return undefined;
  return { id: job.id, stage: spec.stage, round: spec.round, group: spec.group, target: job.target, result: job.result, reason: job.reason };
}

/** What a finished phase2 run decided (`runs.outcome`), as its reporter and `sluice status` read it. */
export type Phase2RunOutcome = Phase2Outcome & { readonly held: Phase2Inputs['held'] };

/** The controller of phase2 runs: each round from the bisection of what finished. */
export function phase2Controller(o: { config: Config; store: Store; now: () => number }): RunController {
  return {
    name: 'phase2',
    async advance(run: Run, jobs: readonly Job[]): Promise<AdvanceStep> {
      if (run.pipeline !== 'phase2') throw new Error(`run ${run.id} is not a phase2 run (${run.pipeline})`);
      const inputs = run.inputs;
      const records = jobs.map(recordOf).filter((r): r is Phase2JobRecord => r !== undefined);
      const edges = inputs.dependencies?.edges ?? [];
      const step = nextPhase2Step(inputs.batch, inputs.withChecks, records, dependencyUnits(inputs.batch, edges));
      if (step.kind === 'stuck') return { kind: 'finish', verdict: step.verdict, reason: step.reason, outcome: { held: inputs.held } };
      if (step.kind === 'done') {
        const outcome: Phase2RunOutcome = { ...step.outcome, held: inputs.held };
        return { kind: 'finish', verdict: step.outcome.culprits.length === 0 ? 'pass' : 'fail', reason: describePhase2(step.outcome), outcome };
      }
      const disabled = await disabledTargets(o.store, o.now());
      const builds = buildsOf(inputs.updates);
      const contents = new Map(inputs.updates.map((u) => [u.id, u.content]));
      const base = { ids: (inputs.dependencies?.base ?? []).map((b) => b.id), builds: buildsOf(inputs.dependencies?.base ?? []), edges };
      const newJobs: NewJob[] = step.groups.flatMap((group, gi) => roundJobs(run.id, step.stage, step.round, gi, group, builds, contents, disabled, o.config, base));
      return { kind: 'jobs', jobs: newJobs };
    },
  };
}

/** The updates of ready/ a phase2 installs under the groups that need them. */
interface Phase2Base { readonly ids: readonly string[]; readonly builds: ReadonlyMap<string, readonly Build[]>; readonly edges: NonNullable<Phase2Inputs['dependencies']>['edges'] }

function roundJobs(runId: string, stage: Phase2Stage, round: number, gi: number, group: readonly string[], builds: ReadonlyMap<string, readonly Build[]>, contents: ReadonlyMap<string, string>, disabled: ReadonlyMap<string, TargetDisable>, config: Config, base: Phase2Base): NewJob[] {
  const needed = groupBase(group, base.ids, base.edges);
  return planGroupJobs(group, builds, config, disabled, stage, needed.flatMap((id) => base.builds.get(id) ?? [])).map((j) => {
    const provider = config.targets[j.target]?.provider ?? 'local';
    const spec: JobSpec = {
      pipeline: 'phase2', updateId: group.join(' '), target: j.target, provider, builds: j.builds,
      mode: 'provision', image: null,
      modeBecause: stage === 'checks' ? 'package checks need no node' : 'phase2 provisions from scratch with the updates enabled before the installer runs (preinstall)',
      command: j.command ?? [], timeoutMs: j.timeoutMs, checks: j.checks, productionRepo: j.productionRepo,
      stage, round, group, ...(needed.length > 0 ? { base: needed } : {}), updates: group.map((id) => ({ id, content: contents.get(id) ?? '' })), install: 'preinstall',
      delivery: deliveryFor(config, j.target, 'phase2'), ...(j.roles ? { roles: j.roles } : {}),
    };
    return {
      id: `${runId}.${stage === 'checks' ? 'c' : 't'}${round}.${gi}.${j.target.replace(/\//g, '_')}`,
      target: j.target, kind: jobKind(jobClass('phase2', stage === 'checks' ? 'checks' : 'provision'), provider, j.roles?.length ?? 1),
      maxAttempts: j.maxAttempts, spec, skipReason: j.skip,
    };
  });
}
