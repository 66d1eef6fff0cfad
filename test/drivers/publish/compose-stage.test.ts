import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { composeStage, removeStage, stagePath, type StageRpm } from '../../../src/drivers/publish/compose-stage.js';
import { repoquery } from '../../../src/drivers/rpm/dnf.js';
import { makeRepository, sha256File } from '../../../src/drivers/rpm/repository.js';
import { buildRpm, requireRpmTools, rpmToolsAvailable } from '../../helpers/rpm.js';
import { tempDir } from '../../helpers/paths.js';
import { requireRsync } from '../../helpers/rsync.js';

let work = '';
const built: Record<string, string> = {};

before(() => {
  if (!rpmToolsAvailable()) return;
  work = mkdtempSync(join(tmpdir(), 'sluice-stage-rpms-'));
  for (const [key, name, version] of [['old', 'nova', '1.0'], ['new', 'nova', '1.1'], ['dep', 'oslo', '2.0'], ['tagged', 'xstatic', '0.4']] as const) {
    built[key] = buildRpm(work, join(work, 'out', key), { name, version, release: '1.el7' })[0]!;
  }
});
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

const rpm = async (key: string, subdir?: string): Promise<StageRpm> => ({ path: built[key]!, sha256: await sha256File(built[key]!), ...(subdir ? { subdir } : {}) });

/** A production tree as a site has one: RPMs and repodata/ made by createrepo_c. */
async function production(root: string, keys: string[]): Promise<string> {
  const repo = await makeRepository(keys.map((k) => built[k]!), join(root, 'cache'));
  const dir = join(root, 'production', 'kilo', 'epel-7');
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(repo.path).filter((n) => n.endsWith('.rpm'))) copyFileSync(join(repo.path, name), join(dir, name));
  mkdirSync(join(dir, 'repodata'));
  for (const name of readdirSync(join(repo.path, 'repodata'))) copyFileSync(join(repo.path, 'repodata', name), join(dir, 'repodata', name));
  return dir;
}

async function packages(dir: string, workDir: string): Promise<string[]> {
  const q = await repoquery({ id: 'stage', location: dir }, { releasever: '7', workDir });
  assert.ok(q.ok, q.log);
  return q.packages.map((p) => `${p.name}-${p.version}`).sort();
}

const snapshot = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => `${join(e.parentPath, e.name).slice(dir.length)}:${readFileSync(join(e.parentPath, e.name)).toString('base64').slice(0, 40)}`).sort();

describe('composing a stage tree', () => {
  it('adds the new RPMs (a tag\'s in its sub-directory) to a first, empty production, with repodata dnf reads', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const r = await composeStage({ stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: null, runId: 'r-1', rpms: [await rpm('new'), await rpm('tagged', 'temp-liberty')] });
    assert.ok(r.ok);
    assert.equal(r.path, stagePath(join(root, 'stage'), 'r-1', 'kilo/epel-7'));
    assert.deepEqual(r.files, [basename(built.new!), `temp-liberty/${basename(built.tagged!)}`]);
    assert.equal(r.sha256[basename(built.new!)], await sha256File(built.new!));
    assert.deepEqual(await packages(r.path, root), ['nova-1.1', 'xstatic-0.4']);
  });

  it('keeps production\'s files as hard links, leaves production\'s own repodata untouched, and lists old and new', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const prod = await production(root, ['old', 'dep']);
    const before = snapshot(prod);
    const r = await composeStage({ stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: prod, runId: 'r-2', rpms: [await rpm('new')] });
    assert.ok(r.ok);
    assert.deepEqual(r.files, [basename(built.new!)]);
    assert.deepEqual(await packages(r.path, root), ['nova-1.0', 'nova-1.1', 'oslo-2.0']);
    const old = basename(built.old!);
    assert.equal(statSync(join(r.path, old)).ino, statSync(join(prod, old)).ino, 'an unchanged RPM is a hard link, not a copy');
    assert.notEqual(statSync(join(r.path, basename(built.new!))).ino, statSync(built.new!).ino, 'a new RPM is a copy of the fetched file');
    assert.deepEqual(snapshot(prod), before, 'production is exactly as it was');
  });

  it('refuses an RPM whose checksum is not what phase2 tested, naming the file and both checksums, and copies nothing', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const tested = await rpm('new');
    const changed = join(root, basename(built.new!));
    copyFileSync(built.new!, changed);
    writeFileSync(changed, 'tampered', { flag: 'a' });
    const actual = await sha256File(changed);
    const r = await composeStage({ stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: null, runId: 'r-3', rpms: [await rpm('dep'), { ...tested, path: changed }] });
    assert.deepEqual(r, { ok: false, problems: [{ kind: 'checksum', file: changed, expected: tested.sha256, actual, message: `${changed} is not what was tested: sha256 ${actual}, phase2 tested ${tested.sha256}` }] });
    assert.equal(existsSync(join(root, 'stage')), false, 'nothing was copied, not even a directory');
  });

  it('refuses a file already in production with other content (the collision check), accepts the same one', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const prod = await production(root, ['old']);
    const impostor = join(root, 'impostor', basename(built.old!));
    mkdirSync(join(root, 'impostor'));
    copyFileSync(built.new!, impostor);
    const refused = await composeStage({ stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: prod, runId: 'r-4', rpms: [{ path: impostor, sha256: await sha256File(impostor) }] });
    assert.equal(refused.ok, false);
    assert.deepEqual(!refused.ok && refused.problems.map((p) => [p.kind, p.file]), [['collision', basename(built.old!)]]);
    const same = await composeStage({ stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: prod, runId: 'r-4', rpms: [await rpm('old'), await rpm('dep')] });
    assert.ok(same.ok);
    assert.deepEqual(same.files, [basename(built.old!), basename(built.dep!)].sort());
  });

  it('signs only the new copies, before the metadata is made, and reports their signed checksums', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const prod = await production(root, ['old']);
    const before = snapshot(prod);
    let given: readonly string[] = [];
    const r = await composeStage({
      stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: prod, runId: 'r-5', rpms: [await rpm('old'), await rpm('new')],
      sign: async (files) => {
        given = files;
        // A stand-in for rpmsign: changes the copy in place (rpm ignores bytes after the payload).
        for (const f of files) writeFileSync(f, 'signature', { flag: 'a' });
        return { ok: true };
      },
    });
    assert.ok(r.ok);
    assert.deepEqual(given.map((f) => basename(f)), [basename(built.new!)]);
    assert.equal(r.sha256[basename(built.new!)], await sha256File(join(r.path, basename(built.new!))));
    assert.notEqual(r.sha256[basename(built.new!)], await sha256File(built.new!));
    assert.equal(r.sha256[basename(built.old!)], await sha256File(built.old!));
    assert.deepEqual(await packages(r.path, root), ['nova-1.0', 'nova-1.1']);
    assert.ok(given.every((f) => !f.startsWith(prod)));
    assert.deepEqual(snapshot(prod), before);
    const refused = await composeStage({ stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: prod, runId: 'r-6', rpms: [await rpm('new')], sign: async () => ({ ok: false, reason: 'no secret key' }) });
    assert.deepEqual(!refused.ok && refused.problems.map((p) => [p.kind, p.message]), [['sign', 'signing failed: no secret key']]);
    assert.equal(existsSync(stagePath(join(root, 'stage'), 'r-6', 'kilo/epel-7')), false);
  });

  it('rebuilds from scratch when run again for the same run, and removes a run\'s stage', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const req = { stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: null, runId: 'r-7', rpms: [await rpm('new')] };
    const first = await composeStage(req);
    assert.ok(first.ok);
    writeFileSync(join(first.path, 'stray.rpm'), 'left from an interrupted attempt');
    const second = await composeStage(req);
    assert.ok(second.ok);
    assert.equal(second.path, first.path);
    assert.deepEqual(readdirSync(second.path).sort(), [basename(built.new!), 'repodata']);
    assert.deepEqual(readdirSync(join(root, 'stage', 'r-7', 'kilo')), ['epel-7'], 'no temporary directory left behind');
    await removeStage(join(root, 'stage'), 'r-7');
    assert.equal(existsSync(join(root, 'stage', 'r-7')), false);
  });

  it('refuses names that could climb out of the stage: targets, run ids, tags, file names', async (t) => {
    if (!requireRpmTools(t) || !requireRsync(t)) return;
    const root = tempDir(t);
    const base = { stageRoot: join(root, 'stage'), target: 'kilo/epel-7', productionTree: null, runId: 'r-8', rpms: [] as StageRpm[] };
    await assert.rejects(composeStage({ ...base, target: '../kilo' }), /refusing target/);
    await assert.rejects(composeStage({ ...base, target: 'kilo/../../x' }), /refusing target/);
    await assert.rejects(composeStage({ ...base, runId: '../r' }), /refusing run id/);
    const r = await composeStage({ ...base, rpms: [{ ...(await rpm('new')), subdir: '../up' }] });
    assert.deepEqual(!r.ok && r.problems.map((p) => p.kind), ['name']);
  });
});
