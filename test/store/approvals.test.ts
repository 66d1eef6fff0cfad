import assert from 'node:assert/strict';
import type { Config } from '../../src/core/config.js';
import { approvalGate, approvePromote, promoteSetOf, setAwaitingApproval } from '../../src/pipelines/promote/gates.js';
import type { PromoteInputs, StagedPlan } from '../../src/core/records/promote.js';
import { forEachStore } from '../helpers/store-matrix.js';

// promote.approval on both stores: the set a run stages is what an approval names; another
// set's approval does not count; a waiting run says so until it is approved.

const T0 = 1_700_000_000_000;
const inputs = (ids: string[]): PromoteInputs => ({
  ready: ids.map((id) => ({ id, blob: `blob-${id}`, content: `id: ${id}\n`, contentHash: `${id}`.padEnd(64, '0') })),
  configFile: 'sluice.yaml', configHash: '1'.repeat(64), plannedAt: T0,
});
const plan = (ids: string[]): StagedPlan => ({ staged: ids.map((id) => ({ id, targets: [{ target: 'kilo/epel-7', files: [`${id}.rpm`] }] })), failed: [], trees: [{ target: 'kilo/epel-7', stagePath: '/stage/kilo/epel-7' }] });
const required = { promote: { approval: 'required' } } as unknown as Config;

forEachStore('a promote waits for an approval of exactly the set it staged; the approval is recorded once, with who and the set', async ({ store }) => {
  const run = { id: 'pr1', inputs: inputs(['aaaa', 'bbbb', 'cccc']) };
  assert.ok((await store.insertRunWithJobs({ run: { id: run.id, pipeline: 'promote', controller: 'promote', inputs: run.inputs, reason: null }, jobs: [], now: T0 })).ok);
  // Before stage is composed there is no set: nothing to approve.
  const early = await approvePromote({ store, runId: run.id, by: 'rita', via: 'cli', now: T0 });
  assert.ok(!early.ok && early.code === 'E_APPROVAL_REFUSED' && /has not composed stage yet/.test(early.message));
  // cccc was refused while composing: the set is what stage holds.
  const staged = plan(['aaaa', 'bbbb']);
  await store.appendEvent({ at: T0, kind: 'promote.staged', runId: run.id, payload: { ...staged, failed: [{ id: 'cccc', reasons: ['never tested'] }] } });
  const set = promoteSetOf(run.inputs, staged);
  assert.deepEqual(set.updates.map((u) => u.id), ['aaaa', 'bbbb']);
  assert.notEqual(set.hash, promoteSetOf(run.inputs, plan(['aaaa'])).hash, 'one update fewer is another set');
  const edited = { ...run.inputs, ready: run.inputs.ready.map((u) => (u.id === 'bbbb' ? { ...u, contentHash: 'f'.repeat(64) } : u)) };
  assert.notEqual(set.hash, promoteSetOf(edited, staged).hash, 'another content of an update is another set');

  // Without approval: a wait whose reason names the set, its updates and the command.
  const gate = await approvalGate({ config: required, store }, run, staged);
  assert.deepEqual(gate, { kind: 'wait', why: `waits for approval of set ${set.hash.slice(0, 12)} (2 updates: aaaa, bbbb) by a release manager: sluice approve pr1` });
  assert.equal(await approvalGate({ config: { promote: {} } as unknown as Config, store }, run, staged), undefined, 'without promote.approval nothing waits');

  // The engine parks the run: its reason says why, its advance lease is let go, one event per new reason.
  assert.ok(await store.claimRunAdvance({ runId: run.id, worker: 'w1', now: T0, leaseMs: 60_000 }));
  if (gate?.kind !== 'wait') throw new Error('expected a wait');
  await store.parkControlledRun({ runId: run.id, worker: 'w1', why: gate.why, now: T0 + 1 });
  await store.claimRunAdvance({ runId: run.id, worker: 'w1', now: T0 + 2, leaseMs: 60_000 });
  await store.parkControlledRun({ runId: run.id, worker: 'w1', why: gate.why, now: T0 + 3 });
  assert.equal((await store.getRun(run.id))?.reason, gate.why);
  assert.equal((await store.listEvents({ runId: run.id })).filter((e) => e.kind === 'run.waiting').length, 1);
  assert.ok(await store.claimRunAdvance({ runId: run.id, worker: 'w2', now: T0 + 4, leaseMs: 60_000 }), 'another process may advance it at once');
  assert.equal((await setAwaitingApproval(store, (await store.getRun(run.id))!))?.hash, set.hash);

  // An approval of another set (what someone saw before the set changed) does not count.
  const stale = promoteSetOf(run.inputs, plan(['aaaa']));
  assert.ok((await store.recordApproval({ approval: { runId: run.id, setHash: stale.hash, updates: stale.updates, by: 'rita', at: T0 + 5, via: 'cli' } })).ok);
  assert.equal((await approvalGate({ config: required, store }, run, staged))?.kind, 'wait');
  const mismatch = await approvePromote({ store, runId: run.id, setHash: stale.hash.slice(0, 12), by: 'rita', via: 'api', now: T0 + 6 });
  assert.ok(!mismatch.ok && mismatch.code === 'E_APPROVAL_SET_MISMATCH');
  assert.match(mismatch.message, new RegExp(`names set ${stale.hash.slice(0, 12)}, but promote pr1 publishes set ${set.hash.slice(0, 12)} \\(2 updates: aaaa`));
  const tooShort = await approvePromote({ store, runId: run.id, setHash: set.hash.slice(0, 4), by: 'rita', via: 'api', now: T0 + 6 });
  assert.ok(!tooShort.ok && tooShort.code === 'E_APPROVAL_SET_MISMATCH', 'a prefix under 6 digits names no set');

  // The right set (a prefix as shown): recorded with who, when and the set; the wait ends.
  const ok = await approvePromote({ store, runId: run.id, setHash: set.hash.slice(0, 12).toUpperCase(), by: 'rita', via: 'dashboard', now: T0 + 7 });
  assert.ok(ok.ok && !ok.already);
  assert.equal(await approvalGate({ config: required, store }, run, staged), undefined);
  assert.equal((await store.getRun(run.id))?.reason, null, 'an approved run no longer says it waits');
  const again = await approvePromote({ store, runId: run.id, by: 'root', via: 'cli', now: T0 + 8 });
  assert.ok(again.ok && again.already && again.approval.by === 'rita' && again.approval.at === T0 + 7);
  const approvals = await store.listApprovals(run.id);
  assert.deepEqual(approvals.map((a) => [a.setHash, a.by, a.via, a.updates.map((u) => u.id).join(' ')]), [[stale.hash, 'rita', 'cli', 'aaaa'], [set.hash, 'rita', 'dashboard', 'aaaa bbbb']]);
  const events = (await store.listEvents({ runId: run.id })).filter((e) => e.kind === 'promote.approved');
  assert.equal(events.length, 2);

  // A finished run, or a run of another pipeline, is not approved.
  assert.ok((await store.finishControlledRun({ runId: run.id, now: T0 + 9, verdict: 'pass', reason: 'published', outcome: { pushed: [], failed: [], kept: [], published: [] } })).ok);
  const late = await approvePromote({ store, runId: run.id, setHash: set.hash, by: 'rita', via: 'cli', now: T0 + 10 });
  assert.ok(!late.ok && late.code === 'E_APPROVAL_REFUSED' && /is finished/.test(late.message));
  assert.equal((await store.recordApproval({ approval: { runId: run.id, setHash: 'x', updates: [], by: 'r', at: T0, via: 'cli' } })).ok, false);
  const none = await approvePromote({ store, runId: 'nope', by: 'rita', via: 'cli', now: T0 });
  assert.ok(!none.ok && none.code === 'E_NOT_FOUND');
});
