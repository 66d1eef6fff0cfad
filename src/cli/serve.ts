import type { Command } from 'commander';
import { loadConfig } from './config-loader.js';
import { makeEngine } from './engine-setup.js';
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
    const engine = await makeEngine(loaded, store, { log: (l) => io.err(`${l}\n`) });
    engine.start();
    io.err(`sluice serve: working (store ${store.dialect}); stop with SIGINT or SIGTERM\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err('sluice serve: stopping after the running jobs\n');
    await engine.stop();
    return EXIT.ok;
  });
}
