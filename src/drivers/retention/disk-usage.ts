import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { RETENTION_KINDS, type RetentionKind } from '../../core/retention-kinds.js';
import { TREES_DIR } from '../publish/tree-layout.js';
import { RUN_ID_PATTERN } from '../repo/update-repo.js';
import { entries, measure } from './disk-walk.js';
import { PEER_LOGS_DIR, type RetentionSite } from './inventory.js';

export interface DiskUsage {
  /** Bytes each kind takes (hard links charged their share, as prune counts them). */
  readonly used: Readonly<Record<RetentionKind, number>>;
  /** Bytes an unprivileged writer may still write on the file system of work_dir; null when it cannot be asked. */
  readonly freeBytes: number | null;
}

/** What /metrics shows of the disk: a walk of each kind's directories, with no store. */
export async function diskUsage(site: RetentionSite & { readonly imagesDir: string }): Promise<DiskUsage> {
  const used = Object.fromEntries(RETENTION_KINDS.map((k) => [k, 0])) as Record<RetentionKind, number>;
  for (const name of await entries(site.workDir)) {
    if (!name.startsWith('.') && RUN_ID_PATTERN.test(name)) used.logs += (await measure(join(site.workDir, name))).bytes;
  }
  used.logs += (await measure(join(site.workDir, PEER_LOGS_DIR))).bytes;
  used.builds = (await measure(join(site.cacheDir, 'builds'))).bytes;
  used.repositories = (await measure(join(site.cacheDir, 'repos'))).bytes;
  used.trees = (await measure(join(site.productionRoot, TREES_DIR))).bytes;
  used.images = (await measure(site.imagesDir)).bytes;
  const fs = await statfs(site.workDir).catch(() => null);
  return { used, freeBytes: fs ? fs.bavail * fs.bsize : null };
}
