import type { Command } from 'commander';
import { listKept, mirrorHosts, ROLLBACK_STREAM, rollbackProduction, type SwitchResult } from '../drivers/publish/index.js';
import { loadConfig, type LoadedConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { whoAmI, withStore } from './store-access.js';

interface RollbackOptions { to?: string; target?: string[]; reason?: string; by?: string; list?: boolean; json?: boolean; config?: string }

export function registerRollback(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('rollback')
    .description('switch production and every mirror back to a tree promote kept (default: each target\'s previous one), all or none; --list shows the kept trees')
    .option('--to <tree>', 'a kept tree (000005-r-...) or the run that published it; also undoes a rollback')
    .option('--target <release/dist>', 'only this target (repeatable); default: every target', (v: string, acc: string[] = []) => [...acc, v])
    .option('--reason <text>', 'why (recorded with who rolled back)')
    .option('--by <who>', 'who rolls back (default: $SLUICE_USER or the login name)')
    .option('--list', 'list each target\'s kept trees and the one production shows; change nothing')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: RollbackOptions) => setStatus(opts.list ? await list(io, opts) : await rollback(io, opts)));
}

const productionOf = (loaded: LoadedConfig) => loaded.resolvePath(loaded.config.promote.production);

async function list(io: Io, opts: RollbackOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  const kept = await listKept(productionOf(loaded));
  // Rollbacks are rare: their stream is read whole, and the newest shown.
  const last = (await withStore(loaded, io, (store) => store.listEvents({ runId: ROLLBACK_STREAM, limit: 100_000 })))
    .flatMap((e) => (e.kind === 'production.rolled_back' ? [{ at: new Date(e.at).toISOString(), ...e.payload }] : [])).at(-1) ?? null;
  if (opts.json) {
    const targets = kept.map((k) => ({ target: k.target, current: k.current, trees: k.trees.map((t) => ({ name: t.name, run: t.runId, current: t.name === k.current })) }));
    io.out(`${JSON.stringify({ targets, lastRollback: last }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (kept.length === 0) io.out('no production trees yet: promote has not published\n');
  for (const k of kept) {
    io.out(`${k.target}\n`);
    for (const t of [...k.trees].reverse()) io.out(`  ${t.name === k.current ? '*' : ' '} ${t.name}  (run ${t.runId})\n`);
  }
  if (last) io.out(`last rollback: ${last.at} by ${last.by} (${last.via}): ${last.reason}\n`);
  return EXIT.ok;
}

async function rollback(io: Io, opts: RollbackOptions): Promise<number> {
  const reason = (opts.reason ?? '').trim();
  if (reason === '') throw new CliExit(EXIT.usage, 'sluice rollback needs --reason TEXT: why production goes back (recorded with who did it)', 'E_USAGE');
  const loaded = loadConfig(io, opts.config);
  for (const t of opts.target ?? []) {
    if (!(t in loaded.config.targets)) throw new CliExit(EXIT.failed, `unknown target "${t}" (configured: ${Object.keys(loaded.config.targets).join(', ')})`, 'E_TARGET_NOT_CONFIGURED');
  }
  const by = opts.by ?? whoAmI(io);
  const mirrors = mirrorHosts(loaded.config.promote.mirrors, (p) => loaded.resolvePath(p));
  const r: SwitchResult = await rollbackProduction({
    productionRoot: productionOf(loaded), mirrors,
    ...(opts.to === undefined ? {} : { to: opts.to }), ...(opts.target === undefined ? {} : { targets: opts.target }),
  });
  if (!r.ok) throw new CliExit(r.kind === 'refused' ? EXIT.failed : EXIT.error, r.error, r.kind === 'refused' ? 'E_NO_KEPT_TREE' : 'E_ROLLBACK_FAILED');
  await withStore(loaded, io, (store) => store.appendEvent({
    at: io.now(), kind: 'production.rolled_back', runId: ROLLBACK_STREAM,
    payload: { by, via: 'cli', reason, to: opts.to ?? null, targets: r.targets, mirrors: [...r.mirrors] },
  }));
  if (opts.json) {
    io.out(`${JSON.stringify({ by, reason, targets: r.targets, mirrors: r.mirrors }, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const t of r.targets) io.out(`${t.target}: ${t.from} -> ${t.to}\n`);
  io.out(`rolled back by ${by}${r.mirrors.length > 0 ? `, here and on ${r.mirrors.join(', ')}` : ''}: ${reason}\n`);
  return EXIT.ok;
}
