import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { cleanLine, LineSplitter, splitFileSync } from './log-lines.js';
import { logMessage } from './log-prefix.js';

/**
 * A passing log of the same job, as a reference: a line of the failing log whose normalised
 * form also occurs in the passing one was printed by a run that passed, so it does not
 * explain the failure (the idea of logreduce/logjuicer and CiDiff, written anew here).
 *
 * Normalising masks what differs between two runs of the same job without meaning
 * anything: numbers (times, durations, counters, ports, PIDs; but zero, which tells a
 * success's exit status and counts from a failure's), hexadecimal hashes and identifiers, and
 * names under temporary directories. Lines are kept as 64-bit hashes, so
 * the reference costs 16 to 32 bytes per distinct line, and at most MAX_REFERENCE_LINES of
 * them, 64 MB (a bigger reference is used as far as it was read).
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

/**
 * A set of 64-bit hashes (two FNV-1a variants; two lines collide with probability ~2^-63)
 * in one typed array with open addressing: 8 bytes a slot at most half full, where a
 * `Set` of numbers costs some 50 bytes an entry.
 */
class HashSet64 {
  private slots = new Uint32Array(2 * 1024);
  size = 0;

  add(s: string): void {
    const [a, b] = hashPair(s);
    if (this.find(a, b) >= 0) return;
    if (2 * (this.size + 1) > this.slots.length / 2) this.grow();
    this.insert(a, b);
  }

  has(s: string): boolean {
    const [a, b] = hashPair(s);
    return this.find(a, b) >= 0;
  }

  private find(a: number, b: number): number {
    const mask = this.slots.length / 2 - 1;
    for (let i = a & mask; ; i = (i + 1) & mask) {
      const x = this.slots[2 * i] as number;
      if (x === 0) return -1;
      if (x === a && this.slots[2 * i + 1] === b) return i;
    }
  }

  private insert(a: number, b: number): void {
    const mask = this.slots.length / 2 - 1;
    let i = a & mask;
    while (this.slots[2 * i] !== 0) i = (i + 1) & mask;
    this.slots[2 * i] = a;
    this.slots[2 * i + 1] = b;
    this.size++;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.insert(old[i] as number, old[i + 1] as number);
  }
}

/** Two 32-bit FNV-1a style hashes of a string; the first is never 0 (0 marks an empty slot). */
function hashPair(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [(a | 1) >>> 0, b >>> 0];
}

export class ReferenceLines implements ReferenceLog {
  private readonly seen = new HashSet64();

  constructor(readonly label: string) {}

  get size(): number {
    return this.seen.size;
  }

  add(raw: string): void {
    if (this.seen.size >= MAX_REFERENCE_LINES) return;
    const norm = normalizeLine(cleanLine(raw));
    if (norm !== '') this.seen.add(norm);
  }

  has(text: string): boolean {
    const norm = normalizeLine(text);
    return norm !== '' && this.seen.has(norm);
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
  splitFileSync(path, new LineSplitter((text) => ref.add(text)));
  return ref;
}
