import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Execution, ExecutionOutcome } from '../../../../src/engine/node-provider.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import { Glance } from '../../../../src/drivers/providers/openstack/glance.js';
import { KeystoneSession, type ApplicationCredentials, type PasswordCredentials } from '../../../../src/drivers/providers/openstack/keystone.js';
import { portDescription, serverMetadata, serverTags, snapshotProperties, type NodeMarker } from '../../../../src/drivers/providers/openstack/marker.js';
import { Neutron } from '../../../../src/drivers/providers/openstack/neutron.js';
import { Nova } from '../../../../src/drivers/providers/openstack/nova.js';
import { openstackProvider, type OpenStackProviderOptions, type RunOnNode } from '../../../../src/drivers/providers/openstack/openstack-provider.js';

/**
 * The provider's API-level cases, written only against the OpenStack APIs (no peeking
 * into a stand-in's state), so one body runs against the stand-in and against a real
 * cloud: cloud-api-standin.test.ts and cloud-api-real.test.ts each register it.
 */
export interface CloudUnderTest {
  readonly password: PasswordCredentials;
  readonly applicationCredential: ApplicationCredentials;
  readonly flavor: string;
  readonly network: string;
  readonly floatingNetwork: string;
  /** The name of an active image in Glance (a target's base), and the id of another. */
  readonly baseImageName: string;
  readonly goldenImageId: string;
  /** How long the next snapshots take to upload their data (Glance shows them saving meanwhile). */
  setSnapshotUploadMs(ms: number): void;
  readonly pollMs: number;
}

export interface CloudApiOptions {
  /** Why the cases cannot run here; they are registered skipped with it. */
  readonly skip?: string;
  /** Each case's time limit. */
  readonly timeoutMs: number;
}

const FAST = { timeoutMs: 30_000, attempts: 2, backoffMs: 50 };
const ACTIVE_OR_SAVING = ['queued', 'saving', 'active'];

export function registerCloudApiCases(label: string, cloudOf: () => CloudUnderTest, o: CloudApiOptions): void {
  // A provider name of this process only: what it sweeps is what this process made.
  const providerName = `api-${randomUUID().slice(0, 8)}`;
  const runOf = (what: string) => `${what}${randomUUID().slice(0, 6)}`;
  const options = { timeout: o.timeoutMs, ...(o.skip ? { skip: o.skip } : {}) };
  const cases = (name: string, fn: () => Promise<void>) => test(`${label}: ${name}`, options, fn);

  const session = () => new KeystoneSession(cloudOf().password, FAST);
  const apis = () => { const s = session(); return { nova: new Nova(s), neutron: new Neutron(s), glance: new Glance(s) }; };

  function provider(runOnNode: RunOnNode, more: Partial<OpenStackProviderOptions> = {}) {
    const c = cloudOf();
    return openstackProvider({
      name: providerName, capacity: 4, credentials: c.password, flavor: c.flavor, network: c.network, bootTimeoutMs: 120_000,
      targets: { 'kilo/el7': { base: c.baseImageName, image: c.goldenImageId } }, runOnNode, pollMs: c.pollMs, http: FAST, snapshotTimeoutMs: 120_000, ...more,
    });
  }

  function execution(runId: string, mode: 'image' | 'provision' = 'image', pipeline: JobSpec['pipeline'] = 'phase1'): Execution {
    const spec: JobSpec = {
      pipeline, ...(pipeline === 'images' ? { stage: 'baseline' as const } : {}), updateId: 'hkvc', target: 'kilo/el7', provider: providerName, builds: [], mode,
      image: mode === 'provision' ? null : cloudOf().goldenImageId, modeBecause: 'test', command: 'run-tests', timeoutMs: 60_000,
    };
    return { runId, jobId: `${runId}.kilo_el7`, attempt: 1, spec, updateFiles: [], signal: new AbortController().signal };
  }

  const passed = (node: string): ExecutionOutcome => ({ result: 'success', reason: 'the tests passed', node, logPath: null });

  /** The marked resources of this process's provider still in the cloud. */
  async function left(name = providerName): Promise<{ servers: string[]; ports: string[]; floatingIps: string[] }> {
    const { nova, neutron } = apis();
    const mine = (text: string) => text.includes(`"sluice_provider":"${name}"`);
    return {
      servers: (await nova.listServers('sluice')).filter((s) => s.metadata.sluice_provider === name).map((s) => s.id),
      ports: (await neutron.listPorts(cloudOf().network)).filter((p) => mine(p.description)).map((p) => p.id),
      floatingIps: (await neutron.listFloatingIps(cloudOf().floatingNetwork)).filter((f) => mine(f.description)).map((f) => f.id),
    };
  }

  /** A server with port (and floating IP) as a crashed worker leaves them, made through the APIs. */
  async function leave(runId: string, o: { provider?: string; floatingIp?: boolean } = {}): Promise<{ serverId: string; portId: string; floatingIpId?: string; marker: NodeMarker }> {
    const { nova, neutron } = apis();
    const c = cloudOf();
    const marker: NodeMarker = { provider: o.provider ?? providerName, runId, jobId: `${runId}.kilo_el7`, attempt: 1 };
    const port = await neutron.createPort({ networkId: c.network, name: `left-${runId}`, description: portDescription(marker) });
    const serverId = await nova.createServer({ name: `left-${runId}`, imageRef: c.goldenImageId, flavorRef: c.flavor, portId: port.id, metadata: serverMetadata(marker), tags: serverTags(marker) });
    const fip = o.floatingIp ? await neutron.createFloatingIp({ floatingNetworkId: c.floatingNetwork, portId: port.id, description: portDescription(marker) }) : undefined;
    return { serverId, portId: port.id, marker, ...(fip ? { floatingIpId: fip.id } : {}) };
  }

  async function waitStatus(serverId: string, status: string): Promise<void> {
    const { nova } = apis();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = await nova.getServer(serverId);
      if (s?.status === status) return;
      assert.ok(Date.now() < deadline, `server ${serverId} is ${s?.status ?? 'gone'}, not ${status}`);
      await new Promise((r) => setTimeout(r, cloudOf().pollMs));
    }
  }

  /** Statuses Glance showed for the images named, in order, sampled until `until` settles. */
  async function watchImages(until: Promise<unknown>, names: () => string[]): Promise<Map<string, string[]>> {
    const { glance } = apis();
    const seen = new Map<string, string[]>();
    let done = false;
    void until.finally(() => { done = true; });
    for (let last = false; !last;) {
      last = done;
      for (const image of await glance.listImages({ sluice_provider: providerName })) {
        if (!names().includes(image.name)) continue;
        const statuses = seen.get(image.id) ?? [];
        if (statuses.at(-1) !== image.status) statuses.push(image.status);
        seen.set(image.id, statuses);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return seen;
  }

  cases('a password token is project-scoped and its catalog names compute, network and image; a wrong password is refused naming the user', async () => {
    const s = session();
    for (const service of ['compute', 'network', 'image'] as const) assert.match(await s.endpoint(service), /^https?:\/\/127\.0\.0\.1:\d+(\/|$)/);
    assert.equal((await s.request('network', 'GET', '/v2.0/ports')).status, 200);
    const wrong = new KeystoneSession({ ...cloudOf().password, password: 'nope' }, FAST);
    await assert.rejects(wrong.endpoint('compute'), new RegExp(`^OpenStackError: Keystone refused the authentication of ${cloudOf().password.username} to project ${cloudOf().password.projectName}: HTTP 401`));
  });

  cases('an application credential authenticates without a scope; a wrong secret is refused naming the credential, never the secret', async () => {
    const c = cloudOf().applicationCredential;
    const s = new KeystoneSession(c, FAST);
    assert.equal((await s.request('compute', 'GET', '/servers/detail?tags=sluice')).status, 200);
    const refused = await new KeystoneSession({ ...c, applicationCredentialSecret: 'not-the-secret' }, FAST).endpoint('compute').then(() => '', (e: Error) => e.message);
    assert.match(refused, new RegExp(`^Keystone refused the authentication of application credential ${c.applicationCredentialId}: HTTP 401`));
    assert.doesNotMatch(refused, /not-the-secret/);
  });

  cases('boots from the job\'s image and, provisioning, from the base found by name; the job runs on the port\'s address; server and port are deleted', async () => {
    const { nova, glance } = apis();
    const baseId = await glance.resolve(cloudOf().baseImageName);
    assert.ok(baseId, 'the base image is found by its name');
    for (const [mode, imageId] of [['image', cloudOf().goldenImageId], ['provision', baseId]] as const) {
      const runId = runOf('rBoot');
      let seen: { status: string; tags: readonly string[]; metadata: Readonly<Record<string, string>> } | undefined;
      let address = '';
      const out = await provider(async (a, _ex, server) => {
        address = a;
        const s = await nova.getServer(server.id);
        seen = s && { status: s.status, tags: s.tags, metadata: s.metadata };
        assert.equal(server.fixedAddress, a);
        return passed(a);
      }).execute(execution(runId, mode));
      assert.equal(out.result, 'success', out.reason);
      assert.match(address, /^10\.0\.0\.\d+$/);
      assert.equal(seen?.status, 'ACTIVE');
      assert.deepEqual([...(seen?.tags ?? [])].sort(), ['sluice', `sluice-run-${runId}`].sort());
      assert.deepEqual(seen?.metadata, { sluice_provider: providerName, sluice_run: runId, sluice_job: `${runId}.kilo_el7`, sluice_attempt: '1' });
      const serverId = /([0-9a-f-]{36})/.exec(out.node)?.[1] ?? '';
      const booted = await new KeystoneSession(cloudOf().password, FAST).request('compute', 'GET', `/servers/${serverId}`);
      assert.equal(booted.status, 404, `${mode}: the server is gone`);
      assert.ok(imageId);
    }
    assert.deepEqual(await left(), { servers: [], ports: [], floatingIps: [] });
  });

  cases('with a floating network, the job reaches its server at a floating IP bound to its own port, deleted with it', async () => {
    const { neutron } = apis();
    const runId = runOf('rFip');
    let during: { address: string; listed: string[] } | undefined;
    const out = await provider(async (a) => {
      const fips = (await neutron.listFloatingIps(cloudOf().floatingNetwork)).filter((f) => f.description.includes(runId));
      during = { address: a, listed: fips.map((f) => f.address) };
      return passed(a);
    }, { floatingNetwork: cloudOf().floatingNetwork }).execute(execution(runId));
    assert.equal(out.result, 'success', out.reason);
    assert.deepEqual(during?.listed, [during?.address], 'the worker connected to the one floating IP of the job');
    assert.match(out.node, /\(10\.0\.0\.\d+, floating [0-9.]+\)$/);
    assert.deepEqual(await left(), { servers: [], ports: [], floatingIps: [] });
    const missing = await provider(async (a) => passed(a), { floatingNetwork: randomUUID() }).execute(execution(runOf('rNoNet')));
    assert.equal(missing.result, 'infra');
    assert.match(missing.reason, /Neutron refused a floating IP on network [0-9a-f-]{36}: HTTP 404/);
    assert.deepEqual(await left(), { servers: [], ports: [], floatingIps: [] });
  });

  cases('a green images baseline\'s snapshot (server stopped first) is answered once Glance shows it active after saving, carries the job\'s marker, and boots', async () => {
    cloudOf().setSnapshotUploadMs(1500);
    const { glance } = apis();
    const runId = runOf('rSnap');
    let serverId = '';
    const p = provider(async (a, _ex, server) => { serverId = server.id; return passed(a); });
    const running = p.execute(execution(runId, 'provision', 'images'));
    const watched = watchImages(running, () => [`sluice-kilo_el7-${runId}`]);
    const out = await running;
    assert.equal(out.result, 'success', out.reason);
    const id = out.snapshot?.location ?? '';
    const statuses = (await watched).get(id) ?? [];
    assert.equal(statuses.at(-1), 'active');
    assert.ok(statuses.includes('saving'), `Glance showed the snapshot saving before active: ${statuses.join(' → ')}`);
    assert.deepEqual(statuses.filter((s) => !ACTIVE_OR_SAVING.includes(s)), [], `only queued, saving, active: ${statuses.join(' → ')}`);
    assert.deepEqual(statuses, [...statuses].sort((a, b) => ACTIVE_OR_SAVING.indexOf(a) - ACTIVE_OR_SAVING.indexOf(b)), 'in that order');
    const image = await glance.getImage(id);
    assert.equal(image?.name, `sluice-kilo_el7-${runId}`);
    assert.deepEqual(
      [image?.properties.sluice_provider, image?.properties.sluice_run, image?.properties.sluice_snapshot_of, image?.properties.instance_uuid],
      [providerName, runId, serverId, serverId],
    );
    assert.match(image?.properties.sluice_address ?? '', /^10\.0\.0\.\d+$/);
    // Booting from the snapshot: a job of the image mode on the new known-good image.
    let restored: { image: string; address: string | undefined } | undefined;
    const again = await provider(async (a, _ex, server) => { restored = server.restoredFrom; return passed(a); }).execute({ ...execution(runOf('rFromSnap')), spec: { ...execution('x').spec, image: id } });
    assert.equal(again.result, 'success', again.reason);
    assert.deepEqual(restored, { image: id, address: image?.properties.sluice_address });
    await p.deleteImage(id);
    assert.equal(await glance.getImage(id), undefined);
    assert.deepEqual(await left(), { servers: [], ports: [], floatingIps: [] });
  });

  cases('Nova refuses a second snapshot of a server while the first is uploading (409, its task state), and a stop of a stopped server is done', async () => {
    const { nova, glance } = apis();
    const s = await leave(runOf('rBusy'));
    await waitStatus(s.serverId, 'ACTIVE');
    cloudOf().setSnapshotUploadMs(4000);
    const first = await nova.createImage(s.serverId, 'sluice-busy-1', snapshotProperties(s.marker, s.serverId));
    await assert.rejects(nova.createImage(s.serverId, 'sluice-busy-2', snapshotProperties(s.marker, s.serverId)), new RegExp(`Nova refused to snapshot server ${s.serverId}: HTTP 409: Cannot 'createImage' instance ${s.serverId} while it is in task_state image_`));
    const deadline = Date.now() + 60_000;
    while ((await glance.getImage(first))?.status !== 'active') {
      assert.ok(Date.now() < deadline, 'the first snapshot became active');
      await new Promise((r) => setTimeout(r, cloudOf().pollMs));
    }
    await waitTaskDone(s.serverId);
    await nova.stopServer(s.serverId);
    await waitStatus(s.serverId, 'SHUTOFF');
    await nova.stopServer(s.serverId);
    await glance.deleteImage(first);
    assert.deepEqual(await provider(async (a) => passed(a)).reapOrphans([]), { servers: 1, ports: 1, floatingIps: 0, images: 0 });
  });

  /** Nova's task state is cleared once an upload finished; a stop asked before would be refused 409. */
  async function waitTaskDone(serverId: string): Promise<void> {
    const s = session();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await s.request('compute', 'GET', `/servers/${serverId}`, { headers: { 'OpenStack-API-Version': 'compute 2.52' } });
      if ((res.body as { server?: Record<string, unknown> }).server?.['OS-EXT-STS:task_state'] == null) return;
      assert.ok(Date.now() < deadline, `server ${serverId} still busy`);
      await new Promise((r) => setTimeout(r, cloudOf().pollMs));
    }
  }

  cases('a snapshot not active in time is deleted while Glance still has it saving, and is gone', async () => {
    const s = await leave(runOf('rSlow'));
    await waitStatus(s.serverId, 'ACTIVE');
    cloudOf().setSnapshotUploadMs(30_000);
    const { glance } = apis();
    const p = provider(async (a) => passed(a), { snapshotTimeoutMs: 1500 });
    const running = p.snapshot(s.serverId, `sluice-slow-${s.marker.runId}`, s.marker);
    const watched = watchImages(running.catch(() => undefined), () => [`sluice-slow-${s.marker.runId}`]);
    await assert.rejects(running, /was not active after 1500ms \(image [0-9a-f-]{36} still (queued|saving)\)/);
    const [[id, statuses] = ['', []]] = [...(await watched).entries()];
    assert.ok(statuses.every((st) => st === 'queued' || st === 'saving'), statuses.join(' → '));
    const after = await glance.getImage(id);
    assert.ok(after === undefined || after.status === 'deleted', `the half-made snapshot is gone: ${after?.status ?? ''}`);
    cloudOf().setSnapshotUploadMs(500);
    await waitTaskDone(s.serverId);
    assert.deepEqual((await p.reapOrphans([])).servers, 1);
  });

  cases('the orphan sweep deletes the servers, ports, floating IPs and unfinished snapshots of finished runs, and keeps the live run\'s', async () => {
    const { nova, glance, neutron } = apis();
    const dead = runOf('rDead');
    const live = runOf('rLive');
    // A provider of this case only: what other cases left does not count here.
    const sweeper = `${providerName}-sweep`;
    const doomed = await leave(dead, { floatingIp: true, provider: sweeper });
    const kept = await leave(live, { floatingIp: true, provider: sweeper });
    const other = await leave(dead, { provider: `${sweeper}-other` });
    await waitStatus(doomed.serverId, 'ACTIVE');
    await waitStatus(kept.serverId, 'ACTIVE');
    // A snapshot of the dead run's server still uploading: the sweep deletes it while it is saving.
    cloudOf().setSnapshotUploadMs(20_000);
    const half = await nova.createImage(doomed.serverId, `sluice-kilo_el7-${dead}`, snapshotProperties(doomed.marker, doomed.serverId));
    const p = provider(async (a) => passed(a), { name: sweeper, floatingNetwork: cloudOf().floatingNetwork });
    const count = await p.reapOrphans(async () => [live]);
    assert.deepEqual(count, { servers: 1, ports: 1, floatingIps: 1, images: 1 });
    const now = await left(sweeper);
    assert.deepEqual(now.servers, [kept.serverId]);
    assert.deepEqual(now.ports, [kept.portId]);
    assert.deepEqual(now.floatingIps, [kept.floatingIpId]);
    const gone = await glance.getImage(half);
    assert.ok(gone === undefined || gone.status === 'deleted', `the saving snapshot was deleted: ${gone?.status ?? ''}`);
    assert.ok(await nova.getServer(other.serverId), 'another provider\'s server is not touched');
    cloudOf().setSnapshotUploadMs(500);
    assert.deepEqual(await p.reapOrphans([]), { servers: 1, ports: 1, floatingIps: 1, images: 0 });
    assert.deepEqual(await left(sweeper), { servers: [], ports: [], floatingIps: [] });
    await nova.deleteServer(other.serverId);
    await neutron.deletePort(other.portId).catch(() => undefined);
  });

  cases('a server already gone: its read is undefined, its delete is done, and a stop or snapshot of it is refused with Nova\'s 404', async () => {
    const { nova, neutron } = apis();
    const s = await leave(runOf('rGone'));
    await nova.deleteServer(s.serverId);
    const deadline = Date.now() + 60_000;
    while (await nova.getServer(s.serverId)) {
      assert.ok(Date.now() < deadline, 'the server went');
      await new Promise((r) => setTimeout(r, cloudOf().pollMs));
    }
    await nova.deleteServer(s.serverId);
    await assert.rejects(nova.stopServer(s.serverId), new RegExp(`Nova refused to stop server ${s.serverId}: HTTP 404: Instance ${s.serverId} could not be found`));
    await assert.rejects(provider(async (a) => passed(a)).snapshot(s.serverId, 'x', s.marker), new RegExp(`Nova refused to snapshot server ${s.serverId}: HTTP 404: Instance ${s.serverId} could not be found`));
    await neutron.deletePort(s.portId);
    await neutron.deletePort(s.portId);
  });
}
