import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { Execution, ExecutionOutcome } from '../../../../src/engine/node-provider.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import { KeystoneSession } from '../../../../src/drivers/providers/openstack/keystone.js';
import { openstackProvider, type OpenStackProviderOptions, type RunOnNode } from '../../../../src/drivers/providers/openstack/openstack-provider.js';
import { CLOUD, OpenStackStandin } from '../../../helpers/openstack-standin.js';

const cloud = new OpenStackStandin();
let base = '';
let golden = '';
const FAST = { timeoutMs: 5000, attempts: 2, backoffMs: 10 };

before(async () => {
  await cloud.start();
  base = cloud.addImage('CentOS-7-x86_64');
  golden = cloud.addImage('kilo-el7-golden');
});
after(async () => { await cloud.stop(); });
beforeEach(() => {
  cloud.servers.clear();
  cloud.ports.clear();
  cloud.floatingIps.clear();
  cloud.bootMs = 0;
  cloud.deleteMs = 0;
  cloud.snapshotMs = 0;
});

const credentials = () => ({ authUrl: cloud.authUrl, username: CLOUD.user, password: CLOUD.password, userDomainName: CLOUD.domain, projectName: CLOUD.project, projectDomainName: CLOUD.domain });

function provider(runOnNode: RunOnNode, more: Partial<OpenStackProviderOptions> = {}) {
  return openstackProvider({
    name: 'cloud', capacity: 4, credentials: credentials(), flavor: CLOUD.flavor, network: CLOUD.network, bootTimeoutMs: 5000,
    targets: { 'kilo/el7': { base: 'CentOS-7-x86_64', image: golden } }, runOnNode, pollMs: 10, http: FAST, ...more,
  });
}

function execution(o: { runId?: string; jobId?: string; attempt?: number; mode?: 'image' | 'provision'; signal?: AbortSignal } = {}): Execution {
  const runId = o.runId ?? 'r1';
  const spec: JobSpec = {
    pipeline: 'phase1', updateId: 'hkvc', target: 'kilo/el7', provider: 'cloud', builds: [], mode: o.mode ?? 'image',
    image: o.mode === 'provision' ? null : golden, modeBecause: 'test', command: 'run-tests', timeoutMs: 60_000,
  };
  return { runId, jobId: o.jobId ?? `${runId}.kilo/el7`, attempt: o.attempt ?? 1, spec, updateFiles: [], signal: o.signal ?? new AbortController().signal };
}

/** A runOnNode that records where it ran and answers `result`. */
function recorder(result: ExecutionOutcome['result'] = 'success', wait?: () => Promise<void>) {
  const calls: { address: string; jobId: string; servers: number }[] = [];
  const run: RunOnNode = async (address, ex) => {
    calls.push({ address, jobId: ex.jobId, servers: cloud.liveServers().length });
    await wait?.();
    return { result, reason: result === 'success' ? 'the tests passed' : 'the test command exited with status 1', node: `ssh:${address}`, logPath: '/logs/job.log' };
  };
  return { calls, run };
}

function assertNothingLeft(): void {
  assert.deepEqual(cloud.liveServers().map((s) => s.name), [], 'no server left');
  assert.deepEqual([...cloud.ports.values()].map((p) => p.name), [], 'no port left');
}

test('authenticates with a project-scoped password token and takes the public endpoints of the catalog', async () => {
  const before = cloud.issued.length;
  const s = new KeystoneSession(credentials(), FAST);
  assert.equal(await s.endpoint('compute'), `${cloud.url}/compute/v2.1`);
  assert.equal(await s.endpoint('network'), `${cloud.url}/network`);
  assert.equal(await s.endpoint('image'), `${cloud.url}/image`);
  assert.equal(cloud.issued.length, before + 1);
  const wrong = new KeystoneSession({ ...credentials(), password: 'nope' }, FAST);
  await assert.rejects(wrong.endpoint('compute'), /Keystone refused the authentication of sluice to project rdo-ci: HTTP 401: The request you have made requires authentication/);
  const elsewhere = new KeystoneSession({ ...credentials(), region: 'RegionTwo' }, FAST);
  await assert.rejects(elsewhere.endpoint('compute'), /no public compute endpoint in region RegionTwo/);
});

test('a revoked token is renewed once and the request repeated; a second 401 is answered, not looped on', async () => {
  const s = new KeystoneSession(credentials(), FAST);
  assert.equal((await s.request('network', 'GET', '/v2.0/ports')).status, 200);
  const issued = cloud.issued.length;
  cloud.expireTokens();
  assert.equal((await s.request('network', 'GET', '/v2.0/ports')).status, 200);
  assert.equal(cloud.issued.length, issued + 1);
  cloud.failNext('GET', '/v2.0/ports', 401, 2);
  assert.equal((await s.request('network', 'GET', '/v2.0/ports')).status, 401);
  assert.equal(cloud.issued.length, issued + 2);
});

test('boots a server on a port of its own from the job\'s image, runs the job there, then deletes server and port', async () => {
  const { calls, run } = recorder();
  let seen: { imageRef: string; metadata: Record<string, string>; tags: string[] } | undefined;
  const p = provider(async (address, ex, server) => {
    const s = cloud.liveServers()[0];
    assert.equal(server.id, s?.id);
    seen = s && { imageRef: s.imageRef, metadata: s.metadata, tags: s.tags };
    return run(address, ex, server);
  });
  const out = await p.execute(execution());
  assert.equal(out.result, 'success');
  assert.equal(calls.length, 1);
  assert.match(calls[0]?.address ?? '', /^10\.0\.0\.\d+$/);
  assert.match(out.node, new RegExp(`^openstack:cloud/sluice-r1-kilo-el7-a1 [0-9a-f-]{36} \\(${calls[0]?.address.replace(/\./g, '\\.')}\\)$`));
  assert.equal(out.logPath, '/logs/job.log');
  assert.equal(seen?.imageRef, golden);
  assert.deepEqual(seen?.metadata, { sluice_provider: 'cloud', sluice_run: 'r1', sluice_job: 'r1.kilo/el7', sluice_attempt: '1' });
  assert.deepEqual(seen?.tags, ['sluice', 'sluice-run-r1']);
  assertNothingLeft();
});

test('provisioning boots from the target\'s base, found by name in Glance', async () => {
  let imageRef = '';
  const p = provider(async (address) => {
    imageRef = cloud.liveServers()[0]?.imageRef ?? '';
    return { result: 'failure', reason: 'exit 1', node: address, logPath: null };
  });
  const out = await p.execute(execution({ mode: 'provision' }));
  assert.equal(out.result, 'failure');
  assert.equal(imageRef, base);
  assertNothingLeft();
});

test('a server that goes to ERROR is infra with Nova\'s fault, and server and port are deleted', async () => {
  const { calls, run } = recorder();
  cloud.failBoot('No valid host was found. There are not enough hosts available.');
  const out = await provider(run).execute(execution());
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /failed to boot: No valid host was found\. There are not enough hosts available\./);
  assert.equal(calls.length, 0);
  assertNothingLeft();
});

test('a server still building at boot_timeout is infra, and deleted', async () => {
  cloud.bootMs = 10_000;
  const out = await provider(recorder().run, { bootTimeoutMs: 150 }).execute(execution());
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /was not ACTIVE after 150ms \(still BUILD\)/);
  assertNothingLeft();
});

test('a job whose run on the node throws is infra, and the node is still deleted', async () => {
  const out = await provider(async () => { throw new Error('ssh: connection reset by peer'); }).execute(execution());
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /broke off: ssh: connection reset by peer/);
  assertNothingLeft();
});

test('a cancel while the server boots ends the job as cancelled at once and deletes the server and port', async () => {
  cloud.bootMs = 30_000;
  const ac = new AbortController();
  const started = Date.now();
  const running = provider(recorder().run).execute(execution({ signal: ac.signal }));
  while (cloud.liveServers().length === 0) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  const out = await running;
  assert.equal(out.result, 'cancelled');
  assert.ok(Date.now() - started < 5000);
  assertNothingLeft();
});

test('Nova failing to make the server is infra with its message, and the port is deleted', async () => {
  cloud.failNext('POST', '/compute/v2.1/servers', 403);
  const out = await provider(recorder().run).execute(execution());
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /the cloud failed: Nova refused to create server sluice-r1-kilo-el7-a1: HTTP 403: injected failure/);
  assertNothingLeft();
});

test('two concurrent runs of one target get different ports and addresses, and both pass (never collide)', async () => {
  let arrived = 0;
  let release: () => void = () => undefined;
  const both = new Promise<void>((r) => { release = r; });
  const { calls, run } = recorder('success', async () => {
    if (++arrived === 2) release();
    await both;
  });
  const p = provider(run);
  cloud.bootMs = 50;
  const [a, b] = await Promise.all([p.execute(execution({ runId: 'rA' })), p.execute(execution({ runId: 'rB' }))]);
  assert.equal(a.result, 'success');
  assert.equal(b.result, 'success');
  assert.equal(calls.length, 2);
  assert.notEqual(calls[0]?.address, calls[1]?.address);
  assert.ok(calls.every((c) => c.servers === 2), 'both servers were up at once');
  assertNothingLeft();
});

const marker = (runId: string, job: string, attempt = 1, provider = 'cloud') => ({
  metadata: { sluice_provider: provider, sluice_run: runId, sluice_job: `${runId}.${job}`, sluice_attempt: String(attempt) }, tags: ['sluice', `sluice-run-${runId}`], image: golden,
});

test('reap deletes the server and port of the abandoned attempt only', async () => {
  const doomed = cloud.leave(marker('r7', 'kilo/el7', 1));
  const older = cloud.leave(marker('r7', 'kilo/el7', 2));
  const other = cloud.leave(marker('r7', 'kilo/f22', 1));
  await provider(recorder().run).reap({ runId: 'r7', jobId: 'r7.kilo/el7', target: 'kilo/el7', attempt: 1 });
  assert.deepEqual(cloud.liveServers().map((s) => s.id).sort(), [older.id, other.id].sort());
  assert.equal(cloud.ports.has(doomed.portId), false);
  assert.equal(cloud.ports.size, 2);
});

test('after a crash, reapOrphans deletes the servers and ports of runs that are gone and keeps the live ones', async () => {
  const dead = [cloud.leave(marker('rDead', 'kilo/el7')), cloud.leave(marker('rDead', 'kilo/f22')), cloud.leave(marker('rGone', 'juno/el7'))];
  const live = cloud.leave(marker('rLive', 'kilo/el7'));
  const elsewhere = cloud.leave(marker('rDead', 'kilo/el7', 1, 'other-cloud'));
  const startedMeanwhile = { id: '' };
  const p = provider(recorder().run);
  const count = await p.reapOrphans(async () => {
    startedMeanwhile.id = cloud.leave(marker('rNew', 'kilo/el7')).id;
    return ['rLive', 'rNew'];
  });
  assert.deepEqual(count, { servers: 3, ports: 3, floatingIps: 0 });
  assert.deepEqual(cloud.liveServers().map((s) => s.id).sort(), [live.id, elsewhere.id, startedMeanwhile.id].sort());
  for (const s of dead) assert.equal(cloud.ports.has(s.portId), false);
  assert.equal(cloud.ports.size, 3);
  assert.deepEqual(await p.reapOrphans(['rLive', 'rNew']), { servers: 0, ports: 0, floatingIps: 0 });
});

test('runOnNode gets the server, so the images pipeline can snapshot it before it is deleted', async () => {
  let imageId = '';
  const p = provider(async (address, _ex, server) => {
    imageId = await p.snapshot(server.id, `kilo-el7-${server.name}`);
    return { result: 'success', reason: 'the baseline passed', node: address, logPath: null };
  });
  assert.equal((await p.execute(execution({ runId: 'rBase', mode: 'provision' }))).result, 'success');
  assert.equal(cloud.images.get(imageId)?.name, 'kilo-el7-sluice-rBase-kilo-el7-a1');
  assertNothingLeft();
});

test('a snapshot is made with createImage and answered once Glance has it active', async () => {
  const s = cloud.leave(marker('rImg', 'kilo/el7'));
  cloud.snapshotMs = 60;
  const p = provider(recorder().run);
  const id = await p.snapshot(s.id, 'kilo-el7-20150601');
  const image = cloud.images.get(id);
  assert.equal(image?.name, 'kilo-el7-20150601');
  assert.equal(image?.fromServer, s.id);
  assert.ok(cloud.requests.some((r) => r.startsWith(`GET /image/v2/images/${id}`)));
  await assert.rejects(p.snapshot('no-such-server', 'x'), /Nova refused to snapshot server no-such-server: HTTP 404: Instance no-such-server could not be found/);
});

test('a 503 on a read is tried again; concurrent jobs share one authentication', async () => {
  const issued = cloud.issued.length;
  cloud.failNext('GET', '/compute/v2.1/servers/', 503);
  const p = provider(recorder().run);
  const outs = await Promise.all([p.execute(execution({ runId: 'rX' })), p.execute(execution({ runId: 'rY' }))]);
  assert.deepEqual(outs.map((o) => o.result), ['success', 'success']);
  assert.equal(cloud.issued.length, issued + 1);
  assertNothingLeft();
});

test('with floating_network, the job reaches its server by a floating IP bound to its port, deleted with it, also when the job broke off', async () => {
  const { calls, run } = recorder();
  const p = provider(async (address, ex, server) => {
    assert.equal(cloud.floatingIps.size, 1, 'the floating IP exists while the job runs');
    const fip = [...cloud.floatingIps.values()][0]!;
    assert.equal(fip.portId, [...cloud.ports.values()][0]?.id, 'bound to the job\'s own port');
    assert.deepEqual(JSON.parse(fip.description), { sluice_provider: 'cloud', sluice_run: 'r1', sluice_job: 'r1.kilo/el7', sluice_attempt: '1' });
    return run(address, ex, server);
  }, { floatingNetwork: cloud.floatingNetwork });
  const out = await p.execute(execution());
  assert.equal(out.result, 'success');
  assert.equal(calls[0]?.address, cloud.floatingAddress, 'the worker connected to the floating address, not the fixed one');
  assert.match(out.node, /\(10\.0\.0\.\d+, floating 127\.0\.0\.1\)$/);
  assertNothingLeft();
  assert.equal(cloud.floatingIps.size, 0, 'no floating IP left');

  const broken = await provider(async () => { throw new Error('connection reset'); }, { floatingNetwork: cloud.floatingNetwork }).execute(execution());
  assert.equal(broken.result, 'infra');
  assert.match(broken.reason, /\(127\.0\.0\.1\) broke off: connection reset/);
  assertNothingLeft();
  assert.equal(cloud.floatingIps.size, 0);
});

test('a floating network the cloud does not have is infra naming it, and nothing is left', async () => {
  const out = await provider(recorder().run, { floatingNetwork: 'no-such-net' }).execute(execution());
  assert.equal(out.result, 'infra');
  assert.match(out.reason, /floating IP on network no-such-net/);
  assertNothingLeft();
});

test('reapOrphans deletes the floating IPs of runs that are gone and keeps the live ones', async () => {
  const bind = (runId: string) => {
    const s = cloud.leave(marker(runId, 'kilo/el7'));
    const id = `fip-${runId}`;
    cloud.floatingIps.set(id, { id, address: '203.0.113.9', portId: s.portId, networkId: cloud.floatingNetwork, description: JSON.stringify({ sluice_provider: 'cloud', sluice_run: runId, sluice_job: `${runId}.kilo/el7`, sluice_attempt: '1' }) });
    return id;
  };
  bind('rDead');
  const kept = bind('rLive');
  const count = await provider(recorder().run, { floatingNetwork: cloud.floatingNetwork }).reapOrphans(['rLive']);
  assert.deepEqual(count, { servers: 1, ports: 1, floatingIps: 1 });
  assert.deepEqual([...cloud.floatingIps.keys()], [kept]);
});
