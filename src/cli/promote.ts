import type { Command } from 'commander';
import { previewPromote } from '../pipelines/promote/controller.js';
import { newRunId } from '../engine/hash.js';
import { promoteHolds, submitPromote } from '../pipelines/promote/submit.js';
import { readyFiles, soakGate } from '../pipelines/promote/gates.js';
import { loadConfig } from './config-loader.js';
import { promoteOptions, providersFor } from './engine-setup.js';
import { followPromote } from './follow-promote.js';
import { currentUpdateRepo } from './update-repo-setup.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';

interface PromoteOptions { detach?: boolean; config?: string; json?: boolean; dryRun?: boolean }

export function registerPromote(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('promote')
    .description('publish ready/ to stage, test stage, sync it to production; exit 0 pass, 1 fail, 3 error')
    .option('--dry-run', 'show what would be pushed or refused, and change nothing')
    .option('--detach', 'print the run id and return at once (a `sluice serve` runs it)')
    .option('--json', 'print the finished run (or the dry run) as JSON')
    .option('--config <file>', 'configuration file')
    .action(async (opts: PromoteOptions) => setStatus(await promote(io, opts)));
}

async function promote(io: Io, opts: PromoteOptions): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  providersFor(loaded, { env: io.env, note: () => {} });
  const repoPath = await currentUpdateRepo(loaded);
  return withStore(loaded, io, async (store) => {
    const ready = await readyFiles(repoPath);
    if (opts.dryRun) {
      const { take, soaking } = soakGate(loaded.config, ready, io.now());
      const { held } = await promoteHolds(store, repoPath, take.map((f) => f.id));
      const preview = await previewPromote(promoteOptions(loaded, store), take.filter((f) => !held.some((h) => h.id === f.id)));
      if (opts.json) { io.out(`${JSON.stringify([...preview, ...soaking.map((h) => ({ id: h.id, soaking: h.why })), ...held.map((h) => ({ id: h.id, held: h.why }))], null, 2)}\n`); return EXIT.ok; }
      if (ready.length === 0) io.out('nothing to promote: ready/ is empty\n');
      for (const h of soaking) io.out(`would leave in ready/ ${h.why}\n`);
      for (const h of held) io.out(`would hold ${h.id} in ready/: ${h.why}\n`);
      for (const p of preview) {
        if (p.files) io.out([`would push ${p.id}:`, ...p.files.map((f) => `  ${f}`)].join('\n') + '\n');
        else io.out([`would refuse ${p.id}:`, ...(p.reasons ?? []).map((r) => `  ${r}`)].join('\n') + '\n');
      }
      return EXIT.ok;
    }
    const now = io.now();
    const submitted = await submitPromote({ store, config: loaded.config, configHash: loaded.hash, ready, repoPath, now, runId: newRunId(now) });
    let runId: string;
    if (submitted.ok) {
      runId = submitted.runId;
      io.err(`promote ${runId}: ${submitted.ready.join(' ')}\n`);
    } else if (submitted.kind === 'busy') {
      runId = submitted.activeRunId;
      io.err(`promote ${runId} is still going: following it instead of starting another\n`);
    } else {
      io.out(`nothing to promote: ${submitted.why}\n`);
      return EXIT.ok;
    }
    if (opts.detach) { io.out(`${runId}\n`); return EXIT.ok; }
    return followPromote(io, loaded, store, runId, { json: opts.json === true });
  });
}
