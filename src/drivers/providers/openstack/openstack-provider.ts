import { formatDuration } from '../../../core/duration.js';
import type { JobRole } from '../../../core/config.js';
import type { AbandonedAttempt, Execution, ExecutionOutcome, NodeProvider } from '../../../engine/node-provider.js';
import { hostsFile, roleEnvironment, runRoles, type RoleNode } from '../ssh/multi-node.js';
import { DEFAULT_HTTP_POLICY, type HttpPolicy } from '../../sources/http-policy.js';
import { Glance, type ImageInfo } from './glance.js';
import { KeystoneSession, type KeystoneCredentials } from './keystone.js';
import { SLUICE_TAG, jobKey, markerOf, nodeName, portDescription, serverMetadata, serverTags, snapshotProperties, type NodeMarker } from './marker.js';
import { Neutron, type FloatingIpInfo, type PortInfo } from './neutron.js';
import { Nova } from './nova.js';
import { orphanSnapshots, type OrphanSnapshot } from './snapshot-sweep.js';
import { abortableSleep, messageOf } from './wait.js';
import { keepsNodeAsImage } from '../../../engine/job-spec.js';

/** The booted server a job runs on, as `runOnNode` sees it. */
export interface CloudServer {
  readonly id: string;
  readonly name: string;
  /** Its address on the job's network (the port's fixed address, whatever floating IP the worker uses). */
  readonly fixedAddress?: string;
  /** Booted from an image: which, and the address the image's baseline server had (its `sluice_address` property). */
  readonly restoredFrom?: { readonly image: string; readonly address: string | undefined };
  /** Its console log, read through Nova's authenticated API (where cloud-init prints the host keys). */
  consoleOutput(signal?: AbortSignal): Promise<string>;
}

/**
 * Runs a job's commands on an ACTIVE server (`cloudSshRunOnNode` does it over SSH). The
 * provider deletes the server afterwards either way, after stopping and snapshotting a
 * green baseline.
 */
export type RunOnNode = (address: string, execution: Execution, server: CloudServer, role?: NodeRole) => Promise<ExecutionOutcome>;

/** One role of a multi-node job, as the node running it sees it: its name, its peers' variables and hosts file. */
export interface NodeRole {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  readonly hosts: string;
}

export interface OpenStackProviderOptions {
  readonly name: string;
  readonly capacity: number;
  readonly credentials: KeystoneCredentials;
  readonly flavor: string;
  readonly network: string;
  /** An external network: each server also gets a floating IP there, which the worker connects to. */
  readonly floatingNetwork?: string;
  readonly bootTimeoutMs: number;
  /** What each target boots from: `base` when provisioning, `image` when the job names none. */
  readonly targets: Readonly<Record<string, { readonly base?: string | undefined; readonly image?: string | undefined }>>;
  readonly runOnNode: RunOnNode;
  /** How often a booting server, a deleted one or a snapshot is looked at; 2 s by default. */
  readonly pollMs?: number;
  /** How long a deleted server may take to go before its port is deleted anyway; 2 min by default. */
  readonly deleteTimeoutMs?: number;
  /** How long a snapshot may take to become active; 30 min by default. */
  readonly snapshotTimeoutMs?: number;
  /**
   * Whether a green baseline's server is stopped (os-stop, then SHUTOFF awaited) before it is
   * snapshotted, so the known-good image is a cleanly shut down disk; true by default.
   * False snapshots it running.
   */
  readonly snapshotStopped?: boolean;
  /** How long a stopped server may take to read SHUTOFF; 5 min by default. */
  readonly stopTimeoutMs?: number;
  readonly http?: HttpPolicy;
  readonly log?: (line: string) => void;
}

export interface ReapCount {
  readonly servers: number;
  readonly ports: number;
  readonly floatingIps: number;
}

export interface OrphanCount extends ReapCount {
  /** Snapshots deleted in Glance. */
  readonly images: number;
}

export interface OpenStackProvider extends NodeProvider {
  reap(attempt: AbandonedAttempt): Promise<void>;
  /**
   * A restart's sweep: deletes this provider's servers and ports whose run is not live,
   * and its snapshots that no store can hold (`orphanSnapshots` says which). Given a
   * function, it is asked after the cloud was listed, so a run that started meanwhile is
   * in the answer and its new server is not taken for an orphan. `knownImageIds` (the
   * Glance ids the store knows as snapshots, asked after `liveRunIds`) lets it also delete
   * an active snapshot a crash left unrecorded. What Glance refuses is logged and left to
   * the next sweep: it never throws for Glance.
   */
  reapOrphans(liveRunIds: Iterable<string> | (() => Promise<Iterable<string>>), knownImageIds?: Iterable<string> | (() => Promise<Iterable<string>>)): Promise<OrphanCount>;
  /**
   * Snapshots a server (createImage) as it is, running or stopped, and waits until Glance
   * has the image active; answers its id. The image carries the job's marker, which the
   * orphan sweep reads.
   */
  snapshot(serverId: string, name: string, marker: NodeMarker, signal?: AbortSignal, address?: string): Promise<string>;
  /** Deletes an image in Glance (a known-good image the images pipeline pruned). */
  deleteImage(imageId: string): Promise<void>;
}

export function isOpenStackProvider(p: NodeProvider): p is OpenStackProvider {
  return typeof (p as Partial<OpenStackProvider>).deleteImage === 'function' && typeof (p as Partial<OpenStackProvider>).snapshot === 'function';
}

/** The Glance name of a baseline's snapshot, which is also its name in `sluice images list`. */
export function snapshotName(target: string, runId: string): string {
  return `sluice-${target}-${runId}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 200);
}

type Outcome = Pick<ExecutionOutcome, 'result' | 'reason'>;

/**
 * Nodes that are cloud servers: per job a Neutron port of its own (its address is leased
 * from the network's pool, so images never depend on an address and concurrent jobs of
 * one target never share one), a server booted on it from the job's image or the
 * target's base, the commands run there by `runOnNode`, then server and port deleted
 * on every path. Both carry the job's marker, so `reap` and `reapOrphans` find what a
 * crashed worker left.
 */
export function openstackProvider(opts: OpenStackProviderOptions): OpenStackProvider {
  const session = new KeystoneSession(opts.credentials, opts.http ?? { ...DEFAULT_HTTP_POLICY, timeoutMs: 60_000 });
  const nova = new Nova(session);
  const neutron = new Neutron(session);
  const glance = new Glance(session);
  const pollMs = opts.pollMs ?? 2000;
  const log = opts.log ?? (() => undefined);

  async function waitActive(serverId: string, signal: AbortSignal): Promise<Outcome | undefined> {
    const deadline = Date.now() + opts.bootTimeoutMs;
    for (;;) {
      if (signal.aborted) return { result: 'cancelled', reason: 'cancelled while the server booted' };
      const s = await nova.getServer(serverId, signal);
      if (!s) return { result: 'infra', reason: `server ${serverId} vanished while it booted` };
      if (s.status === 'ACTIVE') return undefined;
      if (s.status === 'ERROR') return { result: 'infra', reason: `server ${serverId} failed to boot: ${s.fault ?? 'Nova gave no fault'}` };
      if (Date.now() >= deadline) return { result: 'infra', reason: `server ${serverId} was not ACTIVE after ${formatDuration(opts.bootTimeoutMs)} (still ${s.status})` };
      await abortableSleep(Math.min(pollMs, Math.max(1, deadline - Date.now())), signal);
    }
  }

  /** Throws, naming the server, unless Nova shows it SHUTOFF within `stopTimeoutMs`. */
  async function stopServer(serverId: string, signal: AbortSignal): Promise<void> {
    await nova.stopServer(serverId, signal);
    const timeoutMs = opts.stopTimeoutMs ?? 5 * 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal.aborted) throw new Error(`cancelled while server ${serverId} shut down`);
      const s = await nova.getServer(serverId, signal);
      if (!s) throw new Error(`server ${serverId} vanished while it shut down`);
      if (s.status === 'SHUTOFF') return;
      if (s.status === 'ERROR') throw new Error(`server ${serverId} went to ERROR while it shut down: ${s.fault ?? 'Nova gave no fault'}`);
      if (Date.now() >= deadline) throw new Error(`server ${serverId} was not SHUTOFF ${formatDuration(timeoutMs)} after it was asked to stop (still ${s.status})`);
      await abortableSleep(Math.min(pollMs, Math.max(1, deadline - Date.now())), signal);
    }
  }

  async function deleteServers(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => nova.deleteServer(id)));
    // A port is freed once its server is gone; waiting keeps the cloud's bookkeeping tidy.
    const deadline = Date.now() + (opts.deleteTimeoutMs ?? 120_000);
    let left = [...ids];
    while (left.length > 0 && Date.now() < deadline) {
      const still = await Promise.all(left.map(async (id) => ((await nova.getServer(id)) ? id : undefined)));
      left = still.filter((id): id is string => id !== undefined);
      if (left.length > 0) await abortableSleep(pollMs);
    }
    if (left.length > 0) log(`openstack ${opts.name}: servers ${left.join(', ')} still deleting; their ports are deleted anyway`);
  }

  type CloudListing = { servers: Awaited<ReturnType<Nova['listServers']>>; ports: PortInfo[]; floatingIps: FloatingIpInfo[] };

  async function listCloud(): Promise<CloudListing> {
    return {
      servers: await nova.listServers(SLUICE_TAG), ports: await neutron.listPorts(opts.network),
      floatingIps: opts.floatingNetwork ? await neutron.listFloatingIps(opts.floatingNetwork) : [],
    };
  }

  async function reapWhere(match: (m: NonNullable<ReturnType<typeof markerOf>>) => boolean, list?: CloudListing): Promise<ReapCount> {
    const { servers, ports, floatingIps } = list ?? await listCloud();
    const mine = (m: ReturnType<typeof markerOf>): boolean => m !== undefined && m.provider === opts.name && match(m);
    const doomedIps = floatingIps.filter((f) => mine(markerOf(f.description))).map((f) => f.id);
    const doomedServers = servers.filter((s) => mine(markerOf(s.metadata))).map((s) => s.id);
    const doomedPorts = ports.filter((p) => mine(markerOf(p.description))).map((p) => p.id);
    await Promise.all(doomedIps.map((id) => neutron.deleteFloatingIp(id)));
    await deleteServers(doomedServers);
    await Promise.all(doomedPorts.map((id) => neutron.deletePort(id)));
    return { servers: doomedServers.length, ports: doomedPorts.length, floatingIps: doomedIps.length };
  }

  /** Neither throws: what Glance cannot list or delete now is logged and left to the next sweep. */
  async function listSnapshots(): Promise<ImageInfo[] | undefined> {
    try {
      return await glance.listImages({ sluice_provider: opts.name });
    } catch (e) {
      log(`openstack ${opts.name}: cannot list the snapshots in Glance: ${messageOf(e)}; the next sweep will`);
      return undefined;
    }
  }

  async function deleteSnapshots(doomed: readonly OrphanSnapshot[]): Promise<number> {
    const deleted = await Promise.all(doomed.map(async ({ image, why }) => {
      try {
        await glance.deleteImage(image.id);
        log(`openstack ${opts.name}: deleted snapshot ${image.name} (${image.id}): ${why}`);
        return true;
      } catch (e) {
        log(`openstack ${opts.name}: cannot delete snapshot ${image.name} (${image.id}) yet: ${messageOf(e)}; the next sweep will`);
        return false;
      }
    }));
    return deleted.filter(Boolean).length;
  }

  /** Never throws: what cannot be deleted now is logged and left to reap, which finds it by its marker. */
  async function release(serverId: string | undefined, portId: string | undefined, unknownServerOf: NodeMarker | undefined, floatingIpId?: string): Promise<void> {
    try {
      // A floating IP is a scarce address of the project: it goes first.
      if (floatingIpId !== undefined) await neutron.deleteFloatingIp(floatingIpId);
      if (serverId !== undefined) await deleteServers([serverId]);
      if (unknownServerOf) await reapWhere((m) => m.runId === unknownServerOf.runId && m.jobKey === jobKey(unknownServerOf.jobId) && m.attempt === unknownServerOf.attempt);
      if (portId !== undefined) await neutron.deletePort(portId);
    } catch (e) {
      log(`openstack ${opts.name}: cannot delete server ${serverId ?? '(unknown)'} / port ${portId ?? '(none)'} yet: ${messageOf(e)}; the next reap will`);
    }
  }

  /** What one node of a job holds in the cloud so far, for its release on every path. */
  interface Made {
    node: string;
    port?: PortInfo;
    serverId?: string;
    floatingIp?: FloatingIpInfo;
    asked: boolean;
    askedFloatingIp: boolean;
  }

  type Booted = { ok: true; id: string; address: string; server: CloudServer } | { ok: false; outcome: Outcome };

  /**
   * A port of its own (its address leased from the network's pool), a server booted on it
   * from the job's image or the target's base, ACTIVE, and a floating IP when the worker
   * needs one. What it made is recorded in `made` as it goes, for `releaseMade`.
   */
  async function bootNode(ex: Execution, marker: NodeMarker, label: string, made: Made): Promise<Booted> {
    const target = opts.targets[ex.spec.target];
    const ref = ex.spec.mode === 'image' ? ex.spec.image ?? target?.image : target?.base;
    if (!ref) return { ok: false, outcome: { result: 'infra', reason: ex.spec.mode === 'image' ? `target ${ex.spec.target} has no image to boot from` : `target ${ex.spec.target} has no base image to provision from` } };
    made.port = await neutron.createPort({ networkId: opts.network, name: label, description: portDescription(marker) }, ex.signal);
    const port = made.port;
    if (!port.address) return { ok: false, outcome: { result: 'infra', reason: `port ${port.id} on network ${opts.network} got no address` } };
    made.node = `openstack:${opts.name}/${label} (${port.address})`;
    const imageRef = await glance.resolve(ref, ex.signal);
    if (!imageRef) return { ok: false, outcome: { result: 'infra', reason: `no active image named ${ref}` } };
    const restoredFrom = ex.spec.mode === 'image' ? { image: ref, address: (await glance.getImage(imageRef, ex.signal))?.properties.sluice_address } : undefined;
    made.asked = true;
    made.serverId = await nova.createServer({ name: label, imageRef, flavorRef: opts.flavor, portId: port.id, metadata: serverMetadata(marker), tags: serverTags(marker) }, ex.signal);
    const id = made.serverId;
    made.node = `openstack:${opts.name}/${label} ${id} (${port.address})`;
    const boot = await waitActive(id, ex.signal);
    if (boot) return { ok: false, outcome: boot };
    let address = port.address;
    if (opts.floatingNetwork) {
      made.askedFloatingIp = true;
      made.floatingIp = await neutron.createFloatingIp({ floatingNetworkId: opts.floatingNetwork, portId: port.id, description: portDescription(marker) }, ex.signal);
      address = made.floatingIp.address;
      made.node = `openstack:${opts.name}/${label} ${id} (${port.address}, floating ${address})`;
    }
    return { ok: true, id, address, server: { id, name: label, fixedAddress: port.address, ...(restoredFrom ? { restoredFrom } : {}), consoleOutput: (signal) => nova.consoleOutput(id, signal) } };
  }

  async function releaseMade(made: Made, marker: NodeMarker): Promise<void> {
    // A create that got no answer may still have been done: the marker finds what it made.
    const unanswered = (made.asked && made.serverId === undefined) || (made.askedFloatingIp && made.floatingIp === undefined);
    await release(made.serverId, made.port?.id, unanswered ? marker : undefined, made.floatingIp?.id);
  }

  /**
   * A multi-node job: one server per role, booted at once, each on its own port; the roles
   * reach each other at their fixed addresses ($SLUICE_NODE_<ROLE>_IP). Every server and
   * port is released on every path, as for one node.
   */
  async function executeRoles(ex: Execution, roles: readonly JobRole[]): Promise<ExecutionOutcome> {
    const marker: NodeMarker = { provider: opts.name, runId: ex.runId, jobId: ex.jobId, attempt: ex.attempt };
    const mades: Made[] = roles.map((r) => ({ node: `openstack:${opts.name}/${nodeName(marker, ex.spec.target)}-${r.role}`, asked: false, askedFloatingIp: false }));
    const nodes = () => mades.map((m, i) => `${roles[i]?.role ?? ''}=${m.node}`).join(', ');
    try {
      const booted = await Promise.all(roles.map((r, i) => bootNode(ex, marker, `${nodeName(marker, ex.spec.target)}-${r.role}`.slice(0, 200), mades[i] as Made)
        .catch((e: unknown): Booted => ({ ok: false, outcome: ex.signal.aborted ? { result: 'cancelled', reason: 'cancelled while the servers booted' } : { result: 'infra', reason: `the cloud failed: ${messageOf(e)}` } }))));
      const failed = booted.findIndex((b) => !b.ok);
      const down = booted[failed];
      if (down && !down.ok) {
        return { ...down.outcome, reason: `role ${roles[failed]?.role ?? ''}: ${down.outcome.reason}`, node: nodes(), logPath: null };
      }
      const up = booted.filter((b): b is Extract<Booted, { ok: true }> => b.ok);
      const peers: RoleNode[] = roles.map((r, i) => ({ role: r.role, node: (mades[i] as Made).node, address: up[i]?.server.fixedAddress ?? up[i]?.address ?? '' }));
      const hosts = hostsFile(peers);
      const outcome = await runRoles(ex, roles, (role, execution) => {
        const i = roles.indexOf(role);
        const b = up[i];
        if (!b) return Promise.resolve<ExecutionOutcome>({ result: 'infra', reason: `role ${role.role} has no server`, node: nodes(), logPath: null });
        return opts.runOnNode(b.address, execution, b.server, { name: role.role, env: roleEnvironment(peers, role.role), hosts })
          .catch((e: unknown): ExecutionOutcome => ({ result: 'infra', reason: `the job on server ${b.server.id} (${b.address}) broke off: ${messageOf(e)}`, node: (mades[i] as Made).node, logPath: null }));
      });
      return { ...outcome, node: nodes() };
    } finally {
      await Promise.all(mades.map((m) => releaseMade(m, marker)));
    }
  }

  const provider: OpenStackProvider = {
    name: opts.name,
    capacity: opts.capacity,

    async execute(ex: Execution): Promise<ExecutionOutcome> {
      if (ex.spec.roles) return executeRoles(ex, ex.spec.roles);
      const marker: NodeMarker = { provider: opts.name, runId: ex.runId, jobId: ex.jobId, attempt: ex.attempt };
      const made: Made = { node: `openstack:${opts.name}/${nodeName(marker, ex.spec.target)}`, asked: false, askedFloatingIp: false };
      const done = (o: Outcome): ExecutionOutcome => ({ ...o, node: made.node, logPath: null });
      try {
        const booted = await bootNode(ex, marker, nodeName(marker, ex.spec.target), made);
        if (!booted.ok) return done(booted.outcome);
        const { id, address } = booted;
        let outcome: ExecutionOutcome;
        try {
          outcome = await opts.runOnNode(address, ex, booted.server);
        } catch (e) {
          return done({ result: 'infra', reason: `the job on server ${id} (${address}) broke off: ${messageOf(e)}` });
        }
        const node = made.node;
        // A green baseline is kept before the server goes: it is the target's next known-good image.
        if (keepsNodeAsImage(ex.spec) && outcome.result === 'success' && !ex.signal.aborted) {
          const name = snapshotName(ex.spec.target, ex.runId);
          // A running server's disk may hold half-written files and dirty caches; a shut down one does not.
          if (opts.snapshotStopped !== false) {
            try {
              await stopServer(id, ex.signal);
            } catch (e) {
              return { ...outcome, node, result: 'infra', reason: `the baseline passed but its server could not be stopped for its snapshot: ${messageOf(e)}` };
            }
          }
          try {
            const imageId = await provider.snapshot(id, name, marker, ex.signal, booted.server.fixedAddress);
            return { ...outcome, node, reason: `${outcome.reason}; server kept as image ${name} (${imageId})`, snapshot: { name, location: imageId } };
          } catch (e) {
            return { ...outcome, node, result: 'infra', reason: `the baseline passed but its snapshot failed: ${messageOf(e)}` };
          }
        }
        return { ...outcome, node };
      } catch (e) {
        if (ex.signal.aborted) return done({ result: 'cancelled', reason: made.serverId ? 'cancelled while the server booted' : 'cancelled before the server was made' });
        return done({ result: 'infra', reason: `the cloud failed: ${messageOf(e)}` });
      } finally {
        await releaseMade(made, marker);
      }
    },

    async reap(a: AbandonedAttempt): Promise<void> {
      await reapWhere((m) => m.runId === a.runId && m.jobKey === jobKey(a.jobId) && m.attempt === a.attempt);
    },

    async reapOrphans(liveRunIds, knownImageIds): Promise<OrphanCount> {
      const list = await listCloud();
      const snapshots = await listSnapshots();
      const live = new Set(typeof liveRunIds === 'function' ? await liveRunIds() : liveRunIds);
      // Asked after the live runs: a run that finished in between had its snapshot's
      // event written before it finished, so that image is in this answer.
      const known = knownImageIds === undefined ? undefined : new Set(typeof knownImageIds === 'function' ? await knownImageIds() : knownImageIds);
      // Snapshots first: their deletion never throws, a server's may.
      const images = snapshots ? await deleteSnapshots(orphanSnapshots({ provider: opts.name, images: snapshots, liveRunIds: live, ...(known ? { knownImageIds: known } : {}) })) : 0;
      return { ...await reapWhere((m) => !live.has(m.runId), list), images };
    },

    async snapshot(serverId: string, name: string, marker: NodeMarker, signal?: AbortSignal, address?: string): Promise<string> {
      const imageId = await nova.createImage(serverId, name, snapshotProperties(marker, serverId, address));
      const timeoutMs = opts.snapshotTimeoutMs ?? 30 * 60_000;
      const deadline = Date.now() + timeoutMs;
      try {
        for (;;) {
          const image = await glance.getImage(imageId, signal);
          if (image?.status === 'active') return imageId;
          if (!image || image.status === 'killed' || image.status === 'deleted') throw new Error(`snapshot ${name} of server ${serverId} failed: image ${imageId} is ${image?.status ?? 'gone'}`);
          if (Date.now() >= deadline) throw new Error(`snapshot ${name} of server ${serverId} was not active after ${formatDuration(timeoutMs)} (image ${imageId} still ${image.status})`);
          if (signal?.aborted) throw new Error(`snapshot ${name} of server ${serverId} cancelled (image ${imageId} is ${image.status})`);
          await abortableSleep(pollMs, signal);
        }
      } catch (e) {
        // A half-made image must not linger in Glance, nor be found by its name later.
        await glance.deleteImage(imageId).catch((d: unknown) => log(`openstack ${opts.name}: cannot delete the failed snapshot ${imageId}: ${messageOf(d)}`));
        throw e;
      }
    },

    async deleteImage(imageId: string): Promise<void> {
      await glance.deleteImage(imageId);
    },
  };
  return provider;
}
