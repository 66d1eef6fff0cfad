import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { BuildSource } from '../../src/drivers/sources/build-source.js';
import { kojiSource } from '../../src/drivers/sources/koji-source.js';
import { decodeResponse, type XmlRpcValue } from '../../src/drivers/sources/xmlrpc.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';
import { build } from '../sources/fixtures.js';

/**
 * Koji hub responses (../shared/wire/koji): captured from a real hub by kojiji's tests, and
 * made with Koji's own marshaller from data modelled on the hub's and kojid's code. Every
 * one decodes as Python's xmlrpc.client (what Koji's client library uses) decodes it; and a
 * loopback hub answering with them makes the Koji source fetch the files a build on an
 * archive volume and a scratch build whose buildArch child kept the SRPM really have.
 */

const POLICY = { timeoutMs: 5000, attempts: 2, backoffMs: 5 };

function samples(dir: string): string[] {
  return ['kojiji', 'gen'].flatMap((sub) => readdirSync(join(dir, sub)).filter((n) => n.endsWith('.xml')).sort().map((n) => join(sub, n)));
}

/** Python's reading of each sample, as JSON; undefined without python3. */
function pythonReadings(dir: string, files: readonly string[]): Record<string, unknown> | undefined {
  const script = `
import json, sys, xmlrpc.client
def plain(v):
    if isinstance(v, xmlrpc.client.DateTime): return v.value
    if isinstance(v, xmlrpc.client.Binary): return v.data.decode('utf-8')
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    return v
out = {}
for f in sys.argv[1:]:
    try:
        out[f] = {'ok': True, 'value': plain(xmlrpc.client.loads(open(f, encoding='utf-8').read())[0][0])}
    except xmlrpc.client.Fault as e:
        out[f] = {'ok': False, 'faultCode': e.faultCode, 'faultString': e.faultString}
print(json.dumps(out))
`;
  const run = spawnSync('python3', ['-c', script, ...files], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error || run.status !== 0) return undefined;
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

test('every Koji XML-RPC sample decodes as Python\'s xmlrpc.client decodes it: nil, i8, doubles, faults, multicall', (t) => {
  const dir = sharedPath('wire', 'koji');
  if (!dir) return t.skip(NO_SHARED);
  const files = samples(dir);
  assert.ok(files.length >= 40, `only ${files.length} samples`);
  const decoded = Object.fromEntries(files.map((f) => [f, decodeResponse(readFileSync(join(dir, f), 'utf8'))]));

  // What the samples are there for, whatever python says.
  const value = (f: string): XmlRpcValue => {
    const d = decoded[f];
    assert.ok(d?.ok, `${f} is a fault`);
    return d.value;
  };
  assert.deepEqual(value('gen/edge.xml'), { empty: '', ws: '  a  ', nl: 'l1\nl2\n', big: -1099511627776, f: 1e300, list: [], d: {} });
  assert.equal(value('gen/getBuild-none.xml'), null);
  assert.equal((value('gen/getBuild-archive-volume.xml') as Record<string, XmlRpcValue>).volume_name, 'fedora_koji_archive02');
  assert.equal(((value('gen/listRPMs.xml') as Record<string, XmlRpcValue>[]).find((r) => r.name === 'openstack-nova-huge-data'))?.size, 3221225472);
  assert.deepEqual(value('kojiji/multicall-getBuild-response-0.xml'), [[null], [null]]);
  const fault = decoded['gen/fault.xml'];
  assert.ok(fault && !fault.ok);
  assert.equal(fault.faultCode, 1000);
  assert.match(fault.faultString, /koji\.GenericError: No such build: openstack-nova-0-0$/);
  const inMulticall = (value('kojiji/multicall-fault-response.xml') as Record<string, XmlRpcValue>[])[0];
  assert.equal(inMulticall?.faultCode, 1000);

  const python = pythonReadings(dir, files);
  if (!python) return t.diagnostic('python3 is not available: the samples were not compared with Python\'s reading');
  for (const f of files) assert.deepEqual(decoded[f], python[f], f);
});

/** A hub answering each call with a sample, and serving files of the sizes the samples give. */
/** The URL path the loopback hub serves its files under (its topurl). */
const TOP = '/kojifiles';
/** Koji's layout under its topdir: a task's output is in work/tasks/<id % 10000>/<id>. */
const TASKS_DIR = [TOP, 'work', 'tasks'].join('/');

async function sampleHub(t: TestContext, dir: string, answers: Readonly<Record<string, string>>, files: Readonly<Record<string, number>>): Promise<{ hub: string; topurl: string; downloads: string[] }> {
  const downloads: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/kojihub') {
        const body = Buffer.concat(chunks).toString('utf8');
        const method = /<methodName>([^<]*)<\/methodName>/.exec(body)?.[1] ?? '';
        const first = /<param><value><(?:int|i4|i8|string)>([^<]*)</.exec(body)?.[1] ?? '';
        const sample = answers[`${method}(${first})`] ?? answers[method];
        if (!sample) return void res.writeHead(500).end(`no sample for ${method}(${first})`);
        const xml = readFileSync(join(dir, sample));
        return void res.writeHead(200, { 'content-type': 'text/xml', 'content-length': xml.length }).end(xml);
      }
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      downloads.push(path);
      const size = files[path];
      if (size === undefined) return void res.writeHead(404).end('Not Found');
      res.writeHead(200, { 'content-type': 'application/x-rpm', 'content-length': size }).end(Buffer.alloc(size, path));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { hub: `${base}/kojihub`, topurl: `${base}${TOP}`, downloads };
}

const NVR = 'openstack-nova-27.1.0-1.el9s';

test('a build on an archive volume is listed from topurl/vol/<volume>/packages, one on DEFAULT from topurl/packages', async (t) => {
  const dir = sharedPath('wire', 'koji');
  if (!dir) return t.skip(NO_SHARED);
  for (const [sample, prefix] of [['gen/getBuild-archive-volume.xml', `${TOP}/vol/fedora_koji_archive02/packages`], ['gen/getBuild-default.xml', `${TOP}/packages`]] as const) {
    const small = { [`${prefix}/openstack-nova/27.1.0/1.el9s/src/${NVR}.src.rpm`]: 1234567, [`${prefix}/openstack-nova/27.1.0/1.el9s/noarch/${NVR}.noarch.rpm`]: 45678, [`${prefix}/openstack-nova/27.1.0/1.el9s/noarch/python3-nova-27.1.0-1.el9s.noarch.rpm`]: 8765432 };
    const hub = await sampleHub(t, dir, { getBuild: sample, listRPMs: 'gen/listRPMs.xml' }, small);
    const source = kojiSource({ hub: hub.hub, topurl: hub.topurl, kind: 'build', policy: POLICY });
    const listed = await source.check(build({ id: NVR, arch: 'noarch' }));
    assert.ok(listed.ok, listed.ok ? '' : listed.message);
    const huge = `${prefix}/openstack-nova/27.1.0/1.el9s/noarch/openstack-nova-huge-data-27.1.0-1.el9s.noarch.rpm`;
    assert.deepEqual(
      listed.value.rpms.map((r) => [new URL(r.location).pathname, r.size]).sort(),
      [...Object.entries(small), [huge, 3221225472]].sort(),
      sample,
    );
    // The files are fetched from there: the three small ones are served; the 3 GiB one is
    // not (a test does not move 3 GiB), so the fetch fails as infra and keeps nothing.
    const dest = tempDir(t);
    const fetched = await source.fetch(build({ id: NVR, arch: 'noarch' }), dest);
    assert.ok(!fetched.ok && fetched.fault === 'infra', sample);
    assert.match(fetched.message, new RegExp(`${huge.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: HTTP 404`));
    assert.deepEqual(readdirSync(dest), []);
    assert.ok(Object.keys(small).every((p) => hub.downloads.includes(p)), hub.downloads.join(' '));
  }
});

test('a build the hub does not have (nil) fails the update; the hub\'s fault is infra, with its last line', async (t) => {
  const dir = sharedPath('wire', 'koji');
  if (!dir) return t.skip(NO_SHARED);
  const none = await sampleHub(t, dir, { getBuild: 'gen/getBuild-none.xml' }, {});
  const missing = await kojiSource({ hub: none.hub, topurl: none.topurl, kind: 'build', policy: POLICY }).check(build({ id: NVR }));
  assert.ok(!missing.ok && missing.fault === 'update');
  assert.match(missing.message, /build openstack-nova-27\.1\.0-1\.el9s does not exist/);
  const faulty = await sampleHub(t, dir, { getBuild: 'gen/fault.xml' }, {});
  const refused = await kojiSource({ hub: faulty.hub, topurl: faulty.topurl, kind: 'build', policy: POLICY }).check(build({ id: NVR }));
  assert.ok(!refused.ok && refused.fault === 'infra');
  assert.match(refused.message, /refused getBuild: fault 1000: koji\.GenericError: No such build: openstack-nova-0-0$/);
});

function scratch(hub: { hub: string; topurl: string }): BuildSource {
  return kojiSource({ hub: hub.hub, topurl: hub.topurl, kind: 'scratch', policy: POLICY });
}

test('a scratch build whose buildArch child kept the SRPM fetches it once, from that child, as Koji takes it', async (t) => {
  const dir = sharedPath('wire', 'koji');
  if (!dir) return t.skip(NO_SHARED);
  const task = (id: number) => `${TASKS_DIR}/${id}/${id}`;
  const files = { [`${task(5002)}/${NVR}.src.rpm`]: 7, [`${task(5003)}/${NVR}.src.rpm`]: 6, [`${task(5003)}/${NVR}.noarch.rpm`]: 5 };
  const hub = await sampleHub(t, dir, {
    getTaskInfo: 'gen/getTaskInfo-build-closed.xml', getTaskChildren: 'gen/getTaskChildren.xml',
    'listTaskOutput(5002)': 'gen/listTaskOutput-5002-small.xml', 'listTaskOutput(5003)': 'gen/listTaskOutput-5003-keep-srpm.xml',
  }, files);
  const dest = tempDir(t);
  const got = await scratch(hub).fetch(build({ id: 5001, source: 'koji-scratch', arch: 'noarch' }), dest);
  assert.ok(got.ok, got.ok ? '' : got.message);
  assert.deepEqual(got.value.map((r) => [r.name, r.size]).sort(), [[`${NVR}.noarch.rpm`, 5], [`${NVR}.src.rpm`, 6]]);
  assert.deepEqual(hub.downloads.sort(), [`${task(5003)}/${NVR}.noarch.rpm`, `${task(5003)}/${NVR}.src.rpm`]);
  assert.deepEqual(readdirSync(dest).sort(), [`${NVR}.noarch.rpm`, `${NVR}.src.rpm`]);
});

test('a scratch build\'s task outputs: sizes past 2 GiB (strings in listTaskOutput) are read exactly, logs are skipped', async (t) => {
  const dir = sharedPath('wire', 'koji');
  if (!dir) return t.skip(NO_SHARED);
  const hub = await sampleHub(t, dir, {
    getTaskInfo: 'gen/getTaskInfo-build-closed.xml', getTaskChildren: 'gen/getTaskChildren.xml',
    'listTaskOutput(5002)': 'gen/listTaskOutput-5002.xml', 'listTaskOutput(5003)': 'gen/listTaskOutput-5003.xml',
  }, {});
  const listed = await scratch(hub).check(build({ id: 5001, source: 'koji-scratch', arch: 'noarch' }));
  assert.ok(listed.ok, listed.ok ? '' : listed.message);
  assert.deepEqual(listed.value.rpms.map((r) => [new URL(r.location).pathname, r.size]).sort(), [
    [`${TASKS_DIR}/5002/5002/${NVR}.src.rpm`, 1234567],
    [`${TASKS_DIR}/5003/5003/${NVR}.noarch.rpm`, 45678],
    [`${TASKS_DIR}/5003/5003/python3-nova-27.1.0-1.el9s.noarch.rpm`, 3221225472],
  ]);
});
