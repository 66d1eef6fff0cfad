import type { NodeMode } from '../core/plan-phase1.js';

/**
 * A job's class is its pipeline and how its node is made (`phase1/image`,
 * `phase1/provision`): what a named semaphore caps. Its kind adds the provider its node
 * comes from (`phase1/provision@local`), so that a worker holding a node of one provider
 * claims only jobs that can run there.
 */
export function jobClass(pipeline: string, mode: NodeMode | 'checks'): string {
  return `${pipeline}/${mode}`;
}

export function jobKind(jobClassName: string, provider: string): string {
  return `${jobClassName}@${provider}`;
}

/** The class part of a kind (`phase1/provision@local` -> `phase1/provision`). */
export function jobClassOfKind(kind: string): string {
  const at = kind.lastIndexOf('@');
  return at < 0 ? kind : kind.slice(0, at);
}

/** The job classes a worker claims (one fair order across all of them: see claimNextJob). */
export const JOB_CLASSES: readonly string[] = [
  jobClass('phase1', 'image'), jobClass('phase1', 'provision'),
  // phase2's checks need no node of their own, but take a slot of the target's provider so
  // the worker's capacity bounds them like any job.
  jobClass('phase2', 'checks'), jobClass('phase2', 'provision'), jobClass('promote', 'provision'), jobClass('images', 'provision'),
];

/** The semaphores that cap a class: one named for the class, or for its whole pipeline. */
export function semaphoresFor(cls: string, semaphores: Readonly<Record<string, number>>): [string, number][] {
  const pipeline = cls.split('/')[0] ?? cls;
  return Object.entries(semaphores).filter(([name]) => name === cls || name === pipeline);
}

/** The job's id less its run's prefix (`kilo_epel-7`, `t2.0.kilo_epel-7`): unique within the run, safe in a path. */
export function jobSlug(runId: string, jobId: string): string {
  return jobId.startsWith(`${runId}.`) ? jobId.slice(runId.length + 1) : jobId;
}
