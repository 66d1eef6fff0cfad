import type { Config } from '../../core/config.js';
import type { PromoteInputs, PromoteOutcome as PromoteOutcomeRecord } from '../../core/records/promote.js';
import type { Store } from '../../store/index.js';
import { sha256 } from '../../engine/hash.js';
import { soakGate } from './gates.js';

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
 * Starts promote on the files of ready/: records the run; its controller composes stage,
 * runs the stage tests and publishes. One promote at a time, as for phase2.
 */
export async function submitPromote(s: { store: Store; config: Config; configHash: string; ready: readonly ReadyFile[]; now: number; runId: string }): Promise<PromoteSubmitResult> {
  const active = await s.store.activeRunOf('promote');
  if (active !== undefined) return { ok: false, kind: 'busy', activeRunId: active };
  if (s.ready.length === 0) return { ok: false, kind: 'nothing', why: 'ready/ is empty' };
  // promote.min_soak: a younger update stays in ready/ for a later promote (docs/promote.md, "Gates before production").
  const { take, soaking } = soakGate(s.config, s.ready, s.now);
  if (take.length === 0) return { ok: false, kind: 'nothing', why: `nothing in ready/ has soaked long enough: ${soaking.map((h) => h.why).join('; ')}` };
  const ready = [...take].sort((a, b) => (a.id < b.id ? -1 : 1));
  const inputs: PromoteInputs = {
    ready: ready.map((f) => ({ id: f.id, blob: f.blob, content: f.content, contentHash: sha256(new TextEncoder().encode(f.content)) })),
    configFile: s.config.file, configHash: s.configHash, plannedAt: s.now,
    ...(soaking.length > 0 ? { soaking } : {}),
  };
  const inserted = await s.store.insertRunWithJobs({ run: { id: s.runId, pipeline: 'promote', controller: 'promote', inputs, reason: null }, jobs: [], now: s.now });
  if (!inserted.ok) {
    if (inserted.code === 'pipeline_busy') return { ok: false, kind: 'busy', activeRunId: inserted.activeRunId };
    throw new Error(`cannot record run ${s.runId}: ${inserted.code}`);
  }
  return { ok: true, runId: s.runId, ready: ready.map((f) => f.id) };
}
