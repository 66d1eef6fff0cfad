import type { Command } from 'commander';
import { shortSet } from '../core/promote-gates.js';
import { approvePromote, describeSet } from '../pipelines/promote/gates.js';
import { loadConfig } from './config-loader.js';
import { providersFor } from './engine-setup.js';
import { CliExit, EXIT } from './exit.js';
import { followPromote } from './follow-promote.js';
import type { Io } from './io.js';
import { whoAmI, withStore } from './store-access.js';

interface ApproveOptions { set?: string; detach?: boolean; json?: boolean; config?: string }

export function registerApprove(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('approve')
    .description('approve what a promote run waiting for its approval publishes (promote.approval: required), then follow it to its verdict')
    .argument('<run>', 'the promote run id')
    .option('--set <hash>', 'the set hash you looked at (12 digits as shown, or more): refused if the run publishes another set')
    .option('--detach', 'record the approval and return at once (a `sluice serve` publishes)')
    .option('--json', 'print the finished run as JSON')
    .option('--config <file>', 'configuration file')
    .action(async (runId: string, opts: ApproveOptions) => setStatus(await approve(io, runId, opts)));
}

async function approve(io: Io, runId: string, opts: ApproveOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  if (!opts.detach) providersFor(loaded, { env: io.env, note: () => {} });
  return withStore(loaded, io, async (store) => {
    const by = whoAmI(io);
    const r = await approvePromote({ store, runId, setHash: opts.set, by, via: 'cli', now: io.now() });
    if (!r.ok) throw new CliExit(EXIT.failed, r.message, r.code);
    const when = new Date(r.approval.at).toISOString();
    io.out(`${r.already ? `set ${shortSet(r.set.hash)} of promote ${runId} was approved already, by ${r.approval.by} at ${when}` : `approved set ${shortSet(r.set.hash)} of promote ${runId} as ${by}`}: ${describeSet(r.set)}\n`);
    if (opts.detach) { io.out(`${r.set.hash}\n`); return EXIT.ok; }
    return followPromote(io, loaded, store, runId, { json: opts.json === true });
  });
}
