import { deliveryFor, pipelineFor } from '../../core/config.js';
import type { TestedWith } from '../../core/records/phase1.js';
import type { Build } from '../../core/update-schema.js';
import type { Config } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { planPhase1 } from './plan.js';
import { formatPath, type Problem } from '../../core/problem.js';
import type { TargetDisable } from '../../core/target-state.js';
import { parseUpdateBytes } from '../../core/update-file.js';
import type { Store } from '../../store/index.js';
import { jobClass, jobKind } from '../../engine/job-kind.js';
import type { JobSpec, RunInputs } from '../../engine/job-spec.js';
import { sha256 } from '../../engine/hash.js';
import { buildsFor, findCompanions, type DeclaredRef } from './tested-with.js';

export interface Phase1Submission {
  readonly store: Store;
  readonly config: Config;
  readonly configHash: string;
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly author: { readonly name: string; readonly email: string };
  readonly now: number;
  readonly runId: string;
  /** Known-good images by target; by default the store's freshest, else the configuration's. */
  readonly images?: ReadonlyMap<string, string | null>;
  /** What each target's production repository holds now: an image built from other content is stale. */
  readonly productionKey?: (target: string) => Promise<string | undefined>;
  /** Updates this one is declared to need besides its file's depends_on (`--with`, Depends-On), each with where it was said. */
  readonly with?: readonly DeclaredRef[];
  /** The update repository's working copy: where updates/ and ready/ are looked up. */
  readonly repoPath?: string;
}

export type SubmitResult =
  | { ok: true; runId: string; jobs: number; skipped: number }
  | { ok: false; problems: Problem[] };

/**
 * Starts phase1 for one update file: validates it, plans one job per target (disabled
 * targets skipped with their reason), and writes the run with all its jobs in one
 * transaction. Nothing is written for a file that cannot be tested.
 */
export async function submitPhase1(s: Phase1Submission): Promise<SubmitResult> {
  const parsed = parseUpdateBytes(s.bytes, s.file);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const { update, locate } = parsed;
  const problem = (path: readonly (string | number)[], code: string, message: string): Problem => {
    const { line, col } = locate(path);
    return { severity: 'error', code, file: s.file, line, col, path: formatPath(path), message };
  };
  if (update.id === undefined) {
    return { ok: false, problems: [problem([], 'E_UPDATE_INVALID', 'an update file is named <id>.yml, e.g. updates/hkvc.yml: its name is the update\'s identity')] };
  }
  // Three reads that do not depend on each other: side by side, one round trip's wait on PostgreSQL.
  const [targetStates, mustProvision, chosen] = await Promise.all([
    s.store.listTargetStates(s.now),
    s.store.listMustProvision(),
    s.images ? { images: s.images, noImageBecause: new Map<string, string>() } : freshImages(s),
  ]);
  const disabled = new Map<string, TargetDisable>();
  for (const t of targetStates) {
    if (t.disabled) disabled.set(t.target, { target: t.target, reason: t.reason, by: t.disabledBy, since: t.disabledAt, until: t.until });
  }
  const added = new Map(mustProvision.map((m) => [m.package, `added by ${m.addedBy} on ${new Date(m.addedAt).toISOString().slice(0, 10)}: ${m.reason}`]));
  const plan = planPhase1({ builds: update.builds, config: s.config, disabled, images: chosen.images, noImageBecause: chosen.noImageBecause, mustProvision: added });
  if (!plan.ok) return { ok: false, problems: plan.issues.map((i) => problem(i.path, i.code, i.message)) };
  const untestable = plan.jobs.filter((j) => j.skip === null && j.command === undefined);
  if (untestable.length > 0) {
    return { ok: false, problems: untestable.map((j) => problem([], 'E_NO_TEST_COMMAND', `no phase1 test command for ${j.target}: set pipelines.phase1.test (or targets."${j.target}".pipelines.phase1.test) in ${s.config.file}`)) };
  }
  // Updates that need each other (docs/lifecycle.md): what this one is tested with.
  const fileRefs = (update.depends_on ?? []).map((ref, i): DeclaredRef & { at?: number } => ({ ref, why: `depends_on in ${s.file}`, at: i }));
  const declaredRefs: (DeclaredRef & { at?: number })[] = [...(s.with ?? []), ...fileRefs];
  const companions = await findCompanions({ store: s.store, config: s.config, ...(s.repoPath ? { repoPath: s.repoPath } : {}), updateId: update.id, declared: declaredRefs });
  if (!companions.ok) {
    return { ok: false, problems: companions.problems.map((p) => {
      const at = (p.ref as { at?: number }).at;
      return at === undefined
        ? { severity: 'error' as const, code: p.code, file: s.file, line: 1, col: 1, path: '', message: `${p.message} (declared by ${p.ref.why})` }
        : problem(['depends_on', at], p.code, p.message);
    }) };
  }
  const content = new TextDecoder().decode(s.bytes);
  const contentHash = sha256(s.bytes);
  const testedWith = companions.testedWith.map(({ builds: _builds, ...c }) => c);
  const inputs: RunInputs = {
    updateId: update.id, updateFile: s.file, contentHash, content, author: s.author,
    configFile: s.config.file, configHash: s.configHash, plannedAt: s.now,
    ...(testedWith.length > 0 ? { testedWith } : {}),
    ...(declaredRefs.length > 0 ? { declared: declaredRefs.map(({ ref, why }) => ({ ref, why })) } : {}),
  };
  await s.store.recordUpdate({ id: update.id, path: s.file, contentHash, topic: update.summary, author: `${s.author.name} <${s.author.email}>`, data: update, now: s.now });
  await s.store.declareDependencies({ updateId: update.id, contentHash, dependsOn: companions.declared, by: `${s.author.name} <${s.author.email}>`, now: s.now });
  const jobs = plan.jobs.map((j) => {
    const provider = s.config.targets[j.target]?.provider ?? 'local';
    const spec: JobSpec = {
      pipeline: 'phase1', updateId: update.id as string, target: j.target, provider, builds: j.builds,
      mode: j.mode, image: j.image, modeBecause: j.modeBecause, command: j.command ?? [], timeoutMs: j.timeoutMs,
      checks: j.checks, productionRepo: j.productionRepo, delivery: deliveryFor(s.config, j.target, 'phase1'), ...(j.roles ? { roles: j.roles } : {}),
      ...(j.mode === 'image' && s.config.images.on_restore !== undefined ? { onRestore: s.config.images.on_restore } : {}),
      ...companionSpec(s.config, companions.testedWith, j.target),
    };
    return { id: `${s.runId}.${j.target.replace(/\//g, '_')}`, target: j.target, kind: jobKind(jobClass('phase1', j.mode), provider, j.roles?.length ?? 1), maxAttempts: j.maxAttempts, spec, skipReason: j.skip };
  });
  const inserted = await s.store.insertRunWithJobs({ run: { id: s.runId, pipeline: 'phase1', updateId: update.id, inputs, reason: null }, jobs, now: s.now });
  if (!inserted.ok) throw new Error(`cannot record run ${s.runId}: ${inserted.code}`);
  const skipped = jobs.filter((j) => j.skipReason !== null).length;
  if (skipped === jobs.length) await s.store.settleRun({ runId: s.runId, now: s.now });
  return { ok: true, runId: s.runId, jobs: jobs.length, skipped };
}

/**
 * The image each target boots from: the newest known-good one the images pipeline recorded,
 * if it is fresh (younger than images.max_age, built from the production content there is
 * now); else the configuration's `image`, for sites that make images elsewhere.
 */
async function freshImages(s: Phase1Submission): Promise<{ images: Map<string, string | null>; noImageBecause: Map<string, string> }> {
  const images = imagesFromConfig(s.config);
  const noImageBecause = new Map<string, string>();
  const maxAge = parseDuration(s.config.images.max_age) ?? 14 * 86_400_000;
  const recorded = await s.store.listImages();
  for (const target of Object.keys(s.config.targets)) {
    const newest = recorded.find((i) => i.target === target);
    if (!newest) continue;
    if (s.now - newest.createdAt > maxAge) {
      images.set(target, null);
      noImageBecause.set(target, `image ${newest.name} is older than images.max_age (${s.config.images.max_age}): provisioned until the next green baseline`);
      continue;
    }
    const now = newest.productionKey && s.productionKey ? await s.productionKey(target) : undefined;
    if (now !== undefined && now !== newest.productionKey) {
      images.set(target, null);
      noImageBecause.set(target, `image ${newest.name} was built from other production content than ${target} has now: provisioned until the next green baseline`);
      continue;
    }
    images.set(target, newest.name);
  }
  return { images, noImageBecause };
}

function imagesFromConfig(config: Config): Map<string, string | null> {
  return new Map(Object.entries(config.targets).map(([t, c]) => [t, c.image ?? null]));
}

/** A job's share of what its update is tested with: the companions' builds for its target, and whether to infer more. */
function companionSpec(config: Config, companions: readonly (TestedWith & { builds: readonly Build[] })[], target: string): Pick<JobSpec, 'testedWith' | 'inferDependencies'> {
  const testedWith = companions.flatMap((c) => {
    const builds = buildsFor(config, c.builds, target);
    return builds.length > 0 ? [{ ...c, builds }] : [];
  });
  return { ...(testedWith.length > 0 ? { testedWith } : {}), ...(pipelineFor(config, target, 'phase1').infer_dependencies ? { inferDependencies: true } : {}) };
}
