// Retention (docs/retention.md): what `sluice prune` and its schedule delete, and the
// disk usage /metrics shows. The decision is core/retention-plan.ts; this driver lists
// what is on disk and in the store, and deletes.
import { resolve } from 'node:path';
import { parseByteSize } from '../../core/byte-size.js';
import type { Config } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { RETENTION_KINDS, type RetentionLimits } from '../../core/retention-plan.js';
import type { RetentionSite } from './inventory.js';

export { diskUsage, type DiskUsage } from './disk-usage.js';
export { pruneSite, type KindOutcome, type PruneReport, type PruneStore } from './prune.js';
export type { RetentionSite } from './inventory.js';

/**
 * Where a site keeps what retention prunes, from its configuration: the cache and the
 * images sit beside work_dir (as the engine's composition puts them).
 */
export function retentionSiteOf(config: Config, resolvePath: (p: string) => string): RetentionSite & { readonly imagesDir: string } {
  const workDir = resolvePath(config.work_dir);
  return {
    workDir,
    cacheDir: resolve(workDir, '..', 'cache'),
    imagesDir: resolve(workDir, '..', 'images'),
    productionRoot: resolvePath(config.promote.production),
    updateRepo: resolvePath(config.update_repo),
    keepTrees: config.retention.trees.keep,
  };
}

/** `retention:` as the planner reads it: milliseconds and bytes. */
export function retentionLimitsOf(config: Config): RetentionLimits {
  const limits: RetentionLimits = {};
  for (const kind of RETENTION_KINDS) {
    const own = config.retention[kind];
    const maxAgeMs = own.max_age === undefined ? undefined : parseDuration(own.max_age);
    const maxBytes = own.max_size === undefined ? undefined : parseByteSize(own.max_size);
    Object.assign(limits, { [kind]: { ...(maxAgeMs === undefined ? {} : { maxAgeMs }), ...(maxBytes === undefined ? {} : { maxBytes }) } });
  }
  return limits;
}
export { prunedLogNote } from './pruned-log.js';
