import type { Excerpt } from './excerpt-types.js';

/**
 * The excerpt analysis stored with a job when its attempt ended (made with the site's own
 * patterns, and against a passing log when there was one): JSON from the store, trusted
 * only as far as its shape is checked. Every place that shows a job's error lines prefers
 * it to a new scan of the log, so the CLI, the Gerrit comment and the web say the same.
 */
export function storedExcerpt(raw: unknown): Excerpt | undefined {
  if (typeof raw !== 'object' || raw === null || !('lines' in raw) || !('totalLines' in raw)) return undefined;
  const { lines, totalLines } = raw;
  if (!Array.isArray(lines) || typeof totalLines !== 'number') return undefined;
  const ok = lines.every((l: unknown) => typeof l === 'object' && l !== null && 'n' in l && typeof l.n === 'number' && 'text' in l && typeof l.text === 'string');
  return ok ? (raw as Excerpt) : undefined;
}

/**
 * The excerpt cut to `max` lines for a narrower place (a run's summary, a card): the lines
 * that matched first, then the context closest to them, in log order. Cutting from the
 * top would keep a preamble and lose the error.
 */
export function fitExcerpt(e: Excerpt, max: number): Excerpt {
  if (e.lines.length <= max) return e;
  const hits = e.lines.filter((l) => l.matched !== undefined).map((l) => l.n);
  const distance = (n: number) => (hits.length === 0 ? 0 : Math.min(...hits.map((h) => Math.abs(h - n))));
  const ranked = e.lines.map((l, i) => ({ l, i, hit: l.matched !== undefined ? 0 : 1, d: distance(l.n) }))
    .sort((a, b) => a.hit - b.hit || a.d - b.d || (hits.length === 0 ? b.i - a.i : a.i - b.i));
  const keep = new Set(ranked.slice(0, max).map((r) => r.i));
  return { ...e, lines: e.lines.filter((_, i) => keep.has(i)) };
}
