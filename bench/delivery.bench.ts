import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sendTrees, verifyOnNode } from '../src/drivers/delivery/node-delivery.js';
import { treeManifest } from '../src/drivers/delivery/tree-manifest.js';
import { parseKnownHosts } from '../src/drivers/gerrit/known-hosts.js';
import { connect, openSftp } from '../src/drivers/providers/ssh/ssh-session.js';
import { startIsolatedNodes } from '../test/helpers/isolated-node.js';
import { recordBench, round, startBench } from './report.js';

/**
 * Delivering a repository to a node that already has it, against the first delivery to
 * that node, in the same process: the manifest on the worker, what SFTP sends, and the
 * node's sha256 check of every file (which runs every time: delivery is verified, not
 * assumed). The node is a real sshd that cannot see the worker's disk, on loopback.
 */
const started = startBench();
if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/sshd') || spawnSync('bwrap', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('delivery.bench: needs root, bubblewrap and the OpenSSH server (npm test installs them as root): skipped');
  process.exit(0);
}

const FILES = 300;
const TOTAL = 200 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'sluice-delivery-bench-'));
const cleanups: (() => void | Promise<void>)[] = [];
try {
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  // Incompressible content, as RPMs are: the transfer cannot cheat.
  for (let i = 0; i < FILES; i++) writeFileSync(join(repo, `python-pkg${String(i).padStart(3, '0')}-1.0-1.el7.noarch.rpm`), randomBytes(Math.floor(TOTAL / FILES)));
  mkdirSync(join(repo, 'repodata'));
  writeFileSync(join(repo, 'repodata', 'repomd.xml'), '<repomd/>\n');
  const nodes = await startIsolatedNodes({ after: (fn) => cleanups.push(fn) }, 1);
  const node = nodes.nodes[0]!;
  const c = await connect({ host: node.host, port: node.port, user: node.user, capacity: 1 }, {
    privateKey: readFileSync(nodes.keyFile), knownHosts: parseKnownHosts(readFileSync(nodes.knownHostsFile, 'utf8')), connectTimeoutMs: 10_000,
  });
  if (!c.ok) throw new Error(c.reason);
  const cache = '/srv/sluice/.cache';
  const deliver = async (): Promise<{ ms: number; sent: number; bytes: number }> => {
    const t0 = performance.now();
    const manifest = await treeManifest(repo);
    const trees = [{ variable: 'SLUICE_UPDATE_REPO', localDir: repo, manifest }];
    const sftp = await openSftp(c.client);
    const report = await sendTrees(sftp, cache, trees);
    sftp.end();
    const verified = await verifyOnNode(c.client, cache, trees, 'bench');
    if (!verified.ok) throw new Error(verified.reason);
    return { ms: performance.now() - t0, sent: report.filesSent, bytes: report.bytesSent };
  };
  const first = await deliver();
  const again = [await deliver(), await deliver(), await deliver()];
  const second = again.map((a) => a.ms).sort((a, b) => a - b)[1]!;
  c.client.end();
  const ratio = second / first.ms;
  console.log(`delivery.bench: a repository of ${FILES} files, ${TOTAL / 1048576} MiB, to a node over SFTP on loopback`);
  console.log(`  first delivery (baseline)        ${first.ms.toFixed(0).padStart(7)} ms  (${first.sent} files, ${(first.bytes / 1048576).toFixed(0)} MiB sent)`);
  console.log(`  again, already on the node       ${second.toFixed(0).padStart(7)} ms  (${again[1]!.sent} files sent; median of 3)`);
  console.log(`  ratio again/first: ${ratio.toFixed(3)}`);
  recordBench('delivery', started, {
    title: 'Delivering a repository to a node',
    what: `A repository of ${FILES} files (${TOTAL / 1048576} MiB of random bytes named as RPMs, plus repodata) delivered to a real sshd that cannot see the worker's disk, on loopback: worker-side manifest, SFTP of what the node lacks, and the node's sha256 check of every file. A delivery to a node that already holds it (median of 3), against the first delivery, in the same process.`,
    rerun: 'npx tsc -p . && node dist/bench/delivery.bench.js (as root)',
    figures: [
      { label: 'delivery: again / first', value: round(ratio, 3), unit: 'x', key: true },
      { label: 'delivery: first (baseline)', value: Math.round(first.ms), unit: 'ms' },
      { label: 'delivery: again', value: Math.round(second), unit: 'ms' },
    ],
    notes: [
      'The second delivery sends nothing (one stat finds the tree); what it still costs is the node hashing every file before the job, which is kept on purpose: a file changed on the node is infra, never a pass.',
      'Loopback has no bandwidth limit: on a real network the first delivery costs more and the ratio is smaller.',
    ],
  });
} finally {
  for (const fn of cleanups.reverse()) await fn();
  rmSync(dir, { recursive: true, force: true });
}
