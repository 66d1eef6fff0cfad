import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { TargetDisable } from '../core/target-state.js';
import { openStore, type Store } from '../store/index.js';
import { storeUrl, type LoadedConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';

/** Opens the configured store for one command and always closes it. */
export async function withStore<T>(loaded: LoadedConfig, io: Io, use: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  try {
    store = await openStore(storeUrl(loaded, io));
  } catch (e) {
    throw new CliExit(EXIT.error, `cannot open the store ${loaded.config.store}: ${(e as Error).message}`, 'E_STORE');
  }
  try {
    return await use(store);
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
  if (url.startsWith('sqlite:') && !existsSync(url.slice('sqlite:'.length))) return new Map();
  const now = io.now();
  const states = await withStore(loaded, io, (store) => store.listTargetStates(now));
  return new Map(states.filter((s) => s.disabled).map((s) => [s.target, {
    target: s.target, reason: s.reason ?? '', by: s.disabledBy ?? 'unknown', since: s.disabledAt ?? 0, until: s.until,
  }]));
}

export function whoAmI(io: Io): string {
  if (io.env.SLUICE_USER) return io.env.SLUICE_USER;
  try { return userInfo().username; } catch { return 'unknown'; }
}
