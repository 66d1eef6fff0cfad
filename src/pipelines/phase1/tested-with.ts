import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { readDependencyRef } from '../../core/depends-on.js';
import type { TestedWith } from '../../core/records/phase1.js';
import { dependenciesOf, findCycle, type UpdateDependency } from '../../core/update-dependencies.js';
import { parseUpdateBytes } from '../../core/update-file.js';
import type { Build } from '../../core/update-schema.js';
import { updateTargets } from '../../core/update-targets.js';
import { sha256 } from '../../engine/hash.js';
import type { Store } from '../../store/index.js';

/**
 * What phase1 tests an update with besides production (docs/lifecycle.md, "Updates that
 * need each other"): the updates it declares it needs (`sluice submit --with`, a Gerrit
 * `Depends-On:` footer, the file's `depends_on`), what those need in turn, and with
 * `pipelines.phase1.base: updates` everything already in updates/. Each is taken from
 * wherever it is now: updates/, ready/, or a phase1 run not finished yet.
 */

/** One declaration as given: an update id or a Gerrit change URL, and where it was said. */
export interface DeclaredRef {
  readonly ref: string;
  readonly why: string;
}

export interface Companion extends TestedWith {
  readonly builds: readonly Build[];
}

export interface DependencyProblem {
  readonly code: 'E_DEPENDENCY_UNKNOWN' | 'E_DEPENDENCY_CYCLE' | 'E_DEPENDENCY_FAILED';
  /** The declaration at fault (for the problem's position). */
  readonly ref: DeclaredRef;
  readonly message: string;
}

export type Companions =
  | { readonly ok: true; readonly testedWith: readonly Companion[]; readonly declared: readonly { id: string; why: string }[] }
  | { readonly ok: false; readonly problems: readonly DependencyProblem[] };

/** Where an update is now, as a dependency sees it. */
export type Whereabouts =
  | { readonly kind: 'pending'; readonly where: string; readonly contentHash: string; readonly builds: readonly Build[] }
  | { readonly kind: 'failed'; readonly why: string }
  | { readonly kind: 'published' }
  | { readonly kind: 'unknown' };

export interface CompanionQuery {
  readonly store: Store;
  readonly config: Config;
  /** The update repository's working copy; without it only submitted updates are found. */
  readonly repoPath?: string;
  readonly updateId: string;
  readonly declared: readonly DeclaredRef[];
}

export async function findCompanions(q: CompanionQuery): Promise<Companions> {
  const problems: DependencyProblem[] = [];
  const declared: { id: string; why: string; ref: DeclaredRef }[] = [];
  for (const d of q.declared) {
    const id = await idOf(q.store, d);
    if (typeof id !== 'string') { problems.push(id); continue; }
    if (id === q.updateId) {
      problems.push({ code: 'E_DEPENDENCY_CYCLE', ref: d, message: `${d.ref}: update ${id} cannot need itself` });
      continue;
    }
    if (!declared.some((x) => x.id === id)) declared.push({ id, why: d.why, ref: d });
  }
  if (problems.length > 0) return { ok: false, problems };

  // What the others need binds too: hz8d needing cl2m means nv4a, needing hz8d, needs cl2m.
  const others = declared.length === 0 ? [] : (await q.store.listDependencies()).filter((e) => e.updateId !== q.updateId);
  const edges: UpdateDependency[] = [...others, ...declared.map((d) => ({ updateId: q.updateId, dependsOn: d.id, how: 'declared' as const, why: d.why }))];
  const reach = new Set([q.updateId, ...dependenciesOf(q.updateId, edges)]);
  const cycle = findCycle(edges.filter((e) => reach.has(e.updateId)));
  if (cycle?.includes(q.updateId)) {
    const first = declared.find((d) => cycle.includes(d.id)) ?? declared[0];
    return { ok: false, problems: [{ code: 'E_DEPENDENCY_CYCLE', ref: first?.ref ?? { ref: '', why: '' }, message: `the updates need each other in a cycle: ${cycle.join(' → ')}; updates that need each other are one update` }] };
  }

  const testedWith: Companion[] = [];
  const add = async (id: string, how: Companion['how'], why: string, ref: DeclaredRef): Promise<void> => {
    if (testedWith.some((c) => c.id === id) || id === q.updateId) return;
    const at = await whereIs(q, id);
    if (at.kind === 'published') return; // production has it: nothing to add
    if (at.kind === 'pending') { testedWith.push({ id, contentHash: at.contentHash, how, why, builds: at.builds }); return; }
    if (how === 'base') return;
    problems.push(at.kind === 'failed'
      ? { code: 'E_DEPENDENCY_FAILED', ref, message: `${ref.ref}: update ${id} ${at.why}: it cannot be tested with it` }
      : { code: 'E_DEPENDENCY_UNKNOWN', ref, message: `${ref.ref}: no update ${id} is known (not submitted, not in updates/ or ready/)` });
  };
  for (const d of declared) await add(d.id, 'declared', d.why, d.ref);
  for (const d of declared) {
    for (const further of dependenciesOf(d.id, others)) {
      const via = others.find((e) => e.dependsOn === further);
      await add(further, 'declared', `needed by ${via?.updateId ?? d.id}${via ? `: ${via.why}` : ''}`, d.ref);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  if (q.config.pipelines.phase1?.base === 'updates' && q.repoPath) {
    for (const id of updateIdsIn(q.repoPath, 'updates')) await add(id, 'base', 'in updates/ (pipelines.phase1.base: updates)', { ref: id, why: '' });
  }
  return { ok: true, testedWith, declared: declared.map(({ id, why }) => ({ id, why })) };
}

/** The builds of a companion for one target (its other targets' builds are not installed there). */
export function buildsFor(config: Config, builds: readonly Build[], target: string): readonly Build[] {
  return updateTargets(builds, config, new Map()).targets.get(target) ?? [];
}

/** How many of the newest phase1 runs a change URL is looked for among. */
const CHANGE_LOOKBACK_RUNS = 500;

async function idOf(store: Store, d: DeclaredRef): Promise<string | DependencyProblem> {
  const ref = readDependencyRef(d.ref);
  if (ref.kind === 'update') return ref.id;
  if (ref.kind === 'unreadable') return { code: 'E_DEPENDENCY_UNKNOWN', ref: d, message: `${d.ref} is neither an update id (e.g. hz8d) nor a Gerrit change URL` };
  // A change Sluice has tested names its update: the newest phase1 run the trigger asked
  // for that change (its gerrit.request event), among the recent ones.
  for (const run of await store.listRuns({ pipeline: 'phase1', limit: CHANGE_LOOKBACK_RUNS })) {
    if (run.pipeline !== 'phase1' || !run.updateId) continue;
    if (run.inputs.gerrit?.change === ref.change) return run.updateId;
    const events = await store.listEvents({ runId: run.id, limit: 20 });
    if (events.some((e) => e.kind === 'gerrit.request' && e.payload.change === ref.change)) return run.updateId;
  }
  return { code: 'E_DEPENDENCY_UNKNOWN', ref: d, message: `${d.ref}: Sluice has tested no update of change ${ref.change}` };
}

/** Where update `id` is: pending (updates/, ready/, a phase1 run going on), failed, published or unknown. */
export async function whereIs(q: Pick<CompanionQuery, 'store' | 'repoPath'>, id: string): Promise<Whereabouts> {
  for (const folder of ['updates', 'ready']) {
    const file = q.repoPath ? join(q.repoPath, folder, `${id}.yml`) : undefined;
    if (!file || !existsSync(file)) continue;
    const bytes = readFileSync(file);
    const parsed = parseUpdateBytes(bytes, `${folder}/${id}.yml`);
    if (!parsed.ok) return { kind: 'failed', why: `is in ${folder}/ but its file is not valid` };
    return { kind: 'pending', where: `${folder}/`, contentHash: sha256(bytes), builds: parsed.update.builds };
  }
  const [latest] = await q.store.listRuns({ updateId: id, pipeline: 'phase1', limit: 1 });
  const submitted = (): Whereabouts => {
    if (latest?.pipeline !== 'phase1') return { kind: 'unknown' };
    const parsed = parseUpdateBytes(new TextEncoder().encode(latest.inputs.content), latest.inputs.updateFile);
    return parsed.ok ? { kind: 'pending', where: `submitted (run ${latest.id})`, contentHash: latest.inputs.contentHash, builds: parsed.update.builds } : { kind: 'unknown' };
  };
  if (latest && latest.state !== 'finished') return submitted();
  if (q.repoPath && existsSync(join(q.repoPath, 'failed', `${id}.yml`))) return { kind: 'failed', why: 'is in failed/' };
  if (latest?.verdict === 'fail' || latest?.verdict === 'error') return { kind: 'failed', why: `ended its latest phase1 (run ${latest.id}) in ${latest.verdict === 'fail' ? 'failure' : 'error'}` };
  if (latest?.verdict === 'cancelled') return { kind: 'failed', why: `was withdrawn: its latest phase1 (run ${latest.id}) was cancelled` };
  if (q.repoPath && existsSync(join(q.repoPath, 'pushed', `${id}.yml`))) return { kind: 'published' };
  // Passed but not in updates/ (a site without a local repository), or held (its targets disabled): as submitted.
  return latest ? submitted() : { kind: 'unknown' };
}

function updateIdsIn(repoPath: string, folder: string): string[] {
  const dir = join(repoPath, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((f) => {
    const m = /^(.+)\.yml$/.exec(f);
    return m?.[1] ? [m[1]] : [];
  });
}
