import { storedExcerpt } from '../analysis/stored-excerpt.js';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { excerptHeading, renderExcerpt } from '../analysis/render-excerpt.js';
import { loadConfig } from './config-loader.js';
import { prunedLogNote } from '../drivers/retention/index.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { readExcerpt } from './render-run.js';
import { withStore } from './store-access.js';

export function registerLogs(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('logs')
    .description('a job\'s error excerpt first, then the path of its full log')
    .argument('<job>', 'a job id, as `sluice status RUN` shows it')
    .option('--config <file>', 'configuration file')
    .action(async (jobId: string, opts: { config?: string }) => setStatus(await logs(io, jobId, opts)));
}

async function logs(io: Io, jobId: string, opts: { config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const job = await store.getJob(jobId);
    if (!job) throw new CliExit(EXIT.failed, `no job "${jobId}"`, 'E_NOT_FOUND');
    io.out(`${job.target}: ${job.result ?? job.state}${job.reason ? ` - ${job.reason}` : ''}${job.skipReason ? ` - ${job.skipReason}` : ''}\n`);
    if (!job.logPath || !existsSync(job.logPath)) {
      const pruned = await prunedLogNote(store, job.runId);
      io.out(pruned ? `${pruned}\n` : job.result === 'skipped' ? 'never ran: no log\n' : 'no log yet\n');
      // The excerpt the store kept still tells what failed.
      const e = pruned ? storedExcerpt(job.excerpt) : undefined;
      if (e && e.lines.length > 0) for (const l of [excerptHeading(e), ...renderExcerpt(e)]) io.out(`${l}\n`);
      return EXIT.ok;
    }
    const e = storedExcerpt(job.excerpt) ?? readExcerpt(job.logPath);
    if (e && e.lines.length > 0) {
      io.out(`${excerptHeading(e)}\n`);
      for (const l of renderExcerpt(e)) io.out(`${l}\n`);
    }
    io.out(`full log: ${job.logPath}\n`);
    // The node's own logs (pipelines.<name>.collect), brought back beside the job log.
    const collected = join(dirname(job.logPath), 'collected');
    if (existsSync(collected)) {
      const files = readdirSync(collected).sort();
      if (files.length > 0) io.out(`collected from the node (${collected}):\n${files.map((f) => `  ${f}\n`).join('')}`);
    }
    return EXIT.ok;
  });
}
