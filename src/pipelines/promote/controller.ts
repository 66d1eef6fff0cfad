import { deliveryFor } from '../../core/config.js';
import { basename, join, resolve } from 'node:path';
import type { Config } from '../../core/config.js';
import type { StagedPlan } from '../../core/records/promote.js';
import { pipelineFor } from '../../core/config.js';
import { parseUpdateBytes } from '../../core/update-file.js';
import type { Build } from '../../core/update-schema.js';
import { updateTargets } from '../../core/update-targets.js';
import { jobClass, jobKind } from '../../engine/job-kind.js';
import type { JobSpec } from '../../engine/job-spec.js';
import type { PromoteInputs, PromoteOutcome } from './submit.js';
import type { AdvanceStep, RunController } from '../../engine/run-controller.js';
import type { Job, NewJob, Run, Store } from '../../store/index.js';
import { cachedBuild, rememberBuild } from '../../drivers/prepare/build-cache.js';
import { buildLabel, type FetchedRpm } from '../../drivers/sources/build-source.js';
import { fetchAndRecord } from '../../drivers/sources/fetch-and-record.js';
import { sourceFor } from '../../drivers/sources/registry.js';
import { composeStage, type StageRpm } from '../../drivers/publish/compose-stage.js';
import { mirrorHosts } from '../../drivers/publish/mirrors.js';
import { currentTree, publishToProduction } from '../../drivers/publish/production.js';
import { runSignHook } from '../../drivers/publish/sign-hook.js';
import { parseTarget, productionPath } from '../../drivers/publish/tree-layout.js';
import { approvalGate } from './gates.js';
import { holdForDependencies, type DependencyPlace } from '../../core/dependency-holds.js';

export interface PromoteControllerOptions {
  readonly config: Config;
  readonly configDir: string;
  readonly store: Store;
  /** The build cache the preparer fills (`<cache>/builds/<source>/<id>`). */
  readonly cacheDir: string;
  readonly stageRoot: string;
  readonly productionRoot: string;
  readonly now: () => number;
}

/** An update of ready/ whose RPMs were found and verified, by target. */
interface Collected {
  readonly id: string;
  readonly byTarget: ReadonlyMap<string, readonly StageRpm[]>;
  readonly builds: ReadonlyMap<string, readonly Build[]>;
}

/** What the stage step decided, kept as the `promote.staged` event of the run for the publish step (its schema is in core/records). */
export type { StagedPlan };

const STAGED_EVENT = 'promote.staged';

/**
 * Finds each build's RPMs as they were tested: the store's SHA-256 records (written when a
 * run fetched them) are the reference; the files come from the build cache or are fetched
 * again (a source that now serves other bytes is refused by the store). An update with a
 * build never tested, gone, or changed, is refused with the reasons.
 */
export async function collectUpdate(o: PromoteControllerOptions, id: string, content: string, opts: { fetch?: boolean } = {}): Promise<{ ok: true; value: Collected } | { ok: false; reasons: string[] }> {
  const parsed = parseUpdateBytes(new TextEncoder().encode(content), `ready/${id}.yml`);
  if (!parsed.ok) return { ok: false, reasons: parsed.problems.map((p) => `ready/${id}.yml: ${p.message}`) };
  const { targets, issues } = updateTargets(parsed.update.builds, o.config, new Map());
  const errors = issues.filter((i) => i.severity === 'error').map((i) => i.message);
  if (errors.length > 0) return { ok: false, reasons: errors };
  const reasons: string[] = [];
  const byTarget = new Map<string, StageRpm[]>();
  for (const [target, builds] of targets) {
    for (const build of builds) {
      const label = buildLabel(build);
      const recorded = (await o.store.listRpms(String(build.id))).filter((r) => r.source === build.source);
      if (recorded.length === 0) {
        reasons.push(`${label} from ${build.source} was never tested: no run recorded its RPMs (phase2 fetches and records what it tests)`);
        continue;
      }
      const dest = join(o.cacheDir, 'builds', build.source, String(build.id));
      let fetched: FetchedRpm[] | undefined = await cachedBuild(dest);
      if (!fetched && opts.fetch === false) {
        reasons.push(`${label}: not in the build cache; promote would fetch it again and compare with the ${recorded.length} tested checksum${recorded.length === 1 ? '' : 's'}`);
        continue;
      }
      if (!fetched) {
        const source = sourceFor(build.source, o.config.sources, { configDir: o.configDir });
        if (!source.ok) { reasons.push(source.message); continue; }
        const got = await fetchAndRecord(source.value, build, dest, { store: o.store, sourceName: build.source, now: o.now() });
        if (!got.ok) { reasons.push(`${label}: ${got.message}`); continue; }
        fetched = got.value;
        rememberBuild(dest, fetched);
      }
      const byName = new Map(fetched.map((f) => [f.name, f]));
      const tested = new Set(recorded.map((r) => r.fileName));
      for (const extra of fetched.filter((f) => !tested.has(f.name))) reasons.push(`${label}: ${extra.name} was not part of what was tested`);
      const rpms = byTarget.get(target) ?? [];
      for (const r of recorded) {
        const file = byName.get(r.fileName);
        if (!file) { reasons.push(`${label}: ${r.fileName}, tested as sha256 ${r.sha256}, is no longer part of the build`); continue; }
        rpms.push({ path: file.path, sha256: r.sha256, ...(build.tag ? { subdir: build.tag } : {}) });
      }
      byTarget.set(target, rpms);
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };
  return { ok: true, value: { id, byTarget, builds: targets } };
}

/**
 * The controller of promote runs. First advance: verify every update of ready/, compose
 * each target's stage tree (production plus the new RPMs, signed by the hook if any) and
 * add the stage tests. Second: when they passed, publish every stage tree to production at
 * once (docs/promote.md) and finish; the reporter then writes pushed/ and failed/. An
 * update refused while composing goes to failed/ with its reasons; the rest still go on.
 */
export function promoteController(o: PromoteControllerOptions): RunController {
  return {
    name: 'promote',
    async advance(run: Run, jobs: readonly Job[]): Promise<AdvanceStep> {
      if (run.pipeline !== 'promote') throw new Error(`run ${run.id} is not a promote run (${run.pipeline})`);
      const inputs = run.inputs;
      let plan = await lastStagedPlan(o.store, run.id);
      if (!plan) {
        plan = await stage(o, run.id, inputs);
        await o.store.appendEvent({ at: o.now(), kind: STAGED_EVENT, runId: run.id, payload: plan });
      }
      // Staged but no stage job yet (the first advance, or one that died before adding them).
      const stageJobs = jobs.length === 0 ? stageTestJobs(o, run.id, plan, inputs) : [];
      if (stageJobs.length > 0) return { kind: 'jobs', jobs: stageJobs };
      // promote.approval: asked only once publishing is what is left (docs/promote.md, "Gates before production").
      return withHeld(plan, await publish(o, run.id, plan, jobs, () => approvalGate(o, { id: run.id, inputs }, plan)));
    },
  };
}

async function lastStagedPlan(store: Store, runId: string): Promise<StagedPlan | undefined> {
  const events = await store.listEvents({ runId, limit: 10_000 });
  return events.filter((e) => e.kind === STAGED_EVENT).pop()?.payload as StagedPlan | undefined;
}

/**
 * Updates that need each other (docs/promote.md): what held updates of ready/ at the start
 * (`inputs.held`), and what was refused in this run, holds what needs it in ready/: an
 * update is never published before, or without, what it needs. Returns the updates still
 * going and adds the newly held to `held`.
 */
function holdDependants(inputs: PromoteInputs, collected: readonly Collected[], failed: readonly { id: string }[], held: { id: string; why: string }[]): Collected[] {
  if (!inputs.dependencies) return [...collected];
  const places = new Map<string, DependencyPlace>(inputs.dependencies.places.map((p) => [p.id, p]));
  for (const f of failed) places.set(f.id, { id: f.id, place: 'failed', detail: 'by this promote' });
  const r = holdForDependencies({
    candidates: collected.map((c) => c.id), held: new Map(held.map((h) => [h.id, h.why])), edges: inputs.dependencies.edges, places,
    satisfied: (p) => p === 'pushed',
  });
  held.push(...r.held);
  return collected.filter((c) => r.go.includes(c.id));
}

/** A finished promote also tells what it held in ready/ for what it needs. */
function withHeld(plan: StagedPlan, step: AdvanceStep): AdvanceStep {
  const held = plan.held ?? [];
  if (step.kind !== 'finish' || held.length === 0 || !step.outcome) return step;
  return {
    ...step,
    reason: `${step.reason}; held in ready/ for what they need: ${held.map((h) => h.id).join(', ')}`,
    outcome: { ...(step.outcome as PromoteOutcome), held },
  };
}

/** Verifies every update and composes the stage trees; an update a tree refuses is dropped from all and the trees made again. */
export async function stage(o: PromoteControllerOptions, runId: string, inputs: PromoteInputs): Promise<StagedPlan> {
  const failed: { id: string; reasons: string[] }[] = [];
  const held = [...(inputs.held ?? [])];
  let collected: Collected[] = [];
  for (const u of inputs.ready) {
    if (held.some((h) => h.id === u.id)) continue;
    const c = await collectUpdate(o, u.id, u.content);
    if (c.ok) collected.push(c.value); else failed.push({ id: u.id, reasons: c.reasons });
  }
  collected = holdDependants(inputs, collected, failed, held);
  for (let pass = 0; pass <= inputs.ready.length; pass++) {
    const targets = [...new Set(collected.flatMap((c) => [...c.byTarget.keys()]))].sort();
    const owners = new Map<string, string[]>();
    for (const c of collected) {
      for (const rpms of c.byTarget.values()) {
        for (const r of rpms) {
          for (const key of [r.path, r.subdir ? `${r.subdir}/${basename(r.path)}` : basename(r.path)]) owners.set(key, [...(owners.get(key) ?? []), c.id]);
        }
      }
    }
    const trees: { target: string; stagePath: string }[] = [];
    const files = new Map<string, { target: string; files: string[] }[]>();
    const blamed = new Map<string, string[]>();
    for (const target of targets) {
      const rpms = collected.flatMap((c) => c.byTarget.get(target) ?? []);
      const sign = o.config.promote.sign;
      const result = await composeStage({
        stageRoot: o.stageRoot, target, runId, rpms, productionTree: await currentTree(o.productionRoot, target),
        ...(sign ? { sign: async (paths: readonly string[]) => {
          const signed = await runSignHook({ command: sign, files: paths, cwd: o.configDir });
          return signed.ok ? { ok: true as const } : { ok: false as const, reason: signed.reason };
        } } : {}),
      });
      if (!result.ok) {
        for (const p of result.problems) {
          const ids = p.kind === 'sign' ? collected.map((c) => c.id) : owners.get(p.file) ?? owners.get(basename(p.file)) ?? collected.map((c) => c.id);
          for (const id of ids) blamed.set(id, [...(blamed.get(id) ?? []), `${target}: ${p.message}`]);
        }
        continue;
      }
      trees.push({ target, stagePath: result.path });
      for (const c of collected) {
        const mine = new Set((c.byTarget.get(target) ?? []).map((r) => (r.subdir ? `${r.subdir}/${basename(r.path)}` : basename(r.path))));
        const rel = result.files.filter((f) => mine.has(f));
        if (rel.length > 0) files.set(c.id, [...(files.get(c.id) ?? []), { target, files: rel }]);
      }
    }
    if (blamed.size === 0) {
      return { staged: collected.map((c) => ({ id: c.id, targets: files.get(c.id) ?? [] })), failed, trees, ...(held.length > 0 ? { held } : {}) };
    }
    for (const [id, reasons] of blamed) failed.push({ id, reasons });
    collected = holdDependants(inputs, collected.filter((c) => !blamed.has(c.id)), failed, held);
  }
  return { staged: [], failed, trees: [], ...(held.length > 0 ? { held } : {}) };
}

function stageTestJobs(o: PromoteControllerOptions, runId: string, plan: StagedPlan, inputs: PromoteInputs): NewJob[] {
  const contents = new Map(inputs.ready.map((u) => [u.id, u.content]));
  return plan.trees.flatMap(({ target, stagePath }) => {
    const p = pipelineFor(o.config, target, 'promote');
    if (p.test === undefined) return [];
    const ids = plan.staged.filter((u) => u.targets.some((t) => t.target === target)).map((u) => u.id);
    const provider = o.config.targets[target]?.provider ?? 'local';
    const spec: JobSpec = {
      pipeline: 'promote', updateId: ids.join(' '), target, provider, builds: [], mode: 'provision', image: null,
      modeBecause: 'stage is tested on a node provisioned from scratch against the stage repository',
      command: p.test, timeoutMs: p.timeoutMs, stage: 'stage', updates: ids.map((id) => ({ id, content: contents.get(id) ?? '' })),
      dirs: { SLUICE_STAGE_REPO: stagePath, SLUICE_PRODUCTION_REPO: productionPath(o.productionRoot, parseTarget(target)) },
      delivery: deliveryFor(o.config, target, 'promote'),
    };
    return [{ id: `${runId}.stage.${target.replace(/\//g, '_')}`, target, kind: jobKind(jobClass('promote', 'provision'), provider), maxAttempts: p.retries + 1, spec }];
  });
}

async function publish(o: PromoteControllerOptions, runId: string, plan: StagedPlan, jobs: readonly Job[], gate: () => Promise<AdvanceStep | undefined>): Promise<AdvanceStep> {
  const ids = plan.staged.map((u) => u.id);
  const finish = (verdict: 'pass' | 'fail' | 'error', reason: string, outcome: PromoteOutcome): AdvanceStep => ({ kind: 'finish', verdict, reason, outcome });
  const keptOutcome: PromoteOutcome = { pushed: [], failed: plan.failed, kept: ids, published: [] };
  const refused = plan.failed.length > 0 ? `; refused (to failed/): ${plan.failed.map((f) => f.id).join(', ')}` : '';
  const bad = jobs.filter((j) => j.result === 'failure');
  if (bad.length > 0) return finish('fail', `stage tests failed on ${bad.map((j) => j.target).join(', ')}: nothing published, ${ids.join(', ')} stay in ready/${refused}`, keptOutcome);
  const broken = jobs.filter((j) => j.result === 'infra' || j.result === 'timeout' || j.result === 'cancelled');
  if (broken.length > 0) return finish('error', `no verdict from the stage tests on ${broken.map((j) => `${j.target} (${j.result})`).join(', ')}: nothing published, a recheck may pass${refused}`, keptOutcome);
  if (plan.trees.length === 0) {
    return finish(plan.failed.length > 0 ? 'fail' : 'pass', `nothing to publish${refused}`, { ...keptOutcome, kept: [] });
  }
  const held = await gate();
  if (held) return held;
  const published = await publishToProduction({ productionRoot: o.productionRoot, runId, trees: plan.trees, keep: o.config.promote.keep,
    mirrors: mirrorHosts(o.config.promote.mirrors, (p) => resolve(o.configDir, p)) });
  if (!published.ok) return finish('error', `production was not changed: ${published.error}${refused}`, keptOutcome);
  const pushed = plan.staged.map((u) => ({
    id: u.id,
    files: u.targets.flatMap((t) => t.files.map((f) => resolve(productionPath(o.productionRoot, parseTarget(t.target)), f))),
  }));
  const outcome: PromoteOutcome = { pushed, failed: plan.failed, kept: [], published: published.targets.map((t) => ({ target: t.target, tree: t.new })) };
  const tested = jobs.length > 0 ? `stage tested on ${jobs.map((j) => j.target).join(', ')}` : 'no stage tests configured';
  return finish(plan.failed.length > 0 ? 'fail' : 'pass', `published ${ids.join(', ')} to ${plan.trees.map((t) => t.target).join(', ')} (${tested})${refused}`, outcome);
}

/** What `sluice promote --dry-run` shows: per update of ready/, where its files would go, or why it would fail. Nothing is fetched or written. */
export async function previewPromote(o: PromoteControllerOptions, ready: readonly { id: string; content: string }[]): Promise<{ id: string; files?: string[]; reasons?: string[] }[]> {
  const out: { id: string; files?: string[]; reasons?: string[] }[] = [];
  for (const u of ready) {
    const c = await collectUpdate(o, u.id, u.content, { fetch: false });
    if (!c.ok) { out.push({ id: u.id, reasons: c.reasons }); continue; }
    const files = [...c.value.byTarget].flatMap(([target, rpms]) => rpms.map((r) => resolve(productionPath(o.productionRoot, parseTarget(target)), r.subdir ?? '', basename(r.path))));
    out.push({ id: u.id, files });
  }
  return out;
}
