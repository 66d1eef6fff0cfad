import { existsSync, readFileSync } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { RetentionItem } from '../../core/retention-plan.js';
import { parseUpdateText } from '../../core/update-file.js';
import type { ImageRecord, Run, Store } from '../../store/index.js';
import { buildCacheDir, MANIFEST } from '../prepare/build-cache.js';
import { readJournal } from '../publish/publish-journal.js';
import { listTrees, productionState, targetsWithTrees, treeRelPath, type Target } from '../publish/tree-layout.js';
import { listReady } from '../repo/push-ready.js';
import { RUN_ID_PATTERN } from '../repo/update-repo.js';
import { repositoryDigest } from '../rpm/repository.js';
import { entries, measure, PRUNING_PREFIX } from './disk-walk.js';

/** Where a site keeps what retention prunes (docs/retention.md), as absolute paths. */
export interface RetentionSite {
  /** Job directories and logs: `<work_dir>/<run id>/`. */
  readonly workDir: string;
  /** Fetched builds (`builds/<source>/<id>`) and repositories made for jobs (`repos/<digest>`). */
  readonly cacheDir: string;
  readonly productionRoot: string;
  /** The update repository, whose ready/ updates keep their builds; null when there is none. */
  readonly updateRepo: string | null;
  /** Previous production trees of each target always kept (`retention.trees.keep`). */
  readonly keepTrees: number;
}

export type InventoryStore = Pick<Store, 'listRuns' | 'listUnreportedRuns' | 'listJobsOfRuns' | 'listImages'>;

/** An item with where it lives, for the pruner. */
export type Located = RetentionItem & (
  | { readonly kind: 'logs' | 'builds' | 'repositories'; readonly path: string; readonly alongside?: readonly string[] }
  | { readonly kind: 'trees'; readonly path: string; readonly rel: string; readonly target: Target }
  | { readonly kind: 'images'; readonly image: ImageRecord }
);

/** The builds in a job's spec, read loosely: a spec of another shape needs nothing. */
const SpecBuilds = z.looseObject({
  builds: z.array(z.looseObject({ source: z.string(), id: z.union([z.string(), z.number()]) })).optional(),
  image: z.string().nullable().optional(),
});

interface BuildRef { readonly source: string; readonly id: string | number }

/** What must stay whatever the limits: what unfinished runs and ready/ updates need. */
interface Needs {
  readonly runs: Map<string, string>;
  /** `source/id` -> who needs it. */
  readonly builds: Map<string, string>;
  /** Digest -> who needs it. */
  readonly repositories: Map<string, string>;
  /** Image name -> the job that boots from it. */
  readonly images: Map<string, string>;
  /** The oldest unfinished run: a cached item written since may be in use by it. */
  readonly oldestUnfinished: Run | undefined;
}

const buildKey = (b: BuildRef) => `${b.source}/${String(b.id)}`;

/** Everything retention may prune, each with its size, age and what needs it. */
export async function takeInventory(site: RetentionSite, store: InventoryStore): Promise<Located[]> {
  const needs = await readNeeds(site, store);
  return [
    ...(await logItems(site, needs)),
    ...(await buildItems(site, needs)),
    ...(await repositoryItems(site, needs)),
    ...(await treeItems(site)),
    ...(await imageItems(store, needs)),
  ];
}

async function readNeeds(site: RetentionSite, store: InventoryStore): Promise<Needs> {
  const unfinished = await store.listRuns({ unfinished: true, limit: 100_000 });
  const unreported = await store.listUnreportedRuns(100_000);
  const runs = new Map<string, string>();
  for (const r of unreported) runs.set(r.id, `run ${r.id}'s report is owed`);
  for (const r of unfinished) runs.set(r.id, `run ${r.id} is unfinished`);
  const builds = new Map<string, string>();
  const repositories = new Map<string, string>();
  const images = new Map<string, string>();
  const need = (refs: readonly BuildRef[], who: string) => {
    for (const b of refs) if (!builds.has(buildKey(b))) builds.set(buildKey(b), who);
    const digest = digestOf(site.cacheDir, refs);
    if (digest !== undefined && !repositories.has(digest)) repositories.set(digest, who);
  };
  const jobs = await store.listJobsOfRuns(unfinished.map((r) => r.id));
  for (const [runId, list] of jobs) {
    for (const job of list) {
      if (job.state === 'finished') continue;
      const spec = SpecBuilds.safeParse(job.spec);
      if (!spec.success) continue;
      need(spec.data.builds ?? [], `run ${runId} is unfinished`);
      if (spec.data.image) images.set(spec.data.image, `job ${job.id} (${job.state}) boots from it`);
    }
  }
  if (site.updateRepo !== null && existsSync(join(site.updateRepo, '.git'))) {
    for (const ready of await listReady(site.updateRepo)) {
      const parsed = parseUpdateText(ready.content, `ready/${ready.id}.yml`);
      if (parsed.ok) need(parsed.update.builds, `ready/${ready.id}.yml`);
    }
  }
  const oldestUnfinished = [...unfinished].sort((a, b) => a.createdAt - b.createdAt)[0];
  return { runs, builds, repositories, images, oldestUnfinished };
}

/** The digest of the repository these builds make, when every one was fetched already. */
function digestOf(cacheDir: string, refs: readonly BuildRef[]): string | undefined {
  if (refs.length === 0) return undefined;
  const files: { name: string; sha256: string }[] = [];
  for (const b of refs) {
    try {
      const rpms = JSON.parse(readFileSync(join(buildCacheDir(cacheDir, b.source, b.id), MANIFEST), 'utf8')) as unknown;
      if (!Array.isArray(rpms)) return undefined;
      for (const r of rpms as { path?: unknown; sha256?: unknown }[]) {
        if (typeof r.path !== 'string' || typeof r.sha256 !== 'string') return undefined;
        files.push({ name: basename(r.path), sha256: r.sha256 });
      }
    } catch {
      return undefined;
    }
  }
  // makeRepository keeps one file per name.
  return repositoryDigest([...new Map(files.map((f) => [f.name, f])).values()]);
}

/** A cached item written after the oldest unfinished run began may be what one of its jobs uses now. */
function usedSince(needs: Needs, at: number): string | undefined {
  const run = needs.oldestUnfinished;
  return run !== undefined && at >= run.createdAt ? `used since run ${run.id} began` : undefined;
}

/**
 * Where `sluice serve` keeps its copies of logs written on other hosts (docs/operations.md,
 * "Logs across hosts"): `<key>.log`, with `.whole` once complete and `.part` while replaced.
 * A copy deleted is copied again from its host when asked for.
 */
export const PEER_LOGS_DIR = '.peer-logs';

async function peerCopyItems(site: RetentionSite): Promise<Located[]> {
  const dir = join(site.workDir, PEER_LOGS_DIR);
  const out: Located[] = [];
  for (const name of await entries(dir)) {
    if (!name.endsWith('.log')) continue;
    const path = join(dir, name);
    const alongside = [`${path}.whole`, `${path}.part`];
    let bytes = 0;
    let newest = 0;
    for (const p of [path, ...alongside]) {
      const m = await measure(p);
      bytes += m.bytes;
      if (m.files > 0) newest = Math.max(newest, m.newest);
    }
    out.push({ kind: 'logs', id: `${PEER_LOGS_DIR}/${name}`, path, alongside, bytes, files: 1, at: newest });
  }
  return out;
}

async function logItems(site: RetentionSite, needs: Needs): Promise<Located[]> {
  const out: Located[] = await peerCopyItems(site);
  for (const name of await entries(site.workDir)) {
    if (name.startsWith('.') || !RUN_ID_PATTERN.test(name)) continue;
    const path = join(site.workDir, name);
    if (!(await lstat(path)).isDirectory()) continue;
    const m = await measure(path);
    const neededBy = needs.runs.get(name);
    out.push({ kind: 'logs', id: name, path, bytes: m.bytes, files: m.files, at: m.newest, ...(neededBy ? { neededBy } : {}) });
  }
  return out;
}

async function buildItems(site: RetentionSite, needs: Needs): Promise<Located[]> {
  const out: Located[] = [];
  const root = join(site.cacheDir, 'builds');
  for (const source of await entries(root)) {
    if (source.startsWith('.')) continue;
    for (const id of await entries(join(root, source))) {
      if (id.startsWith(PRUNING_PREFIX)) continue;
      const path = join(root, source, id);
      const m = await measure(path);
      const neededBy = needs.builds.get(`${source}/${id}`) ?? usedSince(needs, m.newest);
      out.push({ kind: 'builds', id: `${source}/${id}`, path, bytes: m.bytes, files: m.files, at: m.newest, ...(neededBy ? { neededBy } : {}) });
    }
  }
  return out;
}

async function repositoryItems(site: RetentionSite, needs: Needs): Promise<Located[]> {
  const out: Located[] = [];
  const root = join(site.cacheDir, 'repos');
  for (const digest of await entries(root)) {
    // `.tmp-*` is one being made now.
    if (digest.startsWith('.')) continue;
    const path = join(root, digest);
    const m = await measure(path);
    const neededBy = needs.repositories.get(digest) ?? usedSince(needs, m.newest);
    out.push({ kind: 'repositories', id: digest, path, bytes: m.bytes, files: m.files, at: m.newest, ...(neededBy ? { neededBy } : {}) });
  }
  return out;
}

/**
 * A target's trees but the current one and the `keepTrees` newest others (what a rollback
 * goes back to) may go. Age counts from when a tree was finished (its directory's change
 * time: rsync keeps the files' own times). While a publication's journal exists, its
 * recovery decides: every tree stays.
 */
async function treeItems(site: RetentionSite): Promise<Located[]> {
  const out: Located[] = [];
  const publishing = (await readJournal(site.productionRoot).catch(() => null)) !== null;
  for (const target of await targetsWithTrees(site.productionRoot)) {
    const state = await productionState(site.productionRoot, target);
    const current = state.kind === 'tree' ? state.tree.name : null;
    const { trees } = await listTrees(site.productionRoot, target);
    const others = trees.filter((t) => t.name !== current).sort((a, b) => b.generation - a.generation);
    const kept = new Set(others.slice(0, site.keepTrees).map((t) => t.name));
    for (const tree of trees) {
      const rel = treeRelPath(target, tree.name);
      const path = join(site.productionRoot, rel);
      const m = await measure(path);
      const at = (await lstat(path)).ctimeMs;
      const neededBy = publishing ? 'a publication is unfinished (its journal exists)'
        : tree.name === current ? `the current production of ${target.name}`
          : kept.has(tree.name) ? `kept for a rollback of ${target.name} (retention.trees.keep)` : undefined;
      out.push({ kind: 'trees', id: `${target.name}/${tree.name}`, path, rel, target, bytes: m.bytes, files: m.files, at: Math.floor(at), ...(neededBy ? { neededBy } : {}) });
    }
  }
  return out;
}

/** Recorded images: the newest of each target and those a queued or running job boots from stay. */
async function imageItems(store: InventoryStore, needs: Needs): Promise<Located[]> {
  const images = await store.listImages();
  const newest = new Map<string, string>();
  // listImages is newest first.
  for (const i of images) if (!newest.has(i.target)) newest.set(i.target, i.name);
  const out: Located[] = [];
  for (const image of images) {
    // A location that is a file here (a local archive) has a size; a cloud image's is the cloud's.
    const size = isAbsolute(image.location) ? await stat(image.location).then((s) => (s.isFile() ? s.size : 0), () => 0) : 0;
    const neededBy = newest.get(image.target) === image.name ? `the newest image of ${image.target}` : needs.images.get(image.name);
    out.push({ kind: 'images', id: image.name, image, bytes: size, files: size > 0 ? 1 : 0, at: image.createdAt, ...(neededBy ? { neededBy } : {}) });
  }
  return out;
}
