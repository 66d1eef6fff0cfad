import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, updateText } from '../helpers/site.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

test('must-provision add/remove is audited, and an update touching an added package is provisioned from scratch with the reason in its plan', async (t) => {
  const dir = tempDir(t);
  await makeSite(dir);
  const add = await runCli(['must-provision', 'add', 'openstack-nova', '--reason', 'nova-compute is installed by packstack', '--by', 'alan'], { cwd: dir });
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /^added openstack-nova/);
  const again = await runCli(['must-provision', 'add', 'openstack-nova', '--reason', 'twice'], { cwd: dir });
  assert.match(again.stdout, /was already added by alan on .*: nova-compute is installed by packstack/);
  const list = await runCli(['must-provision', 'list', '--json'], { cwd: dir });
  assert.deepEqual(JSON.parse(list.stdout).map((e: { package: string; source: string; addedBy?: string }) => [e.package, e.source, e.addedBy]), [['openstack-nova', 'added', 'alan']]);

  writeFileSync(join(dir, 'nova.yml'), updateText('plain', ['kilo/epel-7']));
  const submitted = await runCli(['submit', 'nova.yml', '--detach'], { cwd: dir });
  assert.equal(submitted.status, 0, submitted.stdout + submitted.stderr);
  const explain = await runCli(['explain', submitted.stdout.trim()], { cwd: dir });
  assert.match(explain.stdout, /provision.*must-provision package openstack-nova \(added by alan on \d{4}-\d\d-\d\d: nova-compute is installed by packstack\)/);

  const removed = await runCli(['must-provision', 'remove', 'openstack-nova', '--reason', 'moved to an RPM dependency', '--by', 'jakub'], { cwd: dir });
  assert.equal(removed.status, 0, removed.stderr);
  const gone = await runCli(['must-provision', 'remove', 'openstack-nova', '--reason', 'again'], { cwd: dir });
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /not on the must-provision list/);
  const bad = await runCli(['must-provision', 'add', '$(reboot)', '--reason', 'x'], { cwd: dir });
  assert.equal(bad.status, 2);
  // The audit trail: who, when, why, for both changes.
  const { openStore } = await import('../../src/store/index.js');
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  try {
    const audit = (await store.listEvents()).filter((e) => e.kind.startsWith('must_provision.')).map((e) => [e.kind, (e.payload as { by: string }).by, (e.payload as { reason: string }).reason]);
    assert.deepEqual(audit, [['must_provision.added', 'alan', 'nova-compute is installed by packstack'], ['must_provision.removed', 'jakub', 'moved to an RPM dependency']]);
  } finally {
    await store.close();
  }
});
