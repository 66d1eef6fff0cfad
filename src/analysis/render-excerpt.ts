import type { Excerpt } from './excerpt-types.js';

/**
 * An excerpt as terminal lines. Gaps between non-adjacent lines are marked, so nobody
 * reads two distant lines as one block; with `numbers`, each line carries its line number
 * and hits are marked `>` (context lines `|`).
 */
export function renderExcerpt(e: Excerpt, opts: { numbers?: boolean } = {}): string[] {
  if (e.lines.length === 0) return [];
  const width = String(e.lines[e.lines.length - 1]?.n ?? 0).length;
  const out: string[] = [];
  let previous: number | undefined;
  for (const l of e.lines) {
    if (previous !== undefined && l.n > previous + 1) out.push(opts.numbers ? `${' '.repeat(width)} ⋮` : '⋮');
    let text = l.clipped ? `${l.text} … [${l.clipped} more characters]` : l.text;
    if (l.clipped && l.tail !== undefined) text = `${l.text} … [${l.clipped - l.tail.length} characters] … ${l.tail}`;
    if (l.repeats) text = `${text}  [×${l.repeats + 1}]`;
    out.push(opts.numbers ? `${String(l.n).padStart(width)} ${l.matched ? '>' : '|'} ${text}` : `| ${text}`);
    previous = l.n;
  }
  return out;
}

/** "log lines 12-40 of 505", and what did not fit. */
export function excerptHeading(e: Excerpt): string {
  const first = e.lines[0]?.n ?? 0;
  const last = e.lines[e.lines.length - 1]?.n ?? 0;
  const more = e.truncatedAt !== undefined ? ` (more matched lines from line ${e.truncatedAt} did not fit)` : '';
  const ref = e.reference ? `; compared with ${e.reference.label}, ${e.reference.knownLines} line${e.reference.knownLines === 1 ? '' : 's'} it also has left out` : '';
  return `log lines ${first}-${last} of ${e.totalLines}${more}${ref}:`;
}
