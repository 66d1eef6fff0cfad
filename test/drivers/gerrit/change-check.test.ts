import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkChangeFiles, checkChangeUpdate } from '../../../src/drivers/gerrit/change-check.js';
import { parseCommand } from '../../../src/drivers/gerrit/commands.js';
import { parseKnownHosts } from '../../../src/drivers/gerrit/known-hosts.js';
import { createHmac } from 'node:crypto';

const bytes = (s: string) => new TextEncoder().encode(s);
const UPDATE = 'notes: x\nbuilds:\n- id: a-1-1.el7\n  repo: kilo\n  dist: el7\n- id: a-1-1.fc22\n  repo: kilo\n  dist: f22\n';

test('a change adds or modifies exactly one update file in updates/, with the subject New <id>', () => {
  assert.deepEqual(checkChangeFiles([{ path: 'updates/hkvc.yml', status: 'A' }], 'New hkvc'), { ok: true, path: 'updates/hkvc.yml', id: 'hkvc' });
  assert.deepEqual(checkChangeFiles([{ path: 'updates/hkvc.yml', status: 'M' }], 'Update hkvc'), { ok: true, path: 'updates/hkvc.yml', id: 'hkvc' });
  const two = checkChangeFiles([{ path: 'updates/a.yml', status: 'A' }, { path: 'updates/b.yml', status: 'A' }], 'New a');
  assert.equal(two.ok, false);
  assert.match(!two.ok ? two.problems[0]?.message ?? '' : '', /exactly one update file; this one touches 2: updates\/a.yml \(added\), updates\/b.yml \(added\)/);
  const cases: [Parameters<typeof checkChangeFiles>[0], string, RegExp][] = [
    [[{ path: 'updates/a.yml', status: 'D' }], 'New a', /is deleted/],
    [[{ path: 'ready/a.yml', status: 'A' }], 'New a', /not an update file: submit updates\/<id>.yml/],
    [[{ path: 'updates/../x.yml', status: 'A' }], 'New ../x', /not an update file/],
    [[{ path: 'updates/a.yml', status: 'A' }], 'Update a', /subject must be "New a", not "Update a"/],
    [[{ path: 'updates/a.yml', status: 'A' }], 'New b', /subject must be "New a"/],
    [[], 'New a', /touches 0: none/],
  ];
  for (const [files, subject, re] of cases) {
    const r = checkChangeFiles(files, subject);
    assert.equal(r.ok, false, subject);
    assert.match(r.ok ? '' : r.problems.map((p) => p.message).join(' '), re);
  }
});

test('the topic must be the update\'s summary, as rdopkg update set it (a release\'s dists in any order)', () => {
  assert.deepEqual(checkChangeUpdate(bytes(UPDATE), 'updates/a.yml', 'kilo_el7_f22'), []);
  assert.deepEqual(checkChangeUpdate(bytes(UPDATE), 'updates/a.yml', 'kilo_f22_el7'), []);
  assert.match(checkChangeUpdate(bytes(UPDATE), 'updates/a.yml', 'kilo_el7')[0]?.message ?? '', /topic "kilo_el7" does not match the update: expected "kilo_el7_f22"/);
  assert.match(checkChangeUpdate(bytes(UPDATE), 'updates/a.yml', undefined)[0]?.message ?? '', /no topic: set it to "kilo_el7_f22"/);
  const bad = checkChangeUpdate(bytes('notes: x\nbuilds: 3\n'), 'updates/a.yml', 'kilo_el7');
  assert.equal(bad[0]?.what, 'update');
  assert.match(bad[0]?.message ?? '', /^updates\/a.yml:2:\d+: error/);
});

test('a command is the comment\'s first line alone, after Gerrit\'s header; quotes and mentions command nothing', () => {
  assert.equal(parseCommand('Patch Set 1:\n\nrecheck'), 'recheck');
  assert.equal(parseCommand('Patch Set 3: Code-Review+1\n\n(2 comments)\n\n  ReCheck  \n'), 'recheck');
  assert.equal(parseCommand('Patch Set 1:\n\nrun phase2'), 'phase2');
  assert.equal(parseCommand('Patch Set 1:\n\nrun   Phase2'), 'phase2');
  assert.equal(parseCommand('recheck'), 'recheck');
  assert.equal(parseCommand('Patch Set 1:\n\n> recheck\n\nno'), undefined);
  assert.equal(parseCommand('Patch Set 1:\n\nplease recheck'), undefined);
  assert.equal(parseCommand('Patch Set 1:\n\nrecheck please'), undefined);
  assert.equal(parseCommand('Patch Set 1: Verified-1\n\nSluice phase1: FAILED\n\nrecheck'), undefined);
  assert.equal(parseCommand('Patch Set 1:\n\nrun phase2 now; rm -rf /'), undefined);
});

test('"recheck failed" is its own command; other words after recheck are not', () => {
  assert.equal(parseCommand('Patch Set 2:\n\nrecheck failed'), 'recheck-failed');
  assert.equal(parseCommand('Patch Set 2: Code-Review+1\n\n  Recheck   FAILED \n'), 'recheck-failed');
  assert.equal(parseCommand('Patch Set 2:\n\nrecheck failed targets'), undefined);
  assert.equal(parseCommand('Patch Set 2:\n\n> recheck failed'), undefined);
});

test('known_hosts: plain, bracketed, hashed and revoked entries', () => {
  const key = Buffer.concat([Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAI', 'base64'), Buffer.alloc(32, 1)]);
  const other = Buffer.concat([Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAI', 'base64'), Buffer.alloc(32, 2)]);
  const salt = Buffer.from('0123456789abcdef0123');
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[review.example.org]:29418').digest('base64')}`;
  const kh = parseKnownHosts([
    '# comment',
    `review.gerrithub.io ssh-ed25519 ${key.toString('base64')}`,
    `[127.0.0.1]:2222,[localhost]:2222 ssh-ed25519 ${key.toString('base64')}`,
    `${hashed} ssh-ed25519 ${key.toString('base64')}`,
    `*.example.com,!bad.example.com ssh-ed25519 ${key.toString('base64')}`,
    `@revoked [127.0.0.1]:2222 ssh-ed25519 ${other.toString('base64')}`,
  ].join('\n'));
  assert.equal(kh.verify('review.gerrithub.io', 22, key), true);
  assert.equal(kh.verify('review.gerrithub.io', 29418, key), false);
  assert.equal(kh.verify('127.0.0.1', 2222, key), true);
  assert.equal(kh.verify('127.0.0.1', 2222, other), false);
  assert.equal(kh.verify('review.example.org', 29418, key), true);
  assert.equal(kh.verify('review.example.org', 29418, other), false);
  assert.equal(kh.verify('a.example.com', 22, key), true);
  assert.equal(kh.verify('bad.example.com', 22, key), false);
  assert.equal(kh.lists('unknown.example.org', 22), false);
  assert.equal(kh.lists('127.0.0.1', 2222), true);
});
