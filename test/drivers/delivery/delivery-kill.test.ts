import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TREE_LIST } from '../../../src/drivers/delivery/node-delivery.js';
import { treeManifest } from '../../../src/drivers/delivery/tree-manifest.js';
import { requireIsolatedNodes, startIsolatedNodes } from '../../helpers/isolated-node.js';
import { tempDir } from '../../helpers/paths.js';

const CHILD = fileURLToPath(new URL('./deliver-child.js', import.meta.url));

function deliver(args: string[], killAfterMs?: number): Promise<{ killed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.once('close', (_code, signal) => { if (timer) clearTimeout(timer); resolve({ killed: signal === 'SIGKILL', stdout }); });
  });
}

test('SIGKILL during a delivery leaves nothing a later delivery trusts: the node ends with the complete, verified tree', { timeout: 180_000 }, async (t) => {
  if (!requireIsolatedNodes(t)) return;
  const dir = tempDir(t);
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'repodata'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(repo, `pkg${i}-1.0-1.el7.noarch.rpm`), randomBytes(400_000));
  writeFileSync(join(repo, 'repodata', 'repomd.xml'), '<repomd/>\n');
  const { nodes, keyFile, knownHostsFile } = await startIsolatedNodes(t, 1);
  const node = nodes[0]!;
  const args = [node.host, String(node.port), keyFile, knownHostsFile, repo, '/srv/sluice/.cache'];
  const digest = (await treeManifest(repo)).digest;
  const tree = join(node.srvDir, 'sluice', '.cache', 'trees', digest);
  let kills = 0;
  for (const ms of [150, 300, 450, 600, 900, 1200, 1600, 2000]) {
    if (existsSync(join(tree, TREE_LIST))) break;
    const r = await deliver(args, ms);
    if (r.killed) kills++;
    // Whatever moment the kill hit: a tree is there complete with its list, or not at all.
    assert.ok(!existsSync(tree) || existsSync(join(tree, TREE_LIST)), `a tree without its checksum list after a kill at ${ms} ms`);
  }
  assert.ok(kills > 0, 'some kill landed during a delivery');
  const done = await deliver(args);
  assert.equal(done.stdout, 'verified\n');
  assert.equal(readdirSync(tree).filter((f) => f.endsWith('.rpm')).length, 40);
});
