import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { newRunId } from '../../src/engine/hash.js';
import { RunSummarySchema } from '../../src/web/schemas.js';
import { tempDir } from '../helpers/paths.js';
import { raw } from '../helpers/raw-sql.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { webServer, webSite } from './fixture.js';

describe('rows this version cannot read', () => {
  forEachStore('an unreadable run or event is shown as such by the dashboard and the API, never a 500', async ({ store, url }, t) => {
    const f = await webSite(tempDir(t));
    const { app } = await webServer(t, store, f);
    const now = Date.now();
    const future = newRunId(now);
    const old = newRunId(now + 1);
    // A pipeline a newer version added, and a phase2 run whose inputs are not of phase2's shape.
    await raw(url, `insert into runs (id, pipeline, state, created_at, inputs) values ('${future}', 'phase9', 'finished', ${now}, '{"x":1}')`);
    await raw(url, `insert into runs (id, pipeline, state, created_at, inputs, controller) values ('${old}', 'phase2', 'queued', ${now + 1}, '{"batch":"hkvc"}', 'phase2')`);
    await raw(url, `insert into jobs (id, run_id, target, kind, state, attempt, max_attempts, available_at, created_at, spec) values ('${old}.a', '${old}', 'kilo/epel-7', 'phase2/provision@local', 'queued', 0, 1, ${now}, ${now}, '{}')`);
    await raw(url, `insert into events (at, kind, run_id, job_id, payload) values (${now}, 'job.teleported', '${old}', '${old}.a', '{"to":"mars"}')`);

    for (const path of ['/', '/runs', `/runs/${future}`, `/runs/${old}`, `/jobs/${old}.a`]) {
      const res = await app.inject({ url: path });
      assert.equal(res.statusCode, 200, `${path}: ${res.body.slice(0, 300)}`);
    }
    assert.equal((await app.inject({ url: '/updates/hkvc' })).statusCode, 404, 'scanning runs for an update passes over the unreadable ones');
    assert.match((await app.inject({ url: `/jobs/${old}.a` })).body, /job\.teleported \(unreadable: no event kind &quot;job\.teleported&quot; in this version\)/);
    const list = await app.inject({ url: '/api/runs' });
    assert.equal(list.statusCode, 200, list.body);
    const runs = RunSummarySchema.array().parse((list.json() as { items: unknown[] }).items);
    assert.deepEqual(runs.map((r) => [r.id, r.pipeline]), [[old, 'unreadable'], [future, 'unreadable']]);
    const one = await app.inject({ url: `/api/runs/${old}` });
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual((one.json() as { inputs: unknown }).inputs, { batch: 'hkvc' }, 'what was stored is shown as stored');
  });
});
