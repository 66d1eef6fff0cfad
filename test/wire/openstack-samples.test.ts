import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Glance } from '../../src/drivers/providers/openstack/glance.js';
import { KeystoneSession, type KeystoneCredentials } from '../../src/drivers/providers/openstack/keystone.js';
import { Neutron } from '../../src/drivers/providers/openstack/neutron.js';
import { Nova } from '../../src/drivers/providers/openstack/nova.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

/**
 * The OpenStack API-reference samples (../shared/wire/openstack: keystone, nova, glance,
 * neutron) answered by a loopback cloud drive the provider's real clients, and what they
 * read is what the samples say. The only change to a sample: the service catalog's hosts
 * (23.253.248.171:PORT) are replaced by the loopback server, a path prefix per port, so
 * that the clients' requests reach it.
 */

type Json = Record<string, unknown>;
const POLICY = { timeoutMs: 5000, attempts: 2, backoffMs: 5 };
const DOC_HOST = /http:\/\/23\.253\.248\.171:(\d+)/g;

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

interface Cloud {
  readonly authUrl: string;
  readonly seen: Seen[];
}

/** Answers each request with a sample: [status, file (or a value), headers]. */
type Route = (method: string, path: string, query: URLSearchParams, body: unknown) => readonly [number, string | Json | null, Record<string, string>?] | undefined;

async function sampleCloud(t: TestContext, dir: string, token: string, route: Route): Promise<Cloud> {
  const seen: Seen[] = [];
  let origin = '';
  const sample = (file: string) => readFileSync(join(dir, file), 'utf8');
  // The documented headers of a password authentication (its X-Subject-Token among them).
  const authHeaders = Object.fromEntries(sample('keystone/auth-password-user-name-unscoped-response-HTTP.txt').split('\n').slice(1)
    .map((l) => l.split(/:\s*/, 2)).filter((kv) => kv.length === 2 && !/^(content-length|date|server)$/i.test(kv[0] as string)) as [string, string][]);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://cloud');
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) as unknown : undefined;
      const method = req.method ?? 'GET';
      seen.push({ method, path: `${url.pathname}${url.search}`, headers: req.headers, body });
      if (method === 'POST' && url.pathname === '/identity/v3/auth/tokens') {
        res.writeHead(201, { ...authHeaders, 'content-type': 'application/json' });
        return void res.end(sample(token).replace(DOC_HOST, `${origin}/port-$1`));
      }
      const answer = route(method, url.pathname, url.searchParams, body);
      if (!answer) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ itemNotFound: { code: 404, message: `no sample for ${method} ${url.pathname}` } }));
      const [status, file, headers = {}] = answer;
      const payload = typeof file === 'string' ? sample(file) : file === null ? '' : JSON.stringify(file);
      res.writeHead(status, { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers }).end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { authUrl: `${origin}/identity`, seen };
}

const password = (authUrl: string): KeystoneCredentials => ({ authUrl, username: 'admin', password: 'devstacker', userDomainName: 'Default', projectName: 'admin', projectDomainName: 'Default', region: 'RegionOne' });
/** The samples' tokens expired in 2015: the session's clock is set before then. */
const IN_2015 = () => Date.UTC(2015, 10, 5, 12);

function read(dir: string, file: string): Json {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json;
}

const serverFields = (s: Json) => ({ id: s.id, name: s.name, status: s.status, metadata: s.metadata ?? {}, tags: s.tags ?? [] });

test('keystone: a password token\'s catalog gives the public compute, network and image endpoints; the application-credential request is the documented one', async (t) => {
  const dir = sharedPath('wire', 'openstack');
  if (!dir) return t.skip(NO_SHARED);
  for (const token of ['keystone/auth-password-project-scoped-response.json', 'keystone/auth-token-scoped-response.json']) {
    const cloud = await sampleCloud(t, dir, token, () => undefined);
    const session = new KeystoneSession(password(cloud.authUrl), POLICY, IN_2015);
    const project: string = String(((read(dir, token).token as Json).project as Json).id);
    assert.equal(await session.endpoint('compute'), `${cloud.authUrl.replace('/identity', '')}/port-8774/v2.1/${project}`, token);
    assert.equal(await session.endpoint('network'), `${cloud.authUrl.replace('/identity', '')}/port-9696`, token);
    assert.equal(await session.endpoint('image'), `${cloud.authUrl.replace('/identity', '')}/port-9292`, token);
    assert.equal(cloud.seen.length, 1, 'one authentication, while the token lives');
  }
  const request = read(dir, 'keystone/auth-application-credential-id-request.json');
  const credential = ((request.auth as Json).identity as Json).application_credential as Json;
  const cloud = await sampleCloud(t, dir, 'keystone/auth-application-credential-response.json', () => undefined);
  const session = new KeystoneSession({ authUrl: cloud.authUrl, applicationCredentialId: String(credential.id), applicationCredentialSecret: String(credential.secret) }, POLICY, () => Date.UTC(2018, 0, 15));
  // That token's catalog holds only identity: the error says which service is missing.
  await assert.rejects(session.endpoint('compute'), /the service catalog has no public compute endpoint/);
  assert.deepEqual(cloud.seen[0]?.body, request);
});

test('nova: the documented servers (2.52 and 2.100), create, createImage (2.45), stop and console output are read as the samples say', async (t) => {
  const dir = sharedPath('wire', 'openstack');
  if (!dir) return t.skip(NO_SHARED);
  // The create answer of 2.52, and the one without a microversion: Nova's create is alike in both.
  for (const [version, createAnswer] of [['v2.52', 'nova/servers_v2.52_server-create-resp.json'], ['v2.100', 'nova/servers_server-create-resp.json']] as const) {
    const cloud = await sampleCloud(t, dir, 'keystone/auth-password-project-scoped-response.json', (method, path, query, body) => {
      if (!path.startsWith('/port-8774/v2.1/')) return undefined;
      if (method === 'POST' && path.endsWith('/servers')) return [202, createAnswer];
      if (method === 'GET' && path.endsWith('/servers/detail')) return query.has('marker') ? [200, { servers: [] }] : [200, `nova/servers_${version}_servers-details-resp.json`];
      if (method === 'GET' && /\/servers\/[^/]+$/.test(path)) return [200, `nova/servers_${version}_server-get-resp.json`];
      if (method === 'POST' && path.endsWith('/action')) {
        const action = Object.keys(body as Json)[0];
        if (action === 'createImage') return [202, 'nova/servers_v2.45_server-action-create-image-resp.json'];
        if (action === 'os-stop') return [202, null];
        if (action === 'os-getConsoleOutput') return [200, 'nova/os-console-output_console-output-post-resp.json'];
      }
      return undefined;
    });
    const nova = new Nova(new KeystoneSession(password(cloud.authUrl), POLICY, IN_2015));
    const get = read(dir, `nova/servers_${version}_server-get-resp.json`).server as Json;
    assert.deepEqual(await nova.getServer(String(get.id)), serverFields(get), version);
    const details: ReturnType<typeof serverFields>[] = (read(dir, `nova/servers_${version}_servers-details-resp.json`).servers as Json[]).map(serverFields);
    assert.deepEqual(await nova.listServers('tag1'), details, version);

    const created = read(dir, createAnswer).server as Json;
    assert.equal(await nova.createServer({ name: 'sluice-n1', imageRef: 'img', flavorRef: '1', portId: 'p1', metadata: { sluice: 'job' }, tags: ['sluice'] }), created.id);
    const create = cloud.seen.find((s) => s.method === 'POST' && s.path.endsWith('/servers'));
    assert.equal(create?.headers['openstack-api-version'], 'compute 2.52');
    assert.deepEqual(((create?.body as Json).server as Json).networks, [{ port: 'p1' }]);

    const image = read(dir, 'nova/servers_v2.45_server-action-create-image-resp.json');
    assert.equal(await nova.createImage(String(get.id), 'foo-image', { meta_var: 'meta_val' }), image.image_id);
    assert.deepEqual(cloud.seen.find((s) => (s.body as Json | undefined)?.createImage)?.body, read(dir, 'nova/servers_server-action-create-image.json'));
    await nova.stopServer(String(get.id));
    assert.deepEqual(cloud.seen.find((s) => s.body !== undefined && 'os-stop' in (s.body as Json))?.body, read(dir, 'nova/servers_server-action-stop.json'));
    assert.equal(await nova.consoleOutput(String(get.id)), read(dir, 'nova/os-console-output_console-output-post-resp.json').output);
  }
});

test('glance and neutron: images, ports and floating IPs are read as the samples say', async (t) => {
  const dir = sharedPath('wire', 'openstack');
  if (!dir) return t.skip(NO_SHARED);
  const cloud = await sampleCloud(t, dir, 'keystone/auth-password-project-scoped-response.json', (method, path) => {
    if (method === 'GET' && path.startsWith('/port-9292/v2/images/')) return [200, 'glance/image-show-response.json'];
    if (method === 'GET' && path === '/port-9292/v2/images') return [200, 'glance/images-list-response.json'];
    if (method === 'POST' && path === '/port-9696/v2.0/ports') return [201, 'neutron/port-create-response.json'];
    if (method === 'GET' && path === '/port-9696/v2.0/ports') return [200, 'neutron/ports-list-response.json'];
    if (method === 'POST' && path === '/port-9696/v2.0/floatingips') return [201, 'neutron/floatingip-create-response.json'];
    if (method === 'GET' && path === '/port-9696/v2.0/floatingips') return [200, 'neutron/floating-ips-list-response.json'];
    return undefined;
  });
  const session = new KeystoneSession(password(cloud.authUrl), POLICY, IN_2015);
  const glance = new Glance(session);
  const neutron = new Neutron(session);
  const strings = (o: Json) => Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string'));
  const imageOf = (i: Json) => ({ id: i.id, name: i.name, status: i.status, createdAt: i.created_at, protected: i.protected === true, properties: strings(i) });

  const shown = read(dir, 'glance/image-show-response.json');
  assert.deepEqual(await glance.getImage(String(shown.id)), imageOf(shown));
  const listed = read(dir, 'glance/images-list-response.json').images as Json[];
  assert.deepEqual(await glance.listImages({}), listed.map(imageOf));
  const newest = listed.filter((i) => i.status === 'active' && i.name === shown.name).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)))[0];
  assert.equal(await glance.resolve(String(shown.name)), newest?.id);

  const portOf = (p: Json) => ({ id: p.id, name: p.name ?? '', description: p.description ?? '', address: ((p.fixed_ips as Json[] | undefined) ?? []).find((f) => f.ip_address)?.ip_address });
  const port = read(dir, 'neutron/port-create-response.json').port as Json;
  assert.deepEqual(await neutron.createPort({ networkId: 'net', name: 'n1', description: 'sluice' }), portOf(port));
  assert.deepEqual(await neutron.listPorts('net'), (read(dir, 'neutron/ports-list-response.json').ports as Json[]).map(portOf));
  const fipOf = (f: Json) => ({ id: f.id, address: f.floating_ip_address, description: f.description ?? '' });
  const fip = read(dir, 'neutron/floatingip-create-response.json').floatingip as Json;
  assert.deepEqual(await neutron.createFloatingIp({ floatingNetworkId: 'ext', portId: String(port.id), description: 'sluice' }), fipOf(fip));
  assert.deepEqual(await neutron.listFloatingIps('ext'), (read(dir, 'neutron/floating-ips-list-response.json').floatingips as Json[]).map(fipOf));
});
