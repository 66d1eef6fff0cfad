import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { startIsolatedNodes, requireIsolatedNodes, type IsolatedNodes } from '../../helpers/isolated-node.js';
import { tempDir } from '../../helpers/paths.js';
import { addUpdate, makePhase2Site, type Phase2Site } from '../../helpers/phase2-site.js';
import { buildRpm, requireRpmTools } from '../../helpers/rpm.js';
import { forEachStore } from '../../helpers/store-matrix.js';

/**
 * The whole ladder on "remote" nodes that cannot see the worker's disk (isolated-node.ts):
 * whatever a job needs must really be delivered, or it fails as it would on a cloud server.
 */

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

/** phase1 on the node: install the update's RPMs from the delivered repository into an empty root; a missing dependency fails. */
const phase1Test = (workerDir: string) => `#!/bin/sh
set -u
if [ -e ${JSON.stringify(workerDir)} ]; then echo "Error: this node sees the worker's disk"; exit 9; fi
grep -q '^baseurl=file:///srv/sluice/' "$SLUICE_UPDATE_REPO_FILE" || { echo "Error: the repository file does not point at the node's copy"; cat "$SLUICE_UPDATE_REPO_FILE"; exit 8; }
mkdir -p /var/log/sluice-test && echo "the node's own log of $SLUICE_UPDATE" > "/var/log/sluice-test/node-$SLUICE_UPDATE.log"
root="$SLUICE_WORKDIR/root"
mkdir -p "$root" && rpm --root "$root" --initdb
rpm --root "$root" -i --nosignature "$SLUICE_UPDATE_REPO"/*.rpm 2>&1 || exit 1
echo "installed: $(rpm --root "$root" -qa | sort | tr '\\n' ' ')"
`;

function useNodes(site: Phase2Site, nodes: IsolatedNodes, storeUrl: string): void {
  writeFileSync(join(site.dir, 'tests', 'phase1.sh'), phase1Test(site.dir));
  chmodSync(join(site.dir, 'tests', 'phase1.sh'), 0o755);
  const hosts = nodes.nodes.map((n) => `{ host: "${n.host}", port: ${n.port}, user: ${n.user}, capacity: 2 }`).join(', ');
  const provider = `providers: { local: { type: ssh, hosts: [${hosts}], key_file: "${nodes.keyFile}", known_hosts_file: "${nodes.knownHostsFile}", work_dir: /srv/sluice, config_files: [tests], kill_grace: 300ms } }`;
  const file = join(site.dir, 'sluice.yaml');
  const text = readFileSync(file, 'utf8')
    .replace(/^providers: .*$/m, provider)
    .replace('phase1: { test: "true" }', 'phase1: { test: \'"$SLUICE_CONFIG_DIR/tests/phase1.sh"\', timeout: 1m, retries: 1, collect: ["/var/log/sluice-test/*.log", "/nonexistent/*.log"] }');
  writeFileSync(file, `${text}store: "${storeUrl}"\n`);
}

function newUpdate(site: Phase2Site, id: string, requires: string[] = []): string {
  const nvr = `python-${id}-1.0-1.el7`;
  buildRpm(join(site.dir, 'rpmbuild'), join(site.dir, 'builds', nvr), { name: `python-${id}`, version: '1.0', release: '1.el7', requires });
  const file = join(site.dir, `${id}.yml`);
  writeFileSync(file, `notes: update ${id}\nbuilds:\n  - id: ${nvr}\n    repo: kilo\n    dist: el7\n`);
  return file;
}

const blobsOf = (node: { srvDir: string }) => join(node.srvDir, 'sluice', '.cache', 'blobs');

forEachStore('the ladder on nodes that cannot see the worker\'s disk: phase1 installs the delivered RPMs, a tampered one is infra, phase2 bisects, promote tests the delivered stage', async ({ url }, t) => {
  if (!requireRpmTools(t) || !requireIsolatedNodes(t)) return;
  const site = await makePhase2Site(tempDir(t));
  const nodes = await startIsolatedNodes(t, 1);
  const node = nodes.nodes[0]!;
  useNodes(site, nodes, url);

  // phase1: the update's RPMs reach the node, are checked there and install.
  const good = await runCli(['submit', newUpdate(site, 'good')], { cwd: site.dir });
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.ok(existsSync(join(site.repoPath, 'updates', 'good.yml')), 'a passing update is merged');
  const logs = readdirSync(join(site.dir, '.sluice', 'work'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('job.log'));
  const goodLog = readFileSync(join(site.dir, '.sluice', 'work', logs[0]!), 'utf8');
  assert.match(goodLog, /== delivered to ssh:root@127\.0\.0\.\d+:\d+: \d+ files \(\d+ bytes\) sent, 0 of 1 directories already there/);
  assert.match(goodLog, /== SLUICE_UPDATE_REPO: \d+ files, \d+ bytes, sha256 of each checked on the node \(\/srv\/sluice\/\.cache\/trees\/[0-9a-f]{64}\)/);
  assert.match(goodLog, /installed: python-good-1\.0-1\.el7\.noarch/);

  // A dependency the update needs and nothing provides: the install on the node fails, and says why.
  const needy = await runCli(['submit', newUpdate(site, 'needy', ['python-oslo-concurrency >= 9'])], { cwd: site.dir });
  assert.equal(needy.status, 1, needy.stdout + needy.stderr);
  assert.match(needy.stdout, /python-oslo-concurrency >= 9 is needed by python-needy-1\.0-1\.el7\.noarch/);
  const needyJob = /sluice logs (\S+)/.exec(needy.stdout)?.[1] ?? '';
  const logsOut = await runCli(['logs', needyJob], { cwd: site.dir });
  assert.match(logsOut.stdout, /collected from the node \(.*collected\):\n {2}var_log_sluice-test_node-good\.log\n {2}var_log_sluice-test_node-needy\.log\n/);
  // The node's own logs come back beside the job log, on failure as on success.
  for (const id of ['good', 'needy']) {
    const collected = readdirSync(join(site.dir, '.sluice', 'work'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(`collected/var_log_sluice-test_node-${id}.log`));
    // The node's /var/log persists between jobs, as a real host's does: the later job brings back both.
    assert.equal(collected.length, id === 'good' ? 2 : 1, `collected logs of ${id}: ${collected.join(', ')}`);
    assert.equal(readFileSync(join(site.dir, '.sluice', 'work', collected[0]!), 'utf8'), `the node's own log of ${id}\n`);
  }

  // Someone changes good's RPM on the node. phase2's first round reuses that blob: the node's
  // check finds it, the attempt is infra (never a failure, never a pass), the blob is removed,
  // and the retry sends it again.
  const goodSha = execFileSync('sha256sum', [join(site.dir, 'builds', 'python-good-1.0-1.el7', 'python-good-1.0-1.el7.noarch.rpm')], { encoding: 'utf8' }).split(' ')[0]!;
  const blob = join(blobsOf(node), goodSha);
  assert.ok(existsSync(blob), 'the node keeps each delivered file once, by content');
  writeFileSync(blob, Buffer.concat([readFileSync(blob), Buffer.from('tampered')]));

  await addUpdate(site, 'aaaa');
  await addUpdate(site, 'cccc', { notes: 'this one breaks phase2' });
  const p2 = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(p2.status, 1, p2.stdout + p2.stderr);
  assert.match(p2.stdout, /CULPRIT cccc/);
  assert.ok(existsSync(join(site.repoPath, 'ready', 'good.yml')) && existsSync(join(site.repoPath, 'ready', 'aaaa.yml')));
  const explain = await runCli(['status', '--json'], { cwd: site.dir });
  assert.equal(explain.status, 0);
  const workLogs = readdirSync(join(site.dir, '.sluice', 'work'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('job.log')).map((f) => readFileSync(join(site.dir, '.sluice', 'work', f), 'utf8'));
  const caught = workLogs.filter((l) => /INFRA: delivered files do not match their SHA-256 on ssh:root@127\.0\.0\.\d+:\d+: python-good-1\.0-1\.el7\.noarch\.rpm/.test(l));
  assert.equal(caught.length, 1, 'the tampered file is found once, and the retry passes');
  assert.ok(workLogs.some((l) => /install=preinstall updates=aaaa cccc good/.test(l) || /phase2 install=preinstall/.test(l)));

  // promote: the stage tree is delivered and its test reads it on the node.
  const pr = await runCli(['promote'], { cwd: site.dir });
  assert.equal(pr.status, 0, pr.stdout + pr.stderr);
  assert.match(pr.stdout, /PASS - published aaaa, good to kilo\/epel-7 \(stage tested on kilo\/epel-7\)/);
  const stageLogs = readdirSync(join(site.dir, '.sluice', 'work'), { recursive: true, encoding: 'utf8' }).filter((f) => /stage/.test(f) && f.endsWith('job.log'));
  assert.ok(stageLogs.length > 0);
  const stageLog = readFileSync(join(site.dir, '.sluice', 'work', stageLogs[0]!), 'utf8');
  assert.match(stageLog, /stage=\/srv\/sluice\/\.cache\/trees\/[0-9a-f]{64} updates=aaaa good/);
  assert.match(stageLog, /stage OK/);
  assert.equal(git(site.repoPath, 'status', '--porcelain'), '');
}, { timeoutMs: 240_000 });
