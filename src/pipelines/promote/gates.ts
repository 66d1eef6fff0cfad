import type { Config } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { approvalWaitWhy, promoteSetText, setMatches, shortSet, soakSplit, type SetMember, type Soaking } from '../../core/promote-gates.js';
import type { PromoteInputs, StagedPlan } from '../../core/records/promote.js';
import { listReady } from '../../drivers/repo/push-ready.js';
import { readySince } from '../../drivers/repo/ready-since.js';
import { sha256 } from '../../engine/hash.js';
import type { AdvanceStep } from '../../engine/run-controller.js';
import type { PromoteApproval, Run, Store } from '../../store/index.js';
import type { ReadyFile } from './submit.js';

/**
 * promote's gates before production (docs/promote.md, "Gates before production"):
 * `promote.min_soak` decides at the start which updates of ready/ a run takes;
 * `promote.approval: required` makes the controller wait, once stage passed its tests,
 * until a release manager approves the exact set it would publish.
 */

/** ready/ at HEAD with when each file was put there (the update repository's history). */
export async function readyFiles(repoPath: string): Promise<ReadyFile[]> {
  const since = await readySince(repoPath);
  return (await listReady(repoPath)).map((f) => ({ ...f, readySince: since.get(f.id) }));
}

/** What ready/ gives a promote starting at `now`: the updates old enough to go, and those left to soak. */
export function soakGate(config: Config, ready: readonly ReadyFile[], now: number): { take: ReadyFile[]; soaking: Soaking[] } {
  const min = config.promote.min_soak === undefined ? undefined : parseDuration(config.promote.min_soak);
  if (min === undefined) return { take: [...ready], soaking: [] };
  const { eligible, soaking } = soakSplit(ready.map((f) => ({ id: f.id, readySince: f.readySince })), min, now);
  const go = new Set(eligible);
  return { take: ready.filter((f) => go.has(f.id)), soaking };
}

/** The set a promote run publishes: the updates its stage holds, each with its file's SHA-256 as the run took it. */
export interface PromoteSet {
  readonly hash: string;
  readonly updates: readonly SetMember[];
}

export function promoteSetOf(inputs: PromoteInputs, plan: StagedPlan): PromoteSet {
  const hashes = new Map(inputs.ready.map((u) => [u.id, u.contentHash]));
  const updates = plan.staged.map((u) => ({ id: u.id, contentHash: hashes.get(u.id) ?? '' })).sort((a, b) => (a.id < b.id ? -1 : 1));
  return { hash: sha256(promoteSetText(updates)), updates };
}

/**
 * Asked by the controller when stage passed and there is something to publish: with
 * `promote.approval: required` and no approval of this run's set, the run waits.
 */
export async function approvalGate(o: { config: Config; store: Pick<Store, 'listApprovals'> }, run: { id: string; inputs: PromoteInputs }, plan: StagedPlan): Promise<AdvanceStep | undefined> {
  if (o.config.promote.approval !== 'required') return undefined;
  const set = promoteSetOf(run.inputs, plan);
  const approvals = await o.store.listApprovals(run.id);
  if (approvals.some((a) => a.setHash === set.hash)) return undefined;
  return { kind: 'wait', why: approvalWaitWhy(run.id, set.hash, set.updates.map((u) => u.id)) };
}

/** The staged plan of a promote run, once its stage step recorded it. */
export async function stagedPlanOf(store: Pick<Store, 'listEvents'>, runId: string): Promise<StagedPlan | undefined> {
  const events = await store.listEvents({ runId, limit: 10_000 });
  const staged = events.filter((e) => e.kind === 'promote.staged').pop();
  return staged?.kind === 'promote.staged' ? staged.payload : undefined;
}

export type ApproveResult =
  | { readonly ok: true; readonly set: PromoteSet; readonly approval: PromoteApproval; readonly already: boolean }
  | { readonly ok: false; readonly code: 'E_NOT_FOUND' | 'E_APPROVAL_REFUSED' | 'E_APPROVAL_SET_MISMATCH'; readonly message: string; readonly set?: PromoteSet };

/**
 * A release manager approves what promote run `runId` would publish. `setHash` (the whole
 * hash or a prefix of at least 6 hex digits) is the set the person saw; one that is not the
 * run's set is refused, naming both, so an approval never covers updates nobody looked at.
 * Without it (the CLI's `sluice approve RUN`), the run's set is approved and shown.
 */
export async function approvePromote(a: { store: Store; runId: string; setHash?: string | undefined; by: string; via: PromoteApproval['via']; now: number }): Promise<ApproveResult> {
  const run = await a.store.getRun(a.runId);
  if (!run) return { ok: false, code: 'E_NOT_FOUND', message: `no run "${a.runId}"` };
  if (run.pipeline !== 'promote') return { ok: false, code: 'E_APPROVAL_REFUSED', message: `run ${run.id} is a ${run.pipeline} run: only a promote run is approved` };
  if (run.state === 'finished') return { ok: false, code: 'E_APPROVAL_REFUSED', message: `promote ${run.id} is finished (${run.verdict ?? 'no verdict'}): there is nothing left to approve` };
  const plan = await stagedPlanOf(a.store, run.id);
  if (!plan) return { ok: false, code: 'E_APPROVAL_REFUSED', message: `promote ${run.id} has not composed stage yet: its set is not known; approve it once it waits for approval (sluice status ${run.id})` };
  const set = promoteSetOf(run.inputs, plan);
  if (set.updates.length === 0) return { ok: false, code: 'E_APPROVAL_REFUSED', message: `promote ${run.id} publishes nothing: there is nothing to approve` };
  if (a.setHash !== undefined && !setMatches(set.hash, a.setHash)) {
    return { ok: false, code: 'E_APPROVAL_SET_MISMATCH', set, message: `the approval names set ${a.setHash.trim()}, but promote ${run.id} publishes set ${shortSet(set.hash)} (${describeSet(set)}): look at it again and approve that set` };
  }
  const approval: PromoteApproval = { runId: run.id, setHash: set.hash, updates: set.updates, by: a.by, at: a.now, via: a.via };
  const r = await a.store.recordApproval({ approval });
  if (r.ok) return { ok: true, set, approval, already: false };
  if (r.code === 'already') return { ok: true, set, approval: r.approval, already: true };
  if (r.code === 'not_found') return { ok: false, code: 'E_NOT_FOUND', message: `no run "${a.runId}"` };
  return { ok: false, code: 'E_APPROVAL_REFUSED', message: `promote ${run.id} cannot be approved: it finished meanwhile` };
}

/** `3 updates: aaaa (sha256 1a2b3c4d5e6f), ...` */
export function describeSet(set: PromoteSet): string {
  const n = set.updates.length;
  return `${n} update${n === 1 ? '' : 's'}: ${set.updates.map((u) => `${u.id} (sha256 ${u.contentHash.slice(0, 12)})`).join(', ')}`;
}

/** For the run page and explain: the approval of this set, if any. */
export function approvalOfSet(approvals: readonly PromoteApproval[], set: PromoteSet): PromoteApproval | undefined {
  return approvals.find((a) => a.setHash === set.hash);
}

/** The set a run waits to have approved (the run page's approve button), or undefined: not a waiting promote, or approved already. */
export async function setAwaitingApproval(store: Pick<Store, 'listEvents' | 'listApprovals'>, run: Run): Promise<PromoteSet | undefined> {
  if (run.pipeline !== 'promote' || run.state === 'finished' || run.reason === null) return undefined;
  const plan = await stagedPlanOf(store, run.id);
  if (!plan || plan.staged.length === 0) return undefined;
  const set = promoteSetOf(run.inputs, plan);
  return approvalOfSet(await store.listApprovals(run.id), set) ? undefined : set;
}
