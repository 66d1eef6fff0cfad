import { batchOf } from '../core/records/run-record.js';
import type { Job, Run } from '../store/index.js';

const updates = (n: number): string => `${n} update${n === 1 ? '' : 's'}`;

/**
 * What a target's cell names its newest job by. Only phase1 tests one update; a phase2 job
 * tests a group of the batch in one round of a bisection, so the cell says whether it is
 * the whole batch or a bisection step (and which update, when the group is down to one,
 * since that is the suspect). The spec and inputs are read loosely: runs recorded before a
 * field existed still get a label.
 */
export function jobLabel(run: Run, job: Job): string {
  switch (run.pipeline) {
    case 'phase1':
      return run.updateId ?? 'phase1';
    case 'phase2':
      return phase2Label(run, job);
    case 'promote':
      return 'promote';
    case 'images':
      return 'images baseline';
    case 'unreadable':
      return `${run.storedPipeline} (unreadable)`;
  }
}

function phase2Label(run: Run, job: Job): string {
  const spec = job.spec as { stage?: string; round?: number; group?: readonly string[] } | null;
  const batch = batchOf(run);
  const name = spec?.stage === 'checks' ? 'phase2 checks' : 'phase2';
  const group = spec?.group;
  if (!group || spec.round === undefined) return batch ? `${name} of ${updates(batch.length)}` : name;
  // Round 1 of a stage tests together all the stage has: the batch, or what passed the checks.
  if (spec.round <= 1) return `${name} of ${updates(group.length)}`;
  const what = group.length === 1 ? (group[0] as string) : batch ? `${group.length} of ${updates(batch.length)}` : updates(group.length);
  return `${name} bisect r${spec.round}: ${what}`;
}
