import { basename } from 'node:path';
import type { ErrorCode } from '../../core/errors.js';
import type { RunInputsOf } from '../../core/records/run-record.js';
import type { GerritRefSchema, RecordOf } from '../../core/records/index.js';
import { gerritRefOf } from '../../drivers/gerrit/ledger.js';
import { sha256 } from '../../engine/hash.js';
import type { Job, NewJob, Run, Store } from '../../store/index.js';

/**
 * `recheck failed` (docs/lifecycle.md): runs again only the targets of a phase1 run that
 * did not pass (failure, infra, timeout, cancelled), and carries its passes: each passing
 * job is written finished, `passed in run X`, with the earlier job's node and log, so the
 * verdict collates both and every front end says where a pass came from. Only from the
 * latest phase1 run of the same update content, which has finished: an older run's passes
 * may no longer be what the content does now, and a run still going has no verdict to
 * split. Skipped targets stay skipped with their reason, as a recheck copies them.
 */

const RERUN: ReadonlySet<Job['result']> = new Set(['failure', 'infra', 'timeout', 'cancelled']);

export type RecheckFailedResult =
  | { readonly ok: true; readonly runId: string; readonly rerun: readonly string[]; readonly carried: readonly string[] }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

type GerritRef = RecordOf<typeof GerritRefSchema>;

const refuse = (code: ErrorCode, message: string): RecheckFailedResult => ({ ok: false, code, message });

/** The job id of a run's target, as phase1 names them. */
const jobIdOf = (runId: string, target: string) => `${runId}.${target.replace(/\//g, '_')}`;

/** Writes the `recheck failed` run of `old` under `runId`. */
export async function recheckFailed(store: Store, old: Run, o: { runId: string; now: number; gerrit?: GerritRef }): Promise<RecheckFailedResult> {
  if (old.pipeline !== 'phase1' || old.updateId === null) return refuse('E_USAGE', `run ${old.id} is a ${old.pipeline} run: "recheck failed" reruns the failed targets of a phase1 run`);
  if (old.state !== 'finished') return refuse('E_RECHECK_NOT_LATEST', `run ${old.id} has not finished: "recheck failed" starts from a finished run`);
  const inputs: RunInputsOf<'phase1'> = old.inputs;
  const latest = await latestOfContent(store, old.updateId, inputs.contentHash);
  if (latest && latest.id !== old.id) {
    return refuse('E_RECHECK_NOT_LATEST', `run ${old.id} is not the latest phase1 run of this content of ${old.updateId}: run ${latest.id} is${latest.state === 'finished' ? '' : ' (still going)'}; recheck the failed targets of that one`);
  }
  const jobs = await store.listJobs(old.id);
  const again = jobs.filter((j) => RERUN.has(j.result));
  if (again.length === 0) return refuse('E_NOTHING_TO_DO', `nothing failed in run ${old.id}: every target passed or was skipped`);
  const carried: NewJob[] = [];
  for (const j of jobs.filter((x) => x.result === 'success')) {
    // A pass carried once already names the run it really passed in.
    const from = j.carriedFrom ? await store.getJob(j.carriedFrom) : undefined;
    carried.push({
      id: jobIdOf(o.runId, j.target), target: j.target, kind: j.kind, maxAttempts: j.maxAttempts, spec: j.spec,
      carried: { fromJob: from?.id ?? j.id, fromRun: from?.runId ?? old.id, node: (from ?? j).node, logPath: (from ?? j).logPath },
    });
  }
  const fresh: NewJob[] = jobs.filter((j) => RERUN.has(j.result) || j.result === 'skipped').map((j) => ({
    id: jobIdOf(o.runId, j.target), target: j.target, kind: j.kind, maxAttempts: j.maxAttempts, spec: j.spec, skipReason: j.result === 'skipped' ? j.skipReason : null,
  }));
  const order = new Map(jobs.map((j, i) => [j.target, i]));
  const all = [...carried, ...fresh].sort((a, b) => (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0));
  // A run Gerrit asked for votes on its patch set again (the earlier run's, from its ledger, when the command came from elsewhere).
  const gerrit = o.gerrit ?? await gerritRefOf(store, old);
  const record: RunInputsOf<'phase1'> = { ...inputs, rerunOf: old.id, onlyFailed: true, ...(gerrit ? { gerrit } : {}) };
  const inserted = await store.insertRunWithJobs({ run: { id: o.runId, pipeline: 'phase1', inputs: record, updateId: old.updateId, reason: null }, jobs: all, now: o.now });
  if (!inserted.ok) return refuse('E_STORE', `cannot record the recheck of ${old.id}: ${inserted.code}`);
  return { ok: true, runId: o.runId, rerun: again.map((j) => j.target), carried: carried.map((j) => j.target) };
}

/**
 * Gerrit's `recheck failed`: the current patch set's update file, its content's latest
 * phase1 run, and its failed targets run again with the vote going to this patch set.
 */
export async function recheckFailedOfContent(store: Store, s: { runId: string; bytes: Uint8Array; file: string; now: number; gerrit?: GerritRef }): Promise<RecheckFailedResult> {
  const updateId = basename(s.file).replace(/\.ya?ml$/, '');
  const latest = await latestOfContent(store, updateId, sha256(s.bytes));
  if (!latest) return refuse('E_RECHECK_NOT_LATEST', `no phase1 run of this content of ${updateId} yet: comment "recheck" to test it whole`);
  return recheckFailed(store, latest, s);
}

/** The newest phase1 run of an update with this content. */
async function latestOfContent(store: Store, updateId: string, contentHash: string): Promise<Run | undefined> {
  const runs = await store.listRuns({ updateId, pipeline: 'phase1', limit: 500 });
  return runs.find((r) => r.pipeline === 'phase1' && r.inputs.contentHash === contentHash);
}
