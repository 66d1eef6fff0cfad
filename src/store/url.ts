import { StoreError } from './errors.js';

export type StoreLocation = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

/**
 * `sqlite:PATH` (PATH as given, relative to the working directory when relative;
 * `sqlite::memory:` for a private in-memory database) or `postgres://...` /
 * `postgresql://...` (passed to pg unchanged).
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === '') throw new StoreError('E_STORE_URL', `store URL ${url} names no file: use sqlite:PATH or sqlite::memory:`);
    return { dialect: 'sqlite', file };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  // Only the scheme is echoed: a database URL may carry a password.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'without a scheme';
  throw new StoreError('E_STORE_URL', `store URL ${scheme} is not supported: use sqlite:PATH or postgres://...`);
}
