import type { Engine } from '../engine/engine.js';
import type { Io } from './io.js';

/**
 * While a command follows a run on its own engine, Ctrl-C (SIGINT, or SIGTERM) hands the
 * jobs that engine runs back to the queue with their attempts given back, and stops the
 * following (`signal`); the run goes on under `sluice serve`, rather than its jobs
 * waiting out their leases. `dispose` removes the handlers.
 */
export function handBackOnInterrupt(io: Io, engine: Engine, runId: string): { readonly signal: AbortSignal; dispose(): void } {
  const interrupt = new AbortController();
  const onSignal = () => {
    io.err(`\nsluice: interrupted: the jobs this command ran go back to the queue (their attempts given back); run ${runId} goes on under \`sluice serve\` (\`sluice status ${runId}\`)\n`);
    engine.handBack();
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: interrupt.signal,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}
