import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { localProvider } from '../../../../src/drivers/providers/local/local-provider.js';
import { snapshotRoot } from '../../../../src/drivers/providers/local/local-images.js';
import { holdsOsTree, missingMountPoints, resolveInRoot } from '../../../../src/drivers/providers/local/os-tree.js';
import { tempDir } from '../../../helpers/paths.js';
import { bwrapOrSkip, execution } from './sandbox-fixture.js';

/** Debian's busybox-static: one static binary, so a root needs nothing else to run. */
const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'cat', 'ls', 'echo', 'touch', 'test', 'id', 'mount', 'true'];

function busyboxOrSkip(t: { skip: (why: string) => void }): boolean {
  // A dynamic busybox (Debian's `busybox`) names its loader near the start of the file.
  const usable = existsSync(BUSYBOX) && !/\/ld-(linux|musl)/.test(readFileSync(BUSYBOX).subarray(0, 8192).toString('latin1'));
  if (usable) return true;
  const why = `no static ${BUSYBOX}: install busybox-static to run this test`;
  if (process.env.CI === 'true') throw new Error(`the node root tests must run under CI: ${why}`);
  t.skip(why);
  return false;
}

/** A tiny real OS tree: /bin/busybox and absolute symlinks to it, as `busybox --install -s` makes. */
function makeBusyboxRoot(root: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  execFileSync('chmod', ['755', join(root, 'bin', 'busybox')]);
  for (const a of APPLETS) symlinkSync('/bin/busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc', 'os-release'), 'ID=sluice-busybox\n');
}

describe('a node root that holds an OS tree', () => {
  it('is recognised by an executable sh resolved inside the root, never on the host', (t) => {
    const root = tempDir(t);
    assert.equal(holdsOsTree(root), false, 'an empty root');
    mkdirSync(join(root, 'bin'));
    symlinkSync('/bin/busybox', join(root, 'bin', 'sh'));
    assert.equal(holdsOsTree(root), false, 'a link to the host\'s busybox does not count: inside the root there is none');
    writeFileSync(join(root, 'bin', 'busybox'), '');
    assert.equal(holdsOsTree(root), false, 'not executable');
    execFileSync('chmod', ['755', join(root, 'bin', 'busybox')]);
    assert.equal(holdsOsTree(root), true);
    assert.equal(resolveInRoot(root, '/bin/sh'), join(root, 'bin', 'busybox'));
    symlinkSync('../../../../../etc', join(root, 'up'));
    assert.equal(resolveInRoot(root, 'up/passwd'), undefined, '.. stops at the root');
    assert.deepEqual(missingMountPoints(root, ['/bin', '/srv/sluice/job', '/up/x']), ['/srv', '/srv/sluice', '/srv/sluice/job']);
  });

  it('runs a job with the root as /, its directories bound at their own paths; a provisioning command first fills it from the host', async (t) => {
    const isolation = bwrapOrSkip(t);
    if (!isolation || !busyboxOrSkip(t)) return;
    const site = tempDir(t);
    writeFileSync(join(site, 'smoke.sh'), 'echo "smoke in $(cat /etc/os-release)"\n');
    // The job directory outside /tmp, so that bwrap has to make its mount points in the root.
    const work = mkdtempSync('/var/tmp/sluice-work-');
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const images = join(site, 'images');
    const provider = localProvider({ name: 'local', capacity: 1, workDir: work, configDir: site, imagesDir: images, isolation });
    const provision = [
      'mkdir -p "$SLUICE_NODE_ROOT/bin" "$SLUICE_NODE_ROOT/etc" && cp /bin/busybox "$SLUICE_NODE_ROOT/bin/"',
      `for a in ${APPLETS.join(' ')}; do ln -s /bin/busybox "$SLUICE_NODE_ROOT/bin/$a"; done`,
      'echo ID=sluice-busybox > "$SLUICE_NODE_ROOT/etc/os-release"',
    ].join(' && ');
    const inside = 'test ! -e /usr/bin/node && sh "$SLUICE_CONFIG_DIR/smoke.sh" && touch "$SLUICE_WORKDIR/seen-from-inside" /kept && ls / > "$SLUICE_RESULTS_DIR/top"';
    const out = await provider.execute(execution([provision, inside], { spec: { pipeline: 'images', stage: 'baseline' } }));
    const log = readFileSync(out.logPath as string, 'utf8');
    assert.equal(out.result, 'success', `${out.reason}\n${log}`);
    assert.match(log, /== in bwrap, with the host's \/ read-only\n(.|\n)*== in bwrap, with the node root as \/\n/);
    assert.match(log, /^smoke in ID=sluice-busybox$/m);
    const dir = out.node.replace(/^local:/, '');
    assert.ok(existsSync(join(dir, 'seen-from-inside')), 'the job directory is the same inside');
    assert.ok(existsSync(join(dir, 'node', 'kept')), 'what the job writes to / lands in the node root');
    const top = readFileSync(join(dir, 'results', 'top'), 'utf8').split('\n').filter(Boolean).sort();
    assert.deepEqual(top.filter((e) => !['dev', 'proc', 'tmp', 'var'].includes(e)), ['bin', 'etc', 'kept'], `the root's own top level: ${top.join(' ')}`);
    assert.deepEqual(readdirSync(join(dir, 'node')).sort(), ['bin', 'etc', 'kept'], 'the mount points bwrap made in the root are gone again');
    // The baseline's root became an image, without them.
    assert.ok(out.snapshot);
    const listed = execFileSync('tar', ['-tzf', out.snapshot.location], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.deepEqual(listed.filter((e) => /^\.\/(var|proc|dev|tmp)/.test(e)), []);

    // A job booted from that image starts inside it.
    const again = await provider.execute(execution('cat /etc/os-release; test -e /kept && echo restored', { spec: { mode: 'image', image: out.snapshot.name } }));
    const againLog = readFileSync(again.logPath as string, 'utf8');
    assert.equal(again.result, 'success', againLog);
    assert.match(againLog, /== node root restored from image .*\n== in bwrap, with the node root as \/\nID=sluice-busybox\nrestored\n/);
  });

  it('a root made elsewhere and restored as an image keeps working unisolated too (the command sees it as $SLUICE_NODE_ROOT)', async (t) => {
    if (!busyboxOrSkip(t)) return;
    const site = tempDir(t);
    const root = join(site, 'made');
    makeBusyboxRoot(root);
    await snapshotRoot(root, join(site, 'images'), 'kilo_epel-7-r0');
    const provider = localProvider({ name: 'local', capacity: 1, workDir: join(site, 'work'), configDir: site, imagesDir: join(site, 'images'), isolation: { kind: 'none' } });
    const out = await provider.execute(execution('cat "$SLUICE_NODE_ROOT/etc/os-release"', { spec: { mode: 'image', image: 'kilo_epel-7-r0' } }));
    const log = readFileSync(out.logPath as string, 'utf8');
    assert.equal(out.result, 'success', log);
    assert.doesNotMatch(log, /bwrap/);
    assert.match(log, /ID=sluice-busybox/);
  });
});
