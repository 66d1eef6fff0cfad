import type { Command } from 'commander';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { whoAmI, withStore } from './store-access.js';

export function registerCancel(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('cancel')
    .description('cancel a run: queued jobs at once, running ones at their next heartbeat')
    .argument('<run>', 'run id')
    .option('--reason <text>', 'why (shown with the run)')
    .option('--config <file>', 'configuration file')
    .action(async (runId: string, opts: { reason?: string; config?: string }) => setStatus(await cancel(io, runId, opts)));
}

async function cancel(io: Io, runId: string, opts: { reason?: string; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const r = await store.cancelRun({ runId, now: io.now(), reason: opts.reason ?? `cancelled by ${whoAmI(io)}` });
    if (!r.ok && r.code === 'not_found') throw new CliExit(EXIT.failed, `no run "${runId}"`, 'E_NOT_FOUND');
    if (!r.ok) { io.out(`${runId} had finished already: nothing to cancel\n`); return EXIT.ok; }
    io.out(`${runId}: ${r.cancelledJobs.length} queued job(s) cancelled, ${r.signalledJobs.length} running job(s) told to stop${r.runVerdict ? `; verdict ${r.runVerdict}` : ''}\n`);
    return EXIT.ok;
  });
}
