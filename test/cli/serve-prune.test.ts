import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { makeSite } from '../helpers/site.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the leading sluice serve prunes on retention.schedule', async (t) => {
  const site = await makeSite(tempDir(t, 'issue-18retain-'));
  // Every second (croner's leading seconds field), so the test need not wait for a minute.
  appendFileSync(join(site.dir, 'sluice.yaml'), 'work_dir: work\nretention: { schedule: "* * * * * *", logs: { max_age: 1d } }\n');
  const old = join(site.dir, 'work', 'r-old-run');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'job.log'), 'an old log\n');
  const then = new Date(Date.now() - 3 * 86_400_000);
  utimesSync(join(old, 'job.log'), then, then);
  utimesSync(old, then, then);
  const young = join(site.dir, 'work', 'r-young-run');
  mkdirSync(young);
  writeFileSync(join(young, 'job.log'), 'a log of today\n');
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], { cwd: site.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  serve.stderr.on('data', (d) => { stderr += String(d); });
  t.after(() => { if (serve.exitCode === null) serve.kill('SIGKILL'); });
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && existsSync(old)) await sleep(100);
    assert.ok(!existsSync(old), `the old logs were not pruned:\n${stderr}`);
    assert.ok(existsSync(join(young, 'job.log')), 'young logs stay');
    while (Date.now() < deadline && !/retention "\* \* \* \* \* \*" fired for .*: freed/.test(stderr)) await sleep(100);
    assert.match(stderr, /retention "\* \* \* \* \* \*" fired for .*: freed \d.* \(1 item\)/);
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
});
