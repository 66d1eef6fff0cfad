import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jobDir } from '../drivers/providers/local/index.js';
import { providerOfKind } from '../engine/job-kind.js';
import type { Job } from '../store/index.js';
import type { WebDeps, WebSite } from './deps.js';
import { PEER_HEADER, type ForwardedCredentials } from './peer-logs.js';
import { prunedLogNote } from '../drivers/retention/index.js';

/**
 * Where a job's log is. Never a path from the request: the store's `jobs.log_path` (the
 * last attempt that ended), or, for a job still running, the log its attempt recorded as
 * it started (`jobs.live_log_path`).
 */
export function logPathOf(job: Job, site: WebSite): string | undefined {
  if (job.logPath) return existsSync(job.logPath) ? job.logPath : undefined;
  if (job.state !== 'running' || job.attempt < 1) return undefined;
  const path = job.liveLogPath ?? localLogOfAttemptStartedBeforeMigration14(job, site);
  return path !== undefined && existsSync(path) ? path : undefined;
}

/**
 * A job claimed by a worker older than migration 0014 never recorded its running log:
 * for one on a local node, the file the local provider writes, rebuilt from the job's own
 * run, id and attempt. The only place the web knows a provider's paths; it can go once
 * no such worker runs.
 */
function localLogOfAttemptStartedBeforeMigration14(job: Job, site: WebSite): string | undefined {
  if (site.config.providers[providerOfKind(job.kind)]?.type !== 'local') return undefined;
  return join(jobDir(site.resolvePath(site.config.work_dir), job.runId, job.id, job.attempt), 'job.log');
}

/** The headers of a request for a log, as far as finding it goes. */
export type LogRequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Where a reader finds the job's log on this host: its own file, or a copy of the one the
 * serve that ran the attempt holds (PeerLogs). A request from a peer is answered from this
 * host's disk only, so two hosts never ask each other in a loop.
 */
export async function locateLog(job: Job, d: Pick<WebDeps, 'site' | 'peerLogs'>, headers: LogRequestHeaders): Promise<string | undefined> {
  const local = logPathOf(job, d.site);
  if (local !== undefined || headers[PEER_HEADER] !== undefined || !d.peerLogs?.holdsElsewhere(job)) return local;
  return d.peerLogs.copyOf(job, credentialsOf(headers));
}

function credentialsOf(headers: LogRequestHeaders): ForwardedCredentials {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('; ') : v);
  const authorization = one(headers.authorization);
  const cookie = one(headers.cookie);
  return { ...(authorization ? { authorization } : {}), ...(cookie ? { cookie } : {}) };
}

/**
 * The log as locateLog finds it, or, when there is none, the note of its pruning ("log
 * pruned on DATE") from the store: a pruned log is said so on every host, even one whose
 * holder is down.
 */
export async function locateLogOrPruned(job: Job, d: Pick<WebDeps, 'site' | 'peerLogs' | 'store'>, headers: LogRequestHeaders): Promise<{ path?: string; pruned?: string }> {
  let path: string | undefined;
  try {
    path = await locateLog(job, d, headers);
  } catch (e) {
    const pruned = await prunedLogNote(d.store, job.runId);
    if (pruned) return { pruned };
    throw e;
  }
  if (path) return { path };
  const pruned = await prunedLogNote(d.store, job.runId);
  return pruned ? { pruned } : {};
}
