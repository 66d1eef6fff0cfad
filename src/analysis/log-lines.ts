import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Turning a log's bytes into lines fit to match and show: split on LF, whatever the
 * chunking; cap each line so one 200 MB line cannot exhaust memory; decode UTF-8 leniently
 * (an invalid byte becomes U+FFFD rather than an exception); drop the CR of CRLF, terminal
 * escape sequences and other control characters, which would garble a terminal or a page.
 */

/** Longest line kept, in UTF-16 code units (4 KiB of ASCII); the rest is counted, not kept. */
export const MAX_LINE_CHARS = 4096;

/** Characters kept of the end of a line over the cap: the cause often sits there (Ansible's one-line JSON results). */
export const LINE_TAIL_CHARS = 512;

/**
 * One raw line: its text up to the cap, how many characters past the cap were dropped and,
 * for a clipped line, its last LINE_TAIL_CHARS characters.
 */
export type LineSink = (text: string, clipped: number, tail?: string) => void;

/**
 * Splits a byte stream into lines. Memory is bounded by the chunk size plus one capped
 * line, however long the lines of the log are.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingClipped = 0;
  private pendingTail = '';
  private open = false;

  constructor(private readonly sink: LineSink, private readonly cap = MAX_LINE_CHARS) {}

  write(bytes: Uint8Array): void {
    this.writeText(this.decoder.write(bytes as Buffer));
  }

  writeText(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      if (this.open) {
        this.append(chunk, start, nl);
        this.emitPending();
      } else {
        const length = nl - start;
        if (length > this.cap) this.sink(chunk.slice(start, start + this.cap), length - this.cap, chunk.slice(Math.max(start + this.cap, nl - LINE_TAIL_CHARS), nl));
        else this.sink(chunk.slice(start, nl), 0);
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.append(chunk, start, chunk.length);
      this.open = true;
    }
  }

  /** Flushes a last line that has no newline after it. */
  end(): void {
    this.writeText(this.decoder.end());
    if (this.open) this.emitPending();
  }

  private append(chunk: string, from: number, to: number): void {
    const room = this.cap - this.pending.length;
    const take = Math.min(room, to - from);
    if (take > 0) this.pending += chunk.slice(from, from + take);
    if (to - from > take) this.pendingTail = (this.pendingTail + chunk.slice(Math.max(from + take, to - LINE_TAIL_CHARS), to)).slice(-LINE_TAIL_CHARS);
    this.pendingClipped += to - from - take;
  }

  private emitPending(): void {
    if (this.pendingClipped > 0) this.sink(this.pending, this.pendingClipped, this.pendingTail);
    else this.sink(this.pending, 0);
    this.pending = '';
    this.pendingTail = '';
    this.pendingClipped = 0;
    this.open = false;
  }
}

// CSI (colours, cursor moves), OSC (titles, hyperlinks) and two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * What a terminal would show of a raw line: no trailing CR, only the last segment of a
 * line overwritten by carriage returns (progress bars), no escape sequences or controls.
 */
export function cleanLine(raw: string): string {
  // Most lines hold no CR and no control character: one scan says so (CR is in the class).
  if (!CONTROL.test(raw)) return raw;
  let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const cr = line.lastIndexOf('\r');
  if (cr !== -1) {
    const last = line.slice(cr + 1);
    line = last.trim() === '' ? line.replace(/\r/g, '') : last;
  }
  return line.replace(ANSI_ESCAPE, '').replace(CONTROL_ALL, '');
}

/**
 * A copy of a string that shares no memory with the chunk it was sliced from. V8 keeps a
 * slice's parent alive; lines retained for the whole scan must not pin 64 KiB chunks.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** Feeds a file to a splitter synchronously, in chunks of `chunkBytes` (bounded memory), and ends it. */
export function splitFileSync(path: string, splitter: LineSplitter, chunkBytes = 64 * 1024): void {
  const buf = Buffer.allocUnsafe(chunkBytes);
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
}
