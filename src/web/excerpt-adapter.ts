import { stat } from 'node:fs/promises';
import { excerptFile } from '../analysis/excerpt.js';
import type { Excerpt } from '../analysis/excerpt-types.js';
import { fitExcerpt, storedExcerpt } from '../analysis/stored-excerpt.js';

/**
 * The only door from the web to log analysis (src/analysis): when its API changes, this
 * file is the one edit. Everything else asks it for the error lines of a log, numbered as
 * in the whole file.
 */
export interface LogErrors {
  /** The excerpt in log order; its line numbers need not be contiguous. */
  readonly lines: readonly { readonly n: number; readonly text: string; readonly hit: boolean }[];
  /** The lines that matched an error pattern (the rest is context): what the viewer marks. */
  readonly hits: readonly number[];
  /** Where to jump: the first hit, else the excerpt's first line. */
  readonly first: number;
  readonly totalLines: number;
}

/** Lines shown inline on a run page: what fits a screen beside the other jobs. */
const EXCERPT_LINES = 24;
const CACHED = 64;
const cache = new Map<string, LogErrors | undefined>();

/**
 * The log is scanned once, streamed, in bounded memory (analysis/excerpt.ts); a finished
 * job's log does not change, so the result is kept by path, size and time of change.
 */
export async function logErrors(path: string, stored?: unknown): Promise<LogErrors | undefined> {
  // The excerpt analysis stored with the job (compared with a passing log when there was one) is what the CLI and Gerrit show too.
  const kept = storedExcerpt(stored);
  if (kept && kept.lines.length > 0) return toLogErrors(fitExcerpt(kept, EXCERPT_LINES));
  try {
    const st = await stat(path);
    const key = `${path}\0${st.size}\0${st.mtimeMs}`;
    if (cache.has(key)) return cache.get(key);
    const e = st.size === 0 ? undefined : await excerptFile(path, { maxLines: EXCERPT_LINES });
    const result = e ? toLogErrors(e) : undefined;
    cache.set(key, result);
    if (cache.size > CACHED) cache.delete(cache.keys().next().value as string);
    return result;
  } catch {
    return undefined;
  }
}

function toLogErrors(e: Excerpt): LogErrors | undefined {
  const lines = e.lines.map((l) => ({ n: l.n, text: l.text, hit: l.matched !== undefined }));
  const hits = lines.filter((l) => l.hit).map((l) => l.n);
  const first = hits[0] ?? lines[0]?.n;
  return first !== undefined ? { lines, hits, first, totalLines: e.totalLines } : undefined;
}
