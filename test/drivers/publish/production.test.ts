import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { JOURNAL_NAME } from '../../../src/drivers/publish/publish-journal.js';
import { LOCK_NAME } from '../../../src/drivers/publish/publish-lock.js';
import { currentRun, currentTree, publishToProduction, recoverPublish, rollbackPublish, type PublishResult } from '../../../src/drivers/publish/production.js';
import { tempDir } from '../../helpers/paths.js';
import { requireRsync } from '../../helpers/rsync.js';

const T1 = 'kilo/epel-7';
const T2 = 'kilo/f22';
type Files = Record<string, string>;

function writeTree(dir: string, files: Files): string {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every file under a directory (following the link at its top) and its content. */
function readTree(dir: string): Files {
  const out: Files = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

/** Everything under the production root, links not followed: what "untouched" compares. */
function inventory(root: string): string[] {
  return readdirSync(root, { recursive: true }).map(String).sort().map((rel) => {
    const p = join(root, rel);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return `${rel} -> ${readlinkSync(p)}`;
    if (st.isFile()) return `${rel} #${st.ino} ${readFileSync(p, 'utf8')}`;
    return `${rel}/`;
  });
}

/** A repository of `n` packages (and repodata) for a target. */
function oldFiles(target: string, n = 300): Files {
  const files: Files = { 'repodata/repomd.xml': `<repomd>${target} old</repomd>\n` };
  for (let i = 0; i < n; i++) files[`${i % 2 ? 'Packages/' : ''}p${i}-1.0-1.noarch.rpm`] = `${target} p${i} 1.0\n`;
  return files;
}

/** The same after an update: a third changed, some removed (an obsoleted sub-package), some added. */
function newFiles(target: string, n = 300): Files {
  const files: Files = { 'repodata/repomd.xml': `<repomd>${target} new</repomd>\n` };
  for (const [rel, content] of Object.entries(oldFiles(target, n))) {
    const i = Number(/p(\d+)-/.exec(rel)?.[1] ?? -1);
    if (i < 0 || i % 7 === 6) continue;
    files[rel] = i % 3 === 0 ? `${content}rebuilt\n` : content;
  }
  for (let i = 0; i < 30; i++) files[`temp-liberty/x${i}-2.0-1.noarch.rpm`] = `${target} x${i} 2.0\n`;
  return files;
}

function stages(dir: string, which: 'old' | 'new', targets = [T1, T2]): { target: string; stagePath: string }[] {
  return targets.map((target) => ({ target, stagePath: writeTree(join(dir, which, target), which === 'old' ? oldFiles(target) : newFiles(target)) }));
}

/** A stage made as composeStage makes it: the current tree hard-linked, changed files replaced (never written through a link). */
function stageFrom(current: string, stage: string, files: Files): string {
  execFileSync('cp', ['-al', '--', `${current}/.`, stage]);
  for (const rel of Object.keys(readTree(stage))) if (!(rel in files)) rmSync(join(stage, rel));
  for (const [rel, content] of Object.entries(files)) {
    const path = join(stage, rel);
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    rmSync(path, { force: true });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return stage;
}

function ok(r: PublishResult): Extract<PublishResult, { ok: true }> {
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r;
}

describe('publishing stage trees to production', () => {
  it('makes each target a relative link to a complete tree, published by the run', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    const r = ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'old') }));
    assert.deepEqual(r.targets.map((x) => [x.target, x.old, x.new, x.already]), [
      [T1, null, join(root, '.trees/kilo/epel-7/000001-r-1'), false],
      [T2, null, join(root, '.trees/kilo/f22/000001-r-1'), false],
    ]);
    assert.equal(readlinkSync(join(root, 'kilo/epel-7')), '../.trees/kilo/epel-7/000001-r-1');
    assert.deepEqual(readTree(join(root, T1)), oldFiles(T1));
    assert.deepEqual(readTree(join(root, T2)), oldFiles(T2));
    assert.equal(await currentTree(root, T1), join(root, '.trees/kilo/epel-7/000001-r-1'));
    assert.equal(await currentRun(root, T1), 'r-1');
    assert.deepEqual(readdirSync(root).sort(), ['.trees', 'kilo'], 'no journal, no lock left');
  });

  it('hard-links unchanged files to the previous tree, keeps it, and does nothing when the run publishes again', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'old', [T1]) }));
    const stage = stageFrom(join(root, T1), join(dir, 'stage-r-2'), newFiles(T1));
    const r = ok(await publishToProduction({ productionRoot: root, runId: 'r-2', trees: [{ target: T1, stagePath: stage }] }));
    assert.equal(r.targets[0]!.old, join(root, '.trees/kilo/epel-7/000001-r-1'));
    assert.deepEqual(readTree(join(root, T1)), newFiles(T1));
    const ino = (tree: string, rel: string) => lstatSync(join(root, '.trees/kilo/epel-7', tree, rel)).ino;
    assert.equal(ino('000002-r-2', 'p2-1.0-1.noarch.rpm'), ino('000001-r-1', 'p2-1.0-1.noarch.rpm'), 'unchanged: one file, two names');
    assert.notEqual(ino('000002-r-2', 'p0-1.0-1.noarch.rpm'), ino('000001-r-1', 'p0-1.0-1.noarch.rpm'), 'changed: a new file');
    assert.deepEqual(readTree(join(root, '.trees/kilo/epel-7/000001-r-1')), oldFiles(T1), 'the previous tree is intact');
    const before = inventory(root);
    const again = ok(await publishToProduction({ productionRoot: root, runId: 'r-2', trees: [{ target: T1, stagePath: stage }] }));
    assert.deepEqual(again.targets.map((x) => x.already), [true]);
    assert.deepEqual(inventory(root), before);
  });

  it('copies a file rewritten at the same size and time, which rsync alone would take for unchanged', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    const first = writeTree(join(dir, 's1'), { 'repodata/repomd.xml': 'checksum aaaa', 'a.rpm': 'a' });
    const second = writeTree(join(dir, 's2'), { 'repodata/repomd.xml': 'checksum bbbb', 'a.rpm': 'a' });
    const when = new Date('2015-06-01T12:00:00Z');
    for (const stage of [first, second]) for (const f of ['repodata/repomd.xml', 'a.rpm']) utimesSync(join(stage, f), when, when);
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: [{ target: T1, stagePath: first }] }));
    ok(await publishToProduction({ productionRoot: root, runId: 'r-2', trees: [{ target: T1, stagePath: second }] }));
    assert.deepEqual(readTree(join(root, T1)), { 'repodata/repomd.xml': 'checksum bbbb', 'a.rpm': 'a' });
    assert.equal(statSync(join(root, T1, 'repodata/repomd.xml')).mtime.getTime(), when.getTime());
    assert.deepEqual(readTree(join(root, '.trees/kilo/epel-7/000001-r-1')), { 'repodata/repomd.xml': 'checksum aaaa', 'a.rpm': 'a' });
  });

  it('first moves a site\'s plain production directory into .trees/, without copying it', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    writeTree(join(root, T1), oldFiles(T1));
    const ino = lstatSync(join(root, T1, 'p0-1.0-1.noarch.rpm')).ino;
    const r = ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'new', [T1]) }));
    assert.deepEqual(r.targets.map((x) => [x.old, x.new]), [[join(root, '.trees/kilo/epel-7/000001-migrated'), join(root, '.trees/kilo/epel-7/000002-r-1')]]);
    assert.equal(lstatSync(join(root, '.trees/kilo/epel-7/000001-migrated/p0-1.0-1.noarch.rpm')).ino, ino);
    assert.deepEqual(readTree(join(root, '.trees/kilo/epel-7/000001-migrated')), oldFiles(T1));
    assert.deepEqual(readTree(join(root, T1)), newFiles(T1));
  });

  it('finishes moving a site\'s directory into .trees/ after a kill on either side of the rename', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const journal = { version: 1, action: 'migrate', phase: 'swap', runId: 'migrated', entries: [{ target: T1, old: null, new: '.trees/kilo/epel-7/000001-migrated' }] };
    for (const renamed of [false, true]) {
      const root = join(dir, `production-${renamed}`);
      writeTree(join(root, T1), oldFiles(T1));
      mkdirSync(join(root, '.trees/kilo/epel-7'), { recursive: true });
      if (renamed) execFileSync('mv', [join(root, T1), join(root, '.trees/kilo/epel-7/000001-migrated')]);
      writeFileSync(join(root, JOURNAL_NAME), JSON.stringify(journal));
      const report = await recoverPublish(root);
      assert.deepEqual(report.rolledForward, [T1]);
      assert.equal(readlinkSync(join(root, T1)), '../.trees/kilo/epel-7/000001-migrated');
      assert.deepEqual(readTree(join(root, T1)), oldFiles(T1));
      assert.equal(existsSync(join(root, JOURNAL_NAME)), false);
    }
    assert.deepEqual(await recoverPublish(join(dir, 'never-published')), { journal: null, rolledForward: [], removed: [] });
    assert.equal(existsSync(join(dir, 'never-published')), false);
  });

  it('copies production reached through a hand-made link, leaving what it points at alone', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    const elsewhere = writeTree(join(dir, 'el7-real'), oldFiles(T1));
    const before = inventory(elsewhere);
    mkdirSync(join(root, 'kilo'), { recursive: true });
    symlinkSync(elsewhere, join(root, T1));
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'new', [T1]) }));
    assert.deepEqual(readTree(join(root, T1)), newFiles(T1));
    assert.deepEqual(readTree(join(root, '.trees/kilo/epel-7/000001-migrated')), oldFiles(T1));
    assert.deepEqual(inventory(elsewhere), before);
  });

  it('leaves production exactly as before when a copy fails midway (the second target\'s stage is missing)', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'old') }));
    const before = inventory(root);
    const [first] = stages(dir, 'new');
    const steps: string[] = [];
    const r = await publishToProduction({
      productionRoot: root, runId: 'r-2', trees: [first!, { target: T2, stagePath: join(dir, 'no-such-stage') }],
      onStep: (s, target) => { steps.push(`${s} ${target ?? ''}`.trim()); },
    });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /before any change to production: the stage tree of kilo\/f22, .*no-such-stage, is not a directory/);
    assert.deepEqual(steps, [`rsync ${T1}`, `rsynced ${T1}`, `rsync ${T2}`], 'the first target was copied before the failure');
    assert.deepEqual(inventory(root), before);
  });

  it('puts every target back on its old tree when a swap fails midway', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'old') }));
    const before = inventory(root);
    const r = await publishToProduction({
      productionRoot: root, runId: 'r-2', trees: stages(dir, 'new'),
      onStep: (s, target) => {
        if (s === 'swap' && target === T2) {
          assert.deepEqual(readTree(join(root, T1)), newFiles(T1), 'the first target was already swapped');
          throw new Error('rename failed (stand-in)');
        }
      },
    });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /every target was put back on its old tree: rename failed/);
    assert.deepEqual(inventory(root), before);
  });

  it('keeps `keep` previous trees per target and deletes older ones', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    for (let i = 1; i <= 5; i++) {
      const stage = writeTree(join(dir, `s${i}`), { 'a.rpm': `v${i}` });
      const r = ok(await publishToProduction({ productionRoot: root, runId: `r-${i}`, trees: [{ target: T1, stagePath: stage }] }));
      if (i === 5) assert.deepEqual(r.pruned, ['.trees/kilo/epel-7/000002-r-2']);
    }
    assert.deepEqual(readdirSync(join(root, '.trees/kilo/epel-7')).sort(), ['000003-r-3', '000004-r-4', '000005-r-5']);
    const stage = writeTree(join(dir, 's6'), { 'a.rpm': 'v6' });
    ok(await publishToProduction({ productionRoot: root, runId: 'r-6', trees: [{ target: T1, stagePath: stage }], keep: 0 }));
    assert.deepEqual(readdirSync(join(root, '.trees/kilo/epel-7')), ['000006-r-6']);
  });

  it('rolls a run\'s publication back to the trees it replaced, all targets or none', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'old') }));
    ok(await publishToProduction({ productionRoot: root, runId: 'r-2', trees: stages(dir, 'new') }));
    assert.deepEqual(await rollbackPublish({ productionRoot: root, runId: 'r-1' }), { ok: true, targets: [] }, 'r-1 is not what production shows');
    const back = await rollbackPublish({ productionRoot: root, runId: 'r-2' });
    assert.deepEqual(back, { ok: true, targets: [{ target: T1, restored: join(root, '.trees/kilo/epel-7/000001-r-1') }, { target: T2, restored: join(root, '.trees/kilo/f22/000001-r-1') }] });
    assert.deepEqual(readTree(join(root, T1)), oldFiles(T1));
    assert.deepEqual(readTree(join(root, T2)), oldFiles(T2));
    assert.equal(existsSync(join(root, '.trees/kilo/epel-7/000002-r-2')), false);
    const refused = await rollbackPublish({ productionRoot: root, runId: 'r-1' });
    assert.equal(refused.ok, false, 'r-1 published these targets first: there is nothing to go back to');
    assert.deepEqual(readTree(join(root, T1)), oldFiles(T1));
  });

  it('breaks a lock left by a dead process, and refuses unsafe targets and run ids', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const root = join(dir, 'production');
    mkdirSync(root);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(root, LOCK_NAME), `${dead.pid}\n${(await import('node:os')).hostname()}\n`);
    ok(await publishToProduction({ productionRoot: root, runId: 'r-1', trees: stages(dir, 'old', [T1]) }));
    assert.equal(existsSync(join(root, LOCK_NAME)), false);
    assert.throws(() => publishToProduction({ productionRoot: root, runId: 'r-1', trees: [{ target: '../etc', stagePath: dir }] }), /refusing target/);
    assert.throws(() => publishToProduction({ productionRoot: root, runId: 'r-1', trees: [{ target: 'kilo/..', stagePath: dir }] }), /refusing target/);
    assert.throws(() => publishToProduction({ productionRoot: root, runId: '-rf /', trees: [] }), /refusing run id/);
  });
});

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'publish-child.js');

interface Kill { readonly label: string; readonly marker?: string; readonly afterMs: number; readonly pause?: boolean }

/**
 * Runs the publication in a child process and SIGKILLs its whole process group (it and its
 * rsync, as a service manager does) `afterMs` after spawning it, or after it announces
 * `marker`. Resolves with the steps it announced.
 */
function publishAndKill(root: string, runId: string, trees: { target: string; stagePath: string }[], kill: Kill): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ productionRoot: root, runId, trees, ...(kill.pause ? { pauseAt: kill.marker } : {}) })], {
    detached: true, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const steps: string[] = [];
  const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already ended */ } };
  let timer: NodeJS.Timeout | undefined;
  if (kill.marker === undefined) timer = setTimeout(killGroup, kill.afterMs);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    steps.push(line);
    if (line === kill.marker) timer = setTimeout(killGroup, kill.afterMs);
  });
  return new Promise((resolve) => child.on('exit', () => { clearTimeout(timer); killGroup(); resolve(steps); }));
}

describe('a publication killed with SIGKILL at any moment', () => {
  it('is repaired by recoverPublish to exactly the old trees or exactly the new, never a mix', async (t) => {
    if (!requireRsync(t)) return;
    const dir = tempDir(t);
    const oldStages = stages(dir, 'old');
    const newStages = stages(dir, 'new');
    const expected = { old: [readTree(oldStages[0]!.stagePath), readTree(oldStages[1]!.stagePath)], new: [readTree(newStages[0]!.stagePath), readTree(newStages[1]!.stagePath)] };

    // Aimed: at each step boundary (the child pauses there), and just after rsync starts.
    const kills: Kill[] = [
      ...[`rsync ${T1}`, `rsynced ${T1}`, `rsync ${T2}`, `rsynced ${T2}`, 'commit -', `swap ${T1}`, `swapped ${T1}`, `swap ${T2}`, `swapped ${T2}`, 'done -']
        .map((marker) => ({ label: `paused at "${marker}"`, marker, afterMs: 5, pause: true })),
      ...[1, 3, 6, 10].map((afterMs) => ({ label: `${afterMs} ms into rsync of ${T2}`, marker: `rsync ${T2}`, afterMs })),
    ];
    // Unaimed: random moments over a whole publication, measured once.
    const calibration = join(dir, 'calibration');
    ok(await publishToProduction({ productionRoot: calibration, runId: 'r-old', trees: oldStages }));
    const started = Date.now();
    const steps = await publishAndKill(calibration, 'r-new', newStages, { label: 'calibration', marker: 'never', afterMs: 0 });
    const span = Date.now() - started;
    assert.match(steps.at(-1) ?? '', /^result \{"ok":true/, 'an unkilled child publishes');
    for (let i = 0; i < 10; i++) {
      const afterMs = Math.round(Math.random() * span * 1.1);
      kills.push({ label: `${afterMs} ms after spawn (a publication takes ${span} ms)`, afterMs });
    }

    const seen = { old: 0, new: 0, duringRsync: 0 };
    for (const [i, kill] of kills.entries()) {
      const root = join(dir, `p${i}`);
      ok(await publishToProduction({ productionRoot: root, runId: 'r-old', trees: oldStages }));
      const told = await publishAndKill(root, 'r-new', newStages, kill);
      const leftTemp = existsSync(join(root, '.trees/kilo/f22')) && readdirSync(join(root, '.trees/kilo/f22')).some((n) => n.startsWith('.tmp-'));
      if (leftTemp) seen.duringRsync++;
      const report = await recoverPublish(root);
      const now = [readTree(join(root, T1)), readTree(join(root, T2))];
      const which = (['old', 'new'] as const).find((w) => now.every((files, k) => isDeepStrictEqual(files, expected[w][k])));
      assert.ok(which, `killed ${kill.label} (steps: ${told.join(', ')}): production is a mix of old and new (recovery: ${JSON.stringify(report)})`);
      seen[which]++;
      if (kill.pause) {
        const committed = /^(swap|swapped|done) /.test(kill.marker ?? '');
        assert.equal(which, committed ? 'new' : 'old', `killed ${kill.label}: ${committed ? 'after' : 'before'} the commit point`);
      }
      assert.deepEqual(readdirSync(root).sort(), ['.trees', 'kilo'], `killed ${kill.label}: no journal, lock or temporary file left`);
      for (const target of [T1, T2]) {
        const trees = readdirSync(join(root, '.trees', target)).sort();
        assert.deepEqual(trees, which === 'old' ? ['000001-r-old'] : ['000001-r-old', '000002-r-new'], `killed ${kill.label}: only referenced trees remain`);
      }
      // Production is usable again: the same run publishes and ends on the new trees.
      ok(await publishToProduction({ productionRoot: root, runId: 'r-new', trees: newStages }));
      assert.deepEqual([readTree(join(root, T1)), readTree(join(root, T2))], expected.new);
      assert.equal(existsSync(join(root, JOURNAL_NAME)), false);
    }
    t.diagnostic(`${kills.length} kills: ${seen.old} left the old trees, ${seen.new} the new; ${seen.duringRsync} landed during rsync`);
    assert.ok(seen.old > 0 && seen.new > 0);
  });
});
