import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { jobClass, jobKind } from '../../src/engine/job-kind.js';
import type { JobSpec } from '../../src/engine/job-spec.js';
import { newRunId } from '../../src/engine/hash.js';
import type { NewJob, Pipeline, Store } from '../../src/store/index.js';
import { TargetViewSchema } from '../../src/web/schemas.js';
import { tempDir } from '../helpers/paths.js';
import { submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { webServer, webSite } from './fixture.js';
import type { NewRunRecord } from '../../src/core/records/index.js';
import { imagesRun, phase2Run, promoteRun } from '../helpers/run-records.js';

const SCRIPT = '<script>alert(1)</script>';

/** The fields of a job's spec that say what a phase2, promote or images job tests, as the engine writes them. */
type What = Pick<JobSpec, 'stage' | 'round' | 'group'>;

const job = (runId: string, pipeline: Pipeline, target: string, spec: What, n = 0): NewJob => ({
  id: `${runId}.${n}.${target.replace(/\//g, '_')}`, target, kind: jobKind(jobClass(pipeline, 'provision'), 'local'), maxAttempts: 1, spec,
});

async function insertRun(store: Store, record: NewRunRecord, jobs: (runId: string) => NewJob[], now: number): Promise<string> {
  const id = newRunId(now);
  const { pipeline } = record;
  const r = await store.insertRunWithJobs({ run: { id, ...record, controller: pipeline === 'phase2' || pipeline === 'promote' ? pipeline : null }, jobs: jobs(id), now });
  assert.ok(r.ok, JSON.stringify(r));
  return id;
}

/** The `<a class="last">` of a target's cell on the front page: its link and its text up to the time. */
function lastOf(page: string, target: string): { href: string; text: string } {
  const cell = page.match(new RegExp(`<td class="cell [^"]*" data-target="${target}"[^>]*>(.*?)</td>`, 's'))?.[1];
  assert.ok(cell, `a cell for ${target}`);
  const m = cell.match(/<a class="last" href="([^"]*)">(.*?) · <time/s);
  assert.ok(m, `${target}'s cell links its newest job: ${cell}`);
  return { href: m[1] as string, text: m[2] as string };
}

describe('a target\'s cell on the front page', () => {
  forEachStore('names its newest job by what it tested: the update for phase1, phase2\'s batch or bisection step, promote, the images baseline; never just "run"', async ({ store }, t) => {
    const f = await webSite(tempDir(t));
    const { app } = await webServer(t, store, f);
    const t0 = Date.now() - 600_000;
    const batch = ['aaaa', 'bbbb', 'cccc'];

    const phase1 = await submit(f.site, store, 'hkvc', 'all good', ['kilo/epel-7'], t0);
    const phase2 = await insertRun(store, phase2Run(batch), (id) => [job(id, 'phase2', 'kilo/fedora-22', { stage: 'tests', round: 1, group: batch })], t0 + 1000);
    const promote = await insertRun(store, promoteRun(['aaaa']), (id) => [job(id, 'promote', 'liberty/epel-7', { stage: 'stage' })], t0 + 2000);

    const front = (await app.inject({ url: '/' })).body;
    assert.deepEqual(lastOf(front, 'kilo/epel-7'), { href: `/runs/${phase1}#job-${phase1}.kilo_epel-7`, text: 'hkvc' });
    assert.deepEqual(lastOf(front, 'kilo/fedora-22'), { href: `/runs/${phase2}#job-${phase2}.0.kilo_fedora-22`, text: 'phase2 of 3 updates' });
    assert.deepEqual(lastOf(front, 'liberty/epel-7'), { href: `/runs/${promote}#job-${promote}.0.liberty_epel-7`, text: 'promote' });

    const api = TargetViewSchema.array().parse((await app.inject({ url: '/api/targets' })).json());
    assert.deepEqual(api.map((x) => [x.target, x.last?.pipeline, x.last?.updateId, x.last?.label]), [
      ['kilo/epel-7', 'phase1', 'hkvc', 'hkvc'],
      ['kilo/fedora-22', 'phase2', null, 'phase2 of 3 updates'],
      ['liberty/epel-7', 'promote', null, 'promote'],
    ]);

    // Later rounds of the same phase2 bisect the batch; the spec is stored as is, so a
    // hostile name in a group must come out escaped, although an update id cannot hold one.
    const added = await store.addJobs({
      runId: phase2, now: t0 + 3000,
      jobs: [job(phase2, 'phase2', 'liberty/epel-7', { stage: 'checks', round: 2, group: ['aaaa', 'bbbb'] }, 2), job(phase2, 'phase2', 'kilo/fedora-22', { stage: 'tests', round: 3, group: [SCRIPT] }, 3)],
    });
    assert.ok(added.ok, JSON.stringify(added));
    const images = await insertRun(store, imagesRun(['kilo/epel-7']), (id) => [job(id, 'images', 'kilo/epel-7', { stage: 'baseline' })], t0 + 4000);

    const later = (await app.inject({ url: '/' })).body;
    assert.deepEqual(lastOf(later, 'kilo/epel-7'), { href: `/runs/${images}#job-${images}.0.kilo_epel-7`, text: 'images baseline' });
    assert.equal(lastOf(later, 'kilo/fedora-22').text, 'phase2 bisect r3: &lt;script&gt;alert(1)&lt;/script&gt;');
    assert.equal(lastOf(later, 'liberty/epel-7').text, 'phase2 checks bisect r2: 2 of 3 updates');
    assert.ok(!later.includes(SCRIPT), 'the group\'s name is escaped');
    const fragment = (await app.inject({ url: '/fragments/front' })).body;
    assert.equal(lastOf(fragment, 'kilo/fedora-22').text, lastOf(later, 'kilo/fedora-22').text, 'the live fragment names it the same');

    const labels = TargetViewSchema.array().parse((await app.inject({ url: '/api/targets' })).json()).map((x) => [x.last?.pipeline, x.last?.label]);
    assert.deepEqual(labels, [['images', 'images baseline'], ['phase2', `phase2 bisect r3: ${SCRIPT}`], ['phase2', 'phase2 checks bisect r2: 2 of 3 updates']], 'JSON carries the text unescaped');
  });
});
