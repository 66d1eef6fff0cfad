import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { spawn } from 'node:child_process';

/**
 * Provisioning in miniature: the baseline fills the node root ($SLUICE_NODE_ROOT); a job
 * booted from the image finds it filled, a provisioned one fills it itself. Each job
 * writes its own name into the root and checks, a second later, that nobody else did.
 */
const TEST = `#!/bin/sh
set -e
root="$SLUICE_NODE_ROOT"
echo "mode=$SLUICE_NODE_MODE image=$SLUICE_IMAGE pipeline=$SLUICE_PIPELINE"
if [ "$SLUICE_NODE_MODE" = image ]; then
  test -f "$root/etc/packstack-done" || { echo "Error: the image has no provisioned root"; exit 1; }
else
  mkdir -p "$root/etc"; echo "packstack aio done" > "$root/etc/packstack-done"
fi
me="\${SLUICE_UPDATE:-baseline}"
echo "$me" > "$root/owner"
sleep 1
test "$(cat "$root/owner")" = "$me" || { echo "Error: another job wrote into this node: $(cat "$root/owner")"; exit 1; }
echo ok
`;

function site(dir: string): void {
  mkdirSync(join(dir, 'tests'), { recursive: true });
  writeFileSync(join(dir, 'tests', 'node.sh'), TEST, { mode: 0o755 });
  mkdirSync(join(dir, 'production', 'repodata'), { recursive: true });
  writeFileSync(join(dir, 'production', 'repodata', 'repomd.xml'), '<repomd>v1</repomd>\n');
  writeFileSync(join(dir, 'sluice.yaml'), `releases: [kilo]
dists: { epel-7: { aliases: [el7] } }
targets: { kilo/epel-7: { repo: "file://${join(dir, 'production')}/" } }
providers: { local: { type: local, capacity: 2 } }
pipelines: { phase1: { test: '"$SLUICE_CONFIG_DIR/tests/node.sh"', timeout: 1m } }
images: { keep: 2 }
engine: { lease: 5s, poll: 100ms, sweep: 200ms }
`);
  for (const id of ['aaaa', 'bbbb']) writeFileSync(join(dir, `${id}.yml`), `notes: ${id}\nbuilds:\n  - { id: python-${id}-1.0-1.el7, repo: kilo, dist: el7 }\n`);
}

test('images: a green baseline becomes the known-good image, phase1 restores it for concurrent jobs without collision, stale or old ones are not used, old ones pruned', async (t) => {
  const dir = tempDir(t);
  site(dir);
  const built = await runCli(['images', 'build'], { cwd: dir });
  assert.equal(built.status, 0, built.stdout + built.stderr);
  const listed = JSON.parse((await runCli(['images', 'list', '--json'], { cwd: dir })).stdout) as { name: string; location: string; productionKey: string }[];
  assert.equal(listed.length, 1);
  assert.match(listed[0]!.productionKey, /^repomd:[0-9a-f]{64}$/);
  assert.ok(existsSync(listed[0]!.location));
  const image = listed[0]!.name;

  // Two updates of the same target at once, both booted from the image: each its own node root.
  const a = (await runCli(['submit', 'aaaa.yml', '--detach'], { cwd: dir })).stdout.trim();
  const b = (await runCli(['submit', 'bbbb.yml', '--detach'], { cwd: dir })).stdout.trim();
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], { cwd: dir, stdio: 'ignore' });
  t.after(() => { if (serve.exitCode === null) serve.kill('SIGKILL'); });
  const until = Date.now() + 60_000;
  let statuses: string[] = [];
  while (Date.now() < until) {
    statuses = await Promise.all([a, b].map(async (r) => (await runCli(['status', r, '--json'], { cwd: dir })).stdout));
    if (statuses.every((s) => /"reportedAt": \d/.test(s))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  for (const s of statuses) {
    const { run, jobs } = JSON.parse(s) as { run: { verdict: string }; jobs: { spec: { mode: string; image: string }; logPath: string }[] };
    assert.equal(run.verdict, 'pass', s);
    assert.deepEqual([jobs[0]!.spec.mode, jobs[0]!.spec.image], ['image', image]);
    assert.match(readFileSync(jobs[0]!.logPath, 'utf8'), new RegExp(`node root restored from image ${image}`));
  }

  // Production moved on: the image is stale, phase1 provisions and says why.
  writeFileSync(join(dir, 'production', 'repodata', 'repomd.xml'), '<repomd>v2</repomd>\n');
  const stale = await runCli(['submit', 'aaaa.yml'], { cwd: dir });
  assert.equal(stale.status, 0, stale.stdout + stale.stderr);
  const explain = await runCli(['explain', /run (\S+) /.exec(stale.stdout)![1]!], { cwd: dir });
  assert.match(explain.stdout, new RegExp(`image ${image} was built from other production content than kilo/epel-7 has now`));

  // Two more baselines with keep: 2: the first image is pruned, its archive removed.
  for (let i = 0; i < 2; i++) assert.equal((await runCli(['images', 'build'], { cwd: dir })).status, 0);
  const after = JSON.parse((await runCli(['images', 'list', '--all', '--json'], { cwd: dir })).stdout) as { name: string; location: string; prunedAt: number | null }[];
  assert.equal(after.length, 3);
  assert.deepEqual(after.map((i) => i.prunedAt === null), [true, true, false]);
  assert.equal(after[2]!.name, image);
  assert.ok(!existsSync(after[2]!.location), 'the pruned archive is gone');
});
