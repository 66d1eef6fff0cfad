/**
 * rpm's version ordering, as rpm 4.15+ implements it (rpmvercmp in rpmio/rpmvercmp.c):
 * strings split into runs of digits and runs of ASCII letters, anything else separates;
 * digits beat letters; `~` sorts before everything (even the end of the string), `^`
 * after the end of the string but before any further segment. Pure: no I/O.
 */

export interface EVR {
  /** `0` when the package has no epoch: rpm treats a missing epoch as zero. */
  readonly epoch: number;
  readonly version: string;
  /** Empty when absent (a bare version); rpm then sorts it before any release. */
  readonly release: string;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isSeparator = (c: string | undefined) => c !== undefined && !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b` (one version or release field). */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (isSeparator(a[i])) i++;
    while (isSeparator(b[j])) j++;
    const ca = a[i];
    const cb = b[j];
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++; j++;
      continue;
    }
    // A caret sorts after the end of the other string but before any other segment.
    if (ca === '^' || cb === '^') {
      if (ca === undefined) return -1;
      if (cb === undefined) return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++; j++;
      continue;
    }
    if (ca === undefined || cb === undefined) break;
    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (inSegment(a[ei])) ei++;
    while (inSegment(b[ej])) ej++;
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  const endA = i >= a.length;
  const endB = j >= b.length;
  if (endA && endB) return 0;
  return endA ? -1 : 1;
}

/** Parses `[epoch:]version[-release]`, splitting the release at the last `-` as rpm does. */
export function parseEVR(text: string): EVR {
  const colon = text.indexOf(':');
  let epoch = 0;
  let rest = text;
  if (colon > 0 && /^\d+$/.test(text.slice(0, colon))) {
    epoch = Number(text.slice(0, colon));
    rest = text.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? { epoch, version: rest, release: '' } : { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

export function compareEVR(a: EVR, b: EVR): -1 | 0 | 1 {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

/** `epoch:version-release`, the epoch always shown so that reports line up. */
export function formatEVR(evr: EVR): string {
  return `${evr.epoch}:${evr.version}${evr.release === '' ? '' : `-${evr.release}`}`;
}
