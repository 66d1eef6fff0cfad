import type { Command } from 'commander';
import { newRunId } from '../engine/hash.js';
import { submitImages } from '../pipelines/images/images.js';
import { loadConfig } from './config-loader.js';
import { makeEngine, providersFor } from './engine-setup.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { followRun } from './follow-run.js';
import { failureDetails } from './render-run.js';
import { withStore } from './store-access.js';
import { exitFor } from './submit.js';

export function registerImages(program: Command, io: Io, setStatus: (s: number) => void): void {
  const images = program.command('images').description('baselines of the targets: the reference an update\'s failures are compared with');
  images.command('list')
    .description('the known-good images: per target, newest first, with the production content they were built from')
    .option('--all', 'also the pruned ones')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { all?: boolean; json?: boolean; config?: string }) => setStatus(await list(io, opts)));
  images.command('build')
    .description('provision each target (or those named) with no update and run its baseline tests; a red baseline disables the target with the evidence')
    .argument('[targets...]', 'release/dist targets (default: all)')
    .option('--detach', 'print the run id and return at once (a `sluice serve` runs it)')
    .option('--json', 'print the finished run as JSON')
    .option('--config <file>', 'configuration file')
    .action(async (targets: string[], opts: { detach?: boolean; json?: boolean; config?: string }) => setStatus(await build(io, targets, opts)));
}

async function build(io: Io, targets: string[], opts: { detach?: boolean; json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  providersFor(loaded, { env: io.env, note: () => {} });
  return withStore(loaded, io, async (store) => {
    const now = io.now();
    const submitted = await submitImages({ store, config: loaded.config, targets, now, runId: newRunId(now) });
    if (!submitted.ok) throw new CliExit(EXIT.failed, submitted.message, 'E_TARGET_NOT_CONFIGURED');
    if (opts.detach) { io.out(`${submitted.runId}\n`); return EXIT.ok; }
    const engine = await makeEngine(loaded, store, { log: (l) => io.err(`${l}\n`), env: io.env });
    engine.start();
    // Progress as submit shows it: redrawn on a terminal, each job once in a log.
    const { run, jobs, interrupted } = await followRun(io, engine, store, submitted.runId, { json: opts.json === true });
    await engine.stop();
    if (interrupted) return EXIT.error;
    if (opts.json) io.out(`${JSON.stringify({ run, jobs }, null, 2)}\n`);
    else io.out(`${failureDetails(jobs).join('\n')}\n`);
    return exitFor(run);
  });
}

async function list(io: Io, opts: { all?: boolean; json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  const images = await withStore(loaded, io, (store) => store.listImages({ includePruned: opts.all === true }));
  if (opts.json) { io.out(`${JSON.stringify(images, null, 2)}\n`); return EXIT.ok; }
  if (images.length === 0) io.out('no known-good image yet: `sluice images build` makes them\n');
  for (const i of images) {
    io.out(`${i.target}  ${i.name}  ${new Date(i.createdAt).toISOString()}  ${i.provider}:${i.location}  ${i.productionKey ?? 'production content unknown'}${i.prunedAt ? '  (pruned)' : ''}\n`);
  }
  return EXIT.ok;
}
