import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Job } from '../store/index.js';

/** A file the node sent back (`pipelines.<name>.collect`), beside the job's log. */
export interface CollectedFile {
  readonly name: string;
  readonly bytes: number;
}

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** The files collected from a job's node, by the names the collector gave them; none when it collected nothing. */
export function collectedFiles(job: Pick<Job, 'logPath'>): CollectedFile[] {
  if (!job.logPath) return [];
  const dir = join(dirname(job.logPath), 'collected');
  try {
    return readdirSync(dir).filter((n) => NAME.test(n)).sort().flatMap((name) => {
      const st = statSync(join(dir, name));
      return st.isFile() ? [{ name, bytes: st.size }] : [];
    });
  } catch {
    return [];
  }
}

/**
 * The path of one collected file, only if `name` is one of those `collectedFiles` lists:
 * the request names a file, it never builds a path.
 */
export function collectedPath(job: Pick<Job, 'logPath'>, name: string): string | undefined {
  if (!job.logPath || !collectedFiles(job).some((f) => f.name === name)) return undefined;
  return join(dirname(job.logPath), 'collected', name);
}
