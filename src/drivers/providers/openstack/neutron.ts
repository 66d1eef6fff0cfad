import type { KeystoneSession } from './keystone.js';
import { OpenStackError, expectStatus } from './openstack-error.js';
import { bodyOf, FloatingIpBody, FloatingIpPage, PortBody, PortPage, type RawFloatingIp, type RawPort } from './api-bodies.js';

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
    const port = bodyOf(res, PortBody, `Neutron's new port on network ${p.networkId}`).port;
    if (!port?.id) throw new OpenStackError(res.status, `Neutron created a port on network ${p.networkId} but answered no id`);
    return toPort(port);
  }

  async deletePort(id: string): Promise<void> {
    const res = await this.session.request('network', 'DELETE', `/v2.0/ports/${encodeURIComponent(id)}`);
    if (res.status === 404) return;
    expectStatus(res, [204, 200], `cannot delete port ${id}`);
  }

  /** A floating IP on `floatingNetworkId` bound to the port: how a worker outside the tenant network reaches the server. */
  async createFloatingIp(p: { floatingNetworkId: string; portId: string; description: string }, signal?: AbortSignal): Promise<FloatingIpInfo> {
    const res = await this.session.request('network', 'POST', '/v2.0/floatingips', {
      body: { floatingip: { floating_network_id: p.floatingNetworkId, port_id: p.portId, description: p.description } }, ...(signal ? { signal } : {}),
    });
    expectStatus(res, [201, 200], `Neutron refused a floating IP on network ${p.floatingNetworkId}`);
    const fip = bodyOf(res, FloatingIpBody, `Neutron's new floating IP on network ${p.floatingNetworkId}`).floatingip;
    if (!fip?.id || !fip.floating_ip_address) throw new OpenStackError(res.status, `Neutron made a floating IP on network ${p.floatingNetworkId} but answered no id or address`);
    return toFloatingIp(fip);
  }

  async deleteFloatingIp(id: string): Promise<void> {
    const res = await this.session.request('network', 'DELETE', `/v2.0/floatingips/${encodeURIComponent(id)}`);
    if (res.status === 404) return;
    expectStatus(res, [204, 200], `cannot delete floating IP ${id}`);
  }

  /** The project's floating IPs on one external network (the marker is in their description). */
  async listFloatingIps(floatingNetworkId: string): Promise<FloatingIpInfo[]> {
    const res = await this.session.request('network', 'GET', `/v2.0/floatingips?floating_network_id=${encodeURIComponent(floatingNetworkId)}`);
    expectStatus(res, [200], `cannot list the floating IPs of network ${floatingNetworkId}`);
    return (bodyOf(res, FloatingIpPage, `the floating IPs of network ${floatingNetworkId}`).floatingips ?? []).map(toFloatingIp);
  }

  async listPorts(networkId: string): Promise<PortInfo[]> {
    const res = await this.session.request('network', 'GET', `/v2.0/ports?network_id=${encodeURIComponent(networkId)}`);
    expectStatus(res, [200], `cannot list the ports of network ${networkId}`);
    return (bodyOf(res, PortPage, `the ports of network ${networkId}`).ports ?? []).map(toPort);
  }
}

export interface FloatingIpInfo {
  readonly id: string;
  readonly address: string;
  readonly description: string;
}


function toFloatingIp(f: RawFloatingIp): FloatingIpInfo {
  return { id: f.id, address: f.floating_ip_address ?? '', description: f.description ?? '' };
}


function toPort(p: RawPort): PortInfo {
  return { id: p.id, name: p.name ?? '', description: p.description ?? '', address: p.fixed_ips?.find((f) => f.ip_address)?.ip_address };
}
