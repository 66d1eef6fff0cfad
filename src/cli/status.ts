import type { Command } from 'commander';
import { formatCountdown, formatFiringTime, nextFirings, SCHEDULE_TIMEZONE, type NextFiring } from '../core/schedule.js';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { failureDetails, matrixLines } from './render-run.js';
import { storyOf } from '../pipelines/registry.js';
import { withStore } from './store-access.js';
import { soakStatusLines } from './status-gates.js';

export function registerStatus(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('status')
    .description('recent runs and the next scheduled firings; or one run\'s matrix with its errors; or an update\'s runs')
    .argument('[what]', 'a run id or an update id')
    .option('--schedules', 'only the next firing of each scheduled pipeline')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (what: string | undefined, opts: StatusOptions) => setStatus(await status(io, what, opts)));
}

interface StatusOptions { json?: boolean; config?: string; schedules?: boolean }

async function status(io: Io, what: string | undefined, opts: StatusOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  if (opts.schedules) {
    if (what !== undefined) throw new CliExit(EXIT.usage, '--schedules shows every schedule: name no run or update', 'E_USAGE');
    const now = io.now();
    const firings = nextFirings(loaded.config.schedules, now);
    if (opts.json) io.out(`${JSON.stringify(firings.map((f) => scheduleJson(f, now)), null, 2)}\n`);
    else io.out(scheduleLines(firings, now));
    return EXIT.ok;
  }
  return withStore(loaded, io, async (store) => {
    const run = what === undefined ? undefined : await store.getRun(what);
    if (run) {
      const jobs = await store.listJobs(run.id);
      if (opts.json) io.out(`${JSON.stringify({ run, jobs }, null, 2)}\n`);
      else {
        const outcome = storyOf(run).outcomeLines(run, jobs, failureDetails);
        io.out(`${[...matrixLines(run, jobs), ...(outcome.length > 0 ? ['', ...outcome] : failureDetails(jobs))].join('\n')}\n`);
      }
      return EXIT.ok;
    }
    const runs = await store.listRuns(what === undefined ? { limit: 20 } : { updateId: what, limit: 50 });
    if (what !== undefined && runs.length === 0) throw new CliExit(EXIT.failed, `no run or update "${what}"`, 'E_NOT_FOUND');
    if (opts.json) { io.out(`${JSON.stringify(runs, null, 2)}\n`); return EXIT.ok; }
    for (const r of runs) {
      io.out(`${r.id}  ${new Date(r.createdAt).toISOString()}  ${r.pipeline.padEnd(7)} ${(r.updateId ?? '-').padEnd(6)} ${(r.verdict ?? r.state).padEnd(9)} ${r.reason ?? ''}`.trimEnd() + '\n');
    }
    // After the runs, so a script reading the newest run from the first line still can.
    if (what === undefined) {
      const now = io.now();
      io.out(await soakStatusLines(loaded, now));
      io.out(scheduleLines(nextFirings(loaded.config.schedules, now), now));
    }
    return EXIT.ok;
  });
}

/** `schedule phase2 "0 3 * * *": next 2026-11-30T03:00:00Z (in 15h12m)`, one line each. */
function scheduleLines(firings: NextFiring[], now: number): string {
  return firings.map(({ pipeline, cron, next }) => (next === null
    ? `schedule ${pipeline} "${cron}": never fires (no date matches)\n`
    : `schedule ${pipeline} "${cron}": next ${formatFiringTime(next)} (in ${formatCountdown(next - now)})\n`)).join('');
}

function scheduleJson({ pipeline, cron, next }: NextFiring, now: number) {
  return { pipeline, cron, timezone: SCHEDULE_TIMEZONE, next: next === null ? null : formatFiringTime(next), inMs: next === null ? null : next - now };
}
