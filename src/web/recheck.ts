import { isReadable, rerunRecord } from '../core/records/run-record.js';
import { newRunId } from '../engine/hash.js';
import type { Run } from '../store/index.js';
import { ApiError } from './api-error.js';
import type { WebDeps } from './deps.js';
import { startPipeline } from './pipelines.js';
import { pipelineNamed } from '../pipelines/registry.js';

/**
 * A recheck from the dashboard. A phase1 run is run again from its record, as
 * `sluice rerun` does: its job specs and skip reasons are copied, not planned anew, so it
 * tests the same thing. A phase2 or promote run is a function of the update repository
 * now, so rechecking it is starting the pipeline again (or joining the one going).
 */
export async function recheckRun(d: WebDeps, old: Run): Promise<{ runId: string; kind: 'started' | 'coalesced' }> {
  const rule = isReadable(old) ? (pipelineNamed(old.pipeline)?.recheck ?? 'refuse') : 'refuse';
  if (!isReadable(old) || rule === 'refuse') throw new ApiError('E_NOTHING_TO_DO', `a ${old.pipeline} run cannot be rechecked by this version`);
  if (rule === 'start-again') return startPipeline(d, old.pipeline);
  const jobs = await d.store.listJobs(old.id);
  const now = d.now();
  const id = newRunId(now);
  const inserted = await d.store.insertRunWithJobs({
    run: { id, ...rerunRecord(old, old.id), updateId: old.updateId, reason: null },
    jobs: jobs.map((j) => ({ id: `${id}.${j.target.replace(/\//g, '_')}`, target: j.target, kind: j.kind, maxAttempts: j.maxAttempts, spec: j.spec, skipReason: j.result === 'skipped' ? j.skipReason : null })),
    now,
  });
  if (!inserted.ok) throw new Error(`cannot record the recheck of ${old.id}: ${inserted.code}`);
  if (jobs.every((j) => j.result === 'skipped')) await d.store.settleRun({ runId: id, now });
  return { runId: id, kind: 'started' };
}
