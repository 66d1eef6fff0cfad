import { closeSync, openSync, readSync } from 'node:fs';
import { SIGNATURE } from './subunit.js';

/**
 * What a file holds, from its first bytes: a subunit v2 stream starts with a packet
 * signature and a version-2 flags byte; JUnit XML starts (after a declaration, comments or
 * a byte-order mark) with `<testsuites` or `<testsuite`; anything else is read as a log.
 */
export type ResultsKind = 'subunit' | 'junit' | 'log';

const SNIFF_BYTES = 4096;

export function sniffKind(head: Uint8Array): ResultsKind {
  if (head[0] === SIGNATURE && head.length > 1 && ((head[1] as number) & 0xf0) === 0x20) return 'subunit';
  const text = Buffer.from(head.subarray(0, SNIFF_BYTES)).toString('utf8').replace(/^\ufeff/, '');
  const start = text.replace(/^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*/, '');
  return /^<testsuites?[\s>/]/.test(start) ? 'junit' : 'log';
}

export function sniffFile(path: string): ResultsKind {
  const buf = Buffer.alloc(SNIFF_BYTES);
  const fd = openSync(path, 'r');
  try {
    return sniffKind(buf.subarray(0, readSync(fd, buf, 0, SNIFF_BYTES, 0)));
  } finally {
    closeSync(fd);
  }
}
