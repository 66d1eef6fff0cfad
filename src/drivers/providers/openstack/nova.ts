import type { KeystoneSession } from './keystone.js';
import { OpenStackError, expectStatus } from './openstack-error.js';
import { bodyOf, ConsoleBody, ImageCreated, ServerBody, ServerCreated, ServerPage, type RawServer } from './api-bodies.js';

/** 2.52 lets a server be created with tags; from 2.45 createImage answers the image id in its body. */
export const COMPUTE_MICROVERSION = '2.52';
const VERSION_HEADERS = { 'OpenStack-API-Version': `compute ${COMPUTE_MICROVERSION}`, 'X-OpenStack-Nova-API-Version': COMPUTE_MICROVERSION };

export interface ServerInfo {
  readonly id: string;
  readonly name: string;
  /** BUILD, ACTIVE, SHUTOFF, ERROR, DELETED, ... */
  readonly status: string;
  /** Nova's fault message, when the server is in ERROR. */
  readonly fault?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
}

export interface NewServer {
  readonly name: string;
  readonly imageRef: string;
  readonly flavorRef: string;
  readonly portId: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
}

/** The part of the Compute API a node needs: servers booted on a given port, and their snapshots. */
export class Nova {
  constructor(private readonly session: KeystoneSession) {}

  async createServer(s: NewServer, signal?: AbortSignal): Promise<string> {
    const res = await this.session.request('compute', 'POST', '/servers', {
      headers: VERSION_HEADERS, ...(signal ? { signal } : {}),
      body: { server: { name: s.name, imageRef: s.imageRef, flavorRef: s.flavorRef, networks: [{ port: s.portId }], metadata: s.metadata, tags: s.tags } },
    });
    expectStatus(res, [202, 200], `Nova refused to create server ${s.name}`);
    const id = bodyOf(res, ServerCreated, `Nova's answer to creating server ${s.name}`).server?.id;
    if (!id) throw new OpenStackError(res.status, `Nova created server ${s.name} but answered no id`);
    return id;
  }

  /** The server, or undefined when Nova no longer knows it. */
  async getServer(id: string, signal?: AbortSignal): Promise<ServerInfo | undefined> {
    const res = await this.session.request('compute', 'GET', `/servers/${encodeURIComponent(id)}`, { headers: VERSION_HEADERS, ...(signal ? { signal } : {}) });
    if (res.status === 404) return undefined;
    expectStatus(res, [200], `cannot read server ${id}`);
    return toServer(bodyOf(res, ServerBody, `Nova's server ${id}`).server);
  }

  /** Deleting a server that is already gone is done. */
  async deleteServer(id: string): Promise<void> {
    const res = await this.session.request('compute', 'DELETE', `/servers/${encodeURIComponent(id)}`, { headers: VERSION_HEADERS });
    if (res.status === 404) return;
    expectStatus(res, [204, 202, 200], `cannot delete server ${id}`);
  }

  /** Every server carrying `tag`, following Nova's pages. */
  async listServers(tag: string): Promise<ServerInfo[]> {
    const servers: ServerInfo[] = [];
    let path: string | undefined = `/servers/detail?tags=${encodeURIComponent(tag)}`;
    const base = await this.session.endpoint('compute');
    while (path !== undefined) {
      const res = await this.session.request('compute', 'GET', path, { headers: VERSION_HEADERS });
      expectStatus(res, [200], `cannot list the servers tagged ${tag}`);
      const body = bodyOf(res, ServerPage, `Nova's servers tagged ${tag}`);
      servers.push(...(body.servers ?? []).map(toServer));
      const next = body.servers_links?.find((l) => l.rel === 'next')?.href;
      path = next && (body.servers ?? []).length > 0 ? relativeTo(base, next) : undefined;
    }
    return servers;
  }

  /**
   * The server's console log (what cloud-init prints its host keys to), all of it: the
   * keys come late in the boot, and Nova caps the log's size itself.
   */
  async consoleOutput(serverId: string, signal?: AbortSignal): Promise<string> {
    const res = await this.session.request('compute', 'POST', `/servers/${encodeURIComponent(serverId)}/action`, {
      headers: VERSION_HEADERS, body: { 'os-getConsoleOutput': { length: null } }, ...(signal ? { signal } : {}),
    });
    expectStatus(res, [200], `cannot read the console of server ${serverId}`);
    const output = bodyOf(res, ConsoleBody, `the console of server ${serverId}`).output;
    return typeof output === 'string' ? output : '';
  }

  /**
   * Asks Nova to shut the server down; it answers 202 at once and the status turns SHUTOFF
   * later (the guest gets an ACPI shutdown, and is powered off after Nova's shutdown_timeout).
   * Nova answers 409 for a server already stopped, but also for a locked one or one busy with
   * another task: only the first is done, so a 409 is believed only once the server reads SHUTOFF.
   */
  async stopServer(id: string, signal?: AbortSignal): Promise<void> {
    const res = await this.session.request('compute', 'POST', `/servers/${encodeURIComponent(id)}/action`, {
      headers: VERSION_HEADERS, body: { 'os-stop': null }, ...(signal ? { signal } : {}),
    });
    if (res.status === 409 && (await this.getServer(id, signal))?.status === 'SHUTOFF') return;
    expectStatus(res, [202], `Nova refused to stop server ${id}`);
  }

  /** Starts a snapshot of the server; answers the new image's id (body from 2.45, Location header before). */
  async createImage(serverId: string, name: string, metadata: Readonly<Record<string, string>>): Promise<string> {
    const res = await this.session.request('compute', 'POST', `/servers/${encodeURIComponent(serverId)}/action`, { headers: VERSION_HEADERS, body: { createImage: { name, metadata } } });
    expectStatus(res, [202, 200], `Nova refused to snapshot server ${serverId}`);
    const id = bodyOf(res, ImageCreated, `Nova's answer to the snapshot of server ${serverId}`).image_id ?? res.headers.get('location')?.replace(/\/+$/, '').split('/').pop();
    if (!id) throw new OpenStackError(res.status, `Nova accepted the snapshot of server ${serverId} but answered no image id`);
    return id;
  }
}


function toServer(s: RawServer): ServerInfo {
  return {
    id: s.id, name: s.name ?? '', status: s.status ?? 'UNKNOWN', metadata: s.metadata ?? {}, tags: s.tags ?? [],
    ...(s.fault?.message ? { fault: s.fault.message } : {}),
  };
}

/**
 * A `next` link is absolute (and may name an internal host, or lack the prefix a proxy in
 * front of Nova adds to the catalog's endpoint): keep its path below our endpoint, or from
 * the resource's own segment (`/servers`) on, and its query.
 */
export function relativeTo(base: string, href: string, resource = '/servers'): string {
  const link = new URL(href, `${base}/`);
  const basePath = new URL(`${base}/`).pathname.replace(/\/+$/, '');
  const at = link.pathname.lastIndexOf(resource);
  const path = basePath !== '' && link.pathname.startsWith(`${basePath}/`) ? link.pathname.slice(basePath.length) : at >= 0 ? link.pathname.slice(at) : link.pathname;
  return `${path}${link.search}`;
}
