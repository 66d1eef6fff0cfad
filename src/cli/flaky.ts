import type { Command } from 'commander';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

export function registerFlaky(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('flaky')
    .description('the flakiest tests: failed and passed on the same content and target, worst first')
    .option('--target <target>', 'only this target (release/dist)')
    .option('--limit <n>', 'at most this many (default 20)')
    .option('--json', 'print JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: { target?: string; limit?: string; json?: boolean; config?: string }) => setStatus(await flaky(io, opts)));
}

async function flaky(io: Io, opts: { target?: string; limit?: string; json?: boolean; config?: string }): Promise<number> {
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new CliExit(EXIT.usage, `--limit "${opts.limit}" is not a positive whole number`, 'E_USAGE');
  const loaded = loadConfig(io, opts.config);
  if (opts.target !== undefined && !(opts.target in loaded.config.targets)) {
    throw new CliExit(EXIT.failed, `target ${opts.target} is not configured in ${loaded.config.file}`, 'E_TARGET_NOT_CONFIGURED');
  }
  return withStore(loaded, io, async (store) => {
    const tests = await store.listFlakyTests({ limit, ...(opts.target ? { target: opts.target } : {}) });
    if (opts.json) { io.out(`${JSON.stringify(tests, null, 2)}\n`); return EXIT.ok; }
    if (tests.length === 0) { io.out('no flaky test recorded\n'); return EXIT.ok; }
    const width = Math.max(...tests.map((t) => t.target.length));
    for (const t of tests) {
      io.out(`${t.target.padEnd(width)}  ${String(t.flips).padStart(3)} flip${t.flips === 1 ? ' ' : 's'}  ${String(t.failures).padStart(3)} failure${t.failures === 1 ? ' ' : 's'}  last ${new Date(t.lastSeen).toISOString()}  ${t.testId}\n`);
    }
    return EXIT.ok;
  });
}
