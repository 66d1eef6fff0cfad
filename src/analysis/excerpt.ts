import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { DEFAULT_PATTERN_SETS } from './default-patterns.js';
import type { Excerpt } from './excerpt-types.js';
import { ExcerptScanner } from './excerpt-scanner.js';
import { LineSplitter, splitFileSync } from './log-lines.js';
import { compilePatternSets, type CompiledPatterns, type PatternSet } from './patterns.js';
import type { ReferenceLog } from './reference-log.js';

export type { Excerpt, ExcerptLine } from './excerpt-types.js';
export { DEFAULT_PATTERN_SETS } from './default-patterns.js';
export { referenceFromFile, referenceFromFileSync, referenceFromText, type ReferenceLog } from './reference-log.js';
export { compilePatternSets, patternProblems, PatternSetError, type ExcerptPattern, type PatternSet } from './patterns.js';

/**
 * The lines of a job's log that explain its failure: the entry points. Each reads the log
 * once, front to back, holding a bounded amount of it (excerpt-scanner.ts), so a log of
 * hundreds of megabytes costs time in proportion to its size and memory in proportion to
 * the excerpt.
 */

/** Lines an excerpt shows by default: what fits a Gerrit comment and a terminal screen. */
export const DEFAULT_MAX_LINES = 40;
/** A ceiling on `maxLines`: the scanner keeps that many lines in memory. */
export const MAX_MAX_LINES = 1000;
// 64 KiB: decoding larger chunks into one string costs several times more (V8 allocates them apart).
const CHUNK_BYTES = 64 * 1024;

export interface ExcerptOptions {
  readonly maxLines?: number;
  /** Pattern sets to use instead of DEFAULT_PATTERN_SETS (e.g. from configuration), or compiled ones. */
  readonly patterns?: readonly PatternSet[] | CompiledPatterns;
  /** A passing log of the same job (reference-log.ts): lines it also has are noise. */
  readonly reference?: ReferenceLog;
}

let compiledDefaults: CompiledPatterns | undefined;

function scannerFor(opts: ExcerptOptions): ExcerptScanner {
  const maxLines = Math.min(MAX_MAX_LINES, Math.max(1, Math.floor(opts.maxLines ?? DEFAULT_MAX_LINES)));
  let compiled: CompiledPatterns;
  if (opts.patterns === undefined) compiled = compiledDefaults ??= compilePatternSets(DEFAULT_PATTERN_SETS);
  else if ('messageUnion' in opts.patterns) compiled = opts.patterns;
  else compiled = compilePatternSets(opts.patterns);
  return new ExcerptScanner(compiled, maxLines, opts.reference);
}

/** The excerpt of a log held in memory (tests, short outputs). */
export function excerptText(log: string, opts: ExcerptOptions = {}): Excerpt {
  const scanner = scannerFor(opts);
  const splitter = new LineSplitter((text, clipped, tail) => scanner.push(text, clipped, tail));
  splitter.writeText(log);
  splitter.end();
  return scanner.finish();
}

/** The excerpt of a stream of bytes, read to its end. */
export async function excerptStream(input: Readable, opts: ExcerptOptions = {}): Promise<Excerpt> {
  const scanner = scannerFor(opts);
  const splitter = new LineSplitter((text, clipped, tail) => scanner.push(text, clipped, tail));
  for await (const chunk of input) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  splitter.end();
  return scanner.finish();
}

/** The excerpt of a log file, read as a stream. */
export function excerptFile(path: string, opts: ExcerptOptions = {}): Promise<Excerpt> {
  return excerptStream(createReadStream(path, { highWaterMark: CHUNK_BYTES }), opts);
}

/**
 * The same, read synchronously in chunks: for renderers that are synchronous (the CLI's
 * run summaries). Still one pass with bounded memory.
 */
export function excerptFileSync(path: string, opts: ExcerptOptions = {}): Excerpt {
  const scanner = scannerFor(opts);
  splitFileSync(path, new LineSplitter((text, clipped, tail) => scanner.push(text, clipped, tail)), CHUNK_BYTES);
  return scanner.finish();
}
