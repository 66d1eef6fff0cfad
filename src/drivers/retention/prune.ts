import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { planRetention, RETENTION_KINDS, type RetentionKind, type RetentionLimits, type RetentionPlan } from '../../core/retention-plan.js';
import type { ImageRecord, Store } from '../../store/index.js';
import { withPublishLock } from '../publish/publish-lock.js';
import { removeTrees } from '../publish/recover-publish.js';
import { entries, removeDir, sweepLeftovers } from './disk-walk.js';
import { takeInventory, type InventoryStore, type Located, type RetentionSite } from './inventory.js';

export type PruneStore = InventoryStore & Pick<Store, 'appendEvent' | 'markImagesPruned'>;

export interface PruneOptions {
  readonly limits: RetentionLimits;
  readonly now: number;
  /** Plan and report only: nothing on disk or in the store changes. */
  readonly dryRun: boolean;
  /** Deletes an image through the driver of the provider that made it; absent: images are not pruned. */
  readonly removeImage?: (image: ImageRecord) => Promise<void>;
}

export interface KindOutcome {
  readonly kind: RetentionKind;
  /** What the kind held before. */
  readonly items: number;
  readonly bytes: number;
  /** What was deleted (or, dry, would be). */
  readonly removedItems: number;
  readonly removedBytes: number;
  readonly removedFiles: number;
  /** Items a limit would take that something still needs. */
  readonly held: number;
}

export interface PruneReport {
  readonly dryRun: boolean;
  readonly kinds: readonly KindOutcome[];
  readonly plan: RetentionPlan;
  /** Items whose deletion failed, with why; the rest went on. */
  readonly failures: readonly string[];
  /** Files walked while taking the inventory, and how long the whole prune took. */
  readonly filesScanned: number;
  readonly durationMs: number;
}

/**
 * Takes the inventory, plans (core/retention-plan.ts) and, unless dry, deletes: each item
 * on its own, so one that cannot be deleted stops nothing else. A run's logs leave a
 * `logs.pruned` event on the run (its rows stay); pruned images are marked so in the store.
 */
export async function pruneSite(site: RetentionSite, store: PruneStore, o: PruneOptions): Promise<PruneReport> {
  const started = Date.now();
  if (!o.dryRun) await sweepAll(site);
  const inventory = await takeInventory(site, store);
  const plan = planRetention(inventory, o.removeImage ? o.limits : { ...o.limits, images: {} }, o.now);
  const failures: string[] = [];
  const done = new Set<Located>();
  if (!o.dryRun) {
    for (const { item } of plan.remove) {
      const located = item as Located;
      try {
        await remove(site, store, located, o);
        done.add(located);
      } catch (e) {
        failures.push(`${located.kind} ${located.id}: ${(e as Error).message}`);
      }
    }
    const images = [...done].filter((l): l is Located & { kind: 'images' } => l.kind === 'images').map((l) => l.image.name);
    if (images.length > 0) await store.markImagesPruned({ names: images, now: o.now });
  }
  const kinds = RETENTION_KINDS.map((kind) => {
    const summary = plan.kinds.find((k) => k.kind === kind);
    const removed = plan.remove.map((r) => r.item as Located).filter((l) => l.kind === kind && (o.dryRun || done.has(l)));
    return {
      kind, items: summary?.items ?? 0, bytes: summary?.bytes ?? 0, held: summary?.heldItems ?? 0,
      removedItems: removed.length, removedBytes: removed.reduce((n, l) => n + l.bytes, 0), removedFiles: removed.reduce((n, l) => n + l.files, 0),
    };
  });
  return { dryRun: o.dryRun, kinds, plan, failures, filesScanned: inventory.reduce((n, i) => n + i.files, 0), durationMs: Date.now() - started };
}

async function remove(site: RetentionSite, store: PruneStore, item: Located, o: PruneOptions): Promise<void> {
  if (item.kind === 'logs' && item.alongside) {
    // Another host's log copied here: its run's own logs are that host's to prune.
    for (const p of [item.path, ...item.alongside]) await rm(p, { force: true });
  } else if (item.kind === 'logs') {
    if (!(await removeDir(item.path))) return;
    await store.appendEvent({ at: o.now, kind: 'logs.pruned', runId: item.id, payload: { bytes: item.bytes, files: item.files } });
  } else if (item.kind === 'builds' || item.kind === 'repositories') {
    await removeDir(item.path);
  } else if (item.kind === 'trees') {
    // Under the publication lock, and removeTrees looks again: a tree made current since the plan stays.
    const removed = await withPublishLock(site.productionRoot, () => removeTrees(site.productionRoot, [item.rel]));
    if (removed.length === 0 && existsSync(item.path)) throw new Error('kept: it is production again (a rollback since the plan)');
  } else if ('image' in item) {
    await o.removeImage?.(item.image);
  }
}

/** Half-deleted leftovers of a prune that was killed. */
async function sweepAll(site: RetentionSite): Promise<void> {
  await sweepLeftovers(site.workDir);
  await sweepLeftovers(join(site.cacheDir, 'repos'));
  for (const source of await entries(join(site.cacheDir, 'builds'))) await sweepLeftovers(join(site.cacheDir, 'builds', source));
}
