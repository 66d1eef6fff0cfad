import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Each command of a job appends its process group id here when it starts. */
export const PGIDS_FILE = 'pgids';

/**
 * Kills the process groups a dead worker left running for one job attempt. A process id
 * may have been reused since, so a group is killed only if its leader still carries the
 * job's own SLUICE_JOB and SLUICE_ATTEMPT in its environment (read from /proc).
 */
export function reapOrphans(dir: string, jobId: string, attempt: number): number {
  let pgids: number[];
  try {
    pgids = readFileSync(join(dir, PGIDS_FILE), 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  } catch {
    return 0;
  }
  let killed = 0;
  for (const pgid of pgids) {
    if (!belongsTo(pgid, jobId, attempt)) continue;
    try {
      process.kill(-pgid, 'SIGKILL');
      killed++;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}

function belongsTo(pid: number, jobId: string, attempt: number): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.includes(`SLUICE_JOB=${jobId}`) && env.includes(`SLUICE_ATTEMPT=${attempt}`);
  } catch {
    return false;
  }
}
