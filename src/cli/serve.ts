import type { Command } from 'commander';
import { loadConfig } from './config-loader.js';
import { makeEngine } from './engine-setup.js';
import { triggerPipeline } from './pipeline-triggers.js';
import { Scheduler } from '../engine/scheduler.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

export function registerServe(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('serve')
    .description('run the engine: claim and run jobs until SIGINT or SIGTERM (several may share a PostgreSQL store)')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { config?: string }) => setStatus(await serve(io, opts)));
}

async function serve(io: Io, opts: { config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const log = (l: string) => io.err(`${l}\n`);
    const engine = await makeEngine(loaded, store, { log });
    engine.start();
    const scheduler = new Scheduler({
      schedules: loaded.config.schedules, clock: engine.clock, store, log,
      trigger: async (pipeline, firedAt) => {
        const outcome = await triggerPipeline(loaded, store, pipeline, engine.clock.now());
        log(`schedule ${pipeline} (${new Date(firedAt).toISOString()}): ${outcome.kind === 'nothing' ? `nothing to do: ${outcome.why}` : `${outcome.kind} ${outcome.runId}`}`);
        if (outcome.kind === 'started') engine.notify();
        return outcome;
      },
    });
    await scheduler.start();
    io.err(`sluice serve: working (store ${store.dialect}); stop with SIGINT or SIGTERM\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err('sluice serve: stopping after the running jobs\n');
    await scheduler.stop();
    await engine.stop();
    return EXIT.ok;
  });
}
