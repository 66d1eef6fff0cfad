import type { Command } from 'commander';
import { isReadable, rerunRecord } from '../core/records/run-record.js';
import { newRunId } from '../engine/hash.js';
import { loadConfig } from './config-loader.js';
import { makeEngine } from './engine-setup.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { handBackOnInterrupt } from './hand-back-on-interrupt.js';
import { failureDetails, matrixLines } from './render-run.js';
import { withStore } from './store-access.js';
import { exitFor } from './submit.js';
import { errorSpec } from '../core/errors.js';
import { recheckFailed } from '../pipelines/phase1/recheck-failed.js';
import type { Store } from '../store/index.js';
import type { LoadedConfig } from './config-loader.js';

export function registerRerun(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('rerun')
    .description('run a recorded plan again, exactly: the same update content, targets, nodes and commands')
    .argument('<run>', 'run id')
    .option('--failed', 'recheck failed: run again only the targets that did not pass (of the latest phase1 run of this content), carrying the passes')
    .option('--detach', 'print the new run id and return at once')
    .option('--config <file>', 'configuration file')
    .action(async (runId: string, opts: { failed?: boolean; detach?: boolean; config?: string }) => setStatus(await rerun(io, runId, opts)));
}

async function rerun(io: Io, runId: string, opts: { failed?: boolean; detach?: boolean; config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const old = await store.getRun(runId);
    if (!old) throw new CliExit(EXIT.failed, `no run "${runId}"`, 'E_NOT_FOUND');
    // phase2 and promote plan round by round from what updates/ and ready/ hold now: there is no fixed plan to repeat.
    if (old.controller !== null) throw new CliExit(EXIT.usage, `run ${runId} is a ${old.pipeline} run: rerun repeats a fixed plan (phase1, images); run "sluice ${old.pipeline}" again instead`, 'E_USAGE');
    if (!isReadable(old)) throw new CliExit(EXIT.failed, `run ${runId} cannot be read by this version: ${old.problem}`, 'E_USAGE');
    const now = io.now();
    const id = newRunId(now);
    if (opts.failed) {
      const r = await recheckFailed(store, old, { runId: id, now });
      if (!r.ok) throw new CliExit(errorSpec(r.code)?.exit ?? EXIT.failed, r.message, r.code);
      io.out(`${id} (recheck failed of ${old.id}: ${r.rerun.join(', ')} again; ${r.carried.length ? `${r.carried.join(', ')} carried` : 'no pass carried'})\n`);
      return opts.detach ? EXIT.ok : follow(io, loaded, store, id);
    }
    const jobs = await store.listJobs(runId);
    // The record is the plan: specs and skip reasons are copied, not planned anew, so a
    // changed config or a re-enabled target does not change what a rerun tests.
    const inserted = await store.insertRunWithJobs({
      run: { ...rerunRecord(old, old.id), id, updateId: old.updateId, reason: null },
      jobs: jobs.map((j) => ({ id: `${id}.${j.target.replace(/\//g, '_')}`, target: j.target, kind: j.kind, maxAttempts: j.maxAttempts, spec: j.spec, skipReason: j.result === 'skipped' ? j.skipReason : null })),
      now,
    });
    if (!inserted.ok) throw new CliExit(EXIT.error, `cannot record the rerun: ${inserted.code}`, 'E_STORE');
    if (jobs.every((j) => j.result === 'skipped')) await store.settleRun({ runId: id, now });
    io.out(`${id} (rerun of ${old.id})\n`);
    if (opts.detach) return EXIT.ok;
    return follow(io, loaded, store, id);
  });
}

/** Runs the new run here to its verdict and prints it. */
async function follow(io: Io, loaded: LoadedConfig, store: Store, id: string): Promise<number> {
  const engine = await makeEngine(loaded, store);
  engine.start();
  const interrupt = handBackOnInterrupt(io, engine, id);
  const run = await engine.waitForRun(id, undefined, interrupt.signal).finally(() => interrupt.dispose());
  await engine.stop();
  if (interrupt.signal.aborted) return EXIT.error;
  const after = await store.listJobs(id);
  io.out(`${[...matrixLines(run, after), ...failureDetails(after)].join('\n')}\n`);
  return exitFor(run);
}
