import { namesRepository, repoFile, repoFileOptions, repoIdOf } from '../../delivery/repo-file.js';
import { appendFileSync, mkdirSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, resolve } from 'node:path';
import { formatDuration } from '../../../core/duration.js';
import { jobSlug } from '../../../engine/job-kind.js';
import type { AbandonedAttempt, AttemptId, Execution, ExecutionOutcome, NodeProvider } from '../../../engine/node-provider.js';
import { restoreRoot, snapshotRoot } from './local-images.js';
import { PGIDS_FILE, reapOrphans } from './reap.js';
import { jobEnvironment } from './job-environment.js';
import type { ProcessExit } from './run-process.js';
import { runCommand } from './command-runner.js';
import { sandboxFor, type Isolation, type Sandbox, type SandboxPaths } from './sandbox.js';

export interface LocalProviderOptions {
  readonly name: string;
  readonly capacity: number;
  /** Jobs get directories under it: <workDir>/<run>/<target>-a<attempt>/. */
  readonly workDir: string;
  /** The configuration's directory, given to commands as $SLUICE_CONFIG_DIR. */
  readonly configDir: string;
  readonly maxLogBytes?: number;
  /** Where images of node roots are kept (`<imagesDir>/<name>.tar.gz`); without it, no snapshots. */
  readonly imagesDir?: string;
  readonly killGraceMs?: number;
  /** Each command in a bwrap sandbox, or not confined (the default here; see local-config.ts). */
  readonly isolation?: Isolation;
}

export const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;

/**
 * Nodes that are processes on this machine, each job in a directory of its own: the
 * embedded default, and what the demo and tests run on.
 */
export function localProvider(opts: LocalProviderOptions): NodeProvider {
  return {
    name: opts.name,
    capacity: opts.capacity,
    async reap(a: AbandonedAttempt): Promise<void> {
      reapOrphans(jobDir(opts.workDir, a.runId, a.jobId, a.attempt), a.jobId, a.attempt);
    },
    liveLogPath: (a) => logPathOf(opts.workDir, a),
    async execute(ex: Execution): Promise<ExecutionOutcome> {
      const dir = jobDir(opts.workDir, ex.runId, ex.jobId, ex.attempt);
      const node = `local:${dir}`;
      const logPath = logPathOf(opts.workDir, ex);
      let updatePath: string;
      try {
        // On libuv's pool: a file system busy with sixteen jobs' files can make a directory's
        // creation wait for its journal, and the engine's thread must not wait with it.
        await mkdir(join(dir, 'update'), { recursive: true });
        await Promise.all([
          mkdir(join(dir, 'results'), { recursive: true }), mkdir(join(dir, 'node'), { recursive: true }), writeFile(logPath, ''),
          // Names come from update ids, which the schema restricts to safe file names.
          ...ex.updateFiles.map((f) => writeFile(join(dir, 'update', basename(f.name)), f.content)),
        ]);
        // A baseline tests no update: it gets an empty $SLUICE_UPDATE_FILE.
        updatePath = ex.updateFiles[0] ? join(dir, 'update', basename(ex.updateFiles[0].name)) : '';
      } catch (e) {
        return { result: 'infra', reason: writeFailure(e, `the job's directory ${dir}`), node, logPath: null };
      }
      const root = join(dir, 'node');
      if (ex.spec.mode === 'image' && ex.spec.image && opts.imagesDir) {
        try {
          if (await restoreRoot(opts.imagesDir, ex.spec.image, root)) appendFileSync(logPath, `== node root restored from image ${ex.spec.image}\n`);
        } catch (e) {
          return { result: 'infra', reason: `cannot restore image ${ex.spec.image}: ${(e as Error).message}`, node, logPath };
        }
      }
      const resultsDir = join(dir, 'results');
      let inputs: Record<string, string>;
      try {
        inputs = localInputs(ex, join(dir, 'repos'));
      } catch (e) {
        return { result: 'infra', reason: `cannot write the job's repository files: ${(e as Error).message}`, node, logPath };
      }
      const env = { ...jobEnvironment(ex, { workDir: dir, updatePath, updateDir: join(dir, 'update'), configDir: opts.configDir, resultsDir, inputs }), SLUICE_NODE_ROOT: root };
      const commands = typeof ex.spec.command === 'string' ? [ex.spec.command] : ex.spec.command;
      const deadline = Date.now() + ex.spec.timeoutMs;
      const paths: SandboxPaths = { root: resolve(root), jobDir: resolve(dir), resultsDir: resolve(resultsDir), configDir: resolve(opts.configDir), readOnly: engineMadeDirs(ex) };
      for (const command of commands) {
        let sandbox: Sandbox | undefined;
        if (opts.isolation?.kind === 'bwrap') {
          sandbox = sandboxFor(opts.isolation, paths);
          appendFileSync(logPath, sandbox.layout === 'node-root' ? '== in bwrap, with the node root as /\n' : '== in bwrap, with the host\'s / read-only\n');
        }
        const run = await runCommand({
          command, cwd: dir, env, logPath, timeoutMs: Math.max(1, deadline - Date.now()),
          maxLogBytes: opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, killGraceMs: opts.killGraceMs ?? 5000,
          pgidFile: join(dir, PGIDS_FILE),
          ...(sandbox ? { sandboxArgv: sandbox.argv } : {}),
        }, { signal: ex.signal });
        sandbox?.cleanup();
        // A runner that died left the command running unread: end it as after a worker's crash.
        if (run.exit.kind === 'spawn_failed') reapOrphans(dir, ex.jobId, ex.attempt);
        const outcome = toOutcome(run.exit, ex.spec.timeoutMs, commands.length > 1 ? command : undefined, logPath);
        if (outcome.result === 'failure' && diskFull(dir)) {
          return { result: 'infra', reason: `no space left on device while writing in the job's directory ${dir} (${outcome.reason})`, node, logPath, resultsDir };
        }
        if (outcome.result !== 'success') return { ...outcome, node, logPath, resultsDir };
      }
      // A green baseline's node root becomes the target's image.
      if (ex.spec.stage === 'baseline' && opts.imagesDir) {
        const name = `${ex.spec.target.replace(/\//g, '_')}-${ex.runId}`;
        try {
          const location = await snapshotRoot(root, opts.imagesDir, name);
          appendFileSync(logPath, `== node root kept as image ${name}\n`);
          return { result: 'success', reason: 'the baseline passed', node, logPath, resultsDir, snapshot: { name, location } };
        } catch (e) {
          return { result: 'infra', reason: `the baseline passed but its image could not be made: ${(e as Error).message}`, node, logPath, resultsDir };
        }
      }
      return { result: 'success', reason: 'the tests passed', node, logPath, resultsDir };
    },
  };
}

/**
 * Directories the engine made for the job, which a sandbox must let it read: the update's
 * repository, promote's trees (they live in the cache beside work_dir, which may be under
 * a /tmp the sandbox replaces).
 */
function engineMadeDirs(ex: Execution): string[] {
  const legacy = ex.preparedEnv?.SLUICE_UPDATE_REPO;
  const dirs = [...Object.values(ex.inputDirs ?? {}), ...(legacy === undefined ? [] : [legacy])];
  return dirs.filter((d) => {
    if (!isAbsolute(d) || normalize(d) !== d) return false;
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
}

/** A local node sees the worker's disk: the variables name the directories themselves, and repository files point at them. */
function localInputs(ex: Execution, reposDir: string): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [variable, path] of Object.entries(ex.inputDirs ?? {})) {
    inputs[variable] = path;
    if (!namesRepository(variable)) continue;
    mkdirSync(reposDir, { recursive: true });
    const file = join(reposDir, `${repoIdOf(variable)}.repo`);
    writeFileSync(file, repoFile(variable, path, repoFileOptions(ex)));
    inputs[`${variable}_FILE`] = file;
  }
  return inputs;
}

/** `<run>/<job>-a<attempt>`: a phase1 job is named for its target; phase2 has one per group and round. */
export function jobDir(workDir: string, runId: string, jobId: string, attempt: number): string {
  return join(workDir, runId, `${jobSlug(runId, jobId)}-a${attempt}`);
}

/** The attempt's log, in its job directory. */
export function logPathOf(workDir: string, a: AttemptId): string {
  return join(jobDir(workDir, a.runId, a.jobId, a.attempt), 'job.log');
}

/** How a command ended, as a job result and reason; the ssh provider adds a lost connection to it. */
export function toOutcome(exit: ProcessExit, timeoutMs: number, which: string | undefined, logPath?: string): Pick<ExecutionOutcome, 'result' | 'reason'> {
  const of = which === undefined ? 'the test command' : `"${which}"`;
  switch (exit.kind) {
    case 'exited':
      return exit.code === 0 ? { result: 'success', reason: 'the tests passed' } : { result: 'failure', reason: `${of} exited with status ${exit.code}` };
    case 'signalled':
      return { result: 'failure', reason: `${of} was killed by ${exit.signal}` };
    case 'timeout':
      return { result: 'timeout', reason: `no result after ${formatDuration(timeoutMs)}: the job's processes were killed` };
    case 'cancelled':
      return { result: 'cancelled', reason: 'cancelled' };
    case 'output_limit':
      return { result: 'failure', reason: `${of} wrote more than ${exit.limitBytes} bytes of output and was stopped` };
    case 'spawn_failed':
      return { result: 'infra', reason: `cannot start ${of}: ${exit.message}` };
    case 'log_failed':
      return { result: 'infra', reason: exit.code === 'ENOSPC' ? `no space left on device while writing the job's log${logPath ? ` ${logPath}` : ''}: ${of} was stopped` : `cannot write the job's log${logPath ? ` ${logPath}` : ''}: ${exit.message}` };
  }
}

/** A write that failed because the disk is full says so plainly; other errors keep their own words. */
export function writeFailure(e: unknown, what: string): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOSPC' ? `no space left on device while writing ${what}` : `cannot write ${what}: ${err.message}`;
}

/** Whether the file system holding `dir` has no room left: a command that failed then failed for want of disk, not of the update. */
function diskFull(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}
