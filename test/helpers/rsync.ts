import { spawnSync } from 'node:child_process';

export const RSYNC_MISSING = 'rsync not installed: apt-get install rsync, or run npm test which installs it';

/** Skips (or, under CI, fails) a test when rsync, which publication copies trees with, is missing. */
export function requireRsync(t: { skip: (msg: string) => void }): boolean {
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  if (ci !== '' && ci !== '0' && ci !== 'false') throw new Error(`${RSYNC_MISSING} (CI is set: these tests must run)`);
  t.skip(RSYNC_MISSING);
  return false;
}
