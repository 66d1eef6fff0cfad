import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jobDir } from '../drivers/providers/local/local-provider.js';
import { providerOfKind } from '../engine/job-kind.js';
import type { Job } from '../store/index.js';
import type { WebSite } from './deps.js';

/**
 * Where a job's log is. Never a path from the request: the store's `jobs.log_path`, or,
 * for a job still running on a local node (the store learns the path only when the job
 * ends), the file the local provider writes, found from the job's own run, id and attempt.
 */
export function logPathOf(job: Job, site: WebSite): string | undefined {
  if (job.logPath) return existsSync(job.logPath) ? job.logPath : undefined;
  if (job.state !== 'running' || job.attempt < 1) return undefined;
  const provider = providerOfKind(job.kind);
  if (site.config.providers[provider]?.type !== 'local') return undefined;
  const path = join(jobDir(site.resolvePath(site.config.work_dir), job.runId, job.id, job.attempt), 'job.log');
  return existsSync(path) ? path : undefined;
}
