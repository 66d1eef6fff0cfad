import type { DependencyPlace } from '../core/dependency-holds.js';
import type { UpdateDependency } from '../core/update-dependencies.js';
import { listFolders } from '../drivers/repo/index.js';
import type { Store } from '../store/index.js';
import { UPDATE_REPO_FOLDERS } from '../core/records/vocabulary.js';

/** The ladder's folders from the top down, `failed/` (off the ladder) last. */
const HIGHEST_RUNG_FIRST = [...UPDATE_REPO_FOLDERS.filter((f) => f !== 'failed').reverse(), 'failed' as const];

/**
 * What phase2 and promote read of updates that need each other when a run starts
 * (docs/lifecycle.md, "Updates that need each other"): the edges binding now from the
 * updates of the run's set, through what they need, and where each needed update outside
 * the set stands (a folder of the update repository, phase1, or gone). The run records
 * both, and its controller decides from the record only.
 */
export interface DependencyReading {
  readonly edges: UpdateDependency[];
  readonly places: DependencyPlace[];
}

export async function readDependencies(store: Store, repoPath: string, set: readonly string[]): Promise<DependencyReading> {
  const reached = new Set(set);
  const edges: UpdateDependency[] = [];
  let frontier = [...set];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const e of await store.listDependencies(frontier)) {
      edges.push({ updateId: e.updateId, dependsOn: e.dependsOn, how: e.how, why: e.why });
      if (!reached.has(e.dependsOn)) { reached.add(e.dependsOn); next.push(e.dependsOn); }
    }
    frontier = next;
  }
  const outside = [...reached].filter((id) => !set.includes(id)).sort();
  if (outside.length === 0) return { edges, places: [] };
  const folders = await listFolders({ repoPath });
  const places: DependencyPlace[] = [];
  for (const id of outside) {
    // A file is in one folder; were it in two (a move half done by hand), the higher rung counts.
    const folder = HIGHEST_RUNG_FIRST.find((f) => folders[f].includes(id));
    if (folder !== undefined) { places.push({ id, place: folder }); continue; }
    const [phase1] = await store.listRuns({ updateId: id, pipeline: 'phase1', limit: 1 });
    if (phase1 && phase1.finishedAt === null) places.push({ id, place: 'submitted', detail: `run ${phase1.id}` });
    else if (phase1 && (phase1.verdict === 'fail' || phase1.verdict === 'error')) places.push({ id, place: 'rejected', detail: `run ${phase1.id}` });
    else places.push({ id, place: 'gone', ...(phase1?.verdict === 'cancelled' ? { detail: `its phase1 run ${phase1.id} was cancelled` } : {}) });
  }
  return { edges, places };
}
