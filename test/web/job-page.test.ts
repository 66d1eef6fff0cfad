import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { jobClass, jobKind } from '../../src/engine/job-kind.js';
import { newRunId } from '../../src/engine/hash.js';
import type { NewJob } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { webServer, webSite } from './fixture.js';
import { phase2Run } from '../helpers/run-records.js';

const SCRIPT = '<script>alert(1)</script>';

describe('a job\'s page and the cards of a run', () => {
  forEachStore('a phase2 run\'s cards name their round and group; every job id opens a page of its own', async ({ store }, t) => {
    const f = await webSite(tempDir(t));
    const { app } = await webServer(t, store, f);
    const now = Date.now();
    const runId = newRunId(now);
    const kind = jobKind(jobClass('phase2', 'provision'), 'local');
    const groups: [number, string[]][] = [[1, ['aaaa', 'bbbb', SCRIPT]], [2, ['aaaa']], [2, ['bbbb', SCRIPT]]];
    const jobs: NewJob[] = groups.map(([round, group], i) => ({ id: `${runId}.t${round}.${i}.kilo_epel-7`, target: 'kilo/epel-7', kind, maxAttempts: 1, spec: { stage: 'tests', round, group } }));
    assert.ok((await store.insertRunWithJobs({ run: { id: runId, ...phase2Run(['aaaa', 'bbbb']), controller: 'phase2' }, jobs, now })).ok);

    const page = (await app.inject({ url: `/runs/${runId}` })).body;
    const titles = [...page.matchAll(/<h3>(.*?) <span class="badge/g)].map((m) => m[1]);
    assert.deepEqual(titles.sort(), [
      'tests round 1, group [aaaa bbbb &lt;script&gt;alert(1)&lt;/script&gt;]: kilo/epel-7',
      'tests round 2, group [aaaa]: kilo/epel-7',
      'tests round 2, group [bbbb &lt;script&gt;alert(1)&lt;/script&gt;]: kilo/epel-7',
    ]);
    for (const j of jobs) assert.ok(page.includes(`<a class="muted id" href="/jobs/${j.id}">${j.id}</a>`), `card of ${j.id} links its page`);

    const second = jobs[1]!;
    const jobPage = await app.inject({ url: `/jobs/${encodeURIComponent(second.id)}` });
    assert.equal(jobPage.statusCode, 200);
    assert.match(jobPage.body, new RegExp(`<h1>Job <span class="id">${second.id.replace(/\./g, '\\.')}</span></h1>`));
    assert.match(jobPage.body, new RegExp(`<a href="/runs/${runId}">${runId}</a> \\(phase2 of`));
    assert.match(jobPage.body, /<dt>job<\/dt><dd>tests round 2, group \[aaaa\]: kilo\/epel-7<\/dd>/);
    assert.doesNotMatch(jobPage.body, /<script>alert/);
    const fragment = await app.inject({ url: `/fragments/jobs/${encodeURIComponent(second.id)}` });
    assert.equal(fragment.statusCode, 200);
    assert.match(fragment.body, /tests round 2, group \[aaaa\]/);

    // A phase1 job, as `sluice submit` prints its id under a failure, opens too, with its attempts.
    const phase1 = await submit(f.site, store, 'hkvc', 'all good', ['kilo/epel-7'], now);
    const phase1Job = (await store.listJobs(phase1))[0]!;
    const p1 = await app.inject({ url: `/jobs/${phase1Job.id}` });
    assert.equal(p1.statusCode, 200);
    assert.match(p1.body, /<dt>job<\/dt><dd>kilo\/epel-7<\/dd>/);

    const missing = await app.inject({ url: '/jobs/no-such-job' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /no job .{0,12}no-such-job/);
  });
});
