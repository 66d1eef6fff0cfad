import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, updateText } from '../helpers/site.js';

test('sluice submit --with names the updates it needs: one in updates/ is tested with it and said at the end; an unknown one is refused, naming it', async (t) => {
  const dir = tempDir(t);
  const site = await makeSite(dir);
  writeFileSync(join(site.repoPath, 'updates', 'hz8d.yml'), updateText('all good', ['kilo/epel-7']));
  writeFileSync(join(dir, 'nv4a.yml'), updateText('all good', ['kilo/epel-7']));

  const unknown = await runCli(['submit', 'nv4a.yml', '--with', 'hz8d', '--with', 'zz99'], { cwd: dir });
  assert.equal(unknown.status, 1, unknown.stderr);
  assert.equal(unknown.stdout, 'nv4a.yml:1:1: error: zz99: no update zz99 is known (not submitted, not in updates/ or ready/) (declared by --with on the command line)\n');

  const r = await runCli(['submit', 'nv4a.yml', '--with', 'hz8d'], { cwd: dir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}tested with hz8d: --with on the command line \(declared, sha256 [0-9a-f]{12}\)$/m);
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  t.after(() => store.close());
  const [run] = await store.listRuns({ updateId: 'nv4a' });
  const [job] = await store.listJobs(run?.id ?? '');
  const testedWith = (spec: unknown) => (spec as { testedWith?: { id: string; builds: unknown[] }[] }).testedWith?.map((w) => [w.id, w.builds.length]);
  assert.deepEqual(testedWith(job?.spec), [['hz8d', 1]]);
  // A rerun repeats the plan, the updates it is tested with included, even once hz8d has moved on.
  const rerun = await runCli(['rerun', run?.id ?? '', '--detach'], { cwd: dir });
  assert.equal(rerun.status, 0, rerun.stderr);
  const againId = rerun.stdout.split(' ')[0] ?? '';
  const again = await store.getRun(againId);
  assert.deepEqual(again?.pipeline === 'phase1' && again.inputs.testedWith?.map((w) => w.id), ['hz8d']);
  assert.deepEqual(testedWith((await store.listJobs(againId))[0]?.spec), [['hz8d', 1]]);
});
