import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { requireIsolatedNodes, startIsolatedNodes } from '../../helpers/isolated-node.js';
import { tempDir } from '../../helpers/paths.js';
import { makePhase2Site } from '../../helpers/phase2-site.js';
import { buildRpm, requireRpmTools } from '../../helpers/rpm.js';

/**
 * A two-node job, as the seed's packstack controller + tempest node: each role on its own
 * isolated node (its own loopback address, nothing of the worker's disk), leased together;
 * the tempest role reaches the controller only by $SLUICE_NODE_CONTROLLER_IP.
 */

const controller = (port: number) => `#!/bin/sh
echo "controller on $SLUICE_NODE_CONTROLLER_IP, peers: $SLUICE_ROLES"
test -f "$SLUICE_UPDATE_REPO/repodata/repomd.xml" || { echo "Error: no update repository on the controller"; exit 2; }
exec python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], ${port})); s.listen(1); s.settimeout(60)
c, peer = s.accept()
c.sendall(b"keystone is up on " + sys.argv[1].encode() + b"\\n"); c.close()
print("served the tempest node at", peer[0])
' "$SLUICE_NODE_CONTROLLER_IP"
`;

// tempest connects from its own node's address: on loopback the kernel would otherwise pick 127.0.0.1.
const tempest = (port: number) => `#!/bin/sh
grep -q " controller " "$SLUICE_HOSTS_FILE" || { echo "Error: no controller in the hosts file"; exit 2; }
if grep -q "tempest fails" "$SLUICE_UPDATE_FILE"; then
  echo "FAIL: tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details"
  exit 1
fi
exec python3 -c '
import socket, sys, time
for _ in range(200):
    try:
        print(socket.create_connection((sys.argv[1], ${port}), timeout=2, source_address=(sys.argv[2], 0)).recv(100).decode().strip()); sys.exit(0)
    except OSError:
        time.sleep(0.1)
print("Error: the controller never answered"); sys.exit(1)
' "$SLUICE_NODE_CONTROLLER_IP" "$SLUICE_NODE_TEMPEST_IP"
`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('a two-node job: the roles run on two isolated nodes at once, tempest reaches the controller by its address; one role failing fails the job with that role named', { timeout: 180_000 }, async (t) => {
  if (!requireRpmTools(t) || !requireIsolatedNodes(t)) return;
  const site = await makePhase2Site(tempDir(t));
  const nodes = await startIsolatedNodes(t, 2);
  const port = await freePort();
  for (const [name, text] of [['controller.sh', controller(port)], ['tempest.sh', tempest(port)]] as const) {
    writeFileSync(join(site.dir, 'tests', name), text);
    chmodSync(join(site.dir, 'tests', name), 0o755);
  }
  const hosts = nodes.nodes.map((n) => `{ host: "${n.host}", port: ${n.port}, user: ${n.user}, capacity: 1 }`).join(', ');
  const file = join(site.dir, 'sluice.yaml');
  writeFileSync(file, readFileSync(file, 'utf8')
    .replace(/^providers: .*$/m, `providers: { local: { type: ssh, hosts: [${hosts}], key_file: "${nodes.keyFile}", known_hosts_file: "${nodes.knownHostsFile}", work_dir: /srv/sluice, config_files: [tests], kill_grace: 300ms } }`)
    .replace('phase1: { test: "true" }', 'phase1: { nodes: { controller: { test: \'"$SLUICE_CONFIG_DIR/tests/controller.sh"\' }, tempest: { test: \'"$SLUICE_CONFIG_DIR/tests/tempest.sh"\' } }, timeout: 2m, retries: 0 }'));
  const update = (id: string, notes: string) => {
    buildRpm(join(site.dir, 'rpmbuild'), join(site.dir, 'builds', `python-${id}-1.0-1.el7`), { name: `python-${id}`, version: '1.0', release: '1.el7' });
    writeFileSync(join(site.dir, `${id}.yml`), `notes: ${notes}\nbuilds:\n  - id: python-${id}-1.0-1.el7\n    repo: kilo\n    dist: el7\n`);
    return join(site.dir, `${id}.yml`);
  };


  const pass = await runCli(['submit', update('pair', 'a controller and its tempest node')], { cwd: site.dir });
  assert.equal(pass.status, 0, pass.stdout + pass.stderr);
  const logs = readdirSync(join(site.dir, '.sluice', 'work'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('job.log')).map((f) => readFileSync(join(site.dir, '.sluice', 'work', f), 'utf8'));
  assert.equal(logs.length, 1);
  const log = logs[0]!;
  const [c, tp] = nodes.nodes;
  assert.match(log, new RegExp(`== roles: controller on ssh:root@${c!.host.replaceAll('.', '\\.')}:${c!.port}, tempest on ssh:root@${tp!.host.replaceAll('.', '\\.')}:${tp!.port}`));
  assert.match(log, new RegExp(`^\\[tempest\\] keystone is up on ${c!.host.replaceAll('.', '\\.')}$`, 'm'), 'tempest reached the controller at its own address');
  assert.match(log, new RegExp(`^\\[controller\\] served the tempest node at ${tp!.host.replaceAll('.', '\\.')}$`, 'm'), 'from the tempest node\'s own address');
  assert.match(log, /^\[controller\] controller on 127\.0\.0\.\d+, peers: controller tempest$/m);

  const fail = await runCli(['submit', update('broken', 'tempest fails on this one')], { cwd: site.dir });
  assert.equal(fail.status, 1, fail.stdout + fail.stderr);
  assert.match(fail.stdout, /kilo\/epel-7: failure - role tempest: the test command exited with status 1/);
  assert.match(fail.stdout, /FAIL: tempest\.api\.compute\.servers/);
  const runId = /run (\S+) \(phase1 of broken\)/.exec(fail.stdout)?.[1] ?? '';
  const explain = await runCli(['explain', runId], { cwd: site.dir });
  assert.match(explain.stdout, /role tempest: the test command exited with status 1/);
  // The controller, still waiting for tempest, was stopped with the job rather than left to its own 60 s timeout.
  assert.doesNotMatch(fail.stdout, /served the tempest node/);
});
