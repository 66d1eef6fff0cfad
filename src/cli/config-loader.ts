import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { parseConfigBytes } from '../drivers/registry.js';
import { byPosition, formatProblem, type Problem } from '../core/problem.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';

export const DEFAULT_CONFIG = 'sluice.yaml';

export interface LoadedConfig {
  readonly config: Config;
  /** SHA-256 of the file's bytes: runs record which configuration planned them. */
  readonly hash: string;
  /** Relative paths in the config are relative to the file's directory. */
  readonly dir: string;
  resolvePath(p: string): string;
}

/** The config named by --config, else $SLUICE_CONFIG, else sluice.yaml in the working directory. */
export function loadConfig(io: Io, named: string | undefined): LoadedConfig {
  const loaded = findConfig(io, named);
  if (loaded) return loaded;
  throw notFound(DEFAULT_CONFIG);
}

function notFound(file: string): CliExit {
  return new CliExit(EXIT.usage, `${file}: no such configuration file (pass --config FILE, or run "sluice init")`, 'E_CONFIG_NOT_FOUND');
}

/**
 * As loadConfig, but a missing default sluice.yaml is fine (undefined): `sluice check`
 * works without one. A file named by --config or $SLUICE_CONFIG must exist.
 */
export function findConfig(io: Io, named: string | undefined): LoadedConfig | undefined {
  // An empty $SLUICE_CONFIG (`SLUICE_CONFIG= sluice ...`) is unset, as a shell user means it.
  const fromEnv = io.env.SLUICE_CONFIG === '' ? undefined : io.env.SLUICE_CONFIG;
  const file = named ?? fromEnv ?? DEFAULT_CONFIG;
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) {
    if (named === undefined && fromEnv === undefined) return undefined;
    throw notFound(file);
  }
  if (statSync(path).isDirectory()) {
    throw new CliExit(EXIT.usage, `${file}: a directory, not a configuration file (pass --config FILE, the sluice.yaml in it)`, 'E_CONFIG_NOT_FOUND');
  }
  const read = readConfigFile(path, file);
  if (!read.ok) throw new CliExit(EXIT.usage, read.problems.map(formatProblem).join('\n'), 'E_CONFIG_INVALID');
  return read.loaded;
}

/**
 * The configuration at `path` (`file` is how messages name it), or its problems in the
 * order of their positions: what loading prints, and what a reload of `sluice serve` refuses.
 */
export function readConfigFile(path: string, file: string): { ok: true; loaded: LoadedConfig } | { ok: false; problems: Problem[] } {
  const bytes = readFileSync(path);
  const parsed = parseConfigBytes(bytes, file);
  if (!parsed.ok) return { ok: false, problems: [...parsed.problems].sort(byPosition) };
  const dir = dirname(path);
  return { ok: true, loaded: { config: parsed.config, hash: createHash('sha256').update(bytes).digest('hex'), dir, resolvePath: (p) => (isAbsolute(p) ? p : resolve(dir, p)) } };
}

/** The store URL with a relative SQLite path made absolute against the config's directory. */
export function storeUrl(loaded: LoadedConfig, io: Io): string {
  const url = io.env.SLUICE_STORE ?? loaded.config.store;
  if (url.startsWith('sqlite:') && url !== 'sqlite::memory:') return `sqlite:${loaded.resolvePath(url.slice('sqlite:'.length))}`;
  return url;
}
