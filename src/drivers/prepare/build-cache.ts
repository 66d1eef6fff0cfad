import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchedRpm } from '../sources/build-source.js';

/** Written last into a build's cache directory: what was fetched and recorded there. */
export const MANIFEST = '.fetched.json';

/** Where a build's RPMs are kept once fetched: `<cache>/builds/<source>/<id>`. */
export function buildCacheDir(cacheDir: string, source: string, id: string | number): string {
  return join(cacheDir, 'builds', source, String(id));
}

/**
 * A build fetched once is not fetched again: the second job of an update (or a rerun)
 * reads the manifest and re-hashes the files, so a file changed on disk since is never
 * taken for the one that was recorded.
 */
export async function cachedBuild(dest: string): Promise<FetchedRpm[] | undefined> {
  const manifest = join(dest, MANIFEST);
  if (!existsSync(manifest)) return undefined;
  let rpms: FetchedRpm[];
  try {
    rpms = JSON.parse(readFileSync(manifest, 'utf8')) as FetchedRpm[];
  } catch {
    return undefined;
  }
  for (const r of rpms) {
    if (!existsSync(r.path) || (await sha256Of(r.path)) !== r.sha256) return undefined;
  }
  // Used again now: retention counts a build's age from its last use (docs/retention.md).
  try { utimesSync(manifest, new Date(), new Date()); } catch { /* read-only cache: age from the fetch */ }
  return rpms;
}

export function rememberBuild(dest: string, rpms: readonly FetchedRpm[]): void {
  const tmp = join(dest, `${MANIFEST}.tmp`);
  writeFileSync(tmp, JSON.stringify(rpms));
  renameSync(tmp, join(dest, MANIFEST));
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (d) => hash.update(d)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}
