import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { requireIsolatedNodes, startIsolatedNodes } from '../helpers/isolated-node.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';

// `sluice promote` with promote.mirrors: the tested stage reaches production and two remote
// mirrors (sshd nodes that cannot see the worker's disk) together; a mirror that cannot be
// reached fails the publication with nothing changed anywhere, and the update stays in ready/.

test('sluice promote publishes to production and both mirrors; with a mirror down it publishes nowhere', { timeout: 240_000 }, async (t) => {
  if (!requireRpmTools(t) || !requireIsolatedNodes(t)) return;
  const site = await makePhase2Site(tempDir(t));
  const nodes = await startIsolatedNodes(t, 2);
  const mirrors = nodes.nodes.map((n, i) => `{ name: m${i + 1}, host: ${n.host}, port: ${n.port}, user: ${n.user}, path: /srv/rdo, key_file: "${nodes.keyFile}", known_hosts_file: "${nodes.knownHostsFile}" }`);
  const file = join(site.dir, 'sluice.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('promote: { production: published, stage: .sluice/stage }', `promote: { production: published, stage: .sluice/stage, mirrors: [${mirrors.join(', ')}] }`));
  const hosts = [join(site.dir, 'published'), ...nodes.nodes.map((n) => join(n.srvDir, 'rdo'))];
  const rpmsOn = (root: string) => readdirSync(join(root, 'kilo', 'epel-7')).filter((f) => f.endsWith('.rpm')).sort();

  await addUpdate(site, 'aaaa');
  assert.equal((await runCli(['phase2'], { cwd: site.dir })).status, 0);
  const pr = await runCli(['promote'], { cwd: site.dir });
  assert.equal(pr.status, 0, pr.stdout + pr.stderr);
  const tree = readlinkSync(join(hosts[0]!, 'kilo', 'epel-7'));
  for (const root of hosts) {
    assert.equal(readlinkSync(join(root, 'kilo', 'epel-7')), tree, root);
    assert.deepEqual(rpmsOn(root), ['python-aaaa-1.0-1.el7.noarch.rpm'], root);
    assert.equal(readFileSync(join(root, 'kilo', 'epel-7', 'repodata', 'repomd.xml'), 'utf8'), readFileSync(join(hosts[0]!, 'kilo', 'epel-7', 'repodata', 'repomd.xml'), 'utf8'));
  }

  await addUpdate(site, 'bbbb');
  assert.equal((await runCli(['phase2'], { cwd: site.dir })).status, 0);
  await nodes.nodes[1]!.stop();
  const down = await runCli(['promote'], { cwd: site.dir });
  assert.equal(down.status, 3, down.stdout + down.stderr);
  assert.match(down.stdout, /production was not changed: publication of run \S+ did not start, production and its mirrors are untouched: mirror m2 \(root@127\.0\.0\.\d+:\d+\): inspect failed/);
  for (const root of hosts) {
    assert.equal(readlinkSync(join(root, 'kilo', 'epel-7')), tree, root);
    assert.deepEqual(rpmsOn(root), ['python-aaaa-1.0-1.el7.noarch.rpm'], root);
  }
  assert.ok(existsSync(join(site.repoPath, 'ready', 'bbbb.yml')), 'the update waits in ready/ for the next promote');
});
