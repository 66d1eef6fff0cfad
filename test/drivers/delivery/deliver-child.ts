import { readFileSync } from 'node:fs';
import { sendTrees, verifyOnNode } from '../../../src/drivers/delivery/node-delivery.js';
import { treeManifest } from '../../../src/drivers/delivery/tree-manifest.js';
import { parseKnownHosts } from '../../../src/drivers/gerrit/known-hosts.js';
import { connect, openSftp } from '../../../src/drivers/providers/ssh/ssh-session.js';

/** Delivers one directory to a node and verifies it, as a job's preparation does: the kill test SIGKILLs it anywhere. */
// `node --test dist/test/` runs every file it finds, this one too: without arguments it does nothing.
const [host, port, keyFile, knownHostsFile, localDir, cache] = process.argv.slice(2);
if (host && port && keyFile && knownHostsFile && localDir && cache) {
  const c = await connect({ host, port: Number(port), user: 'root', capacity: 1 }, {
    privateKey: readFileSync(keyFile), knownHosts: parseKnownHosts(readFileSync(knownHostsFile, 'utf8')), connectTimeoutMs: 10_000,
  });
  if (!c.ok) throw new Error(c.reason);
  const trees = [{ variable: 'SLUICE_UPDATE_REPO', localDir, manifest: await treeManifest(localDir) }];
  const sftp = await openSftp(c.client);
  await sendTrees(sftp, cache, trees);
  sftp.end();
  const verified = await verifyOnNode(c.client, cache, trees, 'node');
  process.stdout.write(verified.ok ? 'verified\n' : `${verified.reason}\n`);
  c.client.end();
}
