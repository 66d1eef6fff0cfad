import { RETENTION_KINDS, type RetentionKind } from './retention-kinds.js';

// What retention deletes (docs/retention.md), decided from a listing alone: the caller
// scans the disk and the store and says, for each item, how big it is, how old, and
// whether something still needs it. Pure: no I/O, the time is passed in.

export { RETENTION_KINDS, type RetentionKind };

export interface RetentionItem {
  readonly kind: RetentionKind;
  /** What the item is called in the report: a run id, a build, a digest, a tree, an image. */
  readonly id: string;
  readonly bytes: number;
  readonly files: number;
  /** When it was last written or finished (milliseconds since the epoch): age counts from here. */
  readonly at: number;
  /** Why it must stay, whatever its age or the kind's size: an unfinished run, a ready/ update, the current tree... */
  readonly neededBy?: string;
}

export interface KindLimits {
  /** Items older than this go. */
  readonly maxAgeMs?: number;
  /** The oldest items go until the kind's total is at most this. */
  readonly maxBytes?: number;
}

export type RetentionLimits = Partial<Readonly<Record<RetentionKind, KindLimits>>>;

export interface Removal {
  readonly item: RetentionItem;
  /** `age`: older than max_age; `size`: the kind was over max_size and this was the oldest left. */
  readonly because: 'age' | 'size';
}

export interface KindSummary {
  readonly kind: RetentionKind;
  readonly items: number;
  readonly bytes: number;
  readonly files: number;
  readonly removeItems: number;
  readonly removeBytes: number;
  readonly removeFiles: number;
  /** Items that stay only because something needs them, though a limit would take them. */
  readonly heldItems: number;
  /** The kind's total after the plan is carried out. */
  readonly bytesAfter: number;
}

export interface RetentionPlan {
  readonly remove: readonly Removal[];
  /** Items a limit would take but something needs, with what needs them. */
  readonly held: readonly RetentionItem[];
  readonly kinds: readonly KindSummary[];
}

/**
 * For each kind: every item older than max_age goes, then, while the kind's total (needed
 * items included: they take the room too) is over max_size, the oldest remaining item
 * goes. An item something needs never goes; it is reported as held when a limit would
 * have taken it. Ties in age are broken by id, so the plan does not depend on the
 * listing's order.
 */
export function planRetention(items: readonly RetentionItem[], limits: RetentionLimits, now: number): RetentionPlan {
  const remove: Removal[] = [];
  const held: RetentionItem[] = [];
  const kinds: KindSummary[] = [];
  for (const kind of RETENTION_KINDS) {
    const own = items.filter((i) => i.kind === kind).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const limit = limits[kind] ?? {};
    const total = own.reduce((n, i) => n + i.bytes, 0);
    const gone = new Set<RetentionItem>();
    const heldHere = new Set<RetentionItem>();
    if (limit.maxAgeMs !== undefined) {
      for (const item of own) {
        if (now - item.at <= limit.maxAgeMs) continue;
        if (item.neededBy !== undefined) heldHere.add(item);
        else {
          gone.add(item);
          remove.push({ item, because: 'age' });
        }
      }
    }
    let left = total - [...gone].reduce((n, i) => n + i.bytes, 0);
    if (limit.maxBytes !== undefined) {
      for (const item of own) {
        if (left <= limit.maxBytes) break;
        if (gone.has(item)) continue;
        if (item.neededBy !== undefined) {
          heldHere.add(item);
          continue;
        }
        gone.add(item);
        remove.push({ item, because: 'size' });
        left -= item.bytes;
      }
    }
    held.push(...heldHere);
    const removed = own.filter((i) => gone.has(i));
    kinds.push({
      kind, items: own.length, bytes: total, files: own.reduce((n, i) => n + i.files, 0),
      removeItems: removed.length, removeBytes: removed.reduce((n, i) => n + i.bytes, 0), removeFiles: removed.reduce((n, i) => n + i.files, 0),
      heldItems: heldHere.size, bytesAfter: left,
    });
  }
  return { remove, held, kinds };
}
