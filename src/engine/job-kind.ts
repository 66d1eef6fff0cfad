import type { NodeMode } from '../core/plan-phase1.js';

/**
 * A job's class is its pipeline and how its node is made (`phase1/image`,
 * `phase1/provision`): what a named semaphore caps. Its kind adds the provider its node
 * comes from (`phase1/provision@local`), so that a worker holding a node of one provider
 * claims only jobs that can run there.
 */
export function jobClass(pipeline: string, mode: NodeMode): string {
  return `${pipeline}/${mode}`;
}

export function jobKind(jobClassName: string, provider: string): string {
  return `${jobClassName}@${provider}`;
}

/** The job classes a worker looks for, in the order it first tries them. */
export const JOB_CLASSES: readonly string[] = [jobClass('phase1', 'image'), jobClass('phase1', 'provision')];

/** The semaphores that cap a class: one named for the class, or for its whole pipeline. */
export function semaphoresFor(cls: string, semaphores: Readonly<Record<string, number>>): [string, number][] {
  const pipeline = cls.split('/')[0] ?? cls;
  return Object.entries(semaphores).filter(([name]) => name === cls || name === pipeline);
}
