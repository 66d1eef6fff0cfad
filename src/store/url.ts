import { StoreError } from './errors.js';

/**
 * How SQLite syncs a commit (docs/store.md, "Durability"): `normal`, the default, syncs
 * the WAL at checkpoints only, so a commit survives the process's crash but may be lost to
 * the machine's; `full` syncs every commit.
 */
export type SqliteSync = 'normal' | 'full';

export type StoreLocation = { dialect: 'sqlite'; file: string; synchronous: SqliteSync } | { dialect: 'postgres'; url: string };

const SYNC_OPTION = /\?synchronous=([a-z]*)$/;

/**
 * `sqlite:PATH` (PATH as given, relative to the working directory when relative;
 * `sqlite::memory:` for a private in-memory database), optionally ending in
 * `?synchronous=full`, or `postgres://...` / `postgresql://...` (passed to pg unchanged).
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    let synchronous: SqliteSync = 'normal';
    const option = SYNC_OPTION.exec(file);
    if (option) {
      if (option[1] !== 'normal' && option[1] !== 'full') throw new StoreError('E_STORE_URL', `store URL ${url}: synchronous is normal or full, not "${option[1]}"`);
      synchronous = option[1];
      file = file.slice(0, option.index);
    }
    if (file === '') throw new StoreError('E_STORE_URL', `store URL ${url} names no file: use sqlite:PATH or sqlite::memory:`);
    return { dialect: 'sqlite', file, synchronous };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  // Only the scheme is echoed: a database URL may carry a password.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'without a scheme';
  throw new StoreError('E_STORE_URL', `store URL ${scheme} is not supported: use sqlite:PATH or postgres://...`);
}

/** The file a SQLite store URL names (without its options); undefined for PostgreSQL, memory, or a bad URL. */
export function sqliteFileOf(url: string): string | undefined {
  try {
    const location = parseStoreUrl(url);
    return location.dialect === 'sqlite' && location.file !== ':memory:' ? location.file : undefined;
  } catch {
    return undefined;
  }
}
