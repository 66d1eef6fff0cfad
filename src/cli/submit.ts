import type { Command } from 'commander';
import { isAuthorName } from '../core/names.js';
import { byPosition, formatProblem } from '../core/problem.js';
import { newRunId } from '../engine/hash.js';
import { submitPhase1 } from '../pipelines/phase1/submit.js';
import { storyOf } from '../pipelines/registry.js';
import type { Run } from '../store/index.js';
import { loadConfig } from './config-loader.js';
import { makeEngine, productionKeyOf, providersFor } from './engine-setup.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { readInput } from './read-input.js';
import { followRun } from './follow-run.js';
import { failureDetails } from './render-run.js';
import { whoAmI, withStore } from './store-access.js';

interface SubmitOptions { detach?: boolean; config?: string; author?: string; json?: boolean; with?: string[] }

export function registerSubmit(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('submit')
    .description('run phase1 for an update file and follow it; exit 0 pass, 1 fail, 3 error/held')
    .argument('<file>', 'the update file, named <id>.yml')
    .option('--detach', 'print the run id and return at once (a `sluice serve` runs it)')
    .option('--author <who>', 'the update\'s author, "Name <email>" (default: $SLUICE_AUTHOR)')
    .option('--json', 'print the finished run as JSON')
    .option('--with <update>', 'test it with another update it needs (an id, or a Gerrit change URL); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--config <file>', 'configuration file')
    .action(async (file: string, opts: SubmitOptions) => setStatus(await submit(io, file, opts)));
}

export function parseAuthor(text: string): { name: string; email: string } | undefined {
  const m = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return m && isAuthorName(m[1] as string) ? { name: m[1] as string, email: m[2] as string } : undefined;
}

async function submit(io: Io, file: string, opts: SubmitOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  const authorText = opts.author ?? io.env.SLUICE_AUTHOR ?? `${whoAmI(io)} <${whoAmI(io)}@localhost>`;
  const author = parseAuthor(authorText);
  if (!author) throw new CliExit(EXIT.usage, `--author "${authorText}" is not "Name <email>"`, 'E_USAGE');
  const input = readInput(io, file);
  if (!input.ok) throw new CliExit(EXIT.failed, input.message, 'E_FILE_UNREADABLE');
  // Refuse a configuration this version cannot run before anything is written.
  providersFor(loaded, { env: io.env, note: () => {} });
  return withStore(loaded, io, async (store) => {
    // Made before the run is written: a reporter that cannot start (a secret missing from the
    // environment) stops the command with nothing queued.
    const engine = opts.detach ? undefined : await makeEngine(loaded, store, { log: (l) => io.err(`${l}\n`), env: io.env });
    const now = io.now();
    const result = await submitPhase1({
      store, config: loaded.config, configHash: loaded.hash, file, bytes: input.bytes, author, now, runId: newRunId(now), productionKey: productionKeyOf(loaded),
      with: (opts.with ?? []).map((ref) => ({ ref, why: '--with on the command line' })), repoPath: loaded.resolvePath(loaded.config.update_repo),
    });
    if (!result.ok) {
      for (const p of [...result.problems].sort(byPosition)) io.out(`${formatProblem(p)}\n`);
      return EXIT.failed;
    }
    if (!engine) {
      io.out(`${result.runId}\n`);
      return EXIT.ok;
    }
    engine.start();
    const { run, jobs, interrupted } = await followRun(io, engine, store, result.runId, { json: opts.json === true });
    await engine.stop();
    if (interrupted) return EXIT.error;
    if (opts.json) io.out(`${JSON.stringify({ run, jobs }, null, 2)}\n`);
    else io.out(`${[...storyOf(run).outcomeLines(run, jobs, failureDetails), ...failureDetails(jobs)].join('\n')}\n`);
    if (run.reportedAt === null) io.err('sluice: the verdict is recorded but its report (the merge) has not succeeded yet; `sluice serve` keeps trying\n');
    return exitFor(run);
  });
}

export function exitFor(run: Run): number {
  switch (run.verdict) {
    case 'pass': return EXIT.ok;
    case 'fail': return EXIT.failed;
    default: return EXIT.error;
  }
}
