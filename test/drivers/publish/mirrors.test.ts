import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { MirrorHost } from '../../../src/drivers/publish/mirror-command.js';
import { publishToProduction, recoverPublish, type PublishRequest, type PublishStep } from '../../../src/drivers/publish/production.js';
import { listKept, rollbackProduction } from '../../../src/drivers/publish/rollback.js';
import { requireIsolatedNodes, startIsolatedNodes, type IsolatedNode, type IsolatedNodes } from '../../helpers/isolated-node.js';
import { tempDir } from '../../helpers/paths.js';
import { requireRsync } from '../../helpers/rsync.js';

/**
 * Production replicated to remote mirrors over rsync and ssh (the system clients), on real
 * sshd nodes in their own mount namespace that cannot see the worker's disk: what reaches
 * them was sent. The mirror root holds a space, a quote and a $, which no shell on the way may read.
 */

const T1 = 'kilo/epel-7';
const T2 = 'kilo/f22';
const ROOT_ON_NODE = "/srv/mirror root's $HOME";

function writeTree(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

/** Each version's stage: a new package and repomd.xml, and one package unchanged (same content and time, as composeStage's hard link keeps it). */
function stages(dir: string, version: string): { target: string; stagePath: string }[] {
  return [T1, T2].map((target) => {
    const stagePath = writeTree(join(dir, 'stage', version, target), {
      'repodata/repomd.xml': `<repomd>${target} ${version}</repomd>\n`,
      'Packages/common-1.0-1.noarch.rpm': `${target} unchanged\n`,
      [`Packages/pkg-${version}-1.noarch.rpm`]: `${target} pkg ${version}\n`,
    });
    utimesSync(join(stagePath, 'Packages', 'common-1.0-1.noarch.rpm'), 1_430_000_000, 1_430_000_000);
    return { target, stagePath };
  });
}

const mirrorsOf = (nodes: IsolatedNodes): MirrorHost[] => nodes.nodes.map((n, i) => ({
  name: `m${i + 1}`, host: n.host, port: n.port, user: n.user, path: ROOT_ON_NODE, keyFile: nodes.keyFile, knownHostsFile: nodes.knownHostsFile,
}));

/** The worker's view of a node's mirror root. */
const rootOf = (node: IsolatedNode) => join(node.srvDir, "mirror root's $HOME");

/** What a host shows for a target: its link's text and the repomd.xml read through it. */
function shows(root: string, target: string): { link: string; repomd: string } {
  const link = join(root, target);
  return { link: readlinkSync(link), repomd: readFileSync(join(link, 'repodata', 'repomd.xml'), 'utf8') };
}

it('publishes to two isolated mirrors, rolls both back with production, and a mirror failing between upload and swap leaves every host on the old tree', { timeout: 180_000 }, async (t) => {
  if (!requireRsync(t) || !requireIsolatedNodes(t)) return;
  const dir = tempDir(t);
  const nodes = await startIsolatedNodes(t, 2);
  const mirrors = mirrorsOf(nodes);
  const local = join(dir, 'production');
  const hosts = () => [local, ...nodes.nodes.map(rootOf)];

  // Two publications: every host shows the second, keeps the first, hard links what did not change.
  for (const [run, version] of [['r-1', 'v1'], ['r-2', 'v2']] as const) {
    const steps: string[] = [];
    const r = await publishToProduction({ productionRoot: local, runId: run, trees: stages(dir, version), mirrors, onStep: (s, tg, m) => { steps.push([s, tg, m].filter(Boolean).join(' ')); } });
    assert.ok(r.ok, JSON.stringify(r));
    // Every host has its new trees before any link moves: uploads, then the commit, then the swaps.
    assert.ok(steps.indexOf('commit') > steps.lastIndexOf(`uploaded ${T2} m2`), steps.join(', '));
    assert.ok(steps.indexOf('commit') < steps.indexOf('swap-mirror m1'), steps.join(', '));
  }
  for (const root of hosts()) {
    for (const target of [T1, T2]) assert.equal(shows(root, target).repomd, `<repomd>${target} v2</repomd>\n`, `${root} ${target}`);
    assert.match(shows(root, T1).link, /^\.\.\/\.trees\/kilo\/epel-7\/000002-r-2$/);
    assert.deepEqual(readdirSync(join(root, '.trees', 'kilo', 'epel-7')).sort(), ['000001-r-1', '000002-r-2'], root);
  }
  const m1 = rootOf(nodes.nodes[0]!);
  const common = (tree: string) => lstatSync(join(m1, '.trees', T1, tree, 'Packages', 'common-1.0-1.noarch.rpm')).ino;
  assert.equal(common('000001-r-1'), common('000002-r-2'), 'an unchanged file is a hard link to the mirror\'s previous tree');

  // Rollback: production and both mirrors back on the first tree, the second kept.
  const back = await rollbackProduction({ productionRoot: local, mirrors });
  assert.ok(back.ok, JSON.stringify(back));
  assert.deepEqual(back.targets.map((x) => `${x.target} ${x.from} -> ${x.to}`), [`${T1} 000002-r-2 -> 000001-r-1`, `${T2} 000002-r-2 -> 000001-r-1`]);
  assert.deepEqual(back.mirrors, ['m1', 'm2']);
  for (const root of hosts()) {
    for (const target of [T1, T2]) assert.equal(shows(root, target).repomd, `<repomd>${target} v1</repomd>\n`, `${root} ${target} after rollback`);
    assert.ok(existsSync(join(root, '.trees', T1, '000002-r-2')), 'the tree rolled back from is kept');
  }
  const kept = await listKept(local);
  assert.deepEqual(kept.map((k) => [k.target, k.current, k.trees.map((x) => x.name)]), [[T1, '000001-r-1', ['000001-r-1', '000002-r-2']], [T2, '000001-r-1', ['000001-r-1', '000002-r-2']]]);
  // --to the run undoes the rollback, on one target only.
  const forward = await rollbackProduction({ productionRoot: local, mirrors, to: 'r-2', targets: [T2] });
  assert.ok(forward.ok, JSON.stringify(forward));
  for (const root of hosts()) {
    assert.equal(shows(root, T1).repomd, `<repomd>${T1} v1</repomd>\n`);
    assert.equal(shows(root, T2).repomd, `<repomd>${T2} v2</repomd>\n`);
  }

  // The second mirror's sshd dies once every host holds the new trees, as the first mirror swaps:
  // production and the first mirror, already swapped, are put back; every host shows the old tree.
  const before = hosts().map((root) => [T1, T2].map((target) => shows(root, target).link));
  const failing = await publishToProduction({
    productionRoot: local, runId: 'r-3', trees: stages(dir, 'v3'), mirrors,
    onStep: async (s: PublishStep, _tg?: string, m?: string) => { if (s === 'swapped-mirror' && m === 'm1') await nodes.nodes[1]!.stop(); },
  });
  assert.equal(failing.ok, false);
  assert.match(!failing.ok ? failing.error : '', /failed while swapping; every target, here and on every mirror, was put back on its old tree: mirror m2 .* swap failed/);
  assert.deepEqual(hosts().map((root) => [T1, T2].map((target) => shows(root, target).link)), before);
  // The new tree is gone where a host could be reached; the unreachable one keeps an unlinked copy the next upload replaces.
  assert.equal(existsSync(join(local, '.trees', T1, '000003-r-3')), false);
  assert.equal(existsSync(join(m1, '.trees', T1, '000003-r-3')), false);
  assert.equal(existsSync(join(local, '.sluice-publish.json')), false, 'nothing is left to recover');
});

it('a mirror that cannot take the upload fails the publication before any host changes', { timeout: 120_000 }, async (t) => {
  if (!requireRsync(t) || !requireIsolatedNodes(t)) return;
  const dir = tempDir(t);
  const nodes = await startIsolatedNodes(t, 2);
  const mirrors = mirrorsOf(nodes);
  const local = join(dir, 'production');
  const first = await publishToProduction({ productionRoot: local, runId: 'r-1', trees: stages(dir, 'v1'), mirrors });
  assert.ok(first.ok, JSON.stringify(first));
  // The second host's trees directory of kilo/f22 becomes a file: that host cannot take the new tree.
  const f22 = join(rootOf(nodes.nodes[1]!), '.trees', 'kilo', 'f22');
  rmSync(f22, { recursive: true });
  writeFileSync(f22, 'not a directory');
  const r = await publishToProduction({ productionRoot: local, runId: 'r-2', trees: stages(dir, 'v2'), mirrors });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /before any change to production: .*mirror m2/);
  const m1 = rootOf(nodes.nodes[0]!);
  for (const root of [local, m1]) {
    for (const target of [T1, T2]) assert.equal(shows(root, target).repomd, `<repomd>${target} v1</repomd>\n`, `${root} ${target}`);
    assert.deepEqual(readdirSync(join(root, '.trees', T1)), ['000001-r-1'], `${root}: the uploaded tree is deleted`);
  }
});

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'publish-child.js');

/** Publishes in a child process that pauses at `marker`, and SIGKILLs its process group (it, its rsync and ssh) there. */
function publishAndKillAt(req: Omit<PublishRequest, 'onStep'>, marker: string): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ ...req, pauseAt: marker })], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const steps: string[] = [];
  const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already ended */ } };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    steps.push(line);
    if (line === marker) setTimeout(killGroup, 20);
  });
  return new Promise((resolve) => child.on('exit', () => { killGroup(); resolve(steps); }));
}

it('a publication killed before its commit point recovers to the old trees on every host, after it to the new ones', { timeout: 180_000 }, async (t) => {
  if (!requireRsync(t) || !requireIsolatedNodes(t)) return;
  const dir = tempDir(t);
  const nodes = await startIsolatedNodes(t, 2);
  const mirrors = mirrorsOf(nodes);
  const local = join(dir, 'production');
  const hosts = () => [local, ...nodes.nodes.map(rootOf)];
  const showing = () => hosts().flatMap((root) => [T1, T2].map((target) => shows(root, target).repomd.replace(/<\/?repomd>|\n/g, '')));
  assert.ok((await publishToProduction({ productionRoot: local, runId: 'r-1', trees: stages(dir, 'v1'), mirrors })).ok);

  // Killed once the second mirror holds its new tree of kilo/f22, before the commit point.
  const before = await publishAndKillAt({ productionRoot: local, runId: 'r-2', trees: stages(dir, 'v2'), mirrors }, `uploaded ${T2} m2`);
  assert.ok(before.includes(`uploaded ${T2} m2`) && !before.includes('commit -'), before.join(', '));
  assert.ok(existsSync(join(rootOf(nodes.nodes[1]!), '.trees', T2, '000002-r-2')), 'the mirror had the new tree');
  const undone = await recoverPublish(local);
  assert.equal(undone.journal?.phase, 'copy');
  assert.deepEqual(showing(), Array(6).fill('').map((_, i) => `${[T1, T2][i % 2]} v1`));
  for (const root of hosts()) assert.equal(existsSync(join(root, '.trees', T2, '000002-r-2')), false, `${root}: the unfinished publication's tree is deleted`);

  // Killed after the first mirror swapped, the second not yet: past the commit point, so recovery finishes it everywhere.
  const after = await publishAndKillAt({ productionRoot: local, runId: 'r-3', trees: stages(dir, 'v3'), mirrors }, 'swapped-mirror - m1');
  assert.ok(after.includes('swapped-mirror - m1') && !after.includes('swapped-mirror - m2'), after.join(', '));
  assert.deepEqual(showing().slice(4), [`${T1} v1`, `${T2} v1`], 'the second mirror still showed the old trees');
  const finished = await recoverPublish(local);
  assert.equal(finished.journal?.phase, 'swap');
  assert.deepEqual(showing(), Array(6).fill('').map((_, i) => `${[T1, T2][i % 2]} v3`));
});
