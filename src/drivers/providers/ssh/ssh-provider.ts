import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { posix } from 'node:path';
import type { Client } from 'ssh2';
import { formatDuration } from '../../../core/duration.js';
import { jobSlug } from '../../../engine/job-kind.js';
import type { AbandonedAttempt, Execution, ExecutionOutcome, NodeProvider } from '../../../engine/node-provider.js';
import { jobEnvironment } from '../local/job-environment.js';
import { DEFAULT_MAX_LOG_BYTES, jobDir } from '../local/local-provider.js';
import { remoteOutcome } from './exit-outcome.js';
import { HostPool, type PooledHost } from './host-pool.js';
import { ENV_FILE, PGIDS_FILE, runRemote } from './remote-run.js';
import type { SshProviderSettings } from './ssh-config.js';
import { connect, openSftp, run, sftpGet, sftpList, sftpMkdirs, sftpWrite } from './ssh-session.js';
import { envFile, shellQuote } from './shell-quote.js';

export interface SshProviderOptions extends SshProviderSettings {
  readonly name: string;
  /** The log and fetched results of each job stay here, as the local provider keeps them: <workDir>/<run>/<job>-a<attempt>/. */
  readonly workDir: string;
  /** The configuration's directory on the worker: $SLUICE_CONFIG_DIR unless the hosts see it elsewhere. */
  readonly configDir: string;
  readonly maxLogBytes?: number;
  readonly now?: () => number;
}

/**
 * Nodes that are slots on a static pool of SSH hosts. Each job gets its own connection
 * to the least-loaded host that is up, a directory there, its update files and
 * environment uploaded by SFTP, and its commands run one after another; the output is
 * streamed into the local log. A host that cannot be reached is out of the pool for
 * `down_for` and the job ends `infra`, so the engine retries it, on another host.
 */
export function sshProvider(opts: SshProviderOptions): NodeProvider & { readonly pool: HostPool } {
  const now = opts.now ?? Date.now;
  const pool = new HostPool(opts.hosts, opts.downForMs);
  const remoteDir = (runId: string, jobId: string, attempt: number) => posix.join(opts.remoteWorkDir, runId, `${jobSlug(runId, jobId)}-a${attempt}`);
  const reach = async (h: PooledHost): Promise<{ ok: true; client: Client } | { ok: false; reason: string }> => {
    const c = await connect(h.spec, opts);
    if (c.ok) return c;
    pool.markDown(h, now(), c.reason);
    return { ok: false, reason: `cannot reach ${h.name}: ${c.reason}; it takes no job for ${formatDuration(opts.downForMs)}` };
  };

  return {
    name: opts.name,
    capacity: pool.capacity,
    pool,
    async reap(a: AbandonedAttempt): Promise<void> {
      // Any host may have run the attempt: the one holding its directory kills what is left.
      const dir = remoteDir(a.runId, a.jobId, a.attempt);
      for (const h of pool.hosts) {
        const c = await connect(h.spec, opts);
        if (!c.ok) continue;
        try {
          await run(c.client, reapScript(dir, a.jobId, a.attempt));
        } catch {
          // The host went away meanwhile: its processes went with it.
        } finally {
          c.client.end();
        }
      }
    },
    async execute(ex: Execution): Promise<ExecutionOutcome> {
      const local = jobDir(opts.workDir, ex.runId, ex.jobId, ex.attempt);
      const logPath = join(local, 'job.log');
      try {
        mkdirSync(join(local, 'results'), { recursive: true });
        writeFileSync(logPath, '');
      } catch (e) {
        return { result: 'infra', reason: `cannot prepare the local job directory: ${(e as Error).message}`, node: opts.name, logPath: null };
      }
      if (ex.signal.aborted) return { result: 'cancelled', reason: 'cancelled', node: opts.name, logPath };
      const chosen = pool.take(now());
      if (!chosen.ok) return { result: 'infra', reason: chosen.reason, node: opts.name, logPath };
      const host = chosen.host;
      const node = host.name;
      try {
        const reached = await reach(host);
        if (!reached.ok) return { result: 'infra', reason: reached.reason, node, logPath };
        const { client } = reached;
        try {
          const dir = remoteDir(ex.runId, ex.jobId, ex.attempt);
          const prepared = await prepare(client, dir, ex, opts.remoteConfigDir ?? opts.configDir);
          if (!prepared.ok) return { result: 'infra', reason: `cannot prepare the job directory on ${node}: ${prepared.reason}`, node, logPath };
          const commands = typeof ex.spec.command === 'string' ? [ex.spec.command] : ex.spec.command;
          const deadline = now() + ex.spec.timeoutMs;
          let outcome: ExecutionOutcome = { result: 'success', reason: 'the tests passed', node, logPath, resultsDir: join(local, 'results') };
          for (const command of commands) {
            const r = await runRemote({
              client, command, dir, logPath, timeoutMs: Math.max(1, deadline - now()),
              maxLogBytes: opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, killGraceMs: opts.killGraceMs, signal: ex.signal,
            });
            if (r.exit.kind === 'connection_lost') pool.markDown(host, now(), r.exit.message);
            const o = remoteOutcome(r.exit, ex.spec.timeoutMs, commands.length > 1 ? command : undefined, node);
            if (o.result !== 'success') { outcome = { ...outcome, ...o }; break; }
          }
          if (outcome.result === 'success' || outcome.result === 'failure') await fetchResults(client, posix.join(dir, 'results'), join(local, 'results'));
          return outcome;
        } finally {
          client.end();
        }
      } finally {
        pool.release(host);
      }
    },
  };
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

/**
 * Kills the process groups recorded for one attempt, each only if its leader still
 * carries the attempt's SLUICE_JOB and SLUICE_ATTEMPT (a process id may have been reused).
 */
export function reapScript(dir: string, jobId: string, attempt: number): string {
  const has = (v: string) => `tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qxF -- ${shellQuote(v)}`;
  return [
    `cd -- ${shellQuote(dir)} 2>/dev/null || exit 0`,
    `for p in $(cat ${PGIDS_FILE} 2>/dev/null); do`,
    `  case $p in ''|*[!0-9]*) continue ;; esac`,
    `  if ${has(`SLUICE_JOB=${jobId}`)} && ${has(`SLUICE_ATTEMPT=${attempt}`)}; then kill -KILL -- -$p 2>/dev/null; fi`,
    'done',
    'true',
  ].join('\n');
}
