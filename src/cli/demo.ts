import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { newRunId } from '../engine/hash.js';
import { submitPhase1 } from '../pipelines/phase1/submit.js';
import { pipelineNamed, storyOf } from '../pipelines/registry.js';
import { loadConfig } from './config-loader.js';
import { buildRpm, rpmToolsAvailable } from '../drivers/rpm/index.js';
import { demoConfig, DEMO_PHASE2_TEST, DEMO_SMOKE_TEST, DEMO_STAGE_TEST, demoSelfTest } from './demo-site.js';
import { DEMO_UPDATES } from './demo-updates.js';
import { makeEngine } from './engine-setup.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { main } from './main.js';
import { failureDetails, matrixLines } from './render-run.js';
import { withStore } from './store-access.js';
import { shellQuote } from './shell-quote.js';

/**
 * `sluice demo`: phase1 for real, on embedded defaults (SQLite, local processes), in a new
 * temporary directory: update files in the real format, five targets with one disabled,
 * a smoke test that runs and fails on one target with a realistic error in a long log.
 */
export function registerDemo(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('demo')
    .description('phase1 for real on a temporary site: five targets, one disabled, one failing')
    .option('--dir <dir>', 'use this directory instead of a new temporary one')
    .action(async (opts: { dir?: string }) => setStatus(await demo(io, opts.dir)));
}

async function demo(io: Io, dir: string | undefined): Promise<number> {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  mkdirSync(join(root, 'tests'), { recursive: true });
  const withChecks = rpmToolsAvailable();
  if (withChecks) makeDemoRpms(root);
  writeFileSync(join(root, 'sluice.yaml'), demoConfig(root, withChecks));
  for (const [name, text] of [['smoke.sh', DEMO_SMOKE_TEST], ['phase2.sh', DEMO_PHASE2_TEST], ['stage.sh', DEMO_STAGE_TEST]] as const) {
    writeFileSync(join(root, 'tests', name), text);
    chmodSync(join(root, 'tests', name), 0o755);
  }
  for (const [path, text] of Object.entries(DEMO_UPDATES)) {
    mkdirSync(dirname(join(root, 'submitted', path)), { recursive: true });
    writeFileSync(join(root, 'submitted', path), text);
  }
  const here: Io = { ...io, cwd: root, env: { ...io.env, SLUICE_USER: io.env.SLUICE_USER ?? 'demo', SLUICE_CONFIG: undefined, SLUICE_STORE: undefined } };
  const step = async (title: string, args: string[]): Promise<number> => {
    io.out(`\n$ sluice ${args.map(shellQuote).join(' ')}\n# ${title}\n`);
    return main(args, here);
  };
  io.out(`Sluice demo in ${root}\n`);
  if (!withChecks) io.out('(rpmbuild, createrepo_c or dnf is not installed: the built-in checks are left out; `npm test` installs them)\n');
  await step('a known-red target: pipelines skip it and say why', ['targets', 'disable', 'liberty/fedora-22', '--reason', 'Fedora 22 Liberty repo not composed yet', '--until', '2d']);
  const files = Object.keys(DEMO_UPDATES).map((p) => join('submitted', p));
  await step('validate the submitted update files first: one is broken on purpose', ['check', ...files]);

  io.out('\n# phase1: each valid update is tested on every target it touches, in parallel (3 local nodes)\n');
  const loaded = loadConfig(here, undefined);
  const verdicts = await withStore(loaded, here, async (store) => {
    const runs: string[] = [];
    for (const file of files) {
      const bytes = new TextEncoder().encode(DEMO_UPDATES[file.slice('submitted/'.length)] ?? '');
      const now = here.now();
      const r = await submitPhase1({ store, config: loaded.config, configHash: loaded.hash, file, bytes, author: { name: 'Demo Packager', email: 'packager@example.org' }, now, runId: newRunId(now) });
      if (r.ok) { runs.push(r.runId); io.out(`submitted ${file}: run ${r.runId}, ${r.jobs} target(s), ${r.skipped} skipped\n`); }
      else io.out(`not submitted ${file}: ${r.problems.length} problem(s), see check above\n`);
    }
    const engine = await makeEngine(loaded, store, { pollMs: 200 });
    engine.start();
    const out: string[] = [];
    for (const id of runs) {
      const run = await engine.waitForRun(id);
      const jobs = await store.listJobs(id);
      io.out(`\n${[...matrixLines(run, jobs), ...failureDetails(jobs)].join('\n')}\n`);
      out.push(run.verdict ?? 'none');
    }
    await engine.stop();
    return out;
  });
  await step('what phase1 merged into updates/ of the update repository', ['status']);
  if (withChecks) {
    await step('phase2: everything in updates/ installed together on fresh nodes; the failure is bisected to its culprit, the rest moves to ready/', ['phase2']);
    await step('promote: ready/ composed into stage, stage tested, then published to production at once', ['promote']);
  } else {
    io.out('\n# phase2 and promote need real RPMs: install rpmbuild, createrepo_c and dnf (`npm test` does) to see them here\n');
  }
  const gitFormat = '%h %s (author %an)';
  io.out(`\n$ git -C update-repo log ${shellQuote(`--format=${gitFormat}`)}\n`);
  const { execFileSync } = await import('node:child_process');
  io.out(execFileSync('git', ['-C', join(root, 'update-repo'), 'log', `--format=${gitFormat}`], { encoding: 'utf8' }));
  io.out(`\nEverything is in ${root}: sluice.yaml, tests/, submitted/, update-repo/, ${withChecks ? 'published/ (production), ' : ''}.sluice/ (store, job logs)\n`);
  io.out(await nextSteps(root, here));
  return verdicts.includes('pass') && verdicts.includes('fail') ? EXIT.ok : EXIT.error;
}

/**
 * What to do next, as commands to copy into a shell: the dashboard, why phase2 (or a
 * phase1 run) failed, and the log of the job that failed. `sluice` is this clone's
 * bin/sluice: when another one (or none) is first on PATH, the block puts it there.
 */
async function nextSteps(root: string, io: Io): Promise<string> {
  const { DEFAULT_LISTEN } = await import('../web/start.js');
  const bin = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin');
  const lines = ['', 'Next, in a shell (copy these lines):'];
  if (!onPath(join(bin, 'sluice'), io.env.PATH)) lines.push(`  export PATH=${shellQuote(bin)}:"$PATH"`);
  lines.push(`  cd ${shellQuote(root)}`);
  const failed = await withStore(loadConfig(io, undefined), io, async (store) => {
    const runs = await store.listRuns({ limit: 50 });
    const run = runs.find((r) => pipelineNamed(r.pipeline)?.bisects === true && r.verdict === 'fail') ?? runs.find((r) => r.verdict === 'fail');
    const job = run ? (await store.listJobs(run.id)).reverse().find((j) => j.result === 'failure') : undefined;
    return run ? { run, job } : undefined;
  });
  if (failed) {
    lines.push(`  sluice explain ${failed.run.id}   # why ${failed.run.pipeline} ${storyOf(failed.run).failureHint}`);
    if (failed.job) lines.push(`  sluice logs ${failed.job.id}   # its error lines first, then the whole log's path`);
  }
  lines.push(`  sluice serve   # the dashboard and API: open http://${DEFAULT_LISTEN}/ (Ctrl-C stops it)`);
  return `${lines.join('\n')}\n`;
}

/** Whether `sluice` on this PATH is the given executable (the first one found wins). */
function onPath(executable: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, 'sluice');
    if (!existsSync(candidate)) continue;
    try {
      return realpathSync(candidate) === realpathSync(executable);
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * The production repository of kilo/epel-7 has python-oslo-concurrency 1.4.1; the Nova
 * build of update nv4a needs >= 1.8.0, which `installable` reports by name.
 */
function makeDemoRpms(root: string): void {
  const work = join(root, '.sluice', 'rpmbuild');
  buildRpm(work, join(root, 'production', 'kilo-el7'), { name: 'python-oslo-concurrency', version: '1.4.1', release: '1.el7' });
  // Every phase1 node receives the update's RPMs: both of nv4a's builds exist (the Fedora one fails its smoke test).
  for (const release of ['1.el7', '1.fc23']) buildRpm(work, join(root, 'builds', `openstack-nova-2015.1.2-${release}`), { name: 'openstack-nova', version: '2015.1.2', release, requires: ['python-oslo-concurrency >= 1.8.0'] });
  // Liberty's production repositories and the builds phase2 and promote take from builds/.
  buildRpm(work, join(root, 'production', 'liberty-el7'), { name: 'python-oslo-concurrency', version: '2.6.0', release: '1.el7' });
  buildRpm(work, join(root, 'production', 'liberty-f23'), { name: 'python-oslo-concurrency', version: '2.6.0', release: '1.fc23' });
  const builds: [string, string, string][] = [
    ['openstack-packstack', '2015.2', '0.1.dev1654.gcbbf46e.el7'], ['openstack-packstack', '2015.2', '0.1.dev1654.gcbbf46e.fc23'],
    ['python-oslo-config', '2.4.0', '1.el7'], ['python-django-horizon', '8.0.1', '1.el7'],
  ];
  for (const [name, version, release] of builds) {
    buildRpm(work, join(root, 'builds', `${name}-${version}-${release}`), { name, version, release, files: { [`/usr/share/${name}/selftest`]: demoSelfTest(name) } });
  }
}
