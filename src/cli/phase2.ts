import type { Command } from 'commander';
import { formatProblem } from '../core/problem.js';
import { snapshotFiles } from '../drivers/repo/index.js';
import { newRunId } from '../engine/hash.js';
import { submitPhase2 } from '../pipelines/phase2/controller.js';
import { loadConfig } from './config-loader.js';
import { makeEngine, providersFor } from './engine-setup.js';
import { currentUpdateRepo } from './update-repo-setup.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { followRun } from './follow-run.js';
import { failureDetails } from './render-run.js';
import { phase2Story } from '../pipelines/phase2/story.js';
import { withStore } from './store-access.js';
import { exitFor } from './submit.js';

interface Phase2Options { detach?: boolean; config?: string; json?: boolean }

export function registerPhase2(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('phase2')
    .description('test everything in updates/ together, find culprits, move the rest to ready/; exit 0 pass, 1 culprits found, 3 error')
    .option('--detach', 'print the run id and return at once (a `sluice serve` runs it)')
    .option('--json', 'print the finished run as JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: Phase2Options) => setStatus(await phase2(io, opts)));
}

async function phase2(io: Io, opts: Phase2Options): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  providersFor(loaded, { env: io.env, note: () => {} });
  const repoPath = await currentUpdateRepo(loaded);
  return withStore(loaded, io, async (store) => {
    const now = io.now();
    const submitted = await submitPhase2({ store, config: loaded.config, configHash: loaded.hash, snapshot: await snapshotFiles(repoPath), repoPath, now, runId: newRunId(now) });
    let runId: string;
    if (submitted.ok) {
      runId = submitted.runId;
      io.err(`phase2 ${runId}: ${submitted.batch.length} update${submitted.batch.length === 1 ? '' : 's'} (${submitted.batch.join(' ')})${submitted.held.length ? `; held: ${submitted.held.map((h) => h.id).join(' ')}` : ''}\n`);
    } else if (submitted.kind === 'busy') {
      // A phase2 is going already: this trigger joins it rather than queueing a second one.
      runId = submitted.activeRunId;
      io.err(`phase2 ${runId} is still going: following it instead of starting another\n`);
    } else if (submitted.kind === 'nothing') {
      io.out(`nothing to test: ${submitted.why}\n`);
      for (const h of submitted.held) io.out(`held in updates/: ${h.id}: ${h.why}\n`);
      return EXIT.ok;
    } else {
      for (const p of submitted.problems) io.out(`${formatProblem(p)}\n`);
      return EXIT.failed;
    }
    if (opts.detach) { io.out(`${runId}\n`); return EXIT.ok; }
    const engine = await makeEngine(loaded, store, { log: (l) => io.err(`${l}\n`), env: io.env });
    engine.start();
    const { run, jobs, interrupted } = await followRun(io, engine, store, runId, { json: opts.json === true });
    await engine.stop();
    if (interrupted) return EXIT.error;
    if (opts.json) io.out(`${JSON.stringify({ run, jobs }, null, 2)}\n`);
    else {
      const outcome = phase2Story.outcomeLines(run, jobs, failureDetails);
      io.out(`${(outcome.length > 0 ? outcome : failureDetails(jobs)).join('\n')}\n`);
    }
    if (run.reportedAt === null) io.err('sluice: the verdict is recorded but the move to ready/ has not succeeded yet; `sluice serve` keeps trying\n');
    return exitFor(run);
  });
}
