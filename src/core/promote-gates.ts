/**
 * The gates before production (docs/promote.md, "Gates before production"): how long an
 * update must have been in ready/ before a promote takes it (`promote.min_soak`, Bodhi's
 * time in testing), and the set of updates a release manager approves when
 * `promote.approval: required`. Pure: the times, hashes and the clock are passed in.
 */

/** `promote.approval`: `none` publishes once the stage tests pass; `required` waits for a release manager. */
export const APPROVAL_MODES = ['none', 'required'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

/** An update of ready/ with when it was put there (the commit that last wrote `ready/<id>.yml`). */
export interface ReadyAge {
  readonly id: string;
  /** ms since the epoch; undefined when the update repository's history does not say. */
  readonly readySince: number | undefined;
}

/** An update a promote left in ready/ because it has not soaked long enough. */
export interface Soaking {
  readonly id: string;
  readonly readySince: number;
  readonly eligibleAt: number;
  /** `hz8d: in ready/ for 2h of promote.min_soak 1d, eligible at 2026-12-08T09:00:00Z` */
  readonly why: string;
}

/**
 * Splits ready/ into what has soaked `minSoakMs` at `now` and what waits. An update whose
 * time in ready/ is unknown (no commit wrote it: a file never committed) is held: the
 * gate errs on the side of production.
 */
export function soakSplit(ready: readonly ReadyAge[], minSoakMs: number, now: number): { eligible: string[]; soaking: Soaking[] } {
  const eligible: string[] = [];
  const soaking: Soaking[] = [];
  for (const u of ready) {
    if (u.readySince !== undefined && now - u.readySince >= minSoakMs) { eligible.push(u.id); continue; }
    const since = u.readySince ?? now;
    const eligibleAt = since + minSoakMs;
    const why = u.readySince === undefined
      ? `${u.id}: no commit put it in ready/, so its promote.min_soak ${formatAge(minSoakMs)} has not started`
      : `${u.id}: in ready/ for ${formatAge(now - since)} of promote.min_soak ${formatAge(minSoakMs)}, eligible at ${isoMinute(eligibleAt)}`;
    soaking.push({ id: u.id, readySince: since, eligibleAt, why });
  }
  return { eligible, soaking };
}

/** An age for people: the two largest units, rounded down (`2h13m`, `3d4h`, `45s`). */
export function formatAge(ms: number): string {
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const rest = Math.max(0, Math.floor(ms));
  const first = units.findIndex(([, size]) => rest >= size);
  if (first === -1) return '0s';
  const [unit, size] = units[first] as [string, number];
  const next = units[first + 1];
  const lower = next ? Math.floor((rest % size) / next[1]) : 0;
  return `${Math.floor(rest / size)}${unit}${next && lower > 0 ? `${lower}${next[0]}` : ''}`;
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** One update of the set an approval names: its id and the SHA-256 of its file as the run took it. */
export interface SetMember {
  readonly id: string;
  readonly contentHash: string;
}

/**
 * The canonical text of a promote set, which its hash is taken of: one `<id> <sha256>`
 * line per update, sorted by id. The same updates with the same contents give the same
 * text whatever their order; any other content, or one update more or less, another.
 */
export function promoteSetText(members: readonly SetMember[]): string {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((m) => `${m.id} ${m.contentHash}\n`).join('');
}

/** How many hex digits of a set hash people see and type (like a short git commit id). */
export const SET_HASH_SHOWN = 12;

export const shortSet = (hash: string): string => hash.slice(0, SET_HASH_SHOWN);

/**
 * Whether `given` (what a person typed, a prefix of at least 6 hex digits, or the whole
 * hash) names the set `hash`. Case-insensitive; anything shorter is refused as ambiguous.
 */
export function setMatches(hash: string, given: string): boolean {
  const g = given.trim().toLowerCase();
  return /^[0-9a-f]{6,64}$/.test(g) && hash.toLowerCase().startsWith(g);
}

/** What a promote waiting for its approval says (the run's reason while it waits). */
export function approvalWaitWhy(runId: string, hash: string, ids: readonly string[]): string {
  const n = ids.length;
  return `waits for approval of set ${shortSet(hash)} (${n} update${n === 1 ? '' : 's'}: ${ids.join(', ')}) by a release manager: sluice approve ${runId}`;
}
