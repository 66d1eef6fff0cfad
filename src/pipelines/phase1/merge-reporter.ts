import type { RunReporter } from '../../engine/engine.js';
import type { RunInputs } from '../../engine/job-spec.js';
import { mergeUpdate } from '../../drivers/repo/update-repo.js';

/**
 * phase1's reporter: a passing update is merged into updates/ exactly as submitted
 * (what was tested is what is merged). The commit carries the run id, so a report
 * repeated after a crash commits nothing.
 */
export function mergeReporter(opts: { repoPath: string; push?: boolean }): RunReporter {
  return {
    async report(run) {
      if (run.pipeline !== 'phase1' || run.verdict !== 'pass') return;
      const inputs = run.inputs as RunInputs;
      await mergeUpdate({
        repoPath: opts.repoPath, updateId: inputs.updateId, content: inputs.content,
        author: inputs.author, runId: run.id, ...(opts.push ? { push: true } : {}),
      });
    },
  };
}
