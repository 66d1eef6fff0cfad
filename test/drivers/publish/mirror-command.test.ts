import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkMirror, remoteScript, rsyncUploadArgv, sshArgv, type MirrorHost } from '../../../src/drivers/publish/mirror-command.js';
import { tempDir } from '../../helpers/paths.js';
import { requireRsync } from '../../helpers/rsync.js';

const mirror = (dir: string, over: Partial<MirrorHost> = {}): MirrorHost => ({
  name: 'eu', host: 'mirror.example.org', port: 2222, user: 'repo', path: '/srv/repos root/rdo',
  keyFile: join(dir, 'keys dir', 'id ed25519'), knownHostsFile: join(dir, 'keys dir', 'known hosts'), ...over,
});

describe('the command lines that reach a mirror', () => {
  it('builds ssh\'s argument vector: the key only, the host key checked, never a prompt, the host after --', (t) => {
    const dir = tempDir(t);
    const argv = sshArgv(mirror(dir), 'true');
    assert.deepEqual(argv.slice(0, 6), ['-p', '2222', '-i', join(dir, 'keys dir', 'id ed25519'), '-o', 'IdentitiesOnly=yes']);
    assert.ok(argv.includes(`UserKnownHostsFile="${join(dir, 'keys dir', 'known hosts')}"`), 'a path with a space stays one file for ssh');
    for (const o of ['StrictHostKeyChecking=yes', 'BatchMode=yes']) assert.ok(argv.includes(o), o);
    assert.deepEqual(argv.slice(-5), ['-l', 'repo', '--', 'mirror.example.org', 'true']);
    assert.equal(sshArgv(mirror(dir, { host: '[::1]' }), 'x').at(-2), '::1', 'ssh takes an IPv6 address without brackets');
  });

  it('rsync splits the -e value into exactly ssh\'s argument vector, spaces and all, and names the remote directory once', (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    // A stand-in ssh on PATH records the arguments rsync gives it, then fails the transfer.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${JSON.stringify(join(dir, 'argv'))}\nexit 1\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    const m = mirror(dir);
    mkdirSync(join(dir, 'tree'));
    const args = rsyncUploadArgv(m, join(dir, 'tree'), '/srv/repos root/rdo/.trees/kilo/el7/.tmp-000002-r-2-ab', '000001-r-1');
    assert.ok(args.includes('--link-dest=../000001-r-1'));
    const r = spawnSync('rsync', args, { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    const received = readFileSync(join(dir, 'argv'), 'utf8').split('\n').slice(0, -1);
    const options = sshArgv(m, 'x').slice(0, -5);
    assert.deepEqual(received.slice(0, options.length), options);
    // Then rsync's own: user, host, and its server command with the destination protected from the remote shell.
    assert.deepEqual(received.slice(options.length, options.length + 3), ['-l', 'repo', 'mirror.example.org']);
    assert.match(received.slice(options.length + 3).join(' '), /rsync --server .*\/srv\/repos\\ root\/rdo\/\.trees\/kilo\/el7\/\.tmp-000002-r-2-ab\//);
  });

  it('the remote command runs the fixed script with each value one quoted argument, whatever it holds', (t) => {
    const dir = tempDir(t);
    const root = join(dir, "mirror root; echo 'pwned' $(id)");
    const trees = join(root, '.trees', 'kilo', 'el7');
    mkdirSync(join(trees, '000001-r-1'), { recursive: true });
    mkdirSync(join(trees, '000002-r-2'), { recursive: true });
    mkdirSync(join(root, 'kilo'), { recursive: true });
    symlinkSync('../.trees/kilo/el7/000001-r-1', join(root, 'kilo', 'el7'));
    // What ssh hands the mirror user's login shell: run here by sh -c, as that shell would.
    const sh = (op: Parameters<typeof remoteScript>[0], args: string[]) => execFileSync('/bin/sh', ['-c', remoteScript(op, root, args)], { encoding: 'utf8' });
    assert.deepEqual(sh('inspect', ['kilo/el7', 'kilo/f22']).split('\n').filter(Boolean),
      ['LINK kilo/el7 ../.trees/kilo/el7/000001-r-1', 'TREE kilo/el7 000001-r-1', 'TREE kilo/el7 000002-r-2', 'LINK kilo/f22 -']);
    assert.match(sh('swap', ['kilo/el7', '000002-r-2']), /BEGIN\nSWAPPED kilo\/el7 000002-r-2/);
    assert.match(sh('inspect', ['kilo/el7']), /LINK kilo\/el7 \.\.\/\.trees\/kilo\/el7\/000002-r-2/);
    // remove never deletes the tree a link shows.
    assert.equal(sh('remove', ['kilo/el7', '000001-r-1', '000002-r-2']), 'REMOVED kilo/el7 000001-r-1\n');
    assert.equal(readlinkSync(join(root, 'kilo', 'el7')), '../.trees/kilo/el7/000002-r-2');
  });

  it('refuses a mirror whose fields would be read as something else, naming the field', (t) => {
    const dir = tempDir(t);
    const refused = (over: Partial<MirrorHost>, field: string) => assert.throws(() => checkMirror(mirror(dir, over)), new RegExp(`promote.mirrors "eu": ${field}:`));
    refused({ host: '-oProxyCommand=touch /tmp/x' }, 'host');
    refused({ host: 'a b' }, 'host');
    refused({ user: '-l root' }, 'user');
    refused({ path: 'relative/path' }, 'path');
    refused({ path: '/srv/../etc' }, 'path');
    refused({ path: '/' }, 'path');
    refused({ keyFile: '/keys/%h' }, 'key_file');
    refused({ knownHostsFile: '/keys/"x' }, 'known_hosts_file');
    assert.doesNotThrow(() => checkMirror(mirror(dir, { host: '192.0.2.7' })));
  });
});
