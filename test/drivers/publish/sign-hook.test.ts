import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runSignHook } from '../../../src/drivers/publish/sign-hook.js';
import { tempDir } from '../../helpers/paths.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('the signing hook', () => {
  it('gives the RPM paths only through SLUICE_RPMS and SLUICE_RPMS_FILE, never the command line', async (t) => {
    const dir = tempDir(t);
    const evil = join(dir, '$(touch pwned)`touch pwned2`;x.rpm');
    const plain = join(dir, 'a-1-1.el7.noarch.rpm');
    for (const f of [evil, plain]) writeFileSync(f, 'rpm');
    const r = await runSignHook({
      command: 'printf "%s" "$SLUICE_RPMS" > env.out; cat "$SLUICE_RPMS_FILE" > file.out; echo "args: $#"',
      files: [plain, evil], cwd: dir, env: ENV, timeoutMs: 20_000,
    });
    assert.deepEqual(r, { ok: true, log: 'args: 0\n' });
    assert.equal(readFileSync(join(dir, 'env.out'), 'utf8'), `${plain}\n${evil}`);
    assert.equal(readFileSync(join(dir, 'file.out'), 'utf8'), `${plain}\n${evil}\n`);
    assert.equal(existsSync(join(dir, 'pwned')), false);
    assert.equal(existsSync(join(dir, 'pwned2')), false);
  });

  it('runs an argument vector as it is, without a shell reading its words', async (t) => {
    const dir = tempDir(t);
    const r = await runSignHook({ command: ['sh', '-c', 'echo "$1 $SLUICE_RPMS"', 'sign', "it's $(id)"], files: ['/x/a.rpm'], cwd: dir, env: ENV });
    assert.deepEqual(r, { ok: true, log: "it's $(id) /x/a.rpm\n" });
  });

  it('fails on a non-zero exit, with the reason and the command\'s output', async (t) => {
    const dir = tempDir(t);
    const r = await runSignHook({ command: 'echo "gpg: signing failed: No secret key" >&2; exit 2', files: ['/x/a.rpm'], cwd: dir, env: ENV });
    assert.deepEqual(r, { ok: false, reason: 'the signing command exited with status 2', log: 'gpg: signing failed: No secret key\n' });
  });

  it('kills a command that runs over its time limit', async (t) => {
    const dir = tempDir(t);
    const started = Date.now();
    const r = await runSignHook({ command: 'sleep 30 & wait', files: ['/x/a.rpm'], cwd: dir, env: ENV, timeoutMs: 300 });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /ran over its 300 ms limit and was killed/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('refuses a path with a newline, which could not be listed one per line', async (t) => {
    const r = await runSignHook({ command: 'touch ran', files: ['/x/a\n/etc/passwd'], cwd: tempDir(t), env: ENV });
    assert.equal(r.ok, false);
  });
});
