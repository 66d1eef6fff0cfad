import type { Config } from '../../core/config.js';
import type { PromoteInputs, PromoteOutcome as PromoteOutcomeRecord } from '../../core/records/promote.js';
import type { Store } from '../../store/index.js';
import { sha256 } from '../../engine/hash.js';
import { soakGate } from './gates.js';
import { holdForDependencies, type DependencyHold } from '../../core/dependency-holds.js';
import { dependencyUnits } from '../../core/update-dependencies.js';
import { readDependencies } from '../dependency-places.js';

/** One file of ready/ at the moment promote started. */
export interface ReadyFile {
  readonly id: string;
  readonly blob: string;
  readonly content: string;
  /** When it was put in ready/ (the commit that last wrote it): what `promote.min_soak` counts from. */
  readonly readySince?: number | undefined;
}

/** What a promote run records of its inputs (`runs.inputs`) and decided (`runs.outcome`): their record schemas are in core/records. */
export type { PromoteInputs };
export type PromoteOutcome = NonNullable<PromoteOutcomeRecord>;

export type PromoteSubmitResult =
  | { readonly ok: true; readonly runId: string; readonly ready: readonly string[] }
  | { readonly ok: false; readonly kind: 'busy'; readonly activeRunId: string }
  | { readonly ok: false; readonly kind: 'nothing'; readonly why: string };

/**
 * Which updates of ready/ wait for what they need (docs/promote.md): an update is published
 * only with, or after, every update it needs, so one whose need is not published and not
 * in ready/ with it stays in ready/ with that reason.
 */
export async function promoteHolds(store: Store, repoPath: string, readyIds: readonly string[]): Promise<{ dependencies: NonNullable<PromoteInputs['dependencies']>; held: DependencyHold[] }> {
  const { edges, places } = await readDependencies(store, repoPath, readyIds);
  const { held } = holdForDependencies({ candidates: readyIds, held: new Map(), edges, places: new Map(places.map((p) => [p.id, p])), satisfied: (p) => p === 'pushed' });
  return { dependencies: { edges, places, units: dependencyUnits(readyIds, edges).filter((u) => u.length > 1) }, held };
}

/**
 * Starts promote on the files of ready/: records the run (with what its updates need and
 * which of them wait for it); its controller composes stage, runs the stage tests and
 * publishes. One promote at a time, as for phase2.
 */
export async function submitPromote(s: { store: Store; config: Config; configHash: string; ready: readonly ReadyFile[]; repoPath: string; now: number; runId: string }): Promise<PromoteSubmitResult> {
  const active = await s.store.activeRunOf('promote');
  if (active !== undefined) return { ok: false, kind: 'busy', activeRunId: active };
  if (s.ready.length === 0) return { ok: false, kind: 'nothing', why: 'ready/ is empty' };
  // promote.min_soak: a younger update stays in ready/ for a later promote (docs/promote.md, "Gates before production").
  const { take, soaking } = soakGate(s.config, s.ready, s.now);
  if (take.length === 0) return { ok: false, kind: 'nothing', why: `nothing in ready/ has soaked long enough: ${soaking.map((h) => h.why).join('; ')}` };
  const ready = [...take].sort((a, b) => (a.id < b.id ? -1 : 1));
  // What they need: an update whose need is not published, nor in this promote (a soaking
  // one is not), stays in ready/ with the reason (docs/lifecycle.md, "In promote").
  const { dependencies, held } = await promoteHolds(s.store, s.repoPath, ready.map((f) => f.id));
  if (held.length === ready.length) {
    return { ok: false, kind: 'nothing', why: `every update of ready/ waits for what it needs: ${held.map((h) => `${h.id} ${h.why}`).join('; ')}` };
  }
  const inputs: PromoteInputs = {
    ready: ready.map((f) => ({ id: f.id, blob: f.blob, content: f.content, contentHash: sha256(new TextEncoder().encode(f.content)) })),
    configFile: s.config.file, configHash: s.configHash, plannedAt: s.now,
    ...(soaking.length > 0 ? { soaking } : {}),
    ...(dependencies.edges.length > 0 ? { dependencies, held } : {}),
  };
  const inserted = await s.store.insertRunWithJobs({ run: { id: s.runId, pipeline: 'promote', controller: 'promote', inputs, reason: null }, jobs: [], now: s.now });
  if (!inserted.ok) {
    if (inserted.code === 'pipeline_busy') return { ok: false, kind: 'busy', activeRunId: inserted.activeRunId };
    throw new Error(`cannot record run ${s.runId}: ${inserted.code}`);
  }
  return { ok: true, runId: s.runId, ready: ready.map((f) => f.id) };
}
