import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/helpers/paths.js';

/**
 * What every benchmark records: its figures, each beside the baseline it was measured
 * against in the same process, merged by name into bench/results.json, from which
 * bench/benchmarks-md.ts writes BENCHMARKS.md. A bench run alone updates only its entry.
 */
export const RESULTS_FILE = join(PROJECT_ROOT, 'bench', 'results.json');

export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** The goal in words (`<= 1.5x`); absent for a figure given for context only. */
  readonly goal?: string;
  readonly met?: boolean;
  /** Shown in BENCHMARKS.md's summary though it has no goal (a figure the issue asks for). */
  readonly key?: boolean;
}

export interface BenchResult {
  readonly title: string;
  /** What is measured against which baseline, in a sentence or two. */
  readonly what: string;
  readonly rerun: string;
  readonly figures: readonly Figure[];
  /** Lines worth reading beside the figures: the profile, what dominates. */
  readonly notes?: readonly string[];
  /** Everything else the bench measured, for whoever digs further. */
  readonly details?: unknown;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** The 1-minute load average as the bench started: other work on the box shows here. */
  readonly loadAtStart: number;
}

export interface RecordedBench extends BenchResult {
  readonly ranAt: string;
  readonly runtimeS: number;
  readonly machine: Machine;
}

export interface Results {
  readonly benches: Record<string, RecordedBench>;
}

export function machine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: the model stays unknown, the rest still describes the machine.
  }
  return {
    cpu, cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${type()} ${release()}`,
    node: process.version, loadAtStart: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

export function readResults(): Results {
  if (!existsSync(RESULTS_FILE)) return { benches: {} };
  return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Results;
}

/** A bench's stopwatch: started when the bench starts, read when it records. */
export function startBench(): { machine: Machine; startedAt: number } {
  return { machine: machine(), startedAt: performance.now() };
}

/** Merges one bench's result into bench/results.json (written whole, then renamed into place). */
export function recordBench(name: string, started: { machine: Machine; startedAt: number }, result: BenchResult): void {
  const results = readResults();
  const entry: RecordedBench = {
    ...result, ranAt: new Date().toISOString(), runtimeS: Number(((performance.now() - started.startedAt) / 1000).toFixed(1)), machine: started.machine,
  };
  const benches = { ...results.benches, [name]: entry };
  const sorted = Object.fromEntries(Object.keys(benches).sort().map((k) => [k, benches[k]]));
  writeFileSync(`${RESULTS_FILE}.tmp`, `${JSON.stringify({ benches: sorted }, null, 2)}\n`);
  renameSync(`${RESULTS_FILE}.tmp`, RESULTS_FILE);
  console.log(`  recorded in bench/results.json as "${name}" (${entry.runtimeS} s)`);
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Rounds for a table: three significant digits at most, no trailing noise. */
export function round(x: number, digits = 3): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const scale = 10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * scale) / scale;
}
