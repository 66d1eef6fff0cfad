import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readTokens } from '../../src/web/auth.js';
import { tokenHash } from '../../src/web/tokens.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const T0 = Date.parse('2026-03-01T09:00:00Z');

describe('sluice token', () => {
  it('add prints a new token once and appends only its hash, with the person and roles; list never shows a token', async (t) => {
    const cwd = tempDir(t);
    assert.equal((await runCli(['init'], { cwd })).status, 0);
    appendFileSync(join(cwd, 'sluice.yaml'), '\nweb:\n  token_file: tokens\n');
    const r = await runCli(['token', 'add', 'alice', '--roles', 'packager,release'], { cwd, now: T0 });
    assert.equal(r.status, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^sluice_[A-Za-z0-9_-]{43}$/);
    assert.match(r.stderr, /shown this once/);
    const file = join(cwd, 'tokens');
    const text = readFileSync(file, 'utf8');
    assert.equal(text, `alice packager,release sha256:${tokenHash(token)}  # added 2026-03-01 by tester\n`);
    assert.ok(!text.includes(token), 'only the hash is at rest');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    const bob = await runCli(['token', 'add', 'bob', '--roles', 'admin', '--file', 'tokens'], { cwd });
    assert.notEqual(bob.stdout.trim(), token, 'each token is new');
    const entries = readTokens({}, file);
    assert.deepEqual(entries.map((e) => [e.person, e.roles.join(','), e.source]), [['alice', 'packager,release', `${file}:1`], ['bob', 'admin', `${file}:2`]]);
    assert.equal(entries[0]?.hash, tokenHash(token));

    const list = await runCli(['token', 'list'], { cwd });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^alice\s+packager,release\s+sha256:[0-9a-f]{12}…/m);
    assert.ok(!list.stdout.includes(token));
  });

  it('refuses an unknown role, a bad name and a file it cannot use, each saying why', async (t) => {
    const cwd = tempDir(t);
    const role = await runCli(['token', 'add', 'alice', '--roles', 'packager,boss', '--file', 'tokens'], { cwd });
    assert.equal(role.status, 2);
    assert.match(role.stderr, /--roles: unknown role "boss": the roles are packager, release, admin/);
    const reader = await runCli(['token', 'add', 'prometheus', '--roles', 'none', '--file', 'tokens'], { cwd });
    assert.equal(reader.status, 0, reader.stderr);
    assert.deepEqual(readTokens({}, join(cwd, 'tokens')).map((e) => [e.person, e.roles]), [['prometheus', []]], 'a token that only reads');
    const name = await runCli(['token', 'add', 'al ice;rm', '--roles', 'admin', '--file', 'tokens'], { cwd });
    assert.equal(name.status, 2);
    assert.match(name.stderr, /person "al ice;rm" must be letters, digits/);
    assert.equal((await runCli(['init'], { cwd })).status, 0);
    const unset = await runCli(['token', 'add', 'alice', '--roles', 'admin'], { cwd });
    assert.equal(unset.status, 2);
    assert.match(unset.stderr, /web\.token_file is not set/);
  });

  it('carries an old bare token over with --stdin, and serve refuses a bare token line with the way to fix it, never repeating it', async (t) => {
    const cwd = tempDir(t);
    assert.equal((await runCli(['init'], { cwd })).status, 0);
    appendFileSync(join(cwd, 'sluice.yaml'), '\nweb:\n  token_file: tokens\n');
    const old = 'an-old-plain-token-42';
    writeFileSync(join(cwd, 'tokens'), `# the tokens\n${old}\n`);
    const refused = await runCli(['serve', '--listen', '127.0.0.1:0'], { cwd });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /tokens:2: a bare token \(the format before tokens had a person and roles\).*sluice token add alice --roles admin --stdin/);
    assert.ok(!refused.stderr.includes(old), 'the secret is not echoed');
    const env = await runCli(['serve', '--listen', '127.0.0.1:0'], { cwd, env: { SLUICE_WEB_TOKENS: old } });
    assert.match(env.stderr, /\$SLUICE_WEB_TOKENS entry 1: a bare token/);

    const carried = await runCli(['token', 'add', 'ops', '--roles', 'admin', '--stdin'], { cwd, stdin: `${old}\n` });
    assert.equal(carried.status, 0, carried.stderr);
    assert.equal(carried.stdout, '', 'nothing new to show');
    // Converted in place: the bare line is stepped over, the new one appended; the old line is then deleted by hand.
    assert.match(readFileSync(join(cwd, 'tokens'), 'utf8'), new RegExp(`^# the tokens\\n${old}\\nops admin sha256:${tokenHash(old)}  # added`));
    writeFileSync(join(cwd, 'tokens'), readFileSync(join(cwd, 'tokens'), 'utf8').replace(`${old}\n`, ''));
    assert.equal(readTokens({}, join(cwd, 'tokens'))[0]?.hash, tokenHash(old));
    const twice = await runCli(['token', 'add', 'ops2', '--roles', 'admin', '--stdin'], { cwd, stdin: old });
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /this token is there already \(ops\)/);
  });

  it('serve refuses a trusted header whose proxies are not address ranges, saying which', async (t) => {
    const cwd = tempDir(t);
    assert.equal((await runCli(['init'], { cwd })).status, 0);
    appendFileSync(join(cwd, 'sluice.yaml'), '\nweb:\n  trusted_header:\n    header: X-Remote-User\n    proxies: [10.0.0.0/33]\n    roles: { rita: [release] }\n');
    const r = await runCli(['serve', '--listen', '127.0.0.1:0'], { cwd });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /sluice\.yaml: web\.trusted_header\.proxies: "10\.0\.0\.0\/33" has a prefix length outside 0 to 32/);
    writeFileSync(join(cwd, 'sluice.yaml'), readFileSync(join(cwd, 'sluice.yaml'), 'utf8').replace('[release]', '[boss]'));
    const role = await runCli(['serve', '--listen', '127.0.0.1:0'], { cwd });
    assert.equal(role.status, 2);
    assert.match(role.stderr, /a role is one of packager, release, admin/);
  });
});
