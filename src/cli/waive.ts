import type { Command } from 'commander';
import { parseDuration } from '../core/duration.js';
import { describeWaiver, appliedWaiver, waiverRefusal, WAIVER_DEFAULT_EXPIRY, WAIVER_MAX_MS } from '../core/waivers.js';
import type { Store } from '../store/index.js';
import { loadConfig, type LoadedConfig } from './config-loader.js';
import { makeEngine } from './engine-setup.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { whoAmI, withStore } from './store-access.js';

interface WaiveOptions { test?: string; reason?: string; expires?: string; revoke?: string; by?: string; report?: boolean; config?: string }

export function registerWaive(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('waive')
    .description('waive one failed result of an update\'s phase1 run (release managers): the run passes with the waiver, for this content only')
    .argument('[run-or-update]', 'a phase1 run id, or an update id (its latest phase1 run)')
    .argument('[target]', 'the target whose failed job is waived, e.g. kilo/epel-7')
    .option('--test <name>', 'waive only this test: covers the job when it is its only failed test')
    .option('--reason <text>', 'why the failure does not block the update (required)')
    .option('--expires <duration>', `how long the waiver lasts (default ${WAIVER_DEFAULT_EXPIRY}, at most 90d)`)
    .option('--revoke <waiver>', 'revoke a waiver instead (it is kept, marked revoked)')
    .option('--by <who>', 'who waives (default: $SLUICE_USER or the login name)')
    .option('--no-report', 'leave the new verdict\'s report (merge, Gerrit vote) to sluice serve\'s outbox')
    .option('--config <file>', 'configuration file')
    .action(async (subject: string | undefined, target: string | undefined, opts: WaiveOptions) => setStatus(await waive(io, subject, target, opts)));
}

async function waive(io: Io, subject: string | undefined, target: string | undefined, opts: WaiveOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  const by = opts.by ?? whoAmI(io);
  const now = io.now();
  if (opts.revoke !== undefined) {
    const id = opts.revoke;
    return withStore(loaded, io, async (store) => {
      const r = await store.revokeWaiver({ id, by, reason: opts.reason?.trim() || `revoked by ${by}`, now });
      if (!r.ok && r.code === 'not_found') throw new CliExit(EXIT.failed, `no waiver "${id}" (see sluice waivers)`, 'E_NOT_FOUND');
      if (!r.ok) throw new CliExit(EXIT.failed, `waiver ${id} is revoked already`, 'E_WAIVER_REFUSED');
      io.out(`waiver ${id} revoked by ${by}: it covers no failure from now on (verdicts it gave stand)\n`);
      return EXIT.ok;
    });
  }
  if (subject === undefined || target === undefined) throw new CliExit(EXIT.usage, 'name the run (or update) and the target: sluice waive RUN_OR_UPDATE TARGET --reason TEXT', 'E_USAGE');
  const reason = opts.reason?.trim() ?? '';
  if (reason === '') throw new CliExit(EXIT.usage, '--reason must say why the failure does not block the update', 'E_USAGE');
  const expiry = opts.expires ?? WAIVER_DEFAULT_EXPIRY;
  const ms = parseDuration(expiry);
  if (ms === undefined || ms > WAIVER_MAX_MS) throw new CliExit(EXIT.usage, `--expires "${expiry}" must be a duration (12h, 7d) of at most 90d`, 'E_USAGE');
  return withStore(loaded, io, async (store) => {
    const runId = await runOf(store, subject);
    const test = opts.test ?? null;
    const r = await store.addWaiver({ runId, target, test, reason, by, now, expiresAt: now + ms });
    if (!r.ok) throw new CliExit(EXIT.failed, waiverRefusal(r.code, runId, target, test), r.code === 'not_found' ? 'E_NOT_FOUND' : 'E_WAIVER_REFUSED');
    io.out(`waiver ${r.waiver.id}: ${target} of ${r.waiver.updateId} (content sha256 ${r.waiver.contentHash.slice(0, 12)}), ${describeWaiver(appliedWaiver(r.waiver))}\n`);
    const after = r.recollated;
    if (after) io.out(`run ${after.runId}: ${after.verdict.toUpperCase()} - ${after.because}${after.changed ? '' : ' (unchanged)'}\n`);
    else io.out('no finished run of this content to give a verdict again: its next run is collated with the waiver\n');
    if (after?.changed && opts.report !== false) await reportNow(io, loaded, store, after.runId);
    return EXIT.ok;
  });
}

/**
 * Drains the report outbox here, as any engine may (the merge into updates/, Gerrit's vote),
 * so a site without `sluice serve` sees the new verdict counted. A report that cannot be
 * made here stays owed: serve's outbox makes it.
 */
async function reportNow(io: Io, loaded: LoadedConfig, store: Store, runId: string): Promise<void> {
  try {
    const engine = await makeEngine(loaded, store, { env: io.env, log: (line) => io.err(`${line}\n`) });
    await engine.reportOwed();
    await engine.stop();
  } catch (e) {
    io.err(`note: the new verdict is reported by sluice serve (not here: ${(e as Error).message})\n`);
    return;
  }
  const run = await store.getRun(runId);
  io.out(run?.reportedAt ? `run ${runId} reported again${run.verdict === 'pass' ? ': merged into updates/' : ''}\n` : `run ${runId}: its report is still owed (sluice serve retries it)\n`);
}

/** A run id as given, or the latest phase1 run of an update id. */
async function runOf(store: Store, subject: string): Promise<string> {
  if (await store.getRun(subject)) return subject;
  const [latest] = await store.listRuns({ updateId: subject, pipeline: 'phase1', limit: 1 });
  if (!latest) throw new CliExit(EXIT.failed, `no run or update "${subject}"`, 'E_NOT_FOUND');
  return latest.id;
}
