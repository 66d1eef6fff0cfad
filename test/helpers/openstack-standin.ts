import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenStack stand-in on loopback speaking the documented REST subset Sluice uses:
 * Keystone v3 password auth (token in `X-Subject-Token`, a catalog pointing back here),
 * Nova servers (microversion header, tags from 2.52, createImage answering `image_id`
 * from 2.45 and `Location` before, `os-stop` turning a server SHUTOFF), Neutron ports with
 * addresses from an allocation pool,
 * and Glance images (properties at the top level, filters on them, pages with `limit`,
 * `marker` and a `next` link). It keeps servers, ports and images, and on request fails boots (ERROR
 * with a fault), boots slowly, or revokes every token so the next call gets 401. A test
 * says what each server prints on its console (`os-getConsoleOutput`), and may hand every
 * port one address (127.0.0.1, so a loopback sshd plays the servers).
 */

export interface StandinServer {
  readonly id: string;
  readonly name: string;
  readonly imageRef: string;
  readonly flavorRef: string;
  readonly portId: string;
  readonly metadata: Record<string, string>;
  readonly tags: string[];
  readonly readyAt: number;
  readonly fault?: string;
}

export interface StandinPort {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly networkId: string;
  readonly address: string;
  deviceId: string;
}

export interface StandinImage {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readyAt: number;
  readonly fromServer?: string;
  /** The image's own properties (Glance shows them beside the base fields). */
  readonly properties: Record<string, string>;
  /** A status other than saving-then-active: `queued`, `killed`, `deactivated`. */
  status?: string;
  protected?: boolean;
}

export const CLOUD = {
  user: 'sluice', password: 'cloud-secret', project: 'rdo-ci', domain: 'Default', network: 'net-ci', flavor: 'm1.large',
  /** An application credential the user made for the project. */
  applicationCredentialId: '6cb5fa6a13184e6fab65ba2108adf50c', applicationCredentialSecret: 'app-cred-secret',
} as const;

export class OpenStackStandin {
  readonly servers = new Map<string, StandinServer>();
  readonly ports = new Map<string, StandinPort>();
  /** Floating IPs by id: the external network's addresses, each bound to a port. */
  readonly floatingIps = new Map<string, { id: string; address: string; portId: string; networkId: string; description: string }>();
  /** The external network floating IPs come from, and the address each gets (a loopback sshd plays the servers). */
  floatingNetwork = 'ext-net';
  floatingAddress = '127.0.0.1';
  readonly images = new Map<string, StandinImage>();
  /** Glance's api_limit_max: the largest page it answers, whatever `limit` asks. */
  imagePageMax = 1000;
  readonly requests: string[] = [];
  /** Every server action asked (`os-stop`, `createImage`, ...), in order, with the server's status when it came. */
  readonly actions: { action: string; server: string; status: string }[] = [];
  /** Every token ever issued; only those in `valid` are accepted. */
  readonly issued: string[] = [];
  /** The method of each authentication that gave a token, in order. */
  readonly authMethods: string[] = [];
  private readonly valid = new Set<string>();
  bootMs = 0;
  snapshotMs = 0;
  deleteMs = 0;
  /** How long a stopped server takes to read SHUTOFF (it is ACTIVE, task_state powering-off, meanwhile). */
  stopMs = 0;
  /** When set, every port gets this address (servers are played by one loopback sshd). */
  /** Every port's address (a loopback sshd plays the servers), or a pool: each port takes the first one no other port holds. */
  portAddress: string | readonly string[] | undefined;
  /** What a server's console shows (once ACTIVE); empty by default. */
  console: (s: StandinServer) => string = () => '';
  /** The imageRef of every server ever created, in order. */
  readonly bootedFrom: string[] = [];
  private failBoots: string[] = [];
  private failures: { method: string; path: string; status: number; left: number }[] = [];
  private deleting = new Map<string, number>();
  /** When each server asked to stop reads SHUTOFF. */
  private stopping = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get authUrl(): string {
    return `${this.url}/identity/v3`;
  }

  /** An active image, as an operator would have uploaded it. */
  addImage(name: string, id: string = randomUUID()): string {
    this.images.set(id, { id, name, createdAt: new Date().toISOString(), readyAt: 0, properties: {} });
    return id;
  }

  /** A snapshot as a crashed worker would have left it: its properties, and its status (`queued`, `saving`, `killed`, `active`...). */
  leaveImage(o: { name: string; properties: Record<string, string>; status: string; protected?: boolean }): StandinImage {
    const image: StandinImage = {
      id: randomUUID(), name: o.name, createdAt: new Date().toISOString(), readyAt: 0, properties: o.properties,
      ...(o.status === 'active' ? {} : { status: o.status }), ...(o.protected ? { protected: true } : {}),
    };
    this.images.set(image.id, image);
    return image;
  }

  /** The next `times` servers go to ERROR with this fault, as Nova does when no host fits. */
  failBoot(fault: string, times = 1): void {
    for (let i = 0; i < times; i++) this.failBoots.push(fault);
  }

  /** Revokes every token: the next call with one gets 401. */
  expireTokens(): void {
    this.valid.clear();
  }

  /** Answers `status` to the next `times` requests of `method` whose path contains `path`. */
  failNext(method: string, path: string, status: number, times = 1): void {
    this.failures.push({ method, path, status, left: times });
  }

  /** A server as a crashed worker would have left it: port and server, with the marker. */
  leave(o: { metadata: Record<string, string>; tags: string[]; image: string }): StandinServer {
    const port = this.makePort(CLOUD.network, `left-${this.ports.size}`, JSON.stringify(o.metadata));
    const s: StandinServer = { id: randomUUID(), name: `left-${this.servers.size}`, imageRef: o.image, flavorRef: CLOUD.flavor, portId: port.id, metadata: o.metadata, tags: o.tags, readyAt: 0 };
    port.deviceId = s.id;
    this.servers.set(s.id, s);
    return s;
  }

  private makePort(networkId: string, name: string, description: string): StandinPort {
    const used = new Set([...this.ports.values()].map((p) => p.address));
    let n = 10;
    while (used.has(`10.0.0.${n}`)) n++;
    const pool = this.portAddress;
    const address = typeof pool === 'string' ? pool : pool ? pool.find((a) => !used.has(a)) : `10.0.0.${n}`;
    // As Neutron does when a subnet's allocation pool is used up.
    if (address === undefined) throw new Error('IpAddressGenerationFailure: no more IP addresses available on the network');
    const p: StandinPort = { id: randomUUID(), name, description, networkId, address, deviceId: '' };
    this.ports.set(p.id, p);
    return p;
  }

  /** The servers Nova still knows: a deleted one goes `deleteMs` after the DELETE. */
  liveServers(): StandinServer[] {
    return [...this.servers.keys()].map((id) => this.live(id)).filter((s): s is StandinServer => s !== undefined);
  }

  private live(id: string): StandinServer | undefined {
    const s = this.servers.get(id);
    const goneAt = this.deleting.get(id);
    if (s && goneAt !== undefined && Date.now() >= goneAt) {
      this.forget(s);
      return undefined;
    }
    return s;
  }

  private status(s: StandinServer): string {
    if (Date.now() < s.readyAt) return 'BUILD';
    const stoppedAt = this.stopping.get(s.id);
    if (stoppedAt !== undefined && Date.now() >= stoppedAt) return 'SHUTOFF';
    return s.fault ? 'ERROR' : 'ACTIVE';
  }

  /** Nova's task_state: set while an action is under way, and most actions are refused then. */
  private taskState(s: StandinServer): string | undefined {
    const stoppedAt = this.stopping.get(s.id);
    if (stoppedAt !== undefined && Date.now() < stoppedAt) return 'powering-off';
    // As Nova: the server is busy until its snapshot's data is in Glance (found against a real Nova).
    const uploading = [...this.images.values()].some((i) => i.fromServer === s.id && i.status === undefined && Date.now() < i.readyAt);
    return uploading ? 'image_uploading' : undefined;
  }

  private serverView(s: StandinServer): Record<string, unknown> {
    const status = this.status(s);
    const port = this.ports.get(s.portId);
    return {
      id: s.id, name: s.name, status, metadata: s.metadata, tags: s.tags, image: { id: s.imageRef }, flavor: { id: s.flavorRef },
      addresses: port ? { [port.networkId]: [{ addr: port.address, version: 4 }] } : {}, 'OS-EXT-STS:task_state': this.taskState(s) ?? null,
      ...(status === 'ERROR' ? { fault: { code: 500, message: s.fault, created: new Date().toISOString() } } : {}),
    };
  }

  private catalog(): unknown[] {
    const ep = (path: string) => [
      { id: randomUUID(), interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${this.url}${path}` },
      { id: randomUUID(), interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://internal.invalid:1' },
    ];
    return [
      { type: 'identity', name: 'keystone', endpoints: ep('/identity/v3') },
      { type: 'compute', name: 'nova', endpoints: ep('/compute/v2.1') },
      { type: 'network', name: 'neutron', endpoints: ep('/network') },
      { type: 'image', name: 'glance', endpoints: ep('/image') },
    ];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const failure = this.failures.find((f) => f.left > 0 && f.method === method && url.pathname.includes(f.path));
    if (failure) {
      failure.left--;
      return send(failure.status, { computeFault: { code: failure.status, message: 'injected failure' } });
    }
    let body: Record<string, unknown> = {};
    try {
      body = raw ? JSON.parse(raw) as Record<string, unknown> : {};
    } catch {
      return send(400, { badRequest: { code: 400, message: 'malformed JSON' } });
    }
    if (method === 'POST' && url.pathname === '/identity/v3/auth/tokens') return this.auth(body, send);
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || !this.valid.has(token)) return send(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const path = url.pathname;
    if (path.startsWith('/compute/v2.1/')) return this.compute(method, path.slice('/compute/v2.1'.length), url, body, req, send);
    if (path.startsWith('/network/v2.0/')) return this.network(method, path.slice('/network/v2.0'.length), url, body, send);
    if (path.startsWith('/image/v2/')) return this.image(method, path.slice('/image/v2'.length), url, send);
    send(404, { itemNotFound: { code: 404, message: `no route ${path}` } });
  }

  private auth(body: Record<string, unknown>, send: Send): void {
    const auth = body.auth as {
      identity?: { methods?: string[]; password?: { user?: { name?: string; password?: string; domain?: { name?: string } } }; application_credential?: { id?: string; secret?: string } };
      scope?: { project?: { name?: string; domain?: { name?: string } } };
    } | undefined;
    const credential = auth?.identity?.application_credential;
    if (auth?.identity?.methods?.includes('application_credential')) {
      // As Keystone: the credential's own project is the scope; asking for one is refused.
      if (auth.scope !== undefined) return send(401, { error: { code: 401, title: 'Unauthorized', message: 'Application credentials cannot request a scope.' } });
      if (credential?.id !== CLOUD.applicationCredentialId || credential.secret !== CLOUD.applicationCredentialSecret) {
        return send(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      }
      this.authMethods.push('application_credential');
      return this.issueToken(['application_credential'], send);
    }
    const user = auth?.identity?.password?.user;
    const project = auth?.scope?.project;
    if (!auth?.identity?.methods?.includes('password') || user?.name !== CLOUD.user || user.password !== CLOUD.password || user.domain?.name !== CLOUD.domain) {
      return send(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    }
    if (project?.name !== CLOUD.project || project.domain?.name !== CLOUD.domain) return send(401, { error: { code: 401, title: 'Unauthorized', message: 'not authorized for that project' } });
    this.authMethods.push('password');
    this.issueToken(['password'], send);
  }

  private issueToken(methods: string[], send: Send): void {
    const token = `gAAAA${randomUUID().replace(/-/g, '')}`;
    this.issued.push(token);
    this.valid.add(token);
    const now = Date.now();
    send(201, {
      token: {
        methods, user: { id: 'u1', name: CLOUD.user, domain: { id: 'default', name: CLOUD.domain } },
        project: { id: 'p1', name: CLOUD.project, domain: { id: 'default', name: CLOUD.domain } },
        issued_at: new Date(now).toISOString(), expires_at: new Date(now + 3_600_000).toISOString(), catalog: this.catalog(),
      },
    }, { 'X-Subject-Token': token });
  }

  private compute(method: string, path: string, url: URL, body: Record<string, unknown>, req: IncomingMessage, send: Send): void {
    const header = req.headers['openstack-api-version'];
    const version = typeof header === 'string' && /^compute (\d+)\.(\d+)$/.test(header) ? Number(header.split(' ')[1]?.split('.')[1]) : 1;
    const notFound = (what: string) => send(404, { itemNotFound: { code: 404, message: `${what} could not be found.` } });
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/servers') {
      const s = body.server as { name?: string; imageRef?: string; flavorRef?: string; networks?: { port?: string }[]; metadata?: Record<string, string>; tags?: string[] } | undefined;
      if (!s?.name || !s.imageRef || !s.flavorRef) return send(400, { badRequest: { code: 400, message: 'name, imageRef and flavorRef are required' } });
      if (s.tags && version < 52) return send(400, { badRequest: { code: 400, message: "Additional properties are not allowed ('tags' was unexpected)" } });
      if (s.flavorRef !== CLOUD.flavor) return send(400, { badRequest: { code: 400, message: `Flavor ${s.flavorRef} could not be found.` } });
      const image = this.images.get(s.imageRef);
      if (!image || Date.now() < image.readyAt) return send(400, { badRequest: { code: 400, message: `Image ${s.imageRef} could not be found.` } });
      const portId = s.networks?.[0]?.port;
      const port = portId ? this.ports.get(portId) : undefined;
      if (!port) return send(400, { badRequest: { code: 400, message: `Port ${portId} could not be found.` } });
      if (port.deviceId) return send(409, { conflictingRequest: { code: 409, message: `Port ${port.id} is still in use.` } });
      const fault = this.failBoots.shift();
      const server: StandinServer = { id: randomUUID(), name: s.name, imageRef: s.imageRef, flavorRef: s.flavorRef, portId: port.id, metadata: s.metadata ?? {}, tags: s.tags ?? [], readyAt: Date.now() + this.bootMs, ...(fault ? { fault } : {}) };
      port.deviceId = server.id;
      this.servers.set(server.id, server);
      this.bootedFrom.push(s.imageRef);
      return send(202, { server: { id: server.id, links: [{ rel: 'self', href: `${this.url}/compute/v2.1/servers/${server.id}` }], adminPass: 'x' } });
    }
    if (method === 'GET' && path === '/servers/detail') {
      const wanted = (url.searchParams.get('tags') ?? '').split(',').filter(Boolean);
      const all = this.liveServers().filter((s) => wanted.every((t) => s.tags.includes(t)));
      // Nova pages with `limit` and a `marker`; the stand-in pages by 2 to exercise it.
      const after = url.searchParams.get('marker');
      const from = after ? all.findIndex((s) => s.id === after) + 1 : 0;
      const page = all.slice(from, from + 2);
      const next = from + 2 < all.length ? [{ rel: 'next', href: `${this.url}/compute/v2.1/servers/detail?tags=${wanted.join(',')}&marker=${page[page.length - 1]?.id}` }] : [];
      return send(200, { servers: page.map((s) => this.serverView(s)), ...(next.length ? { servers_links: next } : {}) });
    }
    if ((m = path.match(/^\/servers\/([^/]+)$/))) {
      const s = this.live(m[1] as string);
      if (!s) return notFound(`Instance ${m[1]}`);
      if (method === 'GET') return send(200, { server: { ...this.serverView(s), ...(this.deleting.has(s.id) ? { 'OS-EXT-STS:task_state': 'deleting' } : {}) } });
      if (method === 'DELETE') {
        if (!this.deleting.has(s.id)) this.deleting.set(s.id, Date.now() + this.deleteMs);
        return send(204);
      }
    }
    if (method === 'POST' && (m = path.match(/^\/servers\/([^/]+)\/action$/))) {
      const s = this.live(m[1] as string);
      if (!s || this.deleting.has(s.id)) return notFound(`Instance ${m[1]}`);
      const status = this.status(s);
      this.actions.push({ action: Object.keys(body)[0] ?? '', server: s.id, status });
      // Nova's vm_state for a status, as its InstanceInvalidState message names it.
      const vmState = ({ BUILD: 'building', SHUTOFF: 'stopped' } as Record<string, string>)[status] ?? status.toLowerCase();
      const task = this.taskState(s);
      const invalid = (action: string) => send(409, { conflictingRequest: { code: 409, message: task ? `Cannot '${action}' instance ${s.id} while it is in task_state ${task}` : `Cannot '${action}' instance ${s.id} while it is in vm_state ${vmState}` } });
      if ('os-stop' in body) {
        // As Nova: only an ACTIVE or ERROR server with no task under way can be stopped.
        if ((status !== 'ACTIVE' && status !== 'ERROR') || task) return invalid('stop');
        this.stopping.set(s.id, Date.now() + this.stopMs);
        return send(202);
      }
      if ('os-getConsoleOutput' in body) {
        // Nova answers a console only for a server that has one: a building server has none yet.
        if (this.status(s) === 'BUILD') return send(409, { conflictingRequest: { code: 409, message: `Instance ${s.id} in vm_state building. Cannot get_console_output while the instance is in this state.` } });
        const length = (body['os-getConsoleOutput'] as { length?: number | string | null } | null)?.length;
        const lines = this.console(s).split('\n');
        const n = length === null || length === undefined || Number(length) < 0 ? lines.length : Number(length);
        return send(200, { output: lines.slice(Math.max(0, lines.length - n)).join('\n') });
      }
      const ci = body.createImage as { name?: string; metadata?: Record<string, string> } | undefined;
      if (!ci?.name) return send(400, { badRequest: { code: 400, message: 'unsupported action' } });
      // Nova snapshots an ACTIVE, SHUTOFF, PAUSED or SUSPENDED server (the stand-in has no pause nor suspend).
      if ((status !== 'ACTIVE' && status !== 'SHUTOFF') || task) return invalid('createImage');
      // As Nova does: the base image's properties, then the request's, then its own.
      const properties = { ...this.images.get(s.imageRef)?.properties, ...ci.metadata, instance_uuid: s.id, image_type: 'snapshot' };
      const image: StandinImage = { id: randomUUID(), name: ci.name, createdAt: new Date().toISOString(), readyAt: Date.now() + this.snapshotMs, fromServer: s.id, properties };
      this.images.set(image.id, image);
      return version >= 45 ? send(202, { image_id: image.id }) : send(202, undefined, { Location: `${this.url}/image/v2/images/${image.id}` });
    }
    send(404, { itemNotFound: { code: 404, message: `no route ${method} ${path}` } });
  }

  /** A deleted server disappears after `deleteMs`, freeing its port. */
  private forget(s: StandinServer): void {
    this.servers.delete(s.id);
    this.deleting.delete(s.id);
    this.stopping.delete(s.id);
    const port = this.ports.get(s.portId);
    if (port && port.deviceId === s.id) port.deviceId = '';
  }

  private network(method: string, path: string, url: URL, body: Record<string, unknown>, send: Send): void {
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/ports') {
      const p = body.port as { network_id?: string; name?: string; description?: string } | undefined;
      if (p?.network_id !== CLOUD.network) return send(404, { NeutronError: { type: 'NetworkNotFound', message: `Network ${p?.network_id} could not be found.`, detail: '' } });
      if ((p.description ?? '').length > 255) return send(400, { NeutronError: { type: 'HTTPBadRequest', message: 'description exceeds 255 characters', detail: '' } });
      let made: StandinPort;
      try {
        made = this.makePort(p.network_id, p.name ?? '', p.description ?? '');
      } catch (e) {
        return send(409, { NeutronError: { type: 'IpAddressGenerationFailure', message: (e as Error).message, detail: '' } });
      }
      return send(201, { port: this.portView(made) });
    }
    if (method === 'GET' && path === '/ports') {
      const net = url.searchParams.get('network_id');
      return send(200, { ports: [...this.ports.values()].filter((p) => !net || p.networkId === net).map((p) => this.portView(p)) });
    }
    if (method === 'DELETE' && (m = path.match(/^\/ports\/([^/]+)$/))) {
      if (!this.ports.delete(m[1] as string)) return send(404, { NeutronError: { type: 'PortNotFound', message: `Port ${m[1]} could not be found.`, detail: '' } });
      return send(204);
    }
    if (method === 'POST' && path === '/floatingips') {
      const f = body.floatingip as { floating_network_id?: string; port_id?: string; description?: string } | undefined;
      if (f?.floating_network_id !== this.floatingNetwork) return send(404, { NeutronError: { type: 'ExternalNetworkNotFound', message: `External network ${f?.floating_network_id} could not be found.`, detail: '' } });
      if (!f.port_id || !this.ports.has(f.port_id)) return send(404, { NeutronError: { type: 'PortNotFound', message: `Port ${f.port_id} could not be found.`, detail: '' } });
      const fip = { id: randomUUID(), address: this.floatingAddress, portId: f.port_id, networkId: f.floating_network_id, description: f.description ?? '' };
      this.floatingIps.set(fip.id, fip);
      return send(201, { floatingip: this.floatingIpView(fip) });
    }
    if (method === 'GET' && path === '/floatingips') {
      const net = url.searchParams.get('floating_network_id');
      return send(200, { floatingips: [...this.floatingIps.values()].filter((f) => !net || f.networkId === net).map((f) => this.floatingIpView(f)) });
    }
    if (method === 'DELETE' && (m = path.match(/^\/floatingips\/([^/]+)$/))) {
      if (!this.floatingIps.delete(m[1] as string)) return send(404, { NeutronError: { type: 'FloatingIPNotFound', message: `Floating IP ${m[1]} could not be found.`, detail: '' } });
      return send(204);
    }
    send(404, { NeutronError: { type: 'HTTPNotFound', message: `no route ${method} ${path}`, detail: '' } });
  }

  private floatingIpView(f: { id: string; address: string; portId: string; networkId: string; description: string }): Record<string, unknown> {
    return { id: f.id, floating_ip_address: f.address, port_id: f.portId, floating_network_id: f.networkId, description: f.description, status: 'ACTIVE' };
  }

  private portView(p: StandinPort): Record<string, unknown> {
    return { id: p.id, name: p.name, description: p.description, network_id: p.networkId, device_id: p.deviceId, admin_state_up: true, fixed_ips: [{ subnet_id: 'subnet-ci', ip_address: p.address }] };
  }

  private image(method: string, path: string, url: URL, send: Send): void {
    const view = (i: StandinImage): Record<string, unknown> => ({
      ...i.properties, id: i.id, name: i.name, status: i.status ?? (Date.now() < i.readyAt ? 'saving' : 'active'), created_at: i.createdAt,
      visibility: 'private', protected: i.protected === true,
    });
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/images') {
      // Any other query parameter is an exact match on that field or property, as in Glance.
      const paging = new Set(['limit', 'marker', 'sort_key', 'sort_dir']);
      const filters = [...url.searchParams].filter(([k]) => !paging.has(k));
      const all = [...this.images.values()].map(view).filter((i) => filters.every(([k, v]) => i[k] === v))
        .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || String(b.id).localeCompare(String(a.id)));
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), this.imagePageMax);
      const marker = url.searchParams.get('marker');
      const from = marker ? all.findIndex((i) => i.id === marker) + 1 : 0;
      if (marker && from === 0) return send(400, `<html><body><h1>400 Bad Request</h1>marker ${marker} could not be found.</body></html>`);
      const page = all.slice(from, from + limit);
      // Glance links a next page after every full one, so the last page may be empty.
      const rest = [...url.searchParams].filter(([k]) => k !== 'marker');
      const next = page.length === limit ? `/v2/images?${new URLSearchParams([...rest, ['marker', String(page[page.length - 1]?.id)]]).toString()}` : undefined;
      return send(200, { images: page, first: '/v2/images', schema: '/v2/schemas/images', ...(next ? { next } : {}) });
    }
    if (method === 'DELETE' && (m = path.match(/^\/images\/([^/]+)$/))) {
      const image = this.images.get(m[1] as string);
      if (!image) return send(404, `<html><body><h1>404 Not Found</h1>No image found with ID ${m[1]}</body></html>`);
      if (image.protected) return send(403, `<html><body><h1>403 Forbidden</h1>Image ${image.id} is protected and cannot be deleted.</body></html>`);
      this.images.delete(image.id);
      return send(204);
    }
    if (method === 'GET' && (m = path.match(/^\/images\/([^/]+)$/))) {
      const i = this.images.get(m[1] as string);
      if (!i) return send(404, `<html><body><h1>404 Not Found</h1>No image found with ID ${m[1]}</body></html>`);
      return send(200, view(i));
    }
    send(404, 'not found');
  }
}

/**
 * A console log as a server booted by cloud-init shows it: its keys-to-console module
 * prints the public host keys through `logger`, fingerprints first (see cloud-init's
 * tools/write-ssh-key-fingerprints).
 */
export function cloudInitConsole(publicKeys: readonly string[], host = 'sluice-node'): string {
  return [
    '[    0.000000] Linux version 3.10.0-229.el7.x86_64',
    `[   12.345678] cloud-init[812]: Cloud-init v. 0.7.5 running 'modules:final' at Mon, 01 Jun 2015 10:00:00 +0000.`,
    'ec2: ',
    'ec2: #############################################################',
    'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    ...publicKeys.map((k) => `ec2: 256 SHA256:xxxx root@${host} (${k.split(' ')[0]})`),
    'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    'ec2: #############################################################',
    '-----BEGIN SSH HOST KEY KEYS-----',
    ...publicKeys.map((k) => `${k.split(' ').slice(0, 2).join(' ')} root@${host}`),
    '-----END SSH HOST KEY KEYS-----',
    `[   13.000000] cloud-init[812]: Cloud-init v. 0.7.5 finished at Mon, 01 Jun 2015 10:00:01 +0000. Datasource DataSourceOpenStack.  Up 13.00 seconds`,
    '',
  ].join('\n');
}

type Send = (status: number, body?: unknown, headers?: Record<string, string>) => void;
