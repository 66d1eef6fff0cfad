/**
 * The lines of a failed job's log a packager should read first. A first cut: the last
 * block of lines that look like errors, with a little context, else the log's tail.
 * (Failure analysis proper, per log format, is its own capability.)
 */
const ERROR_LINE = /\b(error|errors|failed|failure|fatal|traceback|exception|cannot|could not|no such|not found|unsatisfied|conflicts? with|nothing provides|segmentation fault|assert(ion)?)\b/i;

export interface Excerpt {
  readonly lines: readonly string[];
  /** 1-based line number of the first excerpt line in the log. */
  readonly firstLine: number;
  readonly totalLines: number;
}

export function errorExcerpt(log: string, opts: { maxLines?: number; context?: number } = {}): Excerpt {
  const maxLines = opts.maxLines ?? 12;
  const context = opts.context ?? 2;
  const lines = log.replace(/\n$/, '').split('\n');
  let last = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (ERROR_LINE.test(lines[i] ?? '')) { last = i; break; }
  }
  if (last === -1) {
    const from = Math.max(0, lines.length - maxLines);
    return { lines: lines.slice(from), firstLine: from + 1, totalLines: lines.length };
  }
  // Walk back over the error block (consecutive error lines, allowing short gaps).
  let first = last;
  for (let i = last - 1; i >= 0 && last - i < maxLines; i--) {
    if (ERROR_LINE.test(lines[i] ?? '')) first = i;
    else if (first - i > context) break;
  }
  // An error's detail usually follows it indented (yum's "Requires:", a traceback's frames).
  let end = last + 1;
  while (end < lines.length && end - first < maxLines && /^\s/.test(lines[end] ?? '')) end++;
  const from = Math.max(0, first - context);
  const to = Math.min(lines.length, Math.max(end + context, from + 1));
  const picked = lines.slice(from, to);
  const trimmed = picked.length > maxLines ? picked.slice(picked.length - maxLines) : picked;
  return { lines: trimmed, firstLine: to - trimmed.length + 1, totalLines: lines.length };
}
