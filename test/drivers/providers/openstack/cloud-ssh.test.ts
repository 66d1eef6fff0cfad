import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import ssh2 from 'ssh2';
import { cloudSshRunOnNode, type HostKeyMode } from '../../../../src/drivers/providers/openstack/cloud-ssh.js';
import { consoleHostKeys } from '../../../../src/drivers/providers/openstack/console-host-keys.js';
import { openstackProvider } from '../../../../src/drivers/providers/openstack/openstack-provider.js';
import type { Execution } from '../../../../src/engine/node-provider.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import { CLOUD, OpenStackStandin, cloudInitConsole } from '../../../helpers/openstack-standin.js';
import { tempDir } from '../../../helpers/paths.js';
import { requireSshd, startShellSshds, type ShellSshds } from '../../../helpers/sshd.js';

const cloud = new OpenStackStandin();
before(async () => {
  await cloud.start();
  cloud.addImage('CentOS-7-x86_64');
  cloud.portAddress = '127.0.0.1';
});
after(async () => { await cloud.stop(); });
beforeEach(() => {
  cloud.servers.clear();
  cloud.ports.clear();
  cloud.bootMs = 0;
  cloud.console = () => '';
});

const hostKeyOf = (sshds: ShellSshds) => readFileSync(join(sshds.dir, 'host_key_0.pub'), 'utf8').trim();

function setup(t: { after: (fn: () => void) => void }, sshds: ShellSshds, more: { hostKey?: HostKeyMode; readyTimeoutMs?: number; port?: number } = {}) {
  const dir = tempDir(t);
  const server = sshds.servers[0]!;
  const runOnNode = cloudSshRunOnNode({
    user: server.user, port: more.port ?? server.port, privateKey: readFileSync(sshds.keyFile), hostKey: more.hostKey ?? 'console',
    connectTimeoutMs: 5000, readyTimeoutMs: more.readyTimeoutMs ?? 10_000, remoteWorkDir: join(dir, 'remote'), remoteConfigDir: undefined,
    killGraceMs: 300, workDir: join(dir, 'work'), configDir: dir, pollMs: 50,
  });
  const provider = openstackProvider({
    name: 'cloud', capacity: 2, flavor: CLOUD.flavor, network: CLOUD.network, bootTimeoutMs: 5000, pollMs: 20, http: { timeoutMs: 5000, attempts: 2, backoffMs: 10 },
    credentials: { authUrl: cloud.authUrl, username: CLOUD.user, password: CLOUD.password, userDomainName: CLOUD.domain, projectName: CLOUD.project, projectDomainName: CLOUD.domain },
    targets: { 'kilo/el7': { base: 'CentOS-7-x86_64' } }, runOnNode,
  });
  return { dir, provider };
}

function execution(command: string, pipeline: JobSpec['pipeline'] = 'phase1'): Execution {
  const spec: JobSpec = { pipeline, ...(pipeline === 'images' ? { stage: 'baseline' as const } : {}), updateId: 'hkvc', target: 'kilo/el7', provider: 'cloud', builds: [], mode: 'provision', image: null, modeBecause: 'test', command, timeoutMs: 60_000 };
  return { runId: 'r1', jobId: 'r1.kilo/el7', attempt: 1, spec, updateFiles: [{ name: 'hkvc.yml', content: 'notes: hi\n' }], signal: new AbortController().signal };
}

function assertNothingLeft(): void {
  assert.deepEqual(cloud.liveServers().map((s) => s.name), [], 'no server left');
  assert.deepEqual([...cloud.ports.values()].map((p) => p.name), [], 'no port left');
}

test('the host keys of the last complete block of a console log, whatever prefixes logger put on the lines', () => {
  const ed = ssh2.utils.generateKeyPairSync('ed25519').public;
  const ecdsa = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).public;
  const keys = consoleHostKeys(cloudInitConsole([ed, ecdsa]).replace(/\n/g, '\r\n'));
  assert.deepEqual(keys.map((k) => k.type), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  assert.deepEqual(keys[0]?.blob, Buffer.from(ed.split(' ')[1]!, 'base64'));
  const prefixed = `[   20.1] cloud-init[900]: ec2: -----BEGIN SSH HOST KEY KEYS-----\nec2: ${ed}\nec2: -----END SSH HOST KEY KEYS-----\n`;
  assert.deepEqual(consoleHostKeys(prefixed).map((k) => k.type), ['ssh-ed25519']);
  assert.deepEqual(consoleHostKeys(`-----BEGIN SSH HOST KEY KEYS-----\n${ed}\n`), [], 'a block still being printed holds no keys yet');
  assert.deepEqual(consoleHostKeys(`${ed}\n`), [], 'a key outside the block is not a host key');
  assert.deepEqual(consoleHostKeys(`-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519 ${Buffer.from('not a key').toString('base64')}\n-----END SSH HOST KEY KEYS-----\n`), [], 'a blob that does not name its type is not a key');
  const later = `${cloudInitConsole([ed])}${cloudInitConsole([ecdsa])}`;
  assert.deepEqual(consoleHostKeys(later).map((k) => k.type), ['ecdsa-sha2-nistp256'], 'a server rebooted with new keys: the last block counts');
});

test('a job runs on the server over SSH with the host key its console printed; output streams into job.log; server and port deleted', async (t) => {
  if (!requireSshd(t)) return;
  const sshds = await startShellSshds(t, 1);
  const { provider } = setup(t, sshds);
  cloud.bootMs = 200;
  cloud.console = () => cloudInitConsole([hostKeyOf(sshds)]);
  const ok = await provider.execute(execution('echo "on $SLUICE_TARGET for $SLUICE_UPDATE"; cat "$SLUICE_UPDATE_FILE"'));
  assert.equal(ok.result, 'success', ok.reason);
  assert.match(ok.node, /^openstack:cloud\/sluice-r1-kilo-el7-a1 [0-9a-f-]{36} \(127\.0\.0\.1\)$/);
  const log = readFileSync(ok.logPath!, 'utf8');
  assert.match(log, /== host keys from the console of sluice-r1-kilo-el7-a1: ssh-ed25519\n/);
  assert.match(log, /on kilo\/el7 for hkvc\nnotes: hi\n$/);
  assertNothingLeft();
  const bad = await provider.execute(execution('echo "Error: Package: broken"; exit 3'));
  assert.equal(bad.result, 'failure');
  assert.match(bad.reason, /status 3/);
  assertNothingLeft();
});

test('a console key that is not the one sshd presents is infra with the reason, and the command never runs', async (t) => {
  if (!requireSshd(t)) return;
  const sshds = await startShellSshds(t, 1);
  const { dir, provider } = setup(t, sshds);
  cloud.console = () => cloudInitConsole([ssh2.utils.generateKeyPairSync('ed25519').public]);
  const marker = join(dir, 'ran');
  const out = await provider.execute(execution(`touch ${marker}`));
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /the host key server sluice-r1-kilo-el7-a1 presented is not one its console printed: refusing it .*; the job's commands were not run/);
  assert.equal(existsSync(marker), false, 'the command did not run');
  assertNothingLeft();
});

test('a console without host keys is infra after ready_timeout, naming what the image lacks', async (t) => {
  if (!requireSshd(t)) return;
  const sshds = await startShellSshds(t, 1);
  const { provider } = setup(t, sshds, { readyTimeoutMs: 300 });
  cloud.console = () => '[    0.000000] Linux version 3.10.0\n';
  const out = await provider.execute(execution('true'));
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /printed no SSH host keys on its console within .*cloud-init/);
  assertNothingLeft();
});

test('first-use takes the key sshd presents, and an sshd not answering yet is tried until it does', async (t) => {
  if (!requireSshd(t)) return;
  const sshds = await startShellSshds(t, 1);
  const { provider } = setup(t, sshds, { hostKey: 'first-use' });
  const server = sshds.servers[0]!;
  await server.stop();
  const started = Date.now();
  const asked = cloud.requests.length;
  const late = setTimeout(() => { void server.start(); }, 700);
  t.after(() => clearTimeout(late));
  const out = await provider.execute(execution('echo up'));
  assert.equal(out.result, 'success', out.reason);
  t.diagnostic(`sshd answered ${Date.now() - started} ms after the job started (it was started after 700 ms)`);
  assert.match(readFileSync(out.logPath!, 'utf8'), /== host key: trusted on first use .*\n(.|\n)*up\n$/);
  assert.ok(!cloud.requests.slice(asked).some((r) => r.includes('/action')), 'first-use never reads the console');
  assertNothingLeft();
});

test('an sshd that never answers is infra after ready_timeout', async (t) => {
  if (!requireSshd(t)) return;
  const sshds = await startShellSshds(t, 1);
  const server = sshds.servers[0]!;
  await server.stop();
  const { provider } = setup(t, sshds, { hostKey: 'first-use', readyTimeoutMs: 400 });
  const out = await provider.execute(execution('true'));
  assert.equal(out.result, 'infra');
  assert.match(out.reason, new RegExp(`sshd of server sluice-r1-kilo-el7-a1 \\(${server.user}@127\\.0\\.0\\.1:${server.port}\\) did not let the worker in within .* of ACTIVE: .*ECONNREFUSED`));
  assertNothingLeft();
});

test('a green images baseline is snapshotted before its server goes; a failing snapshot makes it infra, not red', async (t) => {
  if (!requireSshd(t)) return;
  const sshds = await startShellSshds(t, 1);
  const { provider } = setup(t, sshds);
  cloud.console = () => cloudInitConsole([hostKeyOf(sshds)]);
  const out = await provider.execute(execution('echo baseline', 'images'));
  assert.equal(out.result, 'success', out.reason);
  assert.equal(out.snapshot?.name, 'sluice-kilo_el7-r1');
  const image = cloud.images.get(out.snapshot?.location ?? '');
  assert.equal(image?.name, 'sluice-kilo_el7-r1');
  assert.ok(image?.fromServer, 'made from the job\'s server');
  assertNothingLeft();
  const before = cloud.images.size;
  // Glance loses the image while it is saved.
  cloud.failNext('GET', '/image/v2/images/', 404);
  const failed = await provider.execute(execution('echo baseline', 'images'));
  assert.equal(failed.result, 'infra');
  assert.match(failed.reason, /^the baseline passed but its snapshot failed: snapshot sluice-kilo_el7-r1 of server [0-9a-f-]+ failed: image [0-9a-f-]+ is gone$/);
  assert.equal(failed.snapshot, undefined);
  assert.equal(cloud.images.size, before, 'the half-made image was deleted');
  assertNothingLeft();
});
