import type { KeystoneSession } from './keystone.js';
import { OpenStackError, expectStatus } from './openstack-error.js';

export interface PortInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** The first fixed address, chosen by the cloud from the subnet's allocation pool. */
  readonly address: string | undefined;
}

/** Ports of the Networking API: each node gets one of its own, so its address is the cloud's lease. */
export class Neutron {
  constructor(private readonly session: KeystoneSession) {}

  async createPort(p: { networkId: string; name: string; description: string }, signal?: AbortSignal): Promise<PortInfo> {
    const res = await this.session.request('network', 'POST', '/v2.0/ports', {
      body: { port: { network_id: p.networkId, name: p.name, description: p.description, admin_state_up: true } }, ...(signal ? { signal } : {}),
    });
    expectStatus(res, [201, 200], `Neutron refused a port on network ${p.networkId}`);
    const port = (res.body as { port?: RawPort } | null)?.port;
    if (!port?.id) throw new OpenStackError(res.status, `Neutron created a port on network ${p.networkId} but answered no id`);
    return toPort(port);
  }

  async deletePort(id: string): Promise<void> {
    const res = await this.session.request('network', 'DELETE', `/v2.0/ports/${encodeURIComponent(id)}`);
    if (res.status === 404) return;
    expectStatus(res, [204, 200], `cannot delete port ${id}`);
  }

  async listPorts(networkId: string): Promise<PortInfo[]> {
    const res = await this.session.request('network', 'GET', `/v2.0/ports?network_id=${encodeURIComponent(networkId)}`);
    expectStatus(res, [200], `cannot list the ports of network ${networkId}`);
    return ((res.body as { ports?: RawPort[] } | null)?.ports ?? []).map(toPort);
  }
}

interface RawPort {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly fixed_ips?: readonly { readonly ip_address?: string }[];
}

function toPort(p: RawPort): PortInfo {
  return { id: p.id, name: p.name ?? '', description: p.description ?? '', address: p.fixed_ips?.find((f) => f.ip_address)?.ip_address };
}
