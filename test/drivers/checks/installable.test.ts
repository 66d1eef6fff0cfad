import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installable, parseDnfInstall } from '../../../src/drivers/checks/installable.js';
import { requireRpmTools } from '../../helpers/rpm.js';
import { closedPortUrl, fixture } from './fixtures.js';

describe('installable', () => {
  it('passes an update whose packages install with production', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('ok', [{ name: 'foo', version: '1.1', release: '1.el7', requires: ['bar >= 1.0', 'baz'] }]);
    const started = Date.now();
    const result = await installable(f.input(rpms));
    t.diagnostic(`installable pass: ${Date.now() - started} ms`);
    assert.equal(result.status, 'pass', result.log);
    assert.match(result.summary, /foo-1\.1-1\.el7\.noarch/);
  });

  it('fails naming each unsatisfied dependency and the package that needs it', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('missing', [
      { name: 'foo', version: '2.0', release: '1.el7', requires: ['bar >= 2.0'] },
      { name: 'qux', version: '1.0', release: '1', requires: ['python-oslo-concurrency >= 1.8.0'] },
    ]);
    const started = Date.now();
    const result = await installable(f.input(rpms));
    t.diagnostic(`installable failure: ${Date.now() - started} ms`);
    assert.equal(result.status, 'failure', result.log);
    assert.deepEqual([...result.unsatisfied].sort((a, b) => a.package.localeCompare(b.package)), [
      { package: 'foo-2.0-1.el7.noarch', unsatisfied: 'bar >= 2.0' },
      { package: 'qux-1.0-1.noarch', unsatisfied: 'python-oslo-concurrency >= 1.8.0' },
    ]);
    assert.match(result.summary, /^2 unsatisfied dependencies: nothing provides .+ needed by /);
    assert.ok(result.problems.includes('nothing provides bar >= 2.0 needed by foo-2.0-1.el7.noarch'), result.problems.join('\n'));
  });

  it('passes when the update itself brings the dependency', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('together', [
      { name: 'foo', version: '2.0', release: '1.el7', requires: ['bar >= 2.0'] },
      { name: 'bar', version: '2.0', release: '1.el7' },
    ]);
    const result = await installable(f.input(rpms));
    assert.equal(result.status, 'pass', result.log);
  });

  it('fails when an update package conflicts with a package it needs from production', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('conflict', [{ name: 'qux', version: '1.0', release: '1', requires: ['baz'], conflicts: ['baz < 3.0'] }]);
    const result = await installable(f.input(rpms));
    assert.equal(result.status, 'failure', result.log);
    assert.deepEqual(result.unsatisfied, []);
    assert.match(result.summary, /^1 installation problem: .*qux-1\.0-1\.noarch/);
  });

  it('is infra, not a failure, when the production repository cannot be reached', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('net', [{ name: 'foo', version: '2.0', release: '1.el7', requires: ['bar >= 2.0'] }]);
    const result = await installable(f.input(rpms, await closedPortUrl()));
    assert.equal(result.status, 'infra', result.log);
    assert.match(result.log, /Curl error|Cannot download/);
  });
});

describe('reading dnf install output', () => {
  it('collects every problem of every numbered Problem, without the generic lines', () => {
    const output = [
      'Error: ',
      ' Problem 1: conflicting requests',
      '  - nothing provides bar >= 2.0 needed by foo-2.0-1.el7.noarch',
      ' Problem 2: cannot install the best candidate for the job',
      '  - nothing provides libx.so.2()(64bit) needed by qux-1.0-1.x86_64',
      '  - nothing provides bar >= 2.0 needed by foo-2.0-1.el7.noarch',
      '(try to add \'--skip-broken\' to skip uninstallable packages)',
    ].join('\n');
    assert.deepEqual(parseDnfInstall(output), {
      kind: 'unresolvable',
      unsatisfied: [
        { package: 'foo-2.0-1.el7.noarch', unsatisfied: 'bar >= 2.0' },
        { package: 'qux-1.0-1.x86_64', unsatisfied: 'libx.so.2()(64bit)' },
      ],
      problems: ['nothing provides bar >= 2.0 needed by foo-2.0-1.el7.noarch', 'nothing provides libx.so.2()(64bit) needed by qux-1.0-1.x86_64'],
    });
  });

  it('treats a resolved transaction aborted by --assumeno as resolved', () => {
    assert.deepEqual(parseDnfInstall('Dependencies resolved.\nTransaction Summary\nOperation aborted.\n'), { kind: 'resolved' });
  });

  it('treats an unreadable repository or an unknown error as unreadable', () => {
    assert.equal(parseDnfInstall("Error: Failed to download metadata for repo 'production': Cannot download repomd.xml").kind, 'unreadable');
    assert.deepEqual(parseDnfInstall('Error: No match for argument: foo\n'), { kind: 'unreadable', reason: 'dnf: No match for argument: foo' });
  });
});

describe('the per-target view of a remote production repository', () => {
  it('is cached: a second check of another update downloads no metadata again', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    // Production served over HTTP on loopback, as a mirror would serve it.
    execFileSync('createrepo_c', ['--quiet', f.production]);
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const path = join(f.production, decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
      if (!path.startsWith(f.production) || !existsSync(path)) { res.writeHead(404).end(); return; }
      res.writeHead(200).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => { server.close(); });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const first = await installable(f.input(f.update('one', [{ name: 'foo', version: '1.1', release: '1.el7', requires: ['bar'] }]), url));
    assert.equal(first.status, 'pass', first.log);
    const afterFirst = requests.length;
    assert.ok(requests.some((r) => r.includes('primary')), `the first check read production's metadata: ${requests.join(' ')}`);
    const second = await installable(f.input(f.update('two', [{ name: 'foo', version: '1.2', release: '1.el7', requires: ['baz'] }]), url));
    assert.equal(second.status, 'pass', second.log);
    assert.deepEqual(requests.slice(afterFirst), [], 'the second check used the cached view');
  });
});
