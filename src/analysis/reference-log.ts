import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { cleanLine, LineSplitter } from './log-lines.js';
import { logMessage } from './log-prefix.js';

/**
 * A passing log of the same job, as a reference: a line of the failing log whose normalised
 * form also occurs in the passing one was printed by a run that passed, so it does not
 * explain the failure (the idea of logreduce/logjuicer and CiDiff, written anew here).
 *
 * Normalising masks what differs between two runs of the same job without meaning
 * anything: numbers (times, durations, counters, ports, PIDs; but zero, which tells a
 * success's exit status and counts from a failure's), hexadecimal hashes and identifiers, and
 * names under temporary directories. Lines are kept as 53-bit hashes, so
 * the reference costs about 20 bytes per distinct line, and at most MAX_REFERENCE_LINES of
 * them (a bigger reference is used as far as it was read).
 */
export const MAX_REFERENCE_LINES = 2_000_000;

/** What the excerpt needs of a reference: whether a line was seen there, and which log it is. */
export interface ReferenceLog {
  /** Says which log it is in the excerpt's header: a path, or "job X of run Y". */
  readonly label: string;
  has(text: string): boolean;
  readonly size: number;
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// Seven or more hex digits with at least one digit: git hashes, container ids, request ids.
const HEX = /\b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b/gi;
const TEMP_NAME = /(\/(?:tmp|var\/tmp|private\/var\/folders)\/)[^/\s:'"]+/g;
// A zero stays itself: it is what tells "exited with 0" from "exited with 1" and "0 failed"
// from "3 failed"; every other number is the same number.
const NUMBER = /\d+(?:[.,:]\d+)*/g;
const maskNumber = (n: string): string => (n === '0' ? '0' : '#');
const SPACE = /\s+/g;

/** The form two lines share when they differ only in what changes from run to run. */
export function normalizeLine(text: string): string {
  return logMessage(text).replace(UUID, 'U').replace(HEX, 'H').replace(TEMP_NAME, '$1T').replace(NUMBER, maskNumber).replace(SPACE, ' ').trim();
}

/** FNV-1a twice, with different seeds, folded into a safe integer: two lines collide with probability ~2^-53. */
function hash53(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

export class ReferenceLines implements ReferenceLog {
  private readonly seen = new Set<number>();

  constructor(readonly label: string) {}

  get size(): number {
    return this.seen.size;
  }

  add(raw: string): void {
    if (this.seen.size >= MAX_REFERENCE_LINES) return;
    const norm = normalizeLine(cleanLine(raw));
    if (norm !== '') this.seen.add(hash53(norm));
  }

  has(text: string): boolean {
    const norm = normalizeLine(text);
    return norm !== '' && this.seen.has(hash53(norm));
  }
}

export function referenceFromText(log: string, label = 'reference log'): ReferenceLines {
  const ref = new ReferenceLines(label);
  const splitter = new LineSplitter((text) => ref.add(text));
  splitter.writeText(log);
  splitter.end();
  return ref;
}

export async function referenceFromStream(input: Readable, label: string): Promise<ReferenceLines> {
  const ref = new ReferenceLines(label);
  const splitter = new LineSplitter((text) => ref.add(text));
  for await (const chunk of input) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  splitter.end();
  return ref;
}

/** A passing log file as the reference, read as a stream. */
export function referenceFromFile(path: string, label = path): Promise<ReferenceLines> {
  return referenceFromStream(createReadStream(path, { highWaterMark: 64 * 1024 }), label);
}

export function referenceFromFileSync(path: string, label = path): ReferenceLines {
  const ref = new ReferenceLines(label);
  const splitter = new LineSplitter((text) => ref.add(text));
  const buf = Buffer.allocUnsafe(64 * 1024);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buf, 0, buf.length, null);
      if (read === 0) break;
      splitter.write(buf.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  splitter.end();
  return ref;
}
