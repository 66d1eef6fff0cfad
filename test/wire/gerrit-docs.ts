import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The request/response examples of Gerrit's REST documentation, as cut out in
 * ../shared/wire/gerrit/extracted: `NAME.head` holds the documented status line and
 * headers, `NAME.raw` the body as printed, `NAME.json` the body without `)]}'` (mended
 * where the printed example is not valid JSON, as REPORT.json says).
 */
export interface DocumentedAnswer {
  readonly status: number;
  /** Header names in lower case, values as documented. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body to send: as printed, or `)]}'` and the mended JSON where the print is broken. */
  readonly body: string;
  /** The JSON value, for JSON answers. */
  readonly json?: unknown;
}

export function documentedAnswer(dir: string, name: string): DocumentedAnswer {
  const report = (JSON.parse(readFileSync(join(dir, 'REPORT.json'), 'utf8')) as Record<string, { valid_json?: boolean }>)[name];
  if (!report) throw new Error(`${name} is not in ${join(dir, 'REPORT.json')}`);
  const [statusLine = '', ...lines] = readFileSync(join(dir, `${name}.head`), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`${name}.head line 1: no status in ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  lines.forEach((line, i) => {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`${name}.head line ${i + 2}: not a header: ${JSON.stringify(line)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  });
  const isJson = 'valid_json' in report;
  const json = isJson ? JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as unknown : undefined;
  const body = report.valid_json === false ? `)]}'\n${JSON.stringify(json, null, 2)}\n` : readFileSync(join(dir, `${name}.raw`), 'utf8');
  return { status, headers, body, ...(isJson ? { json } : {}) };
}

/** The media type and charset of a Content-Type, compared loosely (case, spaces). */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').toLowerCase().replace(/\s+/g, '');
}

/**
 * The JSON shape of a value: its type, an object's keys with their shapes, an array's
 * element shapes merged. Map-like objects (keyed by data, not by name: revisions by
 * commit, files by path, labels by name) are given as one `*` key.
 */
export type Shape = string | { readonly [key: string]: Shape } | readonly [Shape];

const MAPS = new Set(['revisions', 'files', 'labels', 'attention_set', 'reviewers', 'permitted_labels', 'removable_labels', 'values']);

export function shapeOf(v: unknown, key = ''): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) return [v.map((x) => shapeOf(x)).reduce<Shape>((a, b) => merge(a, b), 'empty')];
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (MAPS.has(key)) return { '*': entries.map(([k, x]) => shapeOf(x, k)).reduce<Shape>((a, b) => merge(a, b), 'empty') };
    return Object.fromEntries(entries.map(([k, x]) => [k, shapeOf(x, k)]));
  }
  return typeof v;
}

function merge(a: Shape, b: Shape): Shape {
  if (a === 'empty') return b;
  if (b === 'empty') return a;
  if (Array.isArray(a) && Array.isArray(b)) return [merge(a[0] as Shape, b[0] as Shape)];
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, Shape> = { ...(a as Record<string, Shape>) };
    for (const [k, s] of Object.entries(b as Record<string, Shape>)) out[k] = k in out ? merge(out[k] as Shape, s) : s;
    return out;
  }
  return a;
}

/**
 * Where `actual` has what `documented` does not: a key the documentation never shows, or
 * a value of another type. Keys the documentation has and `actual` lacks are fine (a
 * stand-in sends less than Gerrit), so an empty list means "within the documented shape".
 */
export function outsideShape(actual: Shape, documented: Shape, path = '$'): string[] {
  if (actual === 'empty' || documented === 'empty') return [];
  if (Array.isArray(actual) || Array.isArray(documented)) {
    if (!Array.isArray(actual) || !Array.isArray(documented)) return [`${path}: ${describe(actual)} where the documentation has ${describe(documented)}`];
    return outsideShape(actual[0] as Shape, documented[0] as Shape, `${path}[]`);
  }
  if (typeof actual === 'string' || typeof documented === 'string') {
    return actual === documented ? [] : [`${path}: ${describe(actual)} where the documentation has ${describe(documented)}`];
  }
  const out: string[] = [];
  for (const [k, s] of Object.entries(actual)) {
    const d = (documented as Record<string, Shape>)[k];
    if (d === undefined) out.push(`${path}.${k}: not in the documented example`);
    else out.push(...outsideShape(s, d, `${path}.${k}`));
  }
  return out;
}

function describe(s: Shape): string {
  return typeof s === 'string' ? s : Array.isArray(s) ? 'an array' : 'an object';
}
