import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { after, describe, it } from 'node:test';
import { sourceFor } from '../../src/drivers/sources/registry.js';
import { tempDir } from '../helpers/paths.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { build, fooRpms, removeFooRpms } from './fixtures.js';

const FAST = { timeoutMs: 400, attempts: 2, backoffMs: 5 };
const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  removeFooRpms();
});

/** A results directory as Apache lists it: the chroot, a build directory per build. */
async function coprResults(files: Record<string, string>): Promise<string> {
  const dirs: Record<string, string[]> = { '/results/jruzicka/rdo/epel-7-x86_64/': ['00123456-foo/', '00123400-bar/', '../'] };
  dirs['/results/jruzicka/rdo/epel-7-x86_64/00123456-foo/'] = [...Object.keys(files), 'build.log.gz', '../'];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const listing = dirs[path];
    if (listing) {
      const rows = listing.map((n) => `<tr><td><a href="${n}">${n}</a></td><td>2015-03-02 14:11</td></tr>`).join('\n');
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!DOCTYPE HTML><html><head><title>Index of ${path}</title></head><body><table>\n${rows}\n</table></body></html>`);
      return;
    }
    const file = files[basename(path)];
    if (file && path.startsWith('/results/jruzicka/rdo/epel-7-x86_64/00123456-foo/')) {
      res.writeHead(200, { 'content-type': 'application/x-rpm' }).end(readFileSync(file));
      return;
    }
    res.writeHead(404).end('Not Found');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/results/jruzicka/rdo/epel-7-x86_64`;
}

function copr(url: string) {
  const got = sourceFor('copr-jruzicka', { 'copr-jruzicka': { type: 'copr', url } }, { configDir: '/', policy: FAST });
  assert.ok(got.ok);
  return got.value;
}

describe('the copr source (a results directory listing)', () => {
  it('finds the build in its build directory and fetches its RPMs', async (t) => {
    if (!requireRpmTools(t)) return;
    const rpms = fooRpms();
    if (!rpms) return;
    const url = await coprResults({ [basename(rpms.noarch)]: rpms.noarch, [basename(rpms.src)]: rpms.src, [basename(rpms.x86)]: rpms.x86 });
    const dest = tempDir(t);
    const got = await copr(url).fetch(build({ id: 'foo-1.0-1.el7', source: 'copr-jruzicka' }), dest);
    assert.ok(got.ok, got.ok ? '' : got.message);
    assert.deepEqual(got.value.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm']);
    assert.equal(got.value.find((r) => r.arch === 'noarch')?.sha256, createHash('sha256').update(readFileSync(rpms.noarch)).digest('hex'));
  });

  it('takes the build\'s sub-packages from its build directory, by version and release', async (t) => {
    if (!requireRpmTools(t)) return;
    const rpms = fooRpms();
    if (!rpms) return;
    const url = await coprResults({ [basename(rpms.noarch)]: rpms.noarch, [basename(rpms.doc)]: rpms.doc, [basename(rpms.src)]: rpms.src });
    const got = await copr(url).fetch(build({ id: 'foo-1.0-1.el7', source: 'copr-jruzicka' }), tempDir(t));
    assert.ok(got.ok, got.ok ? '' : got.message);
    assert.deepEqual(got.value.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm', 'foo-doc-1.0-1.el7.noarch.rpm']);
  });

  it('fails the update for a build the results do not hold', async () => {
    const url = await coprResults({});
    const got = await copr(url).check(build({ id: 'foo-9-9.el7' }));
    assert.deepEqual(got, { ok: false, fault: 'update', message: `build foo-9-9.el7 does not exist in the Copr results ${url}/` });
  });

  it('is infra when the results directory is not there', async (t) => {
    const url = await coprResults({});
    const got = await copr(`${url}-gone`).check(build({ id: 'foo-1.0-1.el7' }));
    assert.equal(got.ok, false);
    if (!got.ok) {
      assert.equal(got.fault, 'infra');
      assert.match(got.message, /answered HTTP 404$/);
    }
    t.diagnostic('a 404 is not retried: it will not come back by itself');
  });
});
