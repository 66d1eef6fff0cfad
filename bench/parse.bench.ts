import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { parseUpdateBytes } from '../src/core/update-file.js';
import { SHARED } from '../test/helpers/paths.js';
import { recordBench, startBench } from './report.js';

/**
 * Validating an update file with positions, limits and the schema, against the floor of
 * merely parsing its YAML with the same library, on every real file RDO ever had.
 * Prints the ratio: what Sluice's checking costs over the bare parse.
 */
const started = startBench();
const dir = join(SHARED, 'samples', 'rdo-update-history');
let files: Buffer[];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.yml')).map((f) => readFileSync(join(dir, f)));
} catch {
  console.log(`parse.bench: ${dir} is absent (as in a user's clone): skipped`);
  process.exit(0);
}

function time(label: string, rounds: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  const perRound = (performance.now() - start) / rounds;
  console.log(`  ${label.padEnd(34)} ${(perRound * 1000 / files.length).toFixed(1).padStart(8)} us/file`);
  return perRound;
}

console.log(`parse.bench: ${files.length} real update files, each round parses all of them`);
const rounds = 200;
const baseline = time('baseline: yaml.parse', rounds, () => { for (const f of files) parse(f.toString('utf8')); });
const sluice = time('sluice: parseUpdateBytes', rounds, () => {
  for (const f of files) if (!parseUpdateBytes(f, 'f.yml').ok) throw new Error('a real file was refused');
});
console.log(`  ratio sluice/baseline: ${(sluice / baseline).toFixed(2)}`);
recordBench('parse', started, {
  title: 'Update file validation',
  what: `parseUpdateBytes (positions, limits, the schema) on all ${files.length} real update files of RDO's history, against yaml.parse of the same files; ${rounds} rounds after 20 warm-up rounds.`,
  rerun: 'npx tsc -p . && node dist/bench/parse.bench.js',
  figures: [
    { label: 'parse: parseUpdateBytes / yaml.parse', value: Number((sluice / baseline).toFixed(2)), unit: 'x' },
    { label: 'parse: parseUpdateBytes per file', value: Number(((sluice * 1000) / files.length).toFixed(1)), unit: 'us' },
  ],
  notes: ['Not one of the issue\'s figures: kept for context.'],
});
