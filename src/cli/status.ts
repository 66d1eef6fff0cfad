import type { Command } from 'commander';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { failureDetails, matrixLines } from './render-run.js';
import { withStore } from './store-access.js';

export function registerStatus(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('status')
    .description('recent runs; or one run\'s matrix with its errors; or an update\'s runs')
    .argument('[what]', 'a run id or an update id')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (what: string | undefined, opts: { json?: boolean; config?: string }) => setStatus(await status(io, what, opts)));
}

async function status(io: Io, what: string | undefined, opts: { json?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const run = what === undefined ? undefined : await store.getRun(what);
    if (run) {
      const jobs = await store.listJobs(run.id);
      if (opts.json) io.out(`${JSON.stringify({ run, jobs }, null, 2)}\n`);
      else io.out(`${[...matrixLines(run, jobs), ...failureDetails(jobs)].join('\n')}\n`);
      return EXIT.ok;
    }
    const runs = await store.listRuns(what === undefined ? { limit: 20 } : { updateId: what, limit: 50 });
    if (what !== undefined && runs.length === 0) throw new CliExit(EXIT.failed, `no run or update "${what}"`, 'E_NOT_FOUND');
    if (opts.json) { io.out(`${JSON.stringify(runs, null, 2)}\n`); return EXIT.ok; }
    for (const r of runs) {
      io.out(`${r.id}  ${new Date(r.createdAt).toISOString()}  ${r.pipeline.padEnd(7)} ${(r.updateId ?? '-').padEnd(6)} ${(r.verdict ?? r.state).padEnd(9)} ${r.reason ?? ''}`.trimEnd() + '\n');
    }
    return EXIT.ok;
  });
}
