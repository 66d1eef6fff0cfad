import type { Execution } from '../../engine/node-provider.js';
import { testsStageTree } from '../../engine/job-spec.js';

/**
 * The dnf/yum repository file written beside a delivered repository, so that a test
 * command, or an installer such as packstack, enables it with one copy into
 * /etc/yum.repos.d/ (`$SLUICE_UPDATE_REPO_FILE`). The repository id is derived from the
 * variable (`SLUICE_UPDATE_REPO` -> `sluice-update`); the path is the node's own.
 */
export interface RepoFileOptions {
  readonly gpgcheck: boolean;
  /** A key URL for gpgcheck (file:// on the node or https://). */
  readonly gpgkey?: string;
  /** What the repository holds, for dnf's messages. */
  readonly description: string;
}

export function repoIdOf(variable: string): string {
  return `sluice-${variable.replace(/^SLUICE_/, '').replace(/_REPO$/, '').toLowerCase().replaceAll('_', '-')}`;
}

/** True for the variables that name a repository (a file is written for each). */
export function namesRepository(variable: string): boolean {
  return /^SLUICE_[A-Z0-9_]+_REPO$/.test(variable);
}

export function repoFile(variable: string, nodePath: string, o: RepoFileOptions): string {
  // The path is Sluice's own (a digest under the provider's work_dir); the description
  // may hold an update id, which the schema restricts to safe names: no newline gets in.
  const description = o.description.replace(/[\r\n]/g, ' ');
  return [
    `[${repoIdOf(variable)}]`,
    `name=${description}`,
    `baseurl=file://${encodeURI(nodePath)}`,
    'enabled=1',
    `gpgcheck=${o.gpgcheck ? 1 : 0}`,
    ...(o.gpgkey ? [`gpgkey=${o.gpgkey}`] : []),
    // The repository changes with every update: dnf must never answer from an old cache of it.
    'metadata_expire=0',
    '',
  ].join('\n');
}

/** The repository file settings of a job: its pipeline's gpgcheck, and what the repository holds. */
export function repoFileOptions(ex: Execution): RepoFileOptions {
  const what = testsStageTree(ex.spec) ? `stage of ${ex.spec.target}` : ex.spec.updateId === '' ? ex.spec.target : `${ex.spec.updateId} on ${ex.spec.target}`;
  return { gpgcheck: ex.delivery?.gpgcheck ?? false, ...(ex.delivery?.gpgkey ? { gpgkey: ex.delivery.gpgkey } : {}), description: `Sluice ${ex.spec.pipeline}: ${what}` };
}
