import { appendFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Client } from 'ssh2';
import { formatDuration } from '../../../core/duration.js';
import { jobSlug } from '../../../engine/job-kind.js';
import type { Execution, ExecutionOutcome } from '../../../engine/node-provider.js';
import { jobDir } from '../local/local-provider.js';
import { makeLocalJobDir, nodeCacheDir, runSshJob } from '../ssh/ssh-job.js';
import { connectChecked, type HostKeyCheck } from '../ssh/ssh-session.js';
import { consoleHostKeys } from './console-host-keys.js';
import type { CloudServer, RunOnNode } from './openstack-provider.js';
import { abortableSleep, messageOf } from './wait.js';

export type HostKeyMode = 'console' | 'first-use';

export interface CloudSshOptions {
  readonly user: string;
  readonly port: number;
  readonly privateKey: Buffer;
  readonly hostKey: HostKeyMode;
  readonly connectTimeoutMs: number;
  /** How long after ACTIVE the console keys and sshd may take to appear. */
  readonly readyTimeoutMs: number;
  readonly remoteWorkDir: string;
  readonly remoteConfigDir: string | undefined;
  /** Files of the configuration's directory each node receives (`ssh.config_files`). */
  readonly configFiles?: readonly string[];
  readonly killGraceMs: number;
  /** The worker's job directories (job.log, results), as for local jobs. */
  readonly workDir: string;
  /** The configuration's directory on the worker: $SLUICE_CONFIG_DIR unless `remoteConfigDir`. */
  readonly configDir: string;
  /** How often the console and sshd are tried while the server comes up; 2 s by default. */
  readonly pollMs?: number;
  readonly maxLogBytes?: number;
}

type Reached = { ok: true; client: Client } | { ok: false; outcome: Pick<ExecutionOutcome, 'result' | 'reason'> };

/**
 * How a job reaches a fresh cloud server: its host key is learnt at run time (from the
 * console through Nova's authenticated API, or on first contact), pinned for every
 * connection of the job, and the job then runs as on an ssh provider's host. An sshd
 * that does not answer yet (the server is still booting) is tried again until
 * `ready_timeout`; a key that is not the pinned one is never retried.
 */
export function cloudSshRunOnNode(o: CloudSshOptions): RunOnNode {
  const pollMs = o.pollMs ?? 2000;

  async function pinnedKeys(server: CloudServer, ex: Execution, deadline: number, note: (l: string) => void): Promise<{ ok: true; check: HostKeyCheck } | { ok: false; outcome: Pick<ExecutionOutcome, 'result' | 'reason'> }> {
    if (o.hostKey === 'first-use') {
      let pinned: Buffer | undefined;
      note('host key: trusted on first use (ssh.host_key: first-use)');
      return {
        ok: true,
        check: (key) => {
          pinned ??= Buffer.from(key);
          return same(pinned, key) ? undefined : `the host key of server ${server.name} changed between two connections of the job: refusing it`;
        },
      };
    }
    let lastError = '';
    for (;;) {
      if (ex.signal.aborted) return { ok: false, outcome: { result: 'cancelled', reason: 'cancelled while waiting for the server\'s host keys' } };
      try {
        const keys = consoleHostKeys(await server.consoleOutput(ex.signal));
        if (keys.length > 0) {
          note(`host keys from the console of ${server.name}: ${keys.map((k) => k.type).join(', ')}`);
          return { ok: true, check: (key) => (keys.some((k) => same(k.blob, key)) ? undefined : `the host key server ${server.name} presented is not one its console printed: refusing it (another machine answers at its address, or the console lies)`) };
        }
      } catch (e) {
        lastError = messageOf(e);
      }
      if (Date.now() >= deadline) {
        return {
          ok: false,
          outcome: {
            result: 'infra',
            reason: `server ${server.name} printed no SSH host keys on its console within ${formatDuration(o.readyTimeoutMs)}${lastError ? ` (${lastError})` : ''}: the image needs cloud-init with its keys-to-console module, or use ssh.host_key: first-use`,
          },
        };
      }
      await abortableSleep(Math.min(pollMs, Math.max(1, deadline - Date.now())), ex.signal);
    }
  }

  async function reach(address: string, server: CloudServer, ex: Execution, check: HostKeyCheck, deadline: number): Promise<Reached> {
    let last = '';
    for (;;) {
      if (ex.signal.aborted) return { ok: false, outcome: { result: 'cancelled', reason: 'cancelled while waiting for sshd on the server' } };
      const c = await connectChecked({ host: address, port: o.port, user: o.user }, { privateKey: o.privateKey, connectTimeoutMs: o.connectTimeoutMs, checkHostKey: check });
      if (c.ok) return c;
      if (c.hostKeyRefused) return { ok: false, outcome: { result: 'infra', reason: `${c.reason}; the job's commands were not run` } };
      last = c.reason;
      if (Date.now() >= deadline) {
        return { ok: false, outcome: { result: 'infra', reason: `sshd of server ${server.name} (${o.user}@${address}:${o.port}) did not let the worker in within ${formatDuration(o.readyTimeoutMs)} of ACTIVE: ${last}` } };
      }
      await abortableSleep(Math.min(pollMs, Math.max(1, deadline - Date.now())), ex.signal);
    }
  }

  return async (address, ex, server, role) => {
    const local = jobDir(o.workDir, ex.runId, ex.jobId, ex.attempt);
    const node = `ssh:${o.user}@${address}:${o.port}`;
    // The roles of a multi-node job share one directory and log: none may empty the other's.
    const unprepared = makeLocalJobDir(local, { keepLog: role !== undefined });
    if (unprepared) return { result: 'infra', reason: unprepared, node, logPath: null };
    const logPath = join(local, 'job.log');
    const note = (line: string) => appendFileSync(logPath, `== ${role ? `[${role.name}] ` : ''}${line}\n`);
    note(`server ${server.name} (${server.id}) is ACTIVE at ${address}`);
    const deadline = Date.now() + o.readyTimeoutMs;
    const keys = await pinnedKeys(server, ex, deadline, note);
    if (!keys.ok) return { ...keys.outcome, node, logPath };
    const reached = await reach(address, server, ex, keys.check, deadline);
    if (!reached.ok) return { ...reached.outcome, node, logPath };
    try {
      return await runSshJob({
        client: reached.client, node, execution: ex, localDir: local, killGraceMs: o.killGraceMs,
        remoteDir: posix.join(o.remoteWorkDir, ex.runId, `${jobSlug(ex.runId, ex.jobId)}-a${ex.attempt}`, ...(role ? [role.name] : [])),
        ...(role ? { role } : {}),
        configDir: o.remoteConfigDir ?? o.configDir, cacheDir: nodeCacheDir(o.remoteWorkDir),
        ...(server.restoredFrom ? { restore: { image: server.restoredFrom.image, oldAddress: server.restoredFrom.address ?? '', newAddress: server.fixedAddress ?? address } } : {}),
        ...(o.configFiles && o.configFiles.length > 0 ? { configFiles: { root: o.configDir, paths: o.configFiles } } : {}), ...(o.maxLogBytes ? { maxLogBytes: o.maxLogBytes } : {}),
      });
    } finally {
      reached.client.end();
    }
  };
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
