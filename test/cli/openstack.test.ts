import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLOUD, OpenStackStandin, cloudInitConsole } from '../helpers/openstack-standin.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { requireSshd, startShellSshds, type ShellSshds } from '../helpers/sshd.js';

/**
 * `type: openstack` end to end: the real `sluice` executable against the OpenStack
 * stand-in on loopback, whose servers are played by one real sshd (every port gets
 * 127.0.0.1, `ssh.port` is the sshd's) printing that sshd's host key on their console.
 */

const PASSWORD_VAR = 'SLUICE_TEST_OS_PASSWORD';

/** The test command: what the update's notes ask for, with the attempt's first run optionally hanging. */
const TEST = `#!/bin/sh
echo "update=$SLUICE_UPDATE target=$SLUICE_TARGET mode=$SLUICE_NODE_MODE image=$SLUICE_IMAGE attempt=$SLUICE_ATTEMPT"
notes=$(sed -n 's/^notes: //p' "$SLUICE_UPDATE_FILE" 2>/dev/null)
case "$notes" in
  *hang*) touch "$SLUICE_CONFIG_DIR/started-$SLUICE_UPDATE-$SLUICE_ATTEMPT"; [ "$SLUICE_ATTEMPT" = 1 ] && sleep 300 ;;
esac
case "$notes" in
  *rendezvous*) touch "$SLUICE_CONFIG_DIR/at-$SLUICE_UPDATE"; i=0
    while [ "$(ls "$SLUICE_CONFIG_DIR" | grep -c '^at-')" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done ;;
esac
case "$notes" in
  *fail*) echo "Error: Package: openstack-nova-api requires python-oslo-config >= 2:1.9"; exit 1 ;;
esac
echo ok
`;

interface CloudSite { readonly dir: string; readonly cloud: OpenStackStandin; readonly sshds: ShellSshds; readonly env: Record<string, string> }

async function cloudSite(t: { after: (fn: () => void | Promise<void>) => void }, opts: { alsoListenOn?: readonly string[]; imagesExtra?: string } = {}): Promise<CloudSite> {
  const dir = tempDir(t);
  const sshds = await startShellSshds(t, 1, { alsoListenOn: opts.alsoListenOn ?? [] });
  const cloud = await new OpenStackStandin().start();
  t.after(() => cloud.stop());
  cloud.addImage('CentOS-7-x86_64');
  cloud.portAddress = '127.0.0.1';
  const hostKey = readFileSync(join(sshds.dir, 'host_key_0.pub'), 'utf8').trim();
  cloud.console = (s) => cloudInitConsole([hostKey], s.name);
  const server = sshds.servers[0]!;
  mkdirSync(join(dir, 'tests'));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'tests', 'smoke.sh'), TEST, { mode: 0o755 });
  copyFileSync(sshds.keyFile, join(dir, 'keys', 'ci_key'));
  writeFileSync(join(dir, 'sluice.yaml'), `releases: [kilo]
dists: { epel-7: { aliases: [el7] } }
targets:
  kilo/epel-7: { repo: "${cloud.url}/repos/kilo/el7/", provider: cloud, base: CentOS-7-x86_64 }
providers:
  cloud:
    type: openstack
    capacity: 2
    auth_url: ${cloud.authUrl}
    username: ${CLOUD.user}
    password_env: ${PASSWORD_VAR}
    project_name: ${CLOUD.project}
    flavor: ${CLOUD.flavor}
    network: ${CLOUD.network}
    boot_timeout: 2m
    ssh: { user: ${server.user}, key_file: keys/ci_key, port: ${server.port}, host_key: console, ready_timeout: 30s, work_dir: ${join(dir, 'remote')}, kill_grace: 300ms }
pipelines: { phase1: { test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"', timeout: 2m, retries: 3 } }
images: { keep: 1${opts.imagesExtra ?? ''} }
engine: { lease: 1s, poll: 100ms, sweep: 200ms, retry_backoff: 50ms }
`);
  for (const [id, notes] of [['good', 'all green'], ['bad', 'fail please'], ['hang', 'hang once'], ['slow', 'hang once while building']]) {
    writeFileSync(join(dir, `${id}.yml`), `notes: ${notes}\nbuilds:\n  - { id: openstack-nova-2015.1.2-1.el7, repo: kilo, dist: el7 }\n`);
  }
  return { dir, cloud, sshds, env: { [PASSWORD_VAR]: CLOUD.password } };
}

/** The real executable, without blocking this process (it serves the stand-in). */
function sluice(site: CloudSite, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], { cwd: site.dir, env: { ...process.env, ...site.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    p.once('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function serve(site: CloudSite): ChildProcess {
  return spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], { cwd: site.dir, env: { ...process.env, ...site.env }, stdio: ['ignore', 'ignore', 'ignore'] });
}

const exited = (p: ChildProcess) => new Promise<void>((resolve) => { if (p.exitCode !== null || p.signalCode !== null) resolve(); else p.once('exit', () => resolve()); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(100);
  }
}

interface Status { run: { verdict: string | null; reportedAt: number | null }; jobs: { result: string; reason: string; attempt: number; logPath: string | null; spec: { mode: string; image: string | null } }[] }

async function status(site: CloudSite, run: string): Promise<Status> {
  return JSON.parse((await sluice(site, ['status', run, '--json'])).stdout) as Status;
}

function assertCloudEmpty(cloud: OpenStackStandin): void {
  assert.deepEqual(cloud.liveServers().map((s) => s.name), [], 'no server of sluice left in the cloud');
  assert.deepEqual([...cloud.ports.values()].map((p) => p.name), [], 'no port of sluice left in the cloud');
}

/** The loopback sshd plays every server, so a command a crash left running is not deleted with its server: end it. */
function killJobProcesses(t: { after: (fn: () => void) => void }, dir: string): void {
  t.after(() => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`SLUICE_CONFIG_DIR=${dir}`)) process.kill(Number(entry), 'SIGKILL');
      } catch {
        // Gone meanwhile, or not ours.
      }
    }
  });
}

test('sluice submit on an openstack target: a passing and a failing update, output in job.log, every server and port deleted', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t);
  const good = await sluice(site, ['submit', 'good.yml', '--json']);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  const bad = await sluice(site, ['submit', 'bad.yml', '--json']);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  const [passed, failed] = [good, bad].map((r) => JSON.parse(r.stdout) as Status);
  assert.equal(passed?.run.verdict, 'pass');
  assert.equal(failed?.run.verdict, 'fail');
  assert.equal(failed?.jobs[0]?.result, 'failure');
  const goodLog = readFileSync(passed!.jobs[0]!.logPath!, 'utf8');
  assert.match(goodLog, /== host keys from the console of sluice-\S+-kilo-epel-7-a1: ssh-ed25519\n/);
  assert.match(goodLog, /update=good target=kilo\/epel-7 mode=provision image= attempt=1\nok\n$/);
  assert.match(readFileSync(failed!.jobs[0]!.logPath!, 'utf8'), /Error: Package: openstack-nova-api requires python-oslo-config/);
  assert.equal(site.cloud.bootedFrom.length, 2, 'one server per job');
  assertCloudEmpty(site.cloud);
});

test('a missing password variable or a bad ssh key stops submit with E_CONFIG_INVALID naming the key', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t);
  const noPassword = await sluice({ ...site, env: {} }, ['submit', 'good.yml']);
  assert.equal(noPassword.status, 2, `E_CONFIG_INVALID exits 2: ${noPassword.stderr}`);
  assert.match(noPassword.stderr, new RegExp(`providers\\.cloud\\.password_env: the environment variable ${PASSWORD_VAR} that should hold the OpenStack password is not set`));
  assert.doesNotMatch(noPassword.stderr, new RegExp(CLOUD.password));
  writeFileSync(join(site.dir, 'keys', 'ci_key'), 'not a key\n');
  const badKey = await sluice(site, ['submit', 'good.yml']);
  assert.equal(badKey.status, 2, badKey.stderr);
  assert.match(badKey.stderr, /providers\.cloud\.ssh\.key_file: keys\/ci_key is not a private key Sluice can use/);
  assert.equal(site.cloud.bootedFrom.length, 0, 'nothing was booted');
});

test('sluice images build on an openstack target keeps a Glance snapshot as the image, the next phase1 boots from it, and a pruned one is deleted in Glance', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t);
  const built = await sluice(site, ['images', 'build']);
  assert.equal(built.status, 0, built.stdout + built.stderr);
  const listed = JSON.parse((await sluice(site, ['images', 'list', '--json'])).stdout) as { name: string; location: string; provider: string }[];
  assert.equal(listed.length, 1);
  const image = listed[0]!;
  assert.equal(image.provider, 'cloud');
  assert.equal(site.cloud.images.get(image.location)?.name, image.name, 'the location is the Glance image id of the snapshot');
  assert.match(image.name, /^sluice-kilo_epel-7-\S+$/);
  const good = await sluice(site, ['submit', 'good.yml', '--json']);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  const s = JSON.parse(good.stdout) as Status;
  assert.deepEqual([s.jobs[0]?.spec.mode, s.jobs[0]?.spec.image], ['image', image.name]);
  assert.equal(site.cloud.bootedFrom.at(-1), image.location, 'Nova was asked to boot the snapshot');
  assert.match(readFileSync(s.jobs[0]!.logPath!, 'utf8'), new RegExp(`mode=image image=${image.name} attempt=1\\nok\\n$`));
  assertCloudEmpty(site.cloud);
  // images.keep is 1: the next green baseline prunes this one, in the store and in Glance.
  const again = await sluice(site, ['images', 'build']);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  const kept = JSON.parse((await sluice(site, ['images', 'list', '--json'])).stdout) as { name: string; location: string }[];
  assert.equal(kept.length, 1);
  assert.notEqual(kept[0]?.location, image.location);
  assert.equal(site.cloud.images.has(image.location), false, 'the pruned snapshot is deleted in Glance');
  assert.equal(site.cloud.images.has(kept[0]?.location ?? ''), true);
});

/** The images' on_restore hook: says what it was given, as a packstack recipe would rewrite its files. */
const READDRESS = `#!/bin/sh
echo "readdress from $SLUICE_IMAGE_OLD_IP to $SLUICE_IMAGE_NEW_IP on $(hostname -I 2>/dev/null | wc -w) addresses"
[ -n "$SLUICE_IMAGE_OLD_IP" ] && [ -n "$SLUICE_IMAGE_NEW_IP" ] || { echo "Error: no addresses"; exit 1; }
`;

test('an image restored on a new address: on_restore gets the baseline\'s address and the new one before the test, and two concurrent runs of one target boot on two addresses', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t, { alsoListenOn: ['127.0.0.2', '127.0.0.3'], imagesExtra: ', on_restore: \'"$SLUICE_CONFIG_DIR/tests/readdress.sh"\'' });
  writeFileSync(join(site.dir, 'tests', 'readdress.sh'), READDRESS, { mode: 0o755 });
  // The baseline runs at 127.0.0.1, which its snapshot records.
  const built = await sluice(site, ['images', 'build']);
  assert.equal(built.status, 0, built.stdout + built.stderr);
  const image = (JSON.parse((await sluice(site, ['images', 'list', '--json'])).stdout) as { location: string }[])[0]!;
  assert.equal(site.cloud.images.get(image.location)?.properties.sluice_address, '127.0.0.1');
  // phase1 nodes boot from it on the network's other addresses, one per port, two at once.
  site.cloud.portAddress = ['127.0.0.2', '127.0.0.3'];
  // Each test waits at a rendezvous for the other: the two nodes are up at the same time.
  for (const id of ['rv1', 'rv2']) writeFileSync(join(site.dir, `${id}.yml`), readFileSync(join(site.dir, 'good.yml'), 'utf8').replace('all green', 'meet at the rendezvous'));
  const both = await Promise.all([sluice(site, ['submit', 'rv1.yml']), sluice(site, ['submit', 'rv2.yml'])]);
  for (const r of both) assert.equal(r.status, 0, r.stdout + r.stderr);
  const logs = readdirSync(join(site.dir, '.sluice', 'work'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('job.log')).map((f) => readFileSync(join(site.dir, '.sluice', 'work', f), 'utf8')).filter((l) => l.includes('mode=image'));
  assert.equal(logs.length, 2, 'one job per update booted from the image');
  const news = logs.map((l) => /^readdress from 127\.0\.0\.1 to (127\.0\.0\.[23]) on/m.exec(l)?.[1]);
  assert.deepEqual([...news].sort(), ['127.0.0.2', '127.0.0.3'], 'each node re-addressed from the baseline\'s address to its own, before its test');
  for (const l of logs) assert.ok(l.indexOf('readdress from') < l.indexOf('mode=image'), 'on_restore runs before the test');
  assertCloudEmpty(site.cloud);
});

test('a two-node job on the cloud: a server per role, booted at once on two addresses, the tempest role reaching the controller at its fixed address; all deleted after', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t, { alsoListenOn: ['127.0.0.2', '127.0.0.3'] });
  site.cloud.portAddress = ['127.0.0.2', '127.0.0.3'];
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  writeFileSync(join(site.dir, 'tests', 'controller.sh'), `#!/bin/sh
exec python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], ${port})); s.listen(1); s.settimeout(60)
c, peer = s.accept(); c.sendall(b"controller at " + sys.argv[1].encode() + b"\\n"); c.close(); print("served", peer[0])' "$SLUICE_NODE_CONTROLLER_IP"
`, { mode: 0o755 });
  writeFileSync(join(site.dir, 'tests', 'tempest.sh'), `#!/bin/sh
grep -q " controller " "$SLUICE_HOSTS_FILE" || exit 2
exec python3 -c 'import socket, sys, time
for _ in range(300):
    try:
        print(socket.create_connection((sys.argv[1], ${port}), timeout=2, source_address=(sys.argv[2], 0)).recv(100).decode().strip()); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$SLUICE_NODE_CONTROLLER_IP" "$SLUICE_NODE_TEMPEST_IP"
`, { mode: 0o755 });
  const file = join(site.dir, 'sluice.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^pipelines: .*$/m,
    'pipelines: { phase1: { nodes: { controller: { test: \'"$SLUICE_CONFIG_DIR/tests/controller.sh"\' }, tempest: { test: \'"$SLUICE_CONFIG_DIR/tests/tempest.sh"\' } }, timeout: 2m, retries: 1 } }'));
  const r = await sluice(site, ['submit', 'good.yml', '--json']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const s = JSON.parse(r.stdout) as Status;
  const log = readFileSync(s.jobs[0]!.logPath!, 'utf8');
  const controllerIp = /^\[tempest\] controller at (127\.0\.0\.[23])$/m.exec(log)?.[1];
  assert.ok(controllerIp, log);
  const tempestIp = controllerIp === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2';
  assert.match(log, new RegExp(`^\\[controller\\] served ${tempestIp.replaceAll('.', '\\.')}$`, 'm'), 'the two roles were two servers on two addresses');
  assert.equal(site.cloud.bootedFrom.length, 2, 'one server per role');
  assertCloudEmpty(site.cloud);
});

test('SIGKILL of sluice serve while Glance saves a baseline\'s snapshot: the run passes on its retry, and the next start deletes the half-made snapshot and keeps the recorded one', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t);
  const run = (await sluice(site, ['images', 'build', '--detach'])).stdout.trim();
  const ofRun = () => [...site.cloud.images.values()].filter((i) => i.properties.sluice_run === run);
  site.cloud.snapshotMs = 600_000;
  let worker = serve(site);
  t.after(() => { if (worker.exitCode === null) worker.kill('SIGKILL'); });
  await until('Glance is saving the baseline\'s snapshot', () => ofRun().length === 1);
  worker.kill('SIGKILL');
  await exited(worker);
  const half = ofRun()[0]!.id;
  site.cloud.snapshotMs = 0;

  worker = serve(site);
  await until('the images run has its verdict', async () => (await status(site, run)).run.reportedAt !== null);
  worker.kill('SIGTERM');
  await exited(worker);
  assert.equal((await status(site, run)).run.verdict, 'pass');
  const listed = JSON.parse((await sluice(site, ['images', 'list', '--json'])).stdout) as { location: string }[];
  assert.equal(listed.length, 1);
  const recorded = listed[0]!.location;
  assert.notEqual(recorded, half, 'the retry made its own snapshot');
  assert.ok(site.cloud.images.has(half), 'the sweep at that start saw the run live and kept the snapshot');

  // The orphan sweep runs at a worker's first sweep: the next start finds the run finished.
  worker = serve(site);
  await until('the half-made snapshot is deleted', () => !site.cloud.images.has(half), 30_000);
  worker.kill('SIGTERM');
  await exited(worker);
  assert.deepEqual(ofRun().map((i) => i.id), [recorded], 'the recorded snapshot is kept');
  assert.ok(!site.cloud.requests.includes(`DELETE /image/v2/images/${recorded}`), 'no DELETE of the recorded snapshot was asked for');
  assertCloudEmpty(site.cloud);
});

test('SIGKILL of sluice serve while a server runs a command and while one builds: after restarts the runs have verdicts, the cloud holds nothing of sluice, no lease is held, and an orphan is reaped at start', async (t) => {
  if (!requireSshd(t)) return;
  const site = await cloudSite(t);
  killJobProcesses(t, site.dir);
  const base = [...site.cloud.images.values()][0]!.id;
  const ghost = site.cloud.leave({ metadata: { sluice_provider: 'cloud', sluice_run: 'ghost-run', sluice_job: 'ghost-run.kilo_epel-7', sluice_attempt: '1' }, tags: ['sluice', 'sluice-run-ghost-run'], image: base });
  const detach = async (file: string) => (await sluice(site, ['submit', file, '--detach'])).stdout.trim();
  const hang = await detach('hang.yml');
  let worker = serve(site);
  t.after(() => { if (worker.exitCode === null) worker.kill('SIGKILL'); });

  // Killed while the server is ACTIVE and the test command runs on it.
  await until('the orphan server is reaped at start', () => !site.cloud.liveServers().some((s) => s.id === ghost.id));
  await until('the command runs on the server', () => existsSync(join(site.dir, 'started-hang-1')));
  worker.kill('SIGKILL');
  await exited(worker);
  assert.equal(site.cloud.liveServers().length, 1, 'the crash left the server');
  worker = serve(site);
  await until('the hanging run has its verdict', async () => (await status(site, hang)).run.reportedAt !== null);

  // Killed while the server is still BUILD.
  site.cloud.bootMs = 120_000;
  const slow = await detach('slow.yml');
  await until('a server is building', () => site.cloud.liveServers().length === 1);
  worker.kill('SIGKILL');
  await exited(worker);
  site.cloud.bootMs = 0;
  worker = serve(site);
  await until('the slow run has its verdict', async () => (await status(site, slow)).run.reportedAt !== null);
  await until('the cloud holds nothing of sluice', () => site.cloud.liveServers().length === 0 && site.cloud.ports.size === 0, 30_000);
  worker.kill('SIGTERM');
  await exited(worker);

  for (const run of [hang, slow]) {
    const s = await status(site, run);
    assert.equal(s.run.verdict, 'pass', JSON.stringify(s.jobs));
    t.diagnostic(`${run}: ${s.jobs.map((j) => `attempt ${j.attempt} ${j.result}`).join(', ')}`);
  }
  assertCloudEmpty(site.cloud);
  const nodes = JSON.parse((await sluice(site, ['nodes', '--json'])).stdout) as { provider: string; slots: { holder: string | null }[] }[];
  assert.deepEqual(nodes.flatMap((p) => p.slots.filter((s) => s.holder !== null)), [], 'no node lease is held');
  const deleted = site.cloud.requests.filter((r) => r.startsWith('DELETE /compute/v2.1/servers/')).length;
  t.diagnostic(`${site.cloud.bootedFrom.length} servers booted, ${deleted} server deletions asked for`);
});
