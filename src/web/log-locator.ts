import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jobDir } from '../drivers/providers/local/index.js';
import { providerOfKind } from '../engine/job-kind.js';
import type { Job } from '../store/index.js';
import type { WebSite } from './deps.js';

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
