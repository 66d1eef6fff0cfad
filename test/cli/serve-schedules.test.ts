import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordArmed } from '../../src/engine/schedule-log.js';
import { openStore } from '../../src/store/index.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('sluice serve starts phase2 and promote on their schedules (a missed firing is caught up at start) and signs what it publishes', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  await addUpdate(site, 'aaaa');
  await addUpdate(site, 'bbbb');
  // The signing hook records what it was given; it must not be able to get it any other way than the environment.
  writeFileSync(join(site.dir, 'tests', 'sign.sh'), '#!/bin/sh\nprintf "%s\\n" "$SLUICE_RPMS" >> "$SLUICE_CONFIG_DIR_FOR_SIGN/signed.txt"\n', { mode: 0o755 });
  const config = readFileSync(join(site.dir, 'sluice.yaml'), 'utf8')
    .replace('promote: { production: published, stage: .sluice/stage }', `promote: { production: published, stage: .sluice/stage, sign: 'SLUICE_CONFIG_DIR_FOR_SIGN="${site.dir}" "${site.dir}/tests/sign.sh"' }`)
    + 'schedules: { phase2: "* * * * *", promote: "* * * * *" }\n';
  writeFileSync(join(site.dir, 'sluice.yaml'), config);
  // A scheduler watched both pipelines until five minutes ago: the firings missed since are owed, once each.
  mkdirSync(join(site.dir, '.sluice'), { recursive: true });
  const store = await openStore(`sqlite:${join(site.dir, '.sluice', 'sluice.db')}`);
  const since = Date.now() - 5 * 60_000;
  await recordArmed(store, since, { pipeline: 'phase2', cron: '* * * * *', since });
  await recordArmed(store, since, { pipeline: 'promote', cron: '* * * * *', since });
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve'], { cwd: site.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  serve.stderr.on('data', (d) => { stderr += String(d); });
  t.after(() => { if (serve.exitCode === null) serve.kill('SIGKILL'); });
  try {
    // phase2 moves both to ready/; promote (caught up at start too, or at the next minute) pushes them.
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && !(existsSync(join(site.repoPath, 'pushed', 'aaaa.yml')) && existsSync(join(site.repoPath, 'pushed', 'bbbb.yml')))) await sleep(250);
    assert.ok(existsSync(join(site.repoPath, 'pushed', 'aaaa.yml')), `not pushed in time:\n${stderr}`);
    assert.ok(existsSync(join(site.repoPath, 'pushed', 'bbbb.yml')));
    assert.match(stderr, /schedule phase2 \([^)]*\): started r/);
    const signed = readFileSync(join(site.dir, 'signed.txt'), 'utf8').trim().split('\n');
    assert.deepEqual(signed.map((p) => p.split('/').pop()).sort(), ['python-aaaa-1.0-1.el7.noarch.rpm', 'python-bbbb-1.0-1.el7.noarch.rpm']);
    assert.ok(signed.every((p) => p.includes(join('.sluice', 'stage'))), 'only the staged copies are signed, never a cached or production file');
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    await store.close();
  }
  const runs = await (async () => { const s = await openStore(`sqlite:${join(site.dir, '.sluice', 'sluice.db')}`); try { return await s.listRuns({ limit: 50 }); } finally { await s.close(); } })();
  assert.equal(runs.filter((r) => r.pipeline === 'phase2').length >= 1, true);
  assert.ok(runs.filter((r) => r.pipeline === 'phase2').every((r) => r.state === 'finished'), 'no phase2 left half done');
});
