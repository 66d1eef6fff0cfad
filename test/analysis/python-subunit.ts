import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * A Python with Debian's python3-subunit importable, to produce real subunit v2 streams with
 * its own writer (`python3 -m subunit.run`, `subunit.v2.StreamResultToBytes`) and read them
 * back with its own parser. The first `python3` on PATH may be another Python (pyenv, a
 * venv) without the package, so every `python3` on PATH is tried.
 */
let found: string | null | undefined;

export function subunitPython(): string | undefined {
  if (found === undefined) {
    found = null;
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      const candidate = join(dir, 'python3');
      if (dir === '' || !existsSync(candidate)) continue;
      if (spawnSync(candidate, ['-c', 'import subunit.v2, subunit.run'], { stdio: 'ignore', timeout: 30_000 }).status === 0) {
        found = candidate;
        break;
      }
    }
  }
  return found ?? undefined;
}

export const SUBUNIT_MISSING = 'python3-subunit is not installed: apt-get install python3-subunit, or run npm test which installs it';

/** Skips (or, under CI, fails) a test when python3-subunit is missing. */
export function requireSubunitPython(t: { skip: (msg: string) => void }): string | undefined {
  const python = subunitPython();
  if (python) return python;
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  if (ci !== '' && ci !== '0' && ci !== 'false') throw new Error(`${SUBUNIT_MISSING} (CI is set: these tests must run)`);
  t.skip(SUBUNIT_MISSING);
  return undefined;
}
