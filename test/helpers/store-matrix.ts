import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/index.js';
import { tempDir } from './paths.js';
import { postgres, stopPostgres, type PgServer } from './postgres.js';

export type Dialect = 'sqlite' | 'postgres';

export interface StoreFixture {
  readonly dialect: Dialect;
  /** The database's URL, fresh for this test. */
  readonly url: string;
  /** A store opened on it. */
  readonly store: Store;
  /** Another store on `url` (default: this test's database), with its own connection or pool. */
  open(options?: OpenStoreOptions, url?: string): Promise<Store>;
  /** Another empty database of the same dialect, never opened yet. */
  freshUrl(): Promise<string>;
}

export type StoreTest = (fixture: StoreFixture, t: TestContext) => Promise<void>;

const TIMEOUT_MS = 60_000;
let cleanupRegistered = false;

/**
 * Registers `name` twice, as `name [sqlite]` (a temporary file in WAL mode) and
 * `name [postgres]` (a new database on a throwaway server, see postgres.ts), with the
 * same body. Without PostgreSQL the second is skipped, except under CI, where it fails.
 * Stores and databases the fixture made are closed and removed when the test ends.
 */
export function forEachStore(name: string, body: StoreTest, opts: { timeoutMs?: number } = {}): void {
  const timeout = opts.timeoutMs ?? TIMEOUT_MS;
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    after(stopPostgres);
  }
  test(`${name} [sqlite]`, { timeout }, async (t) => {
    const dir = tempDir(t, 'sluice-store-');
    let files = 0;
    await withFixture('sqlite', async () => `sqlite:${join(dir, `sluice-${++files}.db`)}`, body, t);
  });
  test(`${name} [postgres]`, { timeout }, async (t) => {
    const pg = await postgres();
    if (!pg.ok) {
      if (underCi()) throw new Error(`${pg.reason} (CI is set: PostgreSQL tests must run, not skip)`);
      t.skip(pg.reason);
      return;
    }
    const made: string[] = [];
    const create = async (): Promise<string> => {
      const url = await pg.server.createDatabase();
      made.push(url);
      return url;
    };
    try {
      await withFixture('postgres', create, body, t);
    } finally {
      await dropAll(pg.server, made);
    }
  });
}

/** CI=true, CI=1...: any value but empty, 0 or false. */
function underCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

async function dropAll(server: PgServer, urls: string[]): Promise<void> {
  for (const url of urls) await server.dropDatabase(url);
}

async function withFixture(dialect: Dialect, create: () => Promise<string>, body: StoreTest, t: TestContext): Promise<void> {
  const opened: Store[] = [];
  const url = await create();
  const open = async (options?: OpenStoreOptions, at: string = url): Promise<Store> => {
    const store = await openStore(at, options);
    opened.push(store);
    return store;
  };
  try {
    const store = await open();
    await body({ dialect, url, store, open, freshUrl: create }, t);
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}
