import { providerOfKind } from '../engine/job-kind.js';
import type { Command } from 'commander';
import { formatDuration } from '../core/duration.js';
import { capacityOf } from '../drivers/providers/configured-providers.js';
import { DRIVERS } from '../drivers/registry.js';
import type { Lease } from '../store/leases.js';
import type { Job } from '../store/runs.js';
import type { Store } from '../store/index.js';
import { loadConfig, type LoadedConfig } from './config-loader.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

export function registerNodes(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('nodes')
    .description('each provider\'s node slots: leased (by which worker, since when, running which job) or idle')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { json?: boolean; config?: string }) => setStatus(await nodes(io, opts)));
}

export interface NodeSlot {
  readonly slot: number;
  /** `expired`: the holder stopped renewing it; the next sweep reaps its job and frees it. */
  readonly state: 'leased' | 'expired' | 'idle';
  readonly holder: string | null;
  readonly acquiredAt: number | null;
  readonly expiresAt: number | null;
  readonly ageMs: number | null;
  readonly job: { readonly id: string; readonly runId: string; readonly target: string } | null;
}

export interface ProviderNodes {
  readonly provider: string;
  readonly type: string;
  readonly capacity: number;
  readonly slots: readonly NodeSlot[];
}

async function nodes(io: Io, opts: { json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const report = await providerNodes(loaded, store, io.now());
    if (opts.json) { io.out(`${JSON.stringify(report, null, 2)}\n`); return EXIT.ok; }
    io.out(nodeLines(report, io.now()));
    return EXIT.ok;
  });
}

/** The slots of every configured provider, from the store's node leases and running jobs. */
export async function providerNodes(loaded: LoadedConfig, store: Store, now: number): Promise<ProviderNodes[]> {
  const running: Job[] = [];
  for (const run of await store.listRuns({ unfinished: true, limit: 1000 })) {
    running.push(...(await store.listJobs(run.id)).filter((j) => j.state === 'running'));
  }
  return Promise.all(Object.entries(loaded.config.providers).map(async ([name, p]) => {
    const leases = await store.listLeases(`provider:${name}`);
    const jobs = jobsOfLeases(leases, running.filter((j) => providerOfKind(j.kind) === name));
    const capacity = Math.max(capacityOf(DRIVERS.providers, p), ...leases.map((l) => l.slot + 1));
    const slots = Array.from({ length: capacity }, (_, slot): NodeSlot => {
      const l = leases.find((x) => x.slot === slot);
      if (!l) return { slot, state: 'idle', holder: null, acquiredAt: null, expiresAt: null, ageMs: null, job: null };
      const j = jobs.get(l);
      return {
        slot, state: l.expiresAt <= now ? 'expired' : 'leased', holder: l.holder, acquiredAt: l.acquiredAt, expiresAt: l.expiresAt, ageMs: now - l.acquiredAt,
        job: j ? { id: j.id, runId: j.runId, target: j.target } : null,
      };
    });
    return { provider: name, type: p.type, capacity, slots };
  }));
}

/**
 * Which job a node lease serves. The engine's lease carries its holder (`<worker>#<n>`)
 * and, when it says so, the job; else the worker's running jobs of the provider are
 * matched to its leases in the order both began, one job per lease.
 */
function jobsOfLeases(leases: readonly Lease[], running: readonly Job[]): Map<Lease, Job> {
  const byId = new Map(running.map((j) => [j.id, j]));
  const out = new Map<Lease, Job>();
  const used = new Set<string>();
  for (const l of leases) {
    const j = l.jobId === null ? undefined : byId.get(l.jobId);
    if (j) { out.set(l, j); used.add(j.id); }
  }
  const workerOf = (holder: string) => (holder.lastIndexOf('#') > 0 ? holder.slice(0, holder.lastIndexOf('#')) : holder);
  for (const l of [...leases].sort((a, b) => a.acquiredAt - b.acquiredAt)) {
    if (out.has(l)) continue;
    const j = running.filter((x) => !used.has(x.id) && x.lockedBy === workerOf(l.holder)).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0))[0];
    if (j) { out.set(l, j); used.add(j.id); }
  }
  return out;
}

function nodeLines(report: readonly ProviderNodes[], now: number): string {
  const lines: string[] = [];
  for (const p of report) {
    const busy = p.slots.filter((s) => s.state !== 'idle').length;
    lines.push(`${p.provider} (${p.type}): ${busy} of ${p.capacity} leased`);
    for (const s of p.slots) {
      if (s.state === 'idle') { lines.push(`  #${s.slot}  idle`); continue; }
      const expiry = s.state === 'expired' ? 'lease expired' : `expires in ${formatDuration(Math.max(0, (s.expiresAt ?? now) - now))}`;
      const job = s.job ? `  job ${s.job.id} (${s.job.target})` : '  no running job';
      lines.push(`  #${s.slot}  ${s.state}  ${s.holder}  for ${formatDuration(s.ageMs ?? 0)}  ${expiry}${job}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : 'no provider configured\n';
}
