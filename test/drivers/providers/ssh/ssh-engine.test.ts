import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sshSettings } from '../../../../src/drivers/providers/ssh/ssh-config.js';
import { sshProvider } from '../../../../src/drivers/providers/ssh/ssh-provider.js';
import { openStore } from '../../../../src/store/index.js';
import { tempDir } from '../../../helpers/paths.js';
import { makeSite, siteEngine, submit } from '../../../helpers/site.js';
import { requireSshd, startShellSshds } from '../../../helpers/sshd.js';

test('the engine runs an update on two targets over two SSH hosts, one job on each, and the run passes', async (t) => {
  if (!requireSshd(t)) return;
  const site = await makeSite(tempDir(t), { capacity: 2 });
  const sshds = await startShellSshds(t, 2);
  const parsed = sshSettings({
    type: 'ssh', hosts: sshds.servers.map((s) => ({ host: s.host, port: s.port, user: s.user, capacity: 1 })),
    key_file: sshds.keyFile, known_hosts_file: sshds.knownHostsFile, work_dir: join(site.dir, 'remote'), kill_grace: '300ms',
  }, (p) => p);
  if (!parsed.ok) throw new Error(parsed.message);
  // The site's targets use the provider named "local": here it is a pool of SSH hosts.
  const provider = sshProvider({ name: 'local', workDir: join(site.dir, 'work'), configDir: site.dir, ...parsed.settings });
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  const runId = await submit(site, store, 'good', 'all green', ['kilo/epel-7', 'kilo/fedora-22']);
  const engine = siteEngine(site, store, { providers: [provider] });
  engine.start();
  const run = await engine.waitForRun(runId);
  await engine.stop();
  assert.equal(run.verdict, 'pass');
  const jobs = await store.listJobs(runId);
  assert.deepEqual(jobs.map((j) => j.result), ['success', 'success']);
  assert.deepEqual(jobs.map((j) => j.node).sort(), sshds.servers.map((s) => `ssh:${s.user}@127.0.0.1:${s.port}`).sort(), 'one job on each host');
  for (const j of jobs) {
    assert.match(readFileSync(j.logPath!, 'utf8'), new RegExp(`^update=good target=${j.target.replace('/', '\\/')} mode=image builds=openstack-nova-2015\\.1\\.2-1\\.\\w+ repo=none\\nok\\n$`));
  }
});
