import { storyOf } from '../pipelines/registry.js';
import type { Job, Run } from '../store/index.js';

/**
 * What a target's cell names its newest job by, as the run's pipeline tells it: phase1 the
 * update, a phase2 job its group and round of the bisection.
 */
export function jobLabel(run: Run, job: Job): string {
  return storyOf(run).cellLabel(run, job);
}
