import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pruneSite, type RetentionSite } from '../src/drivers/retention/index.js';
import { openStore } from '../src/store/index.js';
import { recordBench, startBench } from './report.js';

/**
 * `sluice prune` on a generated work_dir of old run directories (every one past max_age),
 * against the floor of deleting the same directories with fs.rm and nothing else. The
 * prune also walks each directory to measure it, asks the store what is needed, renames
 * each aside before deleting it and records a `logs.pruned` event per run.
 */
const RUNS = 1000;
const FILES_PER_RUN = 20;
const FILE_BYTES = 4096;
const DAY = 86_400_000;
const started = startBench();
const root = mkdtempSync(join(tmpdir(), 'sluice-prune-bench-'));

function generate(workDir: string): void {
  const old = new Date(Date.now() - 40 * DAY);
  const body = Buffer.alloc(FILE_BYTES, 0x61);
  for (let r = 0; r < RUNS; r++) {
    const dir = join(workDir, `r${String(r).padStart(5, '0')}`, 'job-a1');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_RUN; f++) writeFileSync(join(dir, `f${f}.log`), body);
    utimesSync(join(dir, '..'), old, old);
    for (let f = 0; f < FILES_PER_RUN; f++) utimesSync(join(dir, `f${f}.log`), old, old);
    utimesSync(dir, old, old);
  }
}

async function main(): Promise<void> {
  const store = await openStore('sqlite::memory:');
  const files = RUNS * FILES_PER_RUN;
  const bytes = files * FILE_BYTES;
  const rounds = 3;
  let baselineMs = 0;
  let pruneMs = 0;
  let dryMs = 0;
  for (let i = 0; i < rounds; i++) {
    const a = join(root, `base-${i}`);
    generate(a);
    let t0 = performance.now();
    for (let r = 0; r < RUNS; r++) await rm(join(a, `r${String(r).padStart(5, '0')}`), { recursive: true, force: true });
    baselineMs += performance.now() - t0;
    const site: RetentionSite = { workDir: join(root, `prune-${i}`), cacheDir: join(root, `cache-${i}`), productionRoot: join(root, `prod-${i}`), updateRepo: null, keepTrees: 2 };
    generate(site.workDir);
    t0 = performance.now();
    const dry = await pruneSite(site, store, { limits: { logs: { maxAgeMs: 30 * DAY } }, now: Date.now(), dryRun: true });
    dryMs += performance.now() - t0;
    t0 = performance.now();
    const report = await pruneSite(site, store, { limits: { logs: { maxAgeMs: 30 * DAY } }, now: Date.now(), dryRun: false });
    pruneMs += performance.now() - t0;
    const logs = report.kinds.find((k) => k.kind === 'logs');
    if (logs?.removedItems !== RUNS || logs.removedBytes !== bytes || dry.kinds.find((k) => k.kind === 'logs')?.removedBytes !== bytes) throw new Error(`prune freed ${JSON.stringify(logs)}, not ${RUNS} runs of ${bytes} bytes`);
  }
  await store.close();
  rmSync(root, { recursive: true, force: true });
  const [base, prune, dry] = [baselineMs / rounds, pruneMs / rounds, dryMs / rounds];
  const filesPerSecond = Math.round(files / (prune / 1000));
  const mibPerSecond = bytes / 1024 ** 2 / (prune / 1000);
  console.log(`prune.bench: ${RUNS} old runs of ${FILES_PER_RUN} files of ${FILE_BYTES} bytes (${(bytes / 1024 ** 2).toFixed(0)} MiB), ${rounds} rounds`);
  console.log(`  baseline: fs.rm of each run          ${base.toFixed(0).padStart(6)} ms`);
  console.log(`  sluice prune --dry-run                ${dry.toFixed(0).padStart(6)} ms`);
  console.log(`  sluice prune                          ${prune.toFixed(0).padStart(6)} ms  (${filesPerSecond} files/s, ${mibPerSecond.toFixed(0)} MiB/s)`);
  console.log(`  ratio prune/baseline: ${(prune / base).toFixed(2)}`);
  recordBench('prune', started, {
    title: 'Retention: sluice prune',
    what: `pruneSite deleting ${RUNS} old run directories of ${FILES_PER_RUN} files of ${FILE_BYTES} bytes from a generated work_dir (measured, renamed aside, deleted, one store event each), against fs.rm of the same directories; ${rounds} rounds on fresh trees.`,
    rerun: 'npx tsc -p . && node dist/bench/prune.bench.js',
    figures: [
      { label: 'prune: pruneSite / fs.rm', value: Number((prune / base).toFixed(2)), unit: 'x' },
      { label: 'prune: files deleted per second', value: filesPerSecond, unit: 'files/s', key: true },
      { label: 'prune: dry run over the same tree', value: Math.round(dry), unit: 'ms' },
    ],
    notes: ['The throughput depends on the file system: a tmp directory here.'],
  });
}

await main();
