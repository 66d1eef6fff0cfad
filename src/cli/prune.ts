import type { Command } from 'commander';
import { formatBytes } from '../core/byte-size.js';
import { pruneSite, retentionLimitsOf, retentionSiteOf, type PruneReport, type PruneStore } from '../drivers/retention/index.js';
import type { LoadedConfig } from './config-loader.js';
import { loadConfig } from './config-loader.js';
import { imageRemover } from './engine-setup.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

interface PruneOptions { config?: string; dryRun?: boolean; json?: boolean; list?: boolean }

export function registerPrune(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('prune')
    .description('delete old job logs, fetched builds, update repositories, production trees and images by the limits of retention: in sluice.yaml (never what an unfinished run, a ready/ update or a rollback needs)')
    .option('--dry-run', 'say what would be deleted and freed, delete nothing')
    .option('--list', 'name every item deleted (or, dry, that would be)')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: PruneOptions) => setStatus(await prune(io, opts)));
}

async function prune(io: Io, opts: PruneOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const report = await pruneNow(loaded, store, { dryRun: opts.dryRun === true, now: io.now(), env: io.env });
    if (opts.json) io.out(`${JSON.stringify(reportJson(report), null, 2)}\n`);
    else io.out(`${[...pruneLines(report), ...(opts.list ? removalLines(report) : [])].join('\n')}\n`);
    for (const f of report.failures) io.err(`sluice prune: could not delete ${f}\n`);
    return report.failures.length > 0 ? EXIT.error : EXIT.ok;
  });
}

/** One prune of the site by its configuration: `sluice prune` and the schedule of `sluice serve`. */
export function pruneNow(loaded: LoadedConfig, store: PruneStore, o: { dryRun: boolean; now: number; env: Readonly<Record<string, string | undefined>> }): Promise<PruneReport> {
  return pruneSite(retentionSiteOf(loaded.config, (p) => loaded.resolvePath(p)), store, {
    limits: retentionLimitsOf(loaded.config), now: o.now, dryRun: o.dryRun, removeImage: imageRemover(loaded, o.env),
  });
}

/** A table of the kinds: what each holds, what was (or would be) freed, what is held. */
export function pruneLines(report: PruneReport): string[] {
  const verb = report.dryRun ? 'would free' : 'freed';
  const rows = report.kinds.map((k) => [
    k.kind, String(k.items), formatBytes(k.bytes), formatBytes(k.removedBytes), `${plural(k.removedItems, 'item')}, ${plural(k.removedFiles, 'file')}`, k.held > 0 ? `${k.held} kept: still needed` : '',
  ]);
  const head = ['kind', 'items', 'size', verb, 'deleted', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const total = report.kinds.reduce((n, k) => n + k.removedBytes, 0);
  const of = report.kinds.reduce((n, k) => n + k.bytes, 0);
  const items = report.kinds.reduce((n, k) => n + k.removedItems, 0);
  return [
    ...(report.dryRun ? ['dry run: nothing was deleted'] : []),
    line(head), ...rows.map(line),
    `${report.dryRun ? 'would free' : 'freed'} ${formatBytes(total)} of ${formatBytes(of)} (${plural(items, 'item')}); ${plural(report.filesScanned, 'file')} looked at in ${report.durationMs} ms`,
  ];
}

function removalLines(report: PruneReport): string[] {
  return report.plan.remove.map((r) => `  ${r.item.kind} ${r.item.id}  ${formatBytes(r.item.bytes)}  (${r.because === 'age' ? 'older than max_age' : 'over max_size'})`);
}

function reportJson(report: PruneReport) {
  return {
    dryRun: report.dryRun,
    kinds: report.kinds,
    removed: report.plan.remove.map((r) => ({ kind: r.item.kind, id: r.item.id, bytes: r.item.bytes, files: r.item.files, at: r.item.at, because: r.because })),
    held: report.plan.held.map((i) => ({ kind: i.kind, id: i.id, bytes: i.bytes, neededBy: i.neededBy })),
    failures: report.failures,
    filesScanned: report.filesScanned,
    durationMs: report.durationMs,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
