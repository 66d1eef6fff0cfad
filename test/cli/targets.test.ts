import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { jsonSchema } from '../../src/cli/schema.js';

const T0 = Date.parse('2026-01-05T10:00:00Z');

describe('sluice init and targets', () => {
  it('init writes a valid starter config and an update repository, and refuses to overwrite', async (t) => {
    const cwd = tempDir(t);
    const r = await runCli(['init'], { cwd });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(cwd, 'sluice.yaml')));
    assert.deepEqual(readdirSync(join(cwd, 'update-repo')).sort(), ['.git', 'README.md', 'failed', 'pushed', 'ready', 'updates']);
    const again = await runCli(['init'], { cwd });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists already/);
    assert.equal((await runCli(['init', '--force'], { cwd })).status, 0);
    assert.equal((await runCli(['targets', 'list'], { cwd })).status, 0);
  });

  it('disables a target with reason, who and since; lists it; enables it', async (t) => {
    const cwd = tempDir(t);
    await runCli(['init'], { cwd });
    const d = await runCli(['targets', 'disable', 'kilo/epel-7', '--reason', 'CentOS mirror down', '--by', 'jruzicka'], { cwd, now: T0 });
    assert.equal(d.status, 0, d.stderr);
    const list = await runCli(['targets', 'list'], { cwd, now: T0 + 1000 });
    assert.match(list.stdout, /^kilo\/epel-7\s+disabled\s+CentOS mirror down \(by jruzicka since 2026-01-05T10:00:00.000Z\)$/m);
    assert.match(list.stdout, /^kilo\/fedora-22\s+enabled\s*$/m);
    const json = JSON.parse((await runCli(['targets', 'list', '--json'], { cwd, now: T0 })).stdout);
    assert.deepEqual(json.find((r: { target: string }) => r.target === 'kilo/epel-7'),
      { target: 'kilo/epel-7', provider: 'local', repo: 'https://repos.fedorapeople.org/repos/openstack/openstack-kilo/el7/', state: 'disabled', reason: 'CentOS mirror down', by: 'jruzicka', since: '2026-01-05T10:00:00.000Z', until: null });
    assert.equal((await runCli(['targets', 'enable', 'kilo/epel-7'], { cwd, now: T0 + 2000 })).status, 0);
    assert.match((await runCli(['targets', 'list'], { cwd })).stdout, /^kilo\/epel-7\s+enabled/m);
    const twice = await runCli(['targets', 'enable', 'kilo/epel-7'], { cwd });
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /not disabled/);
  });

  it('lets a disable lapse at --until', async (t) => {
    const cwd = tempDir(t);
    await runCli(['init'], { cwd });
    assert.equal((await runCli(['targets', 'disable', 'kilo/epel-7', '--reason', 'flaky', '--until', '2h'], { cwd, now: T0 })).status, 0);
    assert.match((await runCli(['targets', 'list'], { cwd, now: T0 + 3_599_000 })).stdout, /kilo\/epel-7\s+disabled\s+flaky .*until 2026-01-05T12:00:00.000Z/);
    assert.match((await runCli(['targets', 'list'], { cwd, now: T0 + 7_200_000 })).stdout, /kilo\/epel-7\s+enabled/);
  });

  it('refuses unknown targets, empty reasons, and --until in the past', async (t) => {
    const cwd = tempDir(t);
    await runCli(['init'], { cwd });
    const unknown = await runCli(['targets', 'disable', 'kilo/epel-6', '--reason', 'x'], { cwd });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown target "kilo\/epel-6" \(configured: kilo\/epel-7, kilo\/fedora-22, liberty\/epel-7\)/);
    assert.equal((await runCli(['targets', 'disable', 'kilo/epel-7', '--reason', '  '], { cwd })).status, 2);
    assert.equal((await runCli(['targets', 'disable', 'kilo/epel-7'], { cwd })).status, 2);
    assert.equal((await runCli(['targets', 'disable', 'kilo/epel-7', '--reason', 'x', '--until', '2001-01-01T00:00:00Z'], { cwd })).status, 2);
    assert.equal((await runCli(['targets', 'disable', 'kilo/epel-7', '--reason', 'x', '--until', 'soonish'], { cwd })).status, 2);
  });

  it('schema prints the JSON Schema of update files and config', async (t) => {
    const cwd = tempDir(t);
    const r = await runCli(['schema', 'update'], { cwd });
    assert.equal(r.status, 0);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(s.required, ['notes', 'builds']);
    assert.deepEqual(s.properties.builds.items.required, ['id', 'repo', 'dist']);
    assert.deepEqual(jsonSchema('config'), JSON.parse((await runCli(['schema', 'config'], { cwd })).stdout));
    assert.equal((await runCli(['schema', 'nope'], { cwd })).status, 2);
  });

  it('targets commands without a config say how to make one', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'other.txt'), '');
    const r = await runCli(['targets', 'list'], { cwd });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no such configuration file.*sluice init/);
  });

  it('an empty $SLUICE_CONFIG is unset, and a directory named as the config is refused as one', async (t) => {
    const cwd = tempDir(t);
    const unset = await runCli(['targets', 'list'], { cwd, env: { SLUICE_CONFIG: '' } });
    assert.equal(unset.status, 2);
    assert.match(unset.stderr, /^sluice: sluice\.yaml: no such configuration file/m);
    const dir = await runCli(['targets', 'list', '--config', '.'], { cwd });
    assert.equal(dir.status, 2);
    assert.match(dir.stderr, /\.: a directory, not a configuration file/);
    assert.doesNotMatch(dir.stderr, /EISDIR|internal/i);
  });
});

describe('store access', () => {
  it('never shows a PostgreSQL password in a message', async () => {
    const { redacted } = await import('../../src/cli/store-access.js');
    assert.equal(redacted('postgres://sluice:s3cret@db.example:5432/sluice'), 'postgres://sluice:***@db.example:5432/sluice');
    assert.equal(redacted('sqlite:/var/lib/sluice.db'), 'sqlite:/var/lib/sluice.db');
  });
});
