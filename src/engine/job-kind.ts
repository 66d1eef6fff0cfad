import type { NodeMode } from '../core/node-mode.js';

/**
 * A job's class is its pipeline and how its node is made (`phase1/image`,
 * `phase1/provision`): what a named semaphore caps. Its kind adds the provider its node
 * comes from (`phase1/provision@local`), so that a worker holding a node of one provider
 * claims only jobs that can run there.
 */
export function jobClass(pipeline: string, mode: NodeMode | 'checks'): string {
  return `${pipeline}/${mode}`;
}

/**
 * A job that needs several nodes at once (roles: a packstack controller and a tempest node)
 * has their number in its kind (`phase1/provision@cloud#2`): a worker claims it only
 * together with that many of the provider's nodes, in one transaction.
 */
export function jobKind(jobClassName: string, provider: string, nodes = 1): string {
  return nodes > 1 ? `${jobClassName}@${provider}#${nodes}` : `${jobClassName}@${provider}`;
}

/** The class part of a kind (`phase1/provision@local` -> `phase1/provision`). */
export function jobClassOfKind(kind: string): string {
  const at = kind.lastIndexOf('@');
  return at < 0 ? kind : kind.slice(0, at);
}

/** The provider a job of this kind runs on (`phase1/image@cloud#2` -> `cloud`). */
export function providerOfKind(kind: string): string {
  return kind.slice(kind.lastIndexOf('@') + 1).replace(/#\d+$/, '');
}

/** How many nodes a job of this kind holds at once. */
export function nodesOfKind(kind: string): number {
  const m = /#(\d+)$/.exec(kind);
  return m ? Number(m[1]) : 1;
}

/** The most nodes one job may hold: roles beyond it are refused by the configuration. */
export const MAX_JOB_NODES = 4;

/** The job classes a worker claims (one fair order across all of them: see the store's job-candidates.ts). */
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
