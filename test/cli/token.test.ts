import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { readTokens } from '../../src/web/auth.js';
import { tokenHash } from '../../src/web/tokens.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';

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

  it('a running serve rereads the token file on SIGHUP: a new token works, a removed one stops; a bad file changes nothing', async (t) => {
    const cwd = tempDir(t);
    assert.equal((await runCli(['init'], { cwd })).status, 0);
    appendFileSync(join(cwd, 'sluice.yaml'), '\nweb:\n  token_file: tokens\n');
    const alice = (await runCli(['token', 'add', 'alice', '--roles', 'packager'], { cwd })).stdout.trim();
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', '127.0.0.1:0'], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLUICE_'))) });
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 400 && !re.test(err); i++) await new Promise((r) => setTimeout(r, 50));
      const m = re.exec(err);
      assert.ok(m, `waited for ${re}: ${err}`);
      return m;
    };
    const url = (await waitFor(/dashboard and API on (http:\/\/\S+?)\//))[1] ?? '';
    const reads = async (token: string) => (await fetch(`${url}/api/targets/kilo/epel-7/enable`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })).status;
    assert.equal(await reads(alice), 403, 'known, but a packager may not enable a target');

    const rita = (await runCli(['token', 'add', 'rita', '--roles', 'release'], { cwd })).stdout.trim();
    assert.equal(await reads(rita), 401, 'not yet');
    child.kill('SIGHUP');
    await waitFor(/tokens reread: 2 API token\(s\) of 2 person\(s\)/);
    assert.equal(await reads(rita), 409, 'known now, and a release manager: the target is simply not disabled');

    writeFileSync(join(cwd, 'tokens'), readFileSync(join(cwd, 'tokens'), 'utf8').split('\n').filter((l) => !l.startsWith('alice ')).join('\n'));
    child.kill('SIGHUP');
    await waitFor(/tokens reread: 1 API token/);
    assert.equal(await reads(alice), 401, 'removed: gone without a restart');

    appendFileSync(join(cwd, 'tokens'), 'bare-token-line\n');
    child.kill('SIGHUP');
    await waitFor(/the tokens in use stay: .*tokens:2: a bare token/);
    assert.equal(await reads(rita), 409, 'a bad file changes nothing');
    child.kill('SIGTERM');
  });
});
