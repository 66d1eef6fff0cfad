import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobAnalyzer } from '../src/analysis/job-analyzer.js';
import type { Config } from '../src/core/config.js';
import { parseConfigText } from '../src/drivers/registry.js';
import { localProvider } from '../src/drivers/providers/local/local-provider.js';
import { Engine, type RunReporter } from '../src/engine/engine.js';
import { submitPhase1 } from '../src/pipelines/phase1/submit.js';
import type { Store } from '../src/store/index.js';

/**
 * A site for the engine benchmarks: `releases × dists` targets on one local provider, a
 * phase1 test command of `true`, and engine timings as `serve` runs with by default
 * (lease 30s, poll 1s, sweep 15s): wake-up hints, not the poll, start every job.
 */
export interface BenchSite {
  readonly dir: string;
  readonly config: Config;
  readonly targets: readonly string[];
}

export const ENGINE_TIMINGS = { leaseMs: 30_000, pollMs: 1000, sweepEveryMs: 15_000, retryBackoffMs: 10_000 } as const;

export function makeBenchSite(dir: string, o: { releases: number; dists: number; capacity: number }): BenchSite {
  const releases = Array.from({ length: o.releases }, (_, i) => `rel${i + 1}`);
  const dists = Array.from({ length: o.dists }, (_, i) => `dist${i + 1}`);
  const targets = releases.flatMap((r) => dists.map((d) => `${r}/${d}`));
  const text = `releases: [${releases.join(', ')}]
dists: { ${dists.map((d) => `${d}: {}`).join(', ')} }
targets:
${targets.map((t) => `  ${t}: { repo: "https://example.org/${t}/", image: img-${t.replace('/', '-')} }`).join('\n')}
providers: { local: { type: local, capacity: ${o.capacity} } }
pipelines: { phase1: { test: "true", timeout: 5m, retries: 0 } }
`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sluice.yaml'), text);
  const parsed = parseConfigText(text, join(dir, 'sluice.yaml'));
  if (!parsed.ok) throw new Error(`the bench configuration is invalid: ${JSON.stringify(parsed.problems)}`);
  return { dir, config: parsed.config, targets };
}

/** An update file with one build on each of `targets`. */
export function updateText(id: string, targets: readonly string[]): string {
  const builds = targets.map((t) => {
    const [release, dist] = t.split('/') as [string, string];
    return `  - id: bench-${id}-1.0-1.${dist}\n    repo: ${release}\n    dist: ${dist}\n`;
  });
  return `notes: benchmark update ${id}\nbuilds:\n${builds.join('')}`;
}

export async function submitUpdate(site: BenchSite, store: Store, id: string, targets: readonly string[], now: number): Promise<string> {
  const r = await submitPhase1({
    store, config: site.config, configHash: 'bench', file: `updates/${id}.yml`, bytes: new TextEncoder().encode(updateText(id, targets)),
    author: { name: 'Bench', email: 'bench@example.org' }, now, runId: `run-${id}`,
  });
  if (!r.ok) throw new Error(`update ${id} refused: ${JSON.stringify(r.problems)}`);
  return r.runId;
}

/**
 * The engine as `serve` builds it (src/cli/engine-setup.ts), less the update repository's
 * reporters: a merge is a git commit per run, the report's own cost, not dispatch. The
 * analysis of each attempt stays, as it runs for every job. `onReport` sees each run the
 * moment its verdict is reported.
 */
export function benchEngine(site: BenchSite, store: Store, capacity: number, onReport: (runId: string) => void): Engine {
  const reporter: RunReporter = { report: async (run) => onReport(run.id) };
  return new Engine({
    store, workerId: 'bench', ...ENGINE_TIMINGS,
    providers: [localProvider({ name: 'local', capacity, workDir: join(site.dir, 'work'), configDir: site.dir })],
    analyzer: jobAnalyzer({ store }),
    reporters: [reporter],
  });
}

/**
 * The floor: `n` children of `/bin/sh -c true`, `concurrency` at a time, spawned as the
 * local provider spawns a job (its own process group, stdout and stderr piped and read,
 * done at 'close'), in a directory and with an environment of the same size. Gives the
 * wall time and the main thread's CPU time (the fork is paid there).
 */
export async function bareSpawns(n: number, concurrency: number, cwd: string): Promise<{ ms: number; cpuMs: number }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, SLUICE_TARGET: 'rel1/dist1', SLUICE_WORKDIR: cwd };
  const one = () => new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      next++;
      await one();
    }
  }));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/** Counts each store operation and the time callers waited for it (overlapping waits add up). */
export function countingStore(store: Store): { store: Store; counts: Map<string, { calls: number; ms: number }>; reset(): void } {
  const counts = new Map<string, { calls: number; ms: number }>();
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        const tally = () => {
          const c = counts.get(prop) ?? { calls: 0, ms: 0 };
          c.calls++;
          c.ms += performance.now() - start;
          counts.set(prop, c);
        };
        if (result instanceof Promise) return result.finally(tally);
        tally();
        return result;
      };
    },
  });
  return { store: wrapped, counts, reset: () => counts.clear() };
}
