import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteFileOf } from '../store/index.js';

/**
 * Whether a store error means the disk holding the store is full, and if so the
 * sentence that says so. SQLite says SQLITE_FULL when a write finds no room, but only
 * "disk I/O error" when it cannot even grow its WAL or shared-memory file at open, so an
 * I/O error counts when the database's file system has no space left. PostgreSQL's
 * disk_full is SQLSTATE 53100.
 */
export function storeFullMessage(url: string, shownUrl: string, error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const sqliteFile = sqliteFileOf(url);
  const full = code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC' ||
    (/^SQLITE_(IOERR|CANTOPEN)/.test(code) && sqliteFile !== undefined && noSpaceLeft(dirname(sqliteFile)));
  if (!full) return undefined;
  const where = sqliteFile ? ` holding ${dirname(sqliteFile)}` : '';
  return `the store ${shownUrl} cannot be written: no space left on the device${where} (${code === '53100' ? 'PostgreSQL disk_full' : code}); ` +
    'what this command did before was committed whole or not at all: free space and run it again';
}

function noSpaceLeft(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}
