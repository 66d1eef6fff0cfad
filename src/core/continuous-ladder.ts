/**
 * The continuous ladder's policy (`ladder: continuous`, docs/schedules.md): when a rung of
 * the ladder (a pipeline that takes a folder of the update repository, as phase2 takes
 * updates/ and promote ready/) starts a run by itself instead of on a cron firing. Pure:
 * what the folder holds, what runs took and when are passed in; `sluice serve`'s driver
 * (src/engine/continuous-ladder.ts) and `sluice simulate` (src/sim/ladder.ts) both decide
 * with it.
 *
 * The rule: a rung starts when its folder holds content no run of it has taken and none of
 * its runs is going. With a window, it waits for more: the window opens when such content
 * is first seen and does not reopen as more arrives, so an update waits at most the window
 * (plus the run going). Content a run took without a verdict on it (an error, a cancel)
 * and content a start found nothing to do with count as taken for `retryMs`, so a broken
 * update or target is not retried in a loop; any other new content still starts a run.
 */

/** One file of the rung's folder: its update id and its content's identity (a git blob id, in the simulation an entry number). */
export interface HeldContent {
  readonly id: string;
  readonly content: string;
}

export interface RungView {
  /** What the folder holds now. */
  readonly holds: readonly HeldContent[];
  /** One of the rung's runs is unfinished: its end is the next look. */
  readonly running: boolean;
  /** Contents (`contentKey`) runs took and gave their verdict on: never the reason for another run. */
  readonly taken: ReadonlySet<string>;
  /** Contents runs took that ended without a verdict on them, with when they ended: taken again `retryMs` later. */
  readonly unsettled: ReadonlyMap<string, number>;
}

export interface RungMemory {
  /** When content no run took was first seen: the window's opening; null when none waits. */
  readonly waitingSince: number | null;
  /** Contents a start found nothing to run for, and when: not tried again within `retryMs`. */
  readonly refused: ReadonlyMap<string, number>;
}

export const FRESH_MEMORY: RungMemory = { waitingSince: null, refused: new Map() };

export interface RungPolicy {
  /** How long to wait for more content after the first new content is seen (0: start at once). */
  readonly windowMs: number;
  /** How long content taken without a verdict, or refused by a start, waits before it counts as new again. */
  readonly retryMs: number;
}

export type RungDecision =
  /** Start a run now; `fresh` is the content that calls for it. */
  | { readonly kind: 'start'; readonly fresh: readonly HeldContent[]; readonly memory: RungMemory }
  /** Nothing to start now; look again at `wakeAt` (null: only when something changes). */
  | { readonly kind: 'wait'; readonly wakeAt: number | null; readonly why: string; readonly memory: RungMemory };

export function contentKey(c: HeldContent): string {
  return `${c.id}\0${c.content}`;
}

export function decideRung(view: RungView, memory: RungMemory, now: number, policy: RungPolicy): RungDecision {
  // Refusals of content the folder no longer holds, or whose back-off ended, are forgotten.
  const held = new Set(view.holds.map(contentKey));
  const refused = new Map([...memory.refused].filter(([k, at]) => held.has(k) && at + policy.retryMs > now));
  let retryAt = Infinity;
  const fresh = view.holds.filter((c) => {
    const k = contentKey(c);
    if (view.taken.has(k)) return false;
    const until = Math.max((view.unsettled.get(k) ?? -Infinity) + policy.retryMs, (refused.get(k) ?? -Infinity) + policy.retryMs);
    if (until > now) { retryAt = Math.min(retryAt, until); return false; }
    return true;
  });
  const wakeOnRetry = retryAt === Infinity ? null : retryAt;
  if (fresh.length === 0) return { kind: 'wait', wakeAt: wakeOnRetry, why: 'nothing new', memory: { waitingSince: null, refused } };
  const waitingSince = memory.waitingSince ?? now;
  if (view.running) return { kind: 'wait', wakeAt: null, why: 'a run is going', memory: { waitingSince, refused } };
  const windowEnds = waitingSince + policy.windowMs;
  if (windowEnds > now) return { kind: 'wait', wakeAt: windowEnds, why: 'the window is open', memory: { waitingSince, refused } };
  return { kind: 'start', fresh, memory: { waitingSince, refused } };
}

/** What a start came to, folded into the memory. */
export function afterStart(memory: RungMemory, outcome: 'started' | 'coalesced' | 'nothing', fresh: readonly HeldContent[], now: number): RungMemory {
  if (outcome === 'started') return { waitingSince: null, refused: memory.refused };
  // Joined a run that is going (another serve, a schedule, the dashboard): its end is the next look.
  if (outcome === 'coalesced') return memory;
  const refused = new Map(memory.refused);
  for (const c of fresh) refused.set(contentKey(c), now);
  return { waitingSince: null, refused };
}
