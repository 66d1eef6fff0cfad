import { errorExcerpt } from '../analysis/excerpt.js';
import { indexLog, readTail, type LogIndex } from './log-file.js';

/**
 * The only door from the web to log analysis (src/analysis): when its API changes (a
 * streaming reader), this file is the one edit. Everything else asks it for the error
 * lines of a log, numbered as in the whole file.
 */
export interface LogErrors {
  /** 1-based, inclusive, in the whole log. */
  readonly first: number;
  readonly last: number;
  readonly lines: readonly string[];
  readonly totalLines: number;
}

/** Like `sluice logs`, only the last MiB is analysed: a flooded log must not flood memory. */
const TAIL_BYTES = 1024 * 1024;

export async function logErrors(path: string, known?: LogIndex): Promise<LogErrors | undefined> {
  try {
    const index = known ?? (await indexLog(path));
    if (index.size === 0) return undefined;
    const tail = await readTail(path, index.size, TAIL_BYTES);
    const e = errorExcerpt(tail.text);
    if (e.lines.length === 0) return undefined;
    // The tail's lines are the whole log's last ones: shift their numbers by the lines before it.
    const before = index.totalLines - e.totalLines;
    return { first: before + e.firstLine, last: before + e.firstLine + e.lines.length - 1, lines: e.lines, totalLines: index.totalLines };
  } catch {
    return undefined;
  }
}
