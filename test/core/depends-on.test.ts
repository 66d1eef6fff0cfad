import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dependsOnFooters, readDependencyRef } from '../../src/core/depends-on.js';
import { nameOfNevra, parseCapability, satisfies } from '../../src/core/rpm-capability.js';

// A commit message as Gerrit keeps it (subject, body, footers with Change-Id last), and
// Depends-On as Zuul documents it: one footer per change, URL of the change.
const MESSAGE = [
  'New nv4a: openstack-nova-2015.1.2-1.el7',
  '',
  'Nova needs the newer oslo.concurrency that hz8d brings.',
  '',
  'Depends-On: https://review.rdoproject.org/r/c/openstack/rdoinfo/+/1234',
  'Depends-On: hz8d',
  'depends-on:   https://review.example.org/#/c/77/ ',
  'Depends-On: hz8d',
  'Change-Id: I0123456789abcdef0123456789abcdef01234567',
  '',
].join('\n');

test('the Depends-On footers of a commit message are read in order, once each, whatever their case', () => {
  assert.deepEqual(dependsOnFooters(MESSAGE), ['https://review.rdoproject.org/r/c/openstack/rdoinfo/+/1234', 'hz8d', 'https://review.example.org/#/c/77/']);
  assert.deepEqual(dependsOnFooters('Subject\n\nNo footer here; not Depends-On: inline\nChange-Id: I1\n'), []);
});

test('a Depends-On value names an update by id or a change by any of Gerrit\'s URL forms', () => {
  assert.deepEqual(readDependencyRef('hz8d'), { kind: 'update', id: 'hz8d', text: 'hz8d' });
  assert.equal(readDependencyRef('https://review.rdoproject.org/r/c/openstack/rdoinfo/+/1234').kind, 'change');
  for (const url of ['https://review.example.org/c/p/+/1234/2', 'https://review.example.org/#/c/1234/', 'https://review.example.org/1234', 'https://review.example.org/c/1234']) {
    const ref = readDependencyRef(url);
    assert.ok(ref.kind === 'change' && ref.change === 1234, `${url}: ${JSON.stringify(ref)}`);
  }
  for (const bad of ['../etc/passwd', '1234', 'https://review.example.org/dashboard/self', 'two words']) assert.equal(readDependencyRef(bad).kind, 'unreadable', bad);
});

test('a provide satisfies a requirement when rpm\'s ranges overlap', () => {
  const ok = (p: string, r: string) => satisfies(parseCapability(p), parseCapability(r));
  assert.ok(ok('python-oslo-concurrency = 1.9.0-1.el7', 'python-oslo-concurrency >= 1.8.0'));
  assert.ok(!ok('python-oslo-concurrency = 1.4.1-1.el7', 'python-oslo-concurrency >= 1.8.0'));
  assert.ok(ok('python-oslo-concurrency = 1.8.0-1.el7', 'python-oslo-concurrency >= 1.8.0'), 'a release missing on one side is not compared');
  assert.ok(!ok('python-oslo-concurrency = 1.8.0-1.el7', 'python-oslo-concurrency > 1.8.0-1.el7'));
  assert.ok(ok('python-oslo-concurrency = 1:1.0-1', 'python-oslo-concurrency >= 2.0'), 'the epoch wins');
  assert.ok(ok('python-oslo-concurrency', 'python-oslo-concurrency >= 9'), 'an unversioned provide matches any version');
  assert.ok(!ok('python-oslo-config = 9-1', 'python-oslo-concurrency >= 1'), 'names must match');
  assert.ok(ok('foo = 2.0~rc1-1', 'foo < 2.0'), 'a tilde sorts before the release');
  assert.equal(nameOfNevra('openstack-nova-api-2015.1.2-1.el7.noarch'), 'openstack-nova-api');
});
