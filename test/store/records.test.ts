import assert from 'node:assert/strict';
import { EVENT_KINDS, type EventKind, type EventPayload, type EventRecord, type NewRunRecord, type RunOutcomeOf } from '../../src/core/records/index.js';
import type { Store } from '../../src/store/index.js';
import { raw } from '../helpers/raw-sql.js';
import { imagesRun, phase1Run, phase2Run, promoteRun } from '../helpers/run-records.js';
import { claimAs } from '../helpers/claim.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;
const ref = { project: 'openstack/nova-distgit', branch: 'rdo-liberty', change: 42, patchset: 3, revision: 'a'.repeat(40) };

// One payload per kind, as its writer makes it: the type makes the table list every kind.
const SAMPLES: { [K in EventKind]: EventPayload<K> } = {
  'run.created': { pipeline: 'phase1', updateId: 'hkvc', jobs: ['r1.a'] },
  'run.started': null,
  'run.jobs_added': { jobs: ['r1.t2.0.kilo_epel-7'] },
  'run.cancel_requested': { reason: 'superseded', cancelledJobs: ['r1.a'], signalledJobs: [], open: 1 },
  'run.finished': { verdict: 'fail', because: 'tests failed on kilo/epel-7' },
  'run.reported': {},
  'run.advance_failed': { message: 'stage could not be composed' },
  'job.started': { worker: 'host:1#1', attempt: 1, lockedUntil: T0 + 60_000 },
  'job.retried': { worker: 'host:1#1', attempt: 1, reason: 'node did not boot', availableAt: T0 + 30_000 },
  'job.reclaimed': { worker: 'host:1#1', attempt: 2, reason: 'lease lapsed', final: true },
  'job.finished': { worker: 'host:1#1', attempt: 1, result: 'success', reason: null },
  'lease.reclaimed': { resource: 'cloud', slot: 0, holder: 'host:1#1', jobId: 'r1.a', acquiredAt: T0, expiresAt: T0 + 1 },
  'target.disabled': { target: 'kilo/epel-7', reason: 'mirror broken', by: 'ops', until: null },
  'target.enabled': { target: 'kilo/epel-7', by: 'ops', was: { reason: 'mirror broken', by: 'ops', since: T0 } },
  'target.disable_proposed': { target: 'kilo/epel-7', reason: 'baseline red' },
  'update.dependencies': { update: 'nv4a', content: 'c1', declared: ['hz8d'], by: 'alice' },
  'update.dependencies.inferred': { update: 'nv4a', content: 'c1', inferred: ['hz8d'] },
  'must_provision.added': { package: 'openstack-packstack', by: 'ops', reason: 'installer' },
  'must_provision.removed': { package: 'openstack-packstack', by: 'ops', reason: 'fixed' },
  'leader.elected': { role: 'service', holder: 'host:1:abcdef', term: 2, expiresAt: T0 + 10_000, previous: 'host:2:fedcba' },
  'leader.lost': { role: 'service', holder: 'host:2:fedcba', term: 1, reason: 'expired' },
  'image.snapshot': { name: 'img-1', location: '/images/img-1.tar', provider: 'local', target: 'kilo/epel-7' },
  'image.recorded': { name: 'img-1', target: 'kilo/epel-7', productionKey: null },
  'image.pruned': { names: ['img-0'] },
  'logs.pruned': { bytes: 2048, files: 3 },
  'schedule.fired': { pipeline: 'phase2', cron: '0 3 * * *', firedAt: T0, outcome: { kind: 'coalesced', runId: 'r1' }, coalescedWith: T0 - 1 },
  'schedule.armed': { pipeline: 'images', cron: '0 1 * * 0', since: T0 },
  'promote.staged': { staged: [{ id: 'hkvc', targets: [{ target: 'kilo/epel-7', files: ['noarch/a.rpm'] }] }], failed: [{ id: 'zzzz', reasons: ['never tested'] }], trees: [{ target: 'kilo/epel-7', stagePath: '/stage/kilo' }] },
  'promote.recorded': { results: [{ id: 'hkvc', done: true, commit: 'c0ffee' }, { id: 'zzzz', done: false, why: 'gone' }] },
  'promote.approved': { setHash: 'c'.repeat(64), updates: [{ id: 'hkvc', contentHash: 'd'.repeat(64) }], by: 'rm', via: 'cli' },
  'run.waiting': { why: 'waits for approval of set cccccccccccc (1 update: hkvc) by a release manager: sluice approve r1' },
  'phase2.moved': { moves: [{ id: 'hkvc', moved: true, folder: 'ready', commit: 'c0ffee' }, { id: 'zzzz', moved: false, why: 'changed' }] },
  'gerrit.request': { ...ref, cause: 'patchset', requestedAt: T0 },
  'gerrit.rejected': { ...ref, cause: 'recheck', requestedAt: T0 },
  'gerrit.command': { ...ref, cause: 'phase2', requestedAt: T0, by: 'core-reviewer' },
  'web.action': { action: 'start-promote', by: 'alice', via: 'token', runId: 'r1', target: null },
  'production.rolled_back': { by: 'alice', via: 'cli', reason: 'repomd.xml is broken', to: null, targets: [{ target: 'kilo/el7', from: '000002-r-2', to: '000001-r-1' }], mirrors: ['eu'] },
  'waiver.added': { id: 'w1', updateId: 'hkvc', contentHash: 'c'.repeat(64), target: 'kilo/epel-7', test: null, reason: 'known flake', by: 'rm', expiresAt: T0 + 1 },
  'waiver.revoked': { id: 'w1', by: 'rm', reason: 'fixed upstream' },
  'run.recollated': { verdict: 'pass', because: 'passed on kilo/epel-7', previousVerdict: 'fail', revision: 1, waiverId: 'w1' },
  'config.reloaded': { file: 'sluice.yaml', hash: 'a'.repeat(64), previousHash: 'b'.repeat(64), changed: ['pipelines', 'store'], needsRestart: ['store'], via: 'signal', worker: 'host:1' },
};

forEachStore('every event kind round-trips through the store with its typed payload', async ({ store }) => {
  const written = EVENT_KINDS.map((kind) => ({ kind, payload: SAMPLES[kind] }) as EventRecord);
  for (const e of written) await store.appendEvent({ ...e, at: T0 });
  const read = await store.listEvents({ limit: 100 });
  assert.deepEqual(read.map((e) => ({ kind: e.kind, payload: e.payload })), written);
  const reclaimed = read.find((e) => e.kind === 'job.reclaimed');
  // Narrowed by its kind, the payload is typed: no cast needed to ask whether it was final.
  assert.ok(reclaimed?.kind === 'job.reclaimed' && 'final' in reclaimed.payload && reclaimed.payload.final);
});

forEachStore('the events the store writes itself decode as their kinds', async ({ store }) => {
  await store.insertRunWithJobs({ run: { id: 'r1', ...imagesRun(['kilo/epel-7']) }, jobs: [{ id: 'r1.a', target: 'kilo/epel-7', kind: 'images/provision@local', maxAttempts: 2 }], now: T0 });
  const claim = await claimAs(store, { worker: 'w', now: T0 + 1, leaseMs: 1000, kinds: ['images/provision@local'] });
  assert.ok(claim.ok);
  assert.ok((await store.finishJob({ jobId: 'r1.a', worker: 'w', now: T0 + 2, result: 'infra', reason: 'no node' })).ok);
  await store.disableTarget({ target: 'kilo/epel-7', reason: 'mirror', by: 'ops', now: T0 + 3 });
  await store.enableTarget({ target: 'kilo/epel-7', by: 'ops', now: T0 + 4 });
  await store.cancelRun({ runId: 'r1', now: T0 + 5, reason: 'operator' });
  await store.addMustProvision({ package: 'openstack-packstack', by: 'ops', reason: 'installer', now: T0 + 6 });
  await store.removeMustProvision({ package: 'openstack-packstack', by: 'ops', reason: 'fixed', now: T0 + 7 });
  await store.recordImage({ name: 'img-1', target: 'kilo/epel-7', provider: 'local', location: '/images/img-1.tar', productionKey: null, runId: 'r1', jobId: 'r1.a', createdAt: T0 + 8 });
  await store.markImagesPruned({ names: ['img-1'], now: T0 + 9 });
  const events = await store.listEvents();
  assert.deepEqual(events.filter((e) => e.kind === 'unreadable'), []);
  assert.deepEqual(events.map((e) => e.kind), [
    'run.created', 'run.started', 'job.started', 'job.retried', 'target.disabled', 'target.enabled', 'run.cancel_requested', 'job.finished', 'run.finished',
    'must_provision.added', 'must_provision.removed', 'image.recorded', 'image.pruned',
  ]);
});

async function runOf(store: Store, record: NewRunRecord, outcome?: RunOutcomeOf<'phase2'> | RunOutcomeOf<'promote'>): Promise<void> {
  const controller = outcome === undefined ? null : record.pipeline;
  assert.ok((await store.insertRunWithJobs({ run: { id: record.pipeline, ...record, controller }, jobs: [], now: T0 })).ok);
  if (outcome !== undefined) assert.ok((await store.finishControlledRun({ runId: record.pipeline, now: T0 + 1, verdict: 'pass', reason: 'done', outcome })).ok);
}

forEachStore('each pipeline\'s run record round-trips: inputs and outcome come back typed by the pipeline', async ({ store }) => {
  const phase2Outcome: RunOutcomeOf<'phase2'> = { batch: ['aaaa', 'bbbb'], clean: ['aaaa'], culprits: [{ updates: ['bbbb'], stage: 'tests', failedJobs: ['phase2.t2.1.kilo_epel-7'] }], flaky: [], rounds: { checks: 0, tests: 2 }, held: [{ id: 'cccc', why: 'every target disabled' }] };
  const promoteOutcome: RunOutcomeOf<'promote'> = { pushed: [{ id: 'aaaa', files: ['/prod/kilo/a.rpm'] }], failed: [], kept: [], published: [{ target: 'kilo/epel-7', tree: '/prod/kilo.1' }] };
  const records = [phase1Run('hkvc', { gerrit: ref, rerunOf: 'r0' }), phase2Run(['aaaa', 'bbbb']), promoteRun(['aaaa']), imagesRun(['kilo/epel-7'])];
  await runOf(store, records[0]!);
  await runOf(store, records[1]!, phase2Outcome);
  await runOf(store, records[2]!, promoteOutcome);
  await runOf(store, records[3]!);
  const runs = await store.listRuns();
  assert.deepEqual(runs.map((r) => ({ pipeline: r.pipeline, inputs: r.inputs })).sort((a, b) => (a.pipeline < b.pipeline ? -1 : 1)), [...records].sort((a, b) => (a.pipeline < b.pipeline ? -1 : 1)));
  const phase2 = await store.getRun('phase2');
  assert.ok(phase2?.pipeline === 'phase2');
  assert.deepEqual(phase2.outcome, phase2Outcome);
  assert.deepEqual(phase2.inputs.batch, ['aaaa', 'bbbb'], 'narrowed by its pipeline, the inputs are typed');
  const promote = await store.getRun('promote');
  assert.ok(promote?.pipeline === 'promote');
  assert.deepEqual(promote.outcome?.published, promoteOutcome.published);
  assert.equal((await store.getRun('phase1'))?.outcome, null);
});

forEachStore('a row this version cannot decode reads as unreadable, with what was stored and why; nothing throws', async (f) => {
  const { store, url } = f;
  await raw(url, `insert into runs (id, pipeline, state, created_at, inputs) values ('future', 'phase9', 'queued', ${T0}, '{"x":1}')`);
  await raw(url, `insert into runs (id, pipeline, state, created_at, inputs) values ('old', 'phase2', 'finished', ${T0 + 1}, '{"batch":"aaaa"}')`);
  await raw(url, `insert into runs (id, pipeline, state, created_at, inputs, outcome) values ('edited', 'promote', 'finished', ${T0 + 2}, '${JSON.stringify(promoteRun().inputs)}', '{"pushed":3}')`);
  await raw(url, `insert into events (at, kind, payload) values (${T0}, 'job.teleported', '{"to":"mars"}')`);
  await raw(url, `insert into events (at, kind, payload) values (${T0}, 'job.finished', '{"result":"exploded","reason":null}')`);

  const runs = await store.listRuns();
  assert.deepEqual(runs.map((r) => [r.id, r.pipeline, r.pipeline === 'unreadable' ? r.storedPipeline : '']), [['edited', 'unreadable', 'promote'], ['old', 'unreadable', 'phase2'], ['future', 'unreadable', 'phase9']]);
  const old = await store.getRun('old');
  assert.ok(old?.pipeline === 'unreadable');
  assert.match(old.problem, /^inputs of a phase2 run: /);
  assert.deepEqual(old.inputs, { batch: 'aaaa' }, 'what was stored is kept, for the API and an operator');
  const edited = await store.getRun('edited');
  assert.ok(edited?.pipeline === 'unreadable');
  assert.match(edited.problem, /^outcome of a promote run: pushed/);
  assert.match(runs[2]?.pipeline === 'unreadable' ? runs[2].problem : '', /no pipeline "phase9"/);

  const events = await store.listEvents();
  assert.deepEqual(events.map((e) => (e.kind === 'unreadable' ? [e.storedKind, e.problem] : [e.kind])), [
    ['job.teleported', 'no event kind "job.teleported" in this version'],
    ['job.finished', 'payload of job.finished: result: Invalid option: expected one of "success"|"failure"|"infra"|"timeout"|"cancelled"|"skipped"'],
  ]);
});

forEachStore('writers refuse a record the store could not read back, and write nothing', async ({ store }) => {
  const bad = { id: 'r1', pipeline: 'phase2', inputs: { batch: 'aaaa' } } as unknown as NewRunRecord & { id: string };
  await assert.rejects(store.insertRunWithJobs({ run: bad, jobs: [], now: T0 }), /inputs of a phase2 run: /);
  assert.equal(await store.getRun('r1'), undefined);
  await assert.rejects(store.appendEvent({ at: T0, kind: 'job.finished', payload: { result: 'exploded' } } as unknown as EventRecord & { at: number }), /payload of job.finished/);
  await assert.rejects(store.appendEvent({ at: T0, kind: 'job.teleported', payload: {} } as unknown as EventRecord & { at: number }), /no event kind "job.teleported"/);
  assert.deepEqual(await store.listEvents(), []);
  assert.ok((await store.insertRunWithJobs({ run: { id: 'p1', ...promoteRun(), controller: 'promote' }, jobs: [], now: T0 })).ok);
  const outcome = { pushed: 'all' } as unknown as RunOutcomeOf<'promote'>;
  await assert.rejects(store.finishControlledRun({ runId: 'p1', now: T0 + 1, verdict: 'pass', reason: 'r', outcome }), /outcome of a promote run: /);
  assert.equal((await store.getRun('p1'))?.state, 'queued', 'the run is not finished with an outcome nobody could read');
});
