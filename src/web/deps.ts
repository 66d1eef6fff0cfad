import type { PipelineName } from '../core/config-schema.js';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { TriggerOutcome } from '../engine/scheduler.js';
import type { Store } from '../store/index.js';
import type { AuthPolicy } from './auth.js';
import type { PeerLogs } from './peer-logs.js';

/** The configuration as `sluice serve` loaded it (LoadedConfig fits). */
export interface WebSite {
  readonly config: Config;
  readonly hash: string;
  resolvePath(p: string): string;
}

/** What the web server is given: it owns none of it and closes none of it. */
export interface WebDeps {
  readonly store: Store;
  readonly site: WebSite;
  readonly auth: AuthPolicy;
  readonly now: () => number;
  /** Starts phase2 or promote as `sluice phase2` / `sluice promote --detach` would; absent: refused. */
  readonly trigger?: (pipeline: PipelineName, now: number) => Promise<TriggerOutcome>;
  /** Wakes the engine after a run was written, rather than at its next poll. */
  readonly notify?: () => void;
  /** Reloads the configuration file as SIGHUP does (`POST /api/admin/reload`); absent: refused. */
  readonly reload?: () => Promise<ReloadAnswer>;
  /** How often the live pages' event tail polls the store (default 250 ms). */
  readonly pollMs?: number;
  /** Structured logs; false for none (tests). */
  readonly logger?: Logger | false;
  readonly version?: string;
  /** Copies of logs other hosts' serves hold (docs/operations.md, "Logs across hosts"); absent: only this host's logs are shown. */
  readonly peerLogs?: PeerLogs;
}

/** What a reload came to: `sluice serve`'s answer, which the admin API passes on. */
export type ReloadAnswer =
  | { readonly kind: 'unchanged'; readonly file: string; readonly hash: string }
  | { readonly kind: 'reloaded'; readonly file: string; readonly hash: string; readonly previousHash: string; readonly changed: readonly string[]; readonly needsRestart: readonly string[] }
  | { readonly kind: 'refused'; readonly file: string; readonly problems: readonly { readonly where: string; readonly message: string; readonly line: string }[] };
