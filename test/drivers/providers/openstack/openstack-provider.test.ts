import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import type { Execution, ExecutionOutcome } from '../../../../src/engine/node-provider.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import { KeystoneSession } from '../../../../src/drivers/providers/openstack/keystone.js';
import { Nova, relativeTo } from '../../../../src/drivers/providers/openstack/nova.js';
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
  for (const id of cloud.images.keys()) if (id !== base && id !== golden) cloud.images.delete(id);
  cloud.imagePageMax = 1000;
  cloud.bootMs = 0;
  cloud.deleteMs = 0;
  cloud.snapshotMs = 0;
  cloud.stopMs = 0;
});

const credentials = () => ({ authUrl: cloud.authUrl, username: CLOUD.user, password: CLOUD.password, userDomainName: CLOUD.domain, projectName: CLOUD.project, projectDomainName: CLOUD.domain });

function provider(runOnNode: RunOnNode, more: Partial<OpenStackProviderOptions> = {}) {
  return openstackProvider({
    name: 'cloud', capacity: 4, credentials: credentials(), flavor: CLOUD.flavor, network: CLOUD.network, bootTimeoutMs: 5000,
    targets: { 'kilo/el7': { base: 'CentOS-7-x86_64', image: golden } }, runOnNode, pollMs: 10, http: FAST, ...more,
  });
}

function execution(o: { runId?: string; jobId?: string; attempt?: number; mode?: 'image' | 'provision'; pipeline?: JobSpec['pipeline']; signal?: AbortSignal } = {}): Execution {
  const runId = o.runId ?? 'r1';
  const spec: JobSpec = {
    pipeline: o.pipeline ?? 'phase1', updateId: 'hkvc', target: 'kilo/el7', provider: 'cloud', builds: [], mode: o.mode ?? 'image',
    image: o.mode === 'provision' ? null : golden, modeBecause: 'test', command: 'run-tests', timeoutMs: 60_000,
    // As the images pipeline writes its jobs: a baseline's node is kept as an image.
    ...(o.pipeline === 'images' ? { stage: 'baseline' as const } : {}),
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

test('authenticates with an application credential: no scope asked, the credential named when refused, never its secret', async () => {
  const methods = cloud.authMethods.length;
  const appCredential = { authUrl: cloud.authUrl, applicationCredentialId: CLOUD.applicationCredentialId, applicationCredentialSecret: CLOUD.applicationCredentialSecret };
  const s = new KeystoneSession(appCredential, FAST);
  assert.equal(await s.endpoint('compute'), `${cloud.url}/compute/v2.1`);
  assert.equal((await s.request('network', 'GET', '/v2.0/ports')).status, 200);
  assert.deepEqual(cloud.authMethods.slice(methods), ['application_credential']);
  const wrong = new KeystoneSession({ ...appCredential, applicationCredentialSecret: 'not-the-secret' }, FAST);
  const refused = await wrong.endpoint('compute').then(() => '', (e: Error) => e.message);
  assert.match(refused, new RegExp(`^Keystone refused the authentication of application credential ${CLOUD.applicationCredentialId}: HTTP 401`));
  assert.doesNotMatch(refused, /not-the-secret/);
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

const serverMarker = (runId: string, job = 'kilo/el7', attempt = 1, provider = 'cloud') => ({ sluice_provider: provider, sluice_run: runId, sluice_job: `${runId}.${job}`, sluice_attempt: String(attempt) });

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
  assert.deepEqual(count, { servers: 3, ports: 3, floatingIps: 0, images: 0 });
  assert.deepEqual(cloud.liveServers().map((s) => s.id).sort(), [live.id, elsewhere.id, startedMeanwhile.id].sort());
  for (const s of dead) assert.equal(cloud.ports.has(s.portId), false);
  assert.equal(cloud.ports.size, 3);
  assert.deepEqual(await p.reapOrphans(['rLive', 'rNew']), { servers: 0, ports: 0, floatingIps: 0, images: 0 });
});

test('runOnNode gets the server, so the images pipeline can snapshot it before it is deleted', async () => {
  let imageId = '';
  const p = provider(async (address, _ex, server) => {
    imageId = await p.snapshot(server.id, `kilo-el7-${server.name}`, { provider: 'cloud', runId: 'rBase', jobId: 'rBase.kilo_el7', attempt: 1 });
    return { result: 'success', reason: 'the baseline passed', node: address, logPath: null };
  });
  assert.equal((await p.execute(execution({ runId: 'rBase', mode: 'provision' }))).result, 'success');
  assert.equal(cloud.images.get(imageId)?.name, 'kilo-el7-sluice-rBase-kilo-el7-a1');
  assertNothingLeft();
});

test('a snapshot is made with createImage, carries its job\'s marker over the base image\'s, and is answered once Glance has it active', async () => {
  // Booted from an earlier Sluice snapshot: Nova copies that image's properties onto the new one.
  const earlier = cloud.leaveImage({ name: 'sluice-kilo_el7-rOld', properties: snapshotProps('rOld'), status: 'active' });
  const s = cloud.leave({ ...marker('rImg', 'kilo/el7'), image: earlier.id });
  cloud.snapshotMs = 60;
  const p = provider(recorder().run);
  const of = { provider: 'cloud', runId: 'rImg', jobId: 'rImg.kilo_el7', attempt: 2 };
  const id = await p.snapshot(s.id, 'kilo-el7-20150601', of);
  const image = cloud.images.get(id);
  assert.equal(image?.name, 'kilo-el7-20150601');
  assert.equal(image?.fromServer, s.id);
  assert.deepEqual(
    [image?.properties.sluice_provider, image?.properties.sluice_run, image?.properties.sluice_job, image?.properties.sluice_attempt, image?.properties.sluice_snapshot_of, image?.properties.instance_uuid],
    ['cloud', 'rImg', 'rImg.kilo_el7', '2', s.id, s.id],
  );
  assert.ok(cloud.requests.some((r) => r.startsWith(`GET /image/v2/images/${id}`)));
  await assert.rejects(p.snapshot('no-such-server', 'x', of), /Nova refused to snapshot server no-such-server: HTTP 404: Instance no-such-server could not be found/);
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
  assert.deepEqual(count, { servers: 1, ports: 1, floatingIps: 1, images: 0 });
  assert.deepEqual([...cloud.floatingIps.keys()], [kept]);
});

/** The properties Nova gives a snapshot Sluice asked for: the job's marker, the server, and Nova's own. */
function snapshotProps(runId: string, o: { provider?: string; server?: string; instance?: string } = {}): Record<string, string> {
  const server = o.server ?? randomUUID();
  return {
    sluice_provider: o.provider ?? 'cloud', sluice_run: runId, sluice_job: `${runId}.kilo_el7`, sluice_attempt: '1', sluice_snapshot_of: server,
    instance_uuid: o.instance ?? server, image_type: 'snapshot',
  };
}

const imageDeletes = () => cloud.requests.filter((r) => r.startsWith('DELETE /image/v2/images/')).map((r) => r.slice('DELETE /image/v2/images/'.length));

test('a green images baseline is kept as a snapshot marked with its job; once its run finished the sweep keeps it, known or not', async () => {
  const p = provider(recorder().run);
  const out = await p.execute(execution({ runId: 'rImages', jobId: 'rImages.kilo_el7', mode: 'provision', pipeline: 'images' }));
  assert.equal(out.result, 'success', out.reason);
  const id = out.snapshot?.location ?? '';
  const image = cloud.images.get(id);
  assert.equal(image?.name, 'sluice-kilo_el7-rImages');
  assert.deepEqual([image?.properties.sluice_run, image?.properties.sluice_job, image?.properties.sluice_attempt], ['rImages', 'rImages.kilo_el7', '1']);
  assertNothingLeft();
  const deletesBefore = imageDeletes().length;
  // The store records it as known-good when the run's report is made: with or without being told, the sweep keeps it.
  assert.equal((await p.reapOrphans([])).images, 0);
  assert.equal((await p.reapOrphans([], [id])).images, 0);
  assert.ok(cloud.images.has(id));
  assert.equal(imageDeletes().length, deletesBefore, 'no DELETE of the image was asked for');
});

test('reapOrphans deletes the half-made snapshots of finished runs and the killed ones, over every page of Glance, and keeps the rest', async () => {
  cloud.imagePageMax = 2;
  const leave = (name: string, properties: Record<string, string>, status: string, more: { protected?: boolean } = {}) => cloud.leaveImage({ name, properties, status, ...more }).id;
  const doomed = [
    leave('saving-dead', snapshotProps('rDead'), 'saving'),
    leave('queued-dead', snapshotProps('rGone'), 'queued'),
    leave('killed-live', snapshotProps('rLive'), 'killed'),
  ];
  const kept = [
    leave('saving-live', snapshotProps('rLive'), 'saving'),
    leave('recorded-dead', snapshotProps('rDead'), 'active'),
    leave('other-provider', snapshotProps('rDead', { provider: 'other-cloud' }), 'saving'),
    leave('protected-dead', snapshotProps('rDead'), 'saving', { protected: true }),
    // Someone's snapshot of a server booted from a Sluice image: Nova copied that image's marker onto it.
    leave('inherited-marker', snapshotProps('rDead', { instance: randomUUID() }), 'saving'),
    leave('no-sluice_snapshot_of', { ...serverMarker('rDead') }, 'saving'),
    base, golden,
  ];
  let startedMeanwhile = '';
  const seen = cloud.requests.length;
  const count = await provider(recorder().run).reapOrphans(async () => {
    startedMeanwhile = leave('saving-new', snapshotProps('rNew'), 'saving');
    return ['rLive', 'rNew'];
  });
  assert.equal(count.images, 3);
  assert.deepEqual([...cloud.images.keys()].sort(), [...kept, startedMeanwhile].sort());
  assert.deepEqual(imageDeletes().filter((id) => [...doomed, ...kept, startedMeanwhile].includes(id)).sort(), [...doomed].sort(), 'a DELETE only for the doomed ones');
  const lists = cloud.requests.slice(seen).filter((r) => r.startsWith('GET /image/v2/images?'));
  assert.ok(lists.every((r) => r.includes('sluice_provider=cloud')), 'Glance is asked for this provider\'s images only');
  assert.ok(lists.filter((r) => r.includes('marker=')).length >= 4, `every page was read: ${lists.join(' ')}`);
});

test('told which images the store knows, reapOrphans also deletes an active snapshot a crash left unrecorded, and never a known one', async () => {
  const recorded = cloud.leaveImage({ name: 'sluice-kilo_el7-rDone', properties: snapshotProps('rDone'), status: 'active' }).id;
  const lost = cloud.leaveImage({ name: 'sluice-kilo_el7-rDone', properties: snapshotProps('rDone'), status: 'active' }).id;
  const running = cloud.leaveImage({ name: 'sluice-kilo_el7-rLive', properties: snapshotProps('rLive'), status: 'active' }).id;
  const order: string[] = [];
  const count = await provider(recorder().run).reapOrphans(
    async () => { order.push('live'); return ['rLive']; },
    async () => { order.push('known'); return [recorded]; },
  );
  assert.deepEqual(order, ['live', 'known'], 'the known images are asked for after the live runs');
  assert.equal(count.images, 1);
  assert.deepEqual([recorded, lost, running].map((id) => cloud.images.has(id)), [true, false, true]);
  assert.deepEqual(imageDeletes().filter((id) => [recorded, running].includes(id)), []);
});

test('a Glance failing during the sweep is logged, never thrown: the servers are still reaped and a later sweep deletes the snapshot', async () => {
  const lines: string[] = [];
  const p = provider(recorder().run, { log: (l) => lines.push(l) });
  const server = cloud.leave(marker('rDead', 'kilo/el7'));
  const half = cloud.leaveImage({ name: 'sluice-kilo_el7-rDead', properties: snapshotProps('rDead'), status: 'saving' }).id;

  cloud.failNext('GET', '/image/v2/images', 503, 2);
  assert.deepEqual(await p.reapOrphans([]), { servers: 1, ports: 1, floatingIps: 0, images: 0 });
  assert.equal(cloud.servers.has(server.id), false, 'the server was reaped all the same');
  assert.match(lines.join('\n'), /cannot list the snapshots in Glance: .*HTTP 503: injected failure.*; the next sweep will/);

  cloud.failNext('DELETE', `/image/v2/images/${half}`, 503, 2);
  assert.equal((await p.reapOrphans([])).images, 0);
  assert.match(lines.join('\n'), new RegExp(`cannot delete snapshot sluice-kilo_el7-rDead \\(${half}\\) yet: .*HTTP 503`));
  assert.ok(cloud.images.has(half));

  assert.equal((await p.reapOrphans([])).images, 1);
  assert.equal(cloud.images.has(half), false);
  assert.match(lines.at(-1) ?? '', new RegExp(`deleted snapshot sluice-kilo_el7-rDead \\(${half}\\): saving after run rDead finished`));
});

/** The actions Nova was asked for on the server a baseline ran on, as `<action> <status when asked>`. */
async function baselineActions(more: Partial<OpenStackProviderOptions>, runId: string): Promise<{ out: ExecutionOutcome; serverId: string; actions: string[] }> {
  const seen = cloud.actions.length;
  let serverId = '';
  const { run } = recorder();
  const p = provider(async (address, ex, server) => { serverId = server.id; return run(address, ex, server); }, more);
  const out = await p.execute(execution({ runId, jobId: `${runId}.kilo_el7`, mode: 'provision', pipeline: 'images' }));
  const actions = cloud.actions.slice(seen).filter((a) => a.server === serverId).map((a) => `${a.action} ${a.status}`);
  return { out, serverId, actions };
}

test('a green images baseline\'s server is shut down and awaited SHUTOFF before Nova is asked for its snapshot, then deleted', async () => {
  // Nova shuts a guest down in its own time: a snapshot asked before SHUTOFF would be of a running disk (and refused here).
  cloud.stopMs = 80;
  const { out, serverId, actions } = await baselineActions({}, 'rStop');
  assert.equal(out.result, 'success', out.reason);
  assert.deepEqual(actions, ['os-stop ACTIVE', 'createImage SHUTOFF']);
  const image = cloud.images.get(out.snapshot?.location ?? '');
  assert.equal(image?.name, 'sluice-kilo_el7-rStop');
  assert.equal(image?.fromServer, serverId);
  assert.ok(cloud.requests.filter((r) => r === `GET /compute/v2.1/servers/${serverId}`).length >= 3, 'the server was read until it was SHUTOFF');
  assertNothingLeft();
});

test('with snapshotStopped false, a green baseline\'s server is snapshotted ACTIVE and never stopped', async () => {
  cloud.stopMs = 80;
  const { out, actions } = await baselineActions({ snapshotStopped: false }, 'rLive');
  assert.equal(out.result, 'success', out.reason);
  assert.deepEqual(actions, ['createImage ACTIVE']);
  assert.equal(cloud.images.get(out.snapshot?.location ?? '')?.name, 'sluice-kilo_el7-rLive');
  assertNothingLeft();
});

test('a baseline\'s server not SHUTOFF within stopTimeoutMs is infra naming it, with no snapshot asked and nothing left', async () => {
  cloud.stopMs = 10_000;
  const imagesBefore = [...cloud.images.keys()].sort();
  const { out, serverId, actions } = await baselineActions({ stopTimeoutMs: 150 }, 'rSlow');
  assert.equal(out.result, 'infra');
  assert.match(serverId, /^[0-9a-f-]{36}$/);
  assert.equal(out.reason, `the baseline passed but its server could not be stopped for its snapshot: server ${serverId} was not SHUTOFF 150ms after it was asked to stop (still ACTIVE)`);
  assert.equal(out.snapshot, undefined);
  assert.deepEqual(actions, ['os-stop ACTIVE']);
  assert.deepEqual([...cloud.images.keys()].sort(), imagesBefore, 'no image, half-made or not');
  assertNothingLeft();
});

test('Nova.stopServer: a 409 for a server already SHUTOFF is done, any other 409 is refused with Nova\'s message', async () => {
  const nova = new Nova(new KeystoneSession(credentials(), FAST));
  const s = cloud.leave(marker('rNova', 'kilo/el7'));
  await nova.stopServer(s.id);
  assert.equal((await nova.getServer(s.id))?.status, 'SHUTOFF');
  await nova.stopServer(s.id);
  assert.equal(cloud.actions.filter((a) => a.server === s.id && a.action === 'os-stop').length, 2, 'the second stop was asked, and answered 409');

  cloud.stopMs = 10_000;
  const busy = cloud.leave(marker('rNova', 'kilo/f22'));
  await nova.stopServer(busy.id);
  await assert.rejects(nova.stopServer(busy.id), new RegExp(`^OpenStackError: Nova refused to stop server ${busy.id}: HTTP 409: Cannot 'stop' instance ${busy.id} while it is in task_state powering-off$`));
  await assert.rejects(nova.stopServer('no-such-server'), /Nova refused to stop server no-such-server: HTTP 404: Instance no-such-server could not be found/);
});

test('a next link of Nova is followed below our endpoint, also when it lacks the prefix a proxy adds or names an internal host', () => {
  const base = 'https://cloud.example.org/compute/v2.1/p1';
  assert.equal(relativeTo(base, 'https://cloud.example.org/compute/v2.1/p1/servers/detail?marker=abc&tags=sluice'), '/servers/detail?marker=abc&tags=sluice');
  // Nova behind a proxy answers with its own view of the URL: no /compute, an internal host.
  assert.equal(relativeTo(base, 'http://nova-api.internal:8774/v2.1/p1/servers/detail?marker=abc'), '/servers/detail?marker=abc');
  assert.equal(relativeTo('https://nova.example.org:8774/v2.1', 'https://nova.example.org:8774/v2.1/servers/detail?limit=2&marker=x'), '/servers/detail?limit=2&marker=x');
});
