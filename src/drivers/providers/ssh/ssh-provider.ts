import { appendFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { JobRole } from '../../../core/config.js';
import { hostsFile, roleEnvironment, runRoles, type RoleNode } from './multi-node.js';
import type { Client } from 'ssh2';
import { formatDuration } from '../../../core/duration.js';
import { jobSlug } from '../../../engine/job-kind.js';
import type { AbandonedAttempt, Execution, ExecutionOutcome, NodeProvider } from '../../../engine/node-provider.js';
import { jobDir } from '../local/local-provider.js';
import { HostPool, type PooledHost } from './host-pool.js';
import { PGIDS_FILE } from './remote-run.js';
import type { SshProviderSettings } from './ssh-config.js';
import { makeLocalJobDir, nodeCacheDir, runSshJob } from './ssh-job.js';
import { connect, run } from './ssh-session.js';
import { shellQuote } from './shell-quote.js';

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

  const jobOptions = (ex: Execution) => ({
    configDir: opts.remoteConfigDir ?? opts.configDir, killGraceMs: opts.killGraceMs, now,
    cacheDir: nodeCacheDir(opts.remoteWorkDir), ...(opts.configFiles.length > 0 ? { configFiles: { root: opts.configDir, paths: opts.configFiles } } : {}),
    ...(opts.maxLogBytes ? { maxLogBytes: opts.maxLogBytes } : {}), execution: ex,
  });

  /**
   * A multi-node job: one host per role, each a different host (the roles reach each other
   * by address), all connected before any command runs; a host that cannot be reached is
   * infra for the whole job and sits out, so the retry takes others.
   */
  const executeRoles = async (ex: Execution, roles: readonly JobRole[], local: string, logPath: string): Promise<ExecutionOutcome> => {
    const taken: PooledHost[] = [];
    const clients: Client[] = [];
    try {
      for (const _ of roles) {
        const chosen = pool.take(now(), taken);
        if (!chosen.ok) return { result: 'infra', reason: `${roles.length} roles need ${roles.length} hosts: ${chosen.reason}`, node: opts.name, logPath };
        taken.push(chosen.host);
      }
      const reached = await Promise.all(taken.map((h) => reach(h)));
      for (const r of reached) if (r.ok) clients.push(r.client);
      const down = reached.find((r) => !r.ok);
      if (down && !down.ok) return { result: 'infra', reason: down.reason, node: taken.map((h) => h.name).join(', '), logPath };
      const nodes: RoleNode[] = roles.map((r, i) => ({ role: r.role, node: (taken[i] as PooledHost).name, address: (taken[i] as PooledHost).spec.host }));
      appendFileSync(logPath, `== roles: ${nodes.map((n) => `${n.role} on ${n.node}`).join(', ')}\n`);
      const hosts = hostsFile(nodes);
      return await runRoles(ex, roles, (role, execution) => {
        const i = roles.indexOf(role);
        const host = taken[i] as PooledHost;
        return runSshJob({
          ...jobOptions(execution), client: clients[i] as Client, node: host.name, localDir: local,
          remoteDir: posix.join(remoteDir(ex.runId, ex.jobId, ex.attempt), role.role),
          role: { name: role.role, env: roleEnvironment(nodes, role.role), hosts },
          onConnectionLost: (why) => pool.markDown(host, now(), why),
        });
      });
    } finally {
      for (const c of clients) c.end();
      for (const h of taken) pool.release(h);
    }
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
      const unprepared = makeLocalJobDir(local);
      if (unprepared) return { result: 'infra', reason: unprepared, node: opts.name, logPath: null };
      const logPath = join(local, 'job.log');
      if (ex.signal.aborted) return { result: 'cancelled', reason: 'cancelled', node: opts.name, logPath };
      if (ex.spec.roles) return executeRoles(ex, ex.spec.roles, local, logPath);
      const chosen = pool.take(now());
      if (!chosen.ok) return { result: 'infra', reason: chosen.reason, node: opts.name, logPath };
      const host = chosen.host;
      const node = host.name;
      try {
        const reached = await reach(host);
        if (!reached.ok) return { result: 'infra', reason: reached.reason, node, logPath };
        const { client } = reached;
        try {
          return await runSshJob({
            ...jobOptions(ex), client, node, localDir: local, remoteDir: remoteDir(ex.runId, ex.jobId, ex.attempt),
            onConnectionLost: (why) => pool.markDown(host, now(), why),
          });
        } finally {
          client.end();
        }
      } finally {
        pool.release(host);
      }
    },
  };
}

/**
 * Kills the process groups recorded for one attempt, each only if its leader still
 * carries the attempt's SLUICE_JOB and SLUICE_ATTEMPT (a process id may have been reused).
 */
export function reapScript(dir: string, jobId: string, attempt: number): string {
  const has = (v: string) => `tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qxF -- ${shellQuote(v)}`;
  // A multi-node job's roles each have a directory of their own inside the attempt's.
  return [
    `cd -- ${shellQuote(dir)} 2>/dev/null || exit 0`,
    `for p in $(cat ${PGIDS_FILE} */${PGIDS_FILE} 2>/dev/null); do`,
    `  case $p in ''|*[!0-9]*) continue ;; esac`,
    `  if ${has(`SLUICE_JOB=${jobId}`)} && ${has(`SLUICE_ATTEMPT=${attempt}`)}; then kill -KILL -- -$p 2>/dev/null; fi`,
    'done',
    'true',
  ].join('\n');
}
