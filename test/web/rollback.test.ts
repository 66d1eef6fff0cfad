import assert from 'node:assert/strict';
import { mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { publishToProduction } from '../../src/drivers/publish/production.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { requireRsync } from '../helpers/rsync.js';
import { namedToken, webServer, webSite } from './fixture.js';

// POST /api/production/rollback: the release role's, in the token's person's name, recorded with the reason.

const ALICE = 'alice-packager-token-0123456789abcdef';
const RITA = 'rita-release-token-0123456789abcdef';
const TOKENS = [namedToken('alice', ['packager'], ALICE), namedToken('rita', ['release'], RITA)];

it('rolls production back for a release token only, recording who and why; an unknown tree changes nothing', async (t) => {
  if (!requireRsync(t)) return;
  const dir = tempDir(t);
  const f = await webSite(dir);
  const production = join(dir, 'production');
  for (const run of ['r-1', 'r-2']) {
    const stage = join(dir, 'stage', run);
    mkdirSync(join(stage, 'repodata'), { recursive: true });
    writeFileSync(join(stage, 'repodata', 'repomd.xml'), `<repomd>${run}</repomd>\n`);
    const r = await publishToProduction({ productionRoot: production, runId: run, trees: [{ target: 'kilo/epel-7', stagePath: stage }] });
    assert.ok(r.ok, JSON.stringify(r));
  }
  const store = await openStore(`sqlite:${join(dir, 'sluice.db')}`);
  t.after(() => store.close());
  const { app } = await webServer(t, store, f, { auth: { tokens: TOKENS, publicReads: true } });
  const post = (token: string, body: unknown) => app.inject({ method: 'POST', url: '/api/production/rollback', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const link = () => readlinkSync(join(production, 'kilo', 'epel-7'));

  const refused = await post(ALICE, { reason: 'repomd.xml is broken' });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error.code, 'E_ROLE_REQUIRED');
  assert.match(refused.json().error.message, /rolling production back needs the release role; token of alice has packager/);
  assert.equal(link(), '../.trees/kilo/epel-7/000002-r-2', 'nothing done');

  assert.equal((await post(RITA, {})).statusCode, 400, 'a reason is required');
  const unknown = await post(RITA, { reason: 'x', to: 'r-9' });
  assert.equal(unknown.statusCode, 409);
  assert.equal(unknown.json().error.code, 'E_NO_KEPT_TREE');

  const done = await post(RITA, { reason: 'repomd.xml is broken' });
  assert.equal(done.statusCode, 200, done.body);
  assert.deepEqual(done.json(), { by: 'rita', reason: 'repomd.xml is broken', targets: [{ target: 'kilo/epel-7', from: '000002-r-2', to: '000001-r-1' }], mirrors: [] });
  assert.equal(link(), '../.trees/kilo/epel-7/000001-r-1');
  const events = (await store.listEvents({ limit: 100 })).filter((e) => e.kind === 'production.rolled_back' || e.kind === 'web.action');
  assert.deepEqual(events.map((e) => e.kind === 'production.rolled_back' ? `${e.kind} ${e.payload.by} ${e.payload.via} ${e.payload.reason}` : e.kind === 'web.action' ? `${e.kind} ${e.payload.action} ${e.payload.by}` : ''),
    ['production.rolled_back rita token repomd.xml is broken', 'web.action rollback rita']);
});
