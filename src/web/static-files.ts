import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's few static files, served from src/web/static/ as written (no bundler).
 * This module runs compiled from dist/src/web/, so the sources are three levels up.
 */
const DIR = fileURLToPath(new URL('../../../src/web/static/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
export const STATIC_FILES = ['style.css', 'live.js', 'log.js'] as const;

export interface StaticFile { readonly type: string; readonly body: Buffer; readonly etag: string }

export function loadStaticFiles(): Map<string, StaticFile> {
  return new Map(STATIC_FILES.map((name) => {
    const body = readFileSync(`${DIR}${name}`);
    return [name, { type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream', body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` }];
  }));
}
