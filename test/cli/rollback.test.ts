import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { publishToProduction } from '../../src/drivers/publish/production.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { requireIsolatedNodes, startIsolatedNodes } from '../helpers/isolated-node.js';
import { tempDir } from '../helpers/paths.js';
import { requireRsync } from '../helpers/rsync.js';

// `sluice rollback` on a site whose production has two remote mirrors (real sshd nodes that
// cannot see the worker's disk), configured as an operator would: paths relative to
// sluice.yaml, in a directory whose name holds a space.

const T = 'kilo/epel-7';

it('sluice rollback lists the kept trees, puts production and both mirrors back, and records who and why', { timeout: 180_000 }, async (t) => {
  if (!requireRsync(t) || !requireIsolatedNodes(t)) return;
  const cwd = tempDir(t);
  assert.equal((await runCli(['init'], { cwd })).status, 0);
  const nodes = await startIsolatedNodes(t, 2);
  mkdirSync(join(cwd, 'keys dir'));
  copyFileSync(nodes.keyFile, join(cwd, 'keys dir', 'client key'));
  copyFileSync(nodes.knownHostsFile, join(cwd, 'keys dir', 'known hosts'));
  const entries = nodes.nodes.map((n, i) => `    - { name: m${i + 1}, host: ${n.host}, port: ${n.port}, user: ${n.user}, path: "/srv/mirror root", key_file: "keys dir/client key", known_hosts_file: "keys dir/known hosts" }`);
  writeFileSync(join(cwd, 'sluice.yaml'), `${readFileSync(join(cwd, 'sluice.yaml'), 'utf8')}promote:\n  production: production\n  mirrors:\n${entries.join('\n')}\n`);
  const mirrors = nodes.nodes.map((n, i) => ({ name: `m${i + 1}`, host: n.host, port: n.port, user: n.user, path: '/srv/mirror root', keyFile: join(cwd, 'keys dir', 'client key'), knownHostsFile: join(cwd, 'keys dir', 'known hosts') }));
  for (const run of ['r-1', 'r-2']) {
    const stage = join(cwd, 'stage', run);
    mkdirSync(join(stage, 'repodata'), { recursive: true });
    writeFileSync(join(stage, 'repodata', 'repomd.xml'), `<repomd>${run}</repomd>\n`);
    const r = await publishToProduction({ productionRoot: join(cwd, 'production'), runId: run, trees: [{ target: T, stagePath: stage }], mirrors });
    assert.ok(r.ok, JSON.stringify(r));
  }
  const links = () => [join(cwd, 'production'), ...nodes.nodes.map((n) => join(n.srvDir, 'mirror root'))].map((root) => readlinkSync(join(root, T)));

  const list = await runCli(['rollback', '--list'], { cwd });
  assert.equal(list.status, 0, list.stderr);
  assert.equal(list.stdout, `${T}\n  * 000002-r-2  (run r-2)\n    000001-r-1  (run r-1)\n`);
  const noReason = await runCli(['rollback'], { cwd });
  assert.equal(noReason.status, 2);
  assert.match(noReason.stderr, /needs --reason/);
  const unknown = await runCli(['rollback', '--to', 'r-9', '--reason', 'x'], { cwd });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /keeps a tree r-9/);

  const r = await runCli(['rollback', '--reason', 'repomd.xml of r-2 is broken', '--by', 'jruzicka'], { cwd });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, `${T}: 000002-r-2 -> 000001-r-1\nrolled back by jruzicka, here and on m1, m2: repomd.xml of r-2 is broken\n`);
  assert.deepEqual(links(), Array(3).fill(`../.trees/${T}/000001-r-1`));
  const store = await openStore(`sqlite:${join(cwd, '.sluice', 'sluice.db')}`);
  t.after(() => store.close());
  const events = (await store.listEvents({ limit: 100 })).filter((e) => e.kind === 'production.rolled_back');
  assert.deepEqual(events.map((e) => [e.runId, e.payload]), [['production:rollback', { by: 'jruzicka', via: 'cli', reason: 'repomd.xml of r-2 is broken', to: null, targets: [{ target: T, from: '000002-r-2', to: '000001-r-1' }], mirrors: ['m1', 'm2'] }]]);
  const after = await runCli(['rollback', '--list'], { cwd });
  assert.match(after.stdout, new RegExp(`^${T}\\n    000002-r-2  \\(run r-2\\)\\n  \\* 000001-r-1  \\(run r-1\\)\\nlast rollback: \\S+ by jruzicka \\(cli\\): repomd.xml of r-2 is broken\\n$`));

  // A mirror whose host is named so that ssh would take it for an option is refused by the configuration, naming the field.
  writeFileSync(join(cwd, 'sluice.yaml'), readFileSync(join(cwd, 'sluice.yaml'), 'utf8').replace(`host: ${nodes.nodes[1]!.host}`, 'host: "-oProxyCommand=touch /tmp/x"'));
  const bad = await runCli(['rollback', '--list'], { cwd });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /sluice\.yaml:\d+:\d+: error: promote\.mirrors\[1\]\.host: host must be a host name/);
});
