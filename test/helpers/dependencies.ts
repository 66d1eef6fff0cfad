import { execFileSync } from 'node:child_process';
import type { Store } from '../../src/store/index.js';
import type { Phase2Site } from './phase2-site.js';

/** `id` needs `deps`, declared for the content the store knows it by (as `sluice submit --with` would). */
export async function declareNeeds(store: Store, id: string, deps: readonly string[]): Promise<void> {
  await store.recordUpdate({ id, path: `updates/${id}.yml`, contentHash: `content-${id}`, data: { notes: id, builds: [] }, now: 1 });
  await store.declareDependencies({ updateId: id, contentHash: `content-${id}`, dependsOn: deps.map((d) => ({ id: d, why: `sluice submit --with ${d}` })), by: 'packager', now: 1 });
}

/** Moves an update file by hand, as an earlier run of the ladder would have. */
export function moveFile(site: Phase2Site, id: string, to: 'ready' | 'failed'): void {
  execFileSync('git', ['-C', site.repoPath, 'mv', `updates/${id}.yml`, `${to}/${id}.yml`]);
  execFileSync('git', ['-C', site.repoPath, 'commit', '-qm', `Move ${id} to ${to}/`]);
}
