import type { RunReporter } from '../../engine/engine.js';
import type { Store } from '../../store/index.js';
import { failReady, pushReady, type PushOutcome } from '../../drivers/repo/push-ready.js';

/**
 * promote's reporter: what was published goes to pushed/ with its `.files` list
 * (`Push ready/<id>`), what was refused to failed/ with the reasons (`Fail ready/<id>`),
 * one commit each, as the real RDO repository recorded them. Repeated after a crash, the
 * run trailer makes each commit happen once.
 */
export function promoteReporter(opts: { repoPath: string; store: Pick<Store, 'appendEvent'>; now: () => number }): RunReporter {
  return {
    async report(run) {
      if (run.pipeline !== 'promote' || run.outcome === null) return;
      const outcome = run.outcome;
      const results: PushOutcome[] = [];
      for (const p of outcome.pushed ?? []) results.push(await pushReady({ repoPath: opts.repoPath, runId: run.id, id: p.id, files: p.files }));
      for (const f of outcome.failed ?? []) results.push(await failReady({ repoPath: opts.repoPath, runId: run.id, id: f.id, reasons: f.reasons }));
      if (results.length > 0) await opts.store.appendEvent({ at: opts.now(), kind: 'promote.recorded', runId: run.id, payload: { results } });
    },
  };
}
