import { open, stat } from 'node:fs/promises';

/**
 * Reads a job's log by byte ranges, never whole: a log may be 64 MiB, and the viewer
 * shows a few hundred lines of it. A sparse index (the byte offset of every STEP-th line)
 * turns a line number into a seek; it is built by streaming the file once and extended as
 * a running job's log grows.
 */
const STEP = 1000;
const CHUNK = 1024 * 1024;
/** A line longer than this is cut in the viewer (a progress bar without newlines, a binary dump). */
export const MAX_LINE_CHARS = 4000;
const CACHED = 32;

export interface LogIndex {
  readonly size: number;
  /** Lines in the file; a last line without a newline counts. */
  readonly totalLines: number;
  /** checkpoints[k]: byte offset where line k*STEP+1 starts. */
  readonly checkpoints: readonly number[];
}

interface Scan { size: number; newlines: number; checkpoints: number[]; lastByte: number; mtimeMs: number; ino: number }

const cache = new Map<string, Scan>();

/** The index of `path` as it is now; extended from the last scan when the file only grew. */
export async function indexLog(path: string): Promise<LogIndex> {
  const st = await stat(path);
  let scan = cache.get(path);
  if (!scan || scan.ino !== st.ino || st.size < scan.size || (st.size === scan.size && st.mtimeMs !== scan.mtimeMs)) {
    scan = { size: 0, newlines: 0, checkpoints: [0], lastByte: -1, mtimeMs: 0, ino: st.ino };
  }
  if (st.size > scan.size) await extend(path, scan, st.size);
  scan.mtimeMs = st.mtimeMs;
  cache.delete(path);
  cache.set(path, scan);
  if (cache.size > CACHED) cache.delete(cache.keys().next().value as string);
  const partial = scan.size > 0 && scan.lastByte !== 0x0a ? 1 : 0;
  return { size: scan.size, totalLines: scan.newlines + partial, checkpoints: scan.checkpoints };
}

async function extend(path: string, scan: Scan, size: number): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let pos = scan.size;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(0x0a, 0); i !== -1 && i < bytesRead; i = buf.indexOf(0x0a, i + 1)) {
        scan.newlines++;
        if (scan.newlines % STEP === 0) scan.checkpoints.push(pos + i + 1);
      }
      scan.lastByte = buf[bytesRead - 1] ?? scan.lastByte;
      pos += bytesRead;
    }
    scan.size = pos;
  } finally {
    await fh.close();
  }
}

/** Cuts a line fit for display; says how much was left out. */
function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} … (${line.length - MAX_LINE_CHARS} more characters)` : line;
}

/** Lines `from`..`from+count-1` (1-based) of the indexed file, as far as they exist. */
export async function readLines(path: string, index: LogIndex, from: number, count: number): Promise<string[]> {
  if (from > index.totalLines || count <= 0) return [];
  const k = Math.min(Math.floor((from - 1) / STEP), index.checkpoints.length - 1);
  let skip = from - 1 - k * STEP;
  let pos = index.checkpoints[k] ?? 0;
  const out: string[] = [];
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let carry: Buffer[] = [];
    let carried = 0;
    while (pos < index.size && out.length < count) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, index.size - pos), pos);
      if (bytesRead === 0) break;
      let start = 0;
      for (let i = buf.indexOf(0x0a, 0); i !== -1 && i < bytesRead && out.length < count; i = buf.indexOf(0x0a, start)) {
        if (skip > 0) skip--;
        else out.push(clip(Buffer.concat([...carry, buf.subarray(start, i)]).toString('utf8')));
        carry = [];
        carried = 0;
        start = i + 1;
      }
      // A part of a line continues in the next chunk; a very long one is kept only up to what can be shown.
      if (start < bytesRead && out.length < count && carried < MAX_LINE_CHARS * 4) {
        const piece = Buffer.from(buf.subarray(start, bytesRead));
        carry.push(piece);
        carried += piece.length;
      }
      pos += bytesRead;
    }
    if (out.length < count && skip === 0 && carry.length > 0) out.push(clip(Buffer.concat(carry).toString('utf8')));
  } finally {
    await fh.close();
  }
  return out;
}

/** Bytes `offset`..`offset+max` of the file, cut after the last complete line unless none fits. */
export async function readFrom(path: string, offset: number, max: number): Promise<{ text: string; next: number }> {
  const st = await stat(path);
  if (st.size <= offset) return { text: '', next: Math.min(offset, st.size) };
  const length = Math.min(max, st.size - offset);
  const buf = Buffer.alloc(length);
  const fh = await open(path, 'r');
  try {
    await fh.read(buf, 0, length, offset);
  } finally {
    await fh.close();
  }
  const lastNewline = buf.lastIndexOf(0x0a);
  const keep = lastNewline === -1 ? (length === max ? length : 0) : lastNewline + 1;
  return { text: buf.subarray(0, keep).toString('utf8'), next: offset + keep };
}
