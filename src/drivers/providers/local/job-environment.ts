import { dirname } from 'node:path';
import type { Execution } from '../../../engine/node-provider.js';

/**
 * The environment a test command sees. The update's details (untrusted: written by any
 * packager) travel only here, as values: they are never spliced into a command line.
 * Nothing of the worker's own environment leaks in beyond PATH and the locale.
 */
export function jobEnvironment(ex: Execution, where: { workDir: string; updatePath: string; updateDir?: string; configDir: string; resultsDir?: string; inputs?: Readonly<Record<string, string>> }): Record<string, string> {
  const [release = '', dist = ''] = ex.spec.target.split('/');
  return {
    // Prepared values first: the SLUICE_* below describe the job and cannot be overridden.
    ...ex.preparedEnv,
    // The delivered directories and their repository files, as the node sees them.
    ...where.inputs,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: where.workDir,
    TMPDIR: where.workDir,
    SLUICE_RUN: ex.runId,
    SLUICE_JOB: ex.jobId,
    SLUICE_ATTEMPT: String(ex.attempt),
    SLUICE_PIPELINE: ex.spec.pipeline,
    SLUICE_UPDATE: ex.spec.updateId,
    SLUICE_UPDATE_FILE: where.updatePath,
    // phase2 tests several updates together: their ids, and the directory holding their files.
    SLUICE_UPDATES: ex.updateFiles.map((f) => f.name.replace(/\.yml$/, '')).join(' '),
    SLUICE_UPDATE_DIR: where.updateDir ?? dirname(where.updatePath),
    SLUICE_INSTALL_MODE: ex.spec.install ?? 'postinstall',
    SLUICE_TARGET: ex.spec.target,
    SLUICE_RELEASE: release,
    SLUICE_DIST: dist,
    SLUICE_BUILDS: ex.spec.builds.map((b) => String(b.id)).join(' '),
    SLUICE_BUILDS_JSON: JSON.stringify(ex.spec.builds),
    SLUICE_NODE_MODE: ex.spec.mode,
    SLUICE_IMAGE: ex.spec.image ?? '',
    SLUICE_WORKDIR: where.workDir,
    SLUICE_CONFIG_DIR: where.configDir,
    // Test results written here (JUnit XML, subunit v2) are read into per-test results.
    SLUICE_RESULTS_DIR: where.resultsDir ?? '',
  };
}
