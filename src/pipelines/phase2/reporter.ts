import type { RunReporter } from '../../engine/engine.js';
import type { Store } from '../../store/index.js';
import { moveToReady } from '../../drivers/repo/move-to-ready.js';

/**
 * phase2's reporter: the updates that passed move to ready/, one commit each, if their
 * file is still the one the snapshot held (an update edited meanwhile waits for the next
 * phase2). Culprits and held updates stay in updates/. What moved is recorded as an
 * event, so `sluice status` tells it without reading git.
 */
export function phase2Reporter(opts: { repoPath: string; store: Pick<Store, 'appendEvent'>; now: () => number }): RunReporter {
  return {
    async report(run) {
      if (run.pipeline !== 'phase2' || (run.verdict !== 'pass' && run.verdict !== 'fail')) return;
      const { inputs, outcome } = run;
      if (!outcome?.clean || outcome.clean.length === 0) return;
      const moves = await moveToReady({
        repoPath: opts.repoPath, runId: run.id, ids: outcome.clean,
        snapshot: { commit: inputs.snapshot.commit, blobs: new Map(Object.entries(inputs.snapshot.blobs)) },
      });
      await opts.store.appendEvent({
        at: opts.now(), kind: 'phase2.moved', runId: run.id,
        payload: { moves: moves.map((m) => (m.moved ? { id: m.id, moved: true, folder: m.folder, commit: m.commit } : { id: m.id, moved: false, why: m.why })) },
      });
    },
  };
}

