import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { excerptFile, referenceFromFile } from '../src/analysis/excerpt.js';
import { recordBench, startBench } from './report.js';

/**
 * The error excerpt of a ~100 MB log against the floor of finding its first error line
 * with `grep -m1 -n Error` on the same file: both read the whole file, since the error is
 * near its end. Prints the ratio: what a full analysis (every line decoded, cleaned,
 * matched against every pattern set, context kept) costs over the fastest possible scan.
 */
const TARGET_BYTES = 100 * 1024 * 1024;

// Noise of the kinds a packaging job writes; none of it contains "Error".
const NOISE: readonly ((i: number) => string)[] = [
  (i) => `2015-06-01 10:${String((i >> 6) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.123 4242 INFO nova.compute.manager [req-${i}] Instance ${i} spawned successfully in 3.2 seconds`,
  (i) => `  Installing : python-oslo-config-2:1.9.3-1.el7.noarch                         ${i % 231}/231`,
  (i) => `gcc -O2 -g -pipe -Wall -Werror=format-security -fexceptions -c src/module${i}.c -o build/module${i}.o`,
  (i) => `DEBUG util.py:459:  Package python3-requests-2.25.1-${i % 9}.el9.noarch is already installed.`,
  (i) => `[task 2025-02-13T21:47:57.553Z] 21:47:57     INFO - TEST-PASS | dom/tests/test_${i}.html | took ${i % 900}ms`,
  (i) => `\x1b[32mPASSED\x1b[0m tests/unit/test_module.py::TestCase::test_case_${i}`,
  (i) => `{${i % 4}} tempest.api.compute.servers.test_servers.ServersTestJSON.test_case_${i} [0.${i % 1000}s] ... ok`,
  (i) => `Notice: /Stage[main]/Nova::Api/Nova_config[DEFAULT/osapi_compute_workers_${i}]/ensure: created`,
];
const FAILURE = [
  'Running transaction check',
  'Error: Package: openstack-nova-api-2015.1.2-1.el7.noarch (sluice-update)',
  '           Requires: python-oslo-config >= 2:1.9.3',
  '           Installed: 2:python-oslo-config-1.4.0-1.el7.noarch (@openstack-juno)',
  ' You could try using --skip-broken to work around the problem',
];

function writeLog(path: string, failing = true): void {
  const fd = openSync(path, 'w');
  let written = 0;
  let i = 0;
  while (written < TARGET_BYTES - 64 * 1024) {
    let chunk = '';
    while (chunk.length < 1024 * 1024) chunk += `${(NOISE[i % NOISE.length] as (i: number) => string)(i++)}\n`;
    written += writeSync(fd, chunk);
  }
  if (failing) writeSync(fd, `${FAILURE.join('\n')}\n`);
  for (let k = 0; k < 200; k++) writeSync(fd, `${(NOISE[k % NOISE.length] as (i: number) => string)(k)}\n`);
  closeSync(fd);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const started = startBench();
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
try {
  const log = join(dir, 'job.log');
  writeLog(log);
  const passing = join(dir, 'passing.log');
  writeLog(passing, false);
  const mb = statSync(log).size / (1024 * 1024);
  if (spawnSync('grep', ['--version']).status !== 0) {
    console.log('excerpt.bench: grep is not installed: skipped');
    process.exit(0);
  }
  console.log(`excerpt.bench: a ${mb.toFixed(0)} MB log, its error ${FAILURE.length + 200} lines before the end; median of 3 runs`);
  const rounds = 3;
  const grepTimes: number[] = [];
  const excerptTimes: number[] = [];
  const referenceTimes: number[] = [];
  let found = '';
  for (let r = 0; r < rounds; r++) {
    const g = performance.now();
    found = spawnSync('grep', ['-m1', '-n', 'Error', log], { encoding: 'utf8' }).stdout.trim();
    grepTimes.push(performance.now() - g);
    const s = performance.now();
    const e = await excerptFile(log);
    excerptTimes.push(performance.now() - s);
    if (!e.lines.some((l) => l.text.startsWith('Error: Package: openstack-nova-api'))) throw new Error('the excerpt missed the error');
    // With a passing log of the same size as reference: both files are read whole.
    const r = performance.now();
    const compared = await excerptFile(log, { reference: await referenceFromFile(passing) });
    referenceTimes.push(performance.now() - r);
    if (!compared.lines.some((l) => l.text.startsWith('Error: Package: openstack-nova-api'))) throw new Error('the excerpt with a reference missed the error');
  }
  const withReference = median(referenceTimes);
  const grep = median(grepTimes);
  const excerpt = median(excerptTimes);
  console.log(`  baseline: grep -m1 -n Error         ${grep.toFixed(0).padStart(8)} ms  (${(mb / (grep / 1000)).toFixed(0)} MB/s; found line ${found.split(':')[0]})`);
  console.log(`  sluice: excerptFile                 ${excerpt.toFixed(0).padStart(8)} ms  (${(mb / (excerpt / 1000)).toFixed(0)} MB/s; peak RSS of the process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB)`);
  console.log(`  sluice: excerptFile, passing log as reference ${withReference.toFixed(0).padStart(8)} ms  (reads ${(2 * mb).toFixed(0)} MB)`);
  console.log(`  ratio sluice/baseline: ${(excerpt / grep).toFixed(1)}`);
  const peakRss = process.resourceUsage().maxRSS / 1024;
  recordBench('excerpt', started, {
    title: 'Error excerpt of a 100 MB log',
    what: `excerptFile (every line decoded, cleaned, matched against every pattern set, context kept) on a ${mb.toFixed(0)} MB log whose error sits ${FAILURE.length + 200} lines before the end, against \`grep -m1 -n Error\` on the same file (both read the whole file); median of ${rounds} runs.`,
    rerun: 'npx tsc -p . && node dist/bench/excerpt.bench.js',
    figures: [
      { label: 'excerpt: excerptFile / grep -m1', value: Number((excerpt / grep).toFixed(1)), unit: 'x' },
      { label: 'excerpt: excerptFile', value: Math.round(excerpt), unit: 'ms' },
      { label: 'excerpt: excerptFile throughput', value: Math.round(mb / (excerpt / 1000)), unit: 'MB/s' },
      { label: 'excerpt: grep -m1 -n Error', value: Math.round(grep), unit: 'ms' },
      { label: 'excerpt: excerptFile with a 100 MB passing log as reference / grep -m1', value: Number((withReference / grep).toFixed(1)), unit: 'x' },
      { label: 'excerpt: excerptFile with a 100 MB passing log as reference', value: Math.round(withReference), unit: 'ms' },
      { label: 'excerpt: peak RSS of the process (the log is streamed)', value: Math.round(peakRss), unit: 'MB' },
    ],
    notes: ['The issue sets no goal for this figure; docs/analysis.md discusses it.'],
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
