import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import type { TargetDisable } from '../core/target-state.js';
import { openStore, sqliteFileOf, type Store } from '../store/index.js';
import { storeUrl, type LoadedConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { storeFullMessage } from './store-full.js';

/** Opens the configured store for one command and always closes it. */
export async function withStore<T>(loaded: LoadedConfig, io: Io, use: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  const url = storeUrl(loaded, io);
  try {
    const file = sqliteFileOf(url);
    if (file !== undefined) mkdirSync(dirname(file), { recursive: true });
    store = await openStore(url);
  } catch (e) {
    throw new CliExit(EXIT.error, storeFullMessage(url, redacted(url), e) ?? `cannot open the store ${redacted(url)}: ${(e as Error).message}`, 'E_STORE');
  }
  try {
    return await use(store);
  } catch (e) {
    const full = e instanceof CliExit ? undefined : storeFullMessage(url, redacted(url), e);
    throw full ? new CliExit(EXIT.error, full, 'E_STORE') : e;
  } finally {
    await store.close();
  }
}

/**
 * The disabled targets, for `sluice check`. Check must write nothing, so a store that does
 * not exist yet (a fresh SQLite path) means "nothing disabled" rather than creating it.
 */
export async function readDisabledTargets(loaded: LoadedConfig, io: Io): Promise<Map<string, TargetDisable>> {
  const url = storeUrl(loaded, io);
  const file = sqliteFileOf(url);
  if (file !== undefined && !existsSync(file)) return new Map();
  const now = io.now();
  const states = await withStore(loaded, io, (store) => store.listTargetStates(now));
  return new Map(states.flatMap((s) => (s.disabled
    ? [[s.target, { target: s.target, reason: s.reason, by: s.disabledBy, since: s.disabledAt, until: s.until }] as const]
    : [])));
}

export function whoAmI(io: Io): string {
  if (io.env.SLUICE_USER) return io.env.SLUICE_USER;
  try { return userInfo().username; } catch { return 'unknown'; }
}

/** A store URL fit for messages: a PostgreSQL password never reaches a terminal or a log. */
export function redacted(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}
