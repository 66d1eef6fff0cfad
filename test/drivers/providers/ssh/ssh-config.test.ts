import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sshSettings } from '../../../../src/drivers/providers/ssh/ssh-config.js';
import { envFile, shellQuote } from '../../../../src/drivers/providers/ssh/shell-quote.js';
import { tempDir } from '../../../helpers/paths.js';

describe('the ssh provider\'s configuration', () => {
  it('names the key that is wrong', () => {
    const base = { type: 'ssh', key_file: 'k', known_hosts_file: 'kh' };
    const bad = (raw: object) => { const r = sshSettings(raw, (p) => p); assert.ok(!r.ok); return `${r.key}: ${r.message}`; };
    assert.equal(bad({ ...base, hosts: [{ host: 'a', user: 'u', port: 'x' }] }), 'hosts[0].port: port must be a whole number');
    assert.equal(bad({ ...base, hosts: [] }), 'hosts: hosts must name at least one host');
    assert.match(bad({ ...base, hosts: [{ host: 'a', user: 'u' }], work_dir: 'relative' }), /^work_dir: work_dir must be an absolute path/);
    assert.match(bad({ ...base, hosts: [{ host: 'a', user: 'u' }], hots: 1 }), /^hots: /);
    assert.match(bad({ ...base, hosts: [{ host: 'a', user: 'u' }] }), /^key_file: cannot read k: ENOENT/);
  });
});

describe('shell quoting of values for the host', () => {
  const values = ['', 'plain', "it's", "''", '$(id) `id` ${HOME} $HOME', 'a\nb', '\\', '"', '; rm -rf / #', '-n', '*', '!x', 'é ü 中'];
  it('gives each value back exactly through a real /bin/sh', () => {
    for (const v of values) assert.equal(execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(v)}`], { encoding: 'utf8' }), v);
  });
  it('writes an environment file that sh sources into exactly those values', (t) => {
    const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const file = join(tempDir(t), 'job.env');
    writeFileSync(file, envFile(env));
    const script = `set -a; . ${shellQuote(file)}; set +a; ${values.map((_, i) => `printf '%s\\0' "$V${i}"`).join('; ')}`;
    assert.deepEqual(execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1), values);
  });
  it('refuses a NUL byte and a name that is not a variable name', () => {
    assert.throws(() => shellQuote('a\0b'), /NUL/);
    assert.throws(() => envFile({ 'A;id': 'x' }), /not an environment variable name/);
  });
});
