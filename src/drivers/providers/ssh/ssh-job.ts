import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import type { Client } from 'ssh2';
import type { Execution, ExecutionOutcome } from '../../../engine/node-provider.js';
import { jobEnvironment } from '../local/job-environment.js';
import { DEFAULT_MAX_LOG_BYTES } from '../local/local-provider.js';
import { remoteOutcome } from './exit-outcome.js';
import { ENV_FILE, runRemote } from './remote-run.js';
import { openSftp, sftpGet, sftpList, sftpMkdirs, sftpWrite } from './ssh-session.js';
import { envFile } from './shell-quote.js';

/** One job on one host over an open SSH connection: what the ssh and openstack providers share. */
export interface SshJob {
  readonly client: Client;
  /** The node's name in outcomes and messages, e.g. `ssh:sluice@node1:22`. */
  readonly node: string;
  readonly execution: Execution;
  /** The worker's directory of the attempt (made by `makeLocalJobDir`): job.log and results/. */
  readonly localDir: string;
  /** The job directory on the host. */
  readonly remoteDir: string;
  /** $SLUICE_CONFIG_DIR as the host sees it. */
  readonly configDir: string;
  readonly killGraceMs: number;
  readonly maxLogBytes?: number;
  readonly now?: () => number;
  /** Told when the connection drops under a command (the ssh pool takes the host out). */
  readonly onConnectionLost?: (message: string) => void;
}

/** The worker's directory of an attempt with an empty job.log; an error message when it cannot be made. */
export function makeLocalJobDir(localDir: string): string | undefined {
  try {
    mkdirSync(join(localDir, 'results'), { recursive: true });
    writeFileSync(join(localDir, 'job.log'), '');
    return undefined;
  } catch (e) {
    return `cannot prepare the local job directory: ${(e as Error).message}`;
  }
}

/**
 * Makes the job directory on the host, uploads the update files and job.env, runs the
 * commands one after another (output streamed into the local job.log) and copies the
 * results back. The connection stays the caller's to end.
 */
export async function runSshJob(j: SshJob): Promise<ExecutionOutcome> {
  const ex = j.execution;
  const now = j.now ?? Date.now;
  const logPath = join(j.localDir, 'job.log');
  const node = j.node;
  const prepared = await prepare(j.client, j.remoteDir, ex, j.configDir);
  if (!prepared.ok) return { result: 'infra', reason: `cannot prepare the job directory on ${node}: ${prepared.reason}`, node, logPath };
  const commands = typeof ex.spec.command === 'string' ? [ex.spec.command] : ex.spec.command;
  const deadline = now() + ex.spec.timeoutMs;
  let outcome: ExecutionOutcome = { result: 'success', reason: 'the tests passed', node, logPath, resultsDir: join(j.localDir, 'results') };
  for (const command of commands) {
    const r = await runRemote({
      client: j.client, command, dir: j.remoteDir, logPath, timeoutMs: Math.max(1, deadline - now()),
      maxLogBytes: j.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, killGraceMs: j.killGraceMs, signal: ex.signal,
    });
    if (r.exit.kind === 'connection_lost') j.onConnectionLost?.(r.exit.message);
    const o = remoteOutcome(r.exit, ex.spec.timeoutMs, commands.length > 1 ? command : undefined, node);
    if (o.result !== 'success') { outcome = { ...outcome, ...o }; break; }
  }
  if (outcome.result === 'success' || outcome.result === 'failure') await fetchResults(j.client, posix.join(j.remoteDir, 'results'), join(j.localDir, 'results'));
  return outcome;
}

/** The job directory on the host, the update files in `update/`, and the environment file only its owner reads. */
async function prepare(client: Client, dir: string, ex: Execution, configDir: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const updateDir = posix.join(dir, 'update');
    // Names come from update ids, which the schema restricts to safe file names.
    const first = ex.updateFiles[0];
    const env = jobEnvironment(ex, {
      workDir: dir, updatePath: first ? posix.join(updateDir, basename(first.name)) : '', updateDir, configDir, resultsDir: posix.join(dir, 'results'),
    });
    // The host's own PATH is kept (env -i PATH="$PATH"): the worker's means nothing there.
    delete env.PATH;
    // By SFTP rather than `mkdir -p`: a command costs a login shell, which can be slow to start.
    const sftp = await openSftp(client);
    try {
      await sftpMkdirs(sftp, dir, ['update', 'results']);
      for (const f of ex.updateFiles) await sftpWrite(sftp, posix.join(updateDir, basename(f.name)), f.content);
      await sftpWrite(sftp, posix.join(dir, ENV_FILE), envFile(env), 0o600);
    } finally {
      sftp.end();
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** Test results the commands wrote ($SLUICE_RESULTS_DIR), copied beside the log for analysis; best effort. */
async function fetchResults(client: Client, remote: string, local: string): Promise<void> {
  try {
    const sftp = await openSftp(client);
    try {
      for (const f of await sftpList(sftp, remote)) {
        if (f.isFile) await sftpGet(sftp, posix.join(remote, f.name), join(local, basename(f.name)));
      }
    } finally {
      sftp.end();
    }
  } catch {
    // No results is what analysis sees when a job wrote none.
  }
}
