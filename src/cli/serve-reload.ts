import type { Config } from '../core/config.js';
import { formatProblem } from '../core/problem.js';
import type { Engine } from '../engine/engine.js';
import { DRIVERS } from '../drivers/registry.js';
import type { Store } from '../store/index.js';
import { readConfigFile, type LoadedConfig } from './config-loader.js';

// How `sluice serve` takes a new sluice.yaml without a restart (docs/configuration.md,
// "Reloading without a restart"). The file is read and checked as at start, and a new
// engine is built from it, before anything changes: a file that fails either changes
// nothing. Then the new engine claims new jobs while the one it replaces drains (its
// running jobs finish as their specs say, written when they were planned), the scheduler
// restarts when the schedules changed, and what reads the configuration through the
// slot's view (the dashboard, the API's submissions, triggers, Gerrit) sees the new one.

/** Top-level keys a reload cannot apply: they are read once, when serve starts. */
export const RESTART_KEYS: readonly string[] = ['store', 'web', 'triggers'];

/** What a reload came to, as serve logs it and the admin API answers. */
export type ReloadOutcome =
  | { readonly kind: 'unchanged'; readonly file: string; readonly hash: string }
  | { readonly kind: 'reloaded'; readonly file: string; readonly hash: string; readonly previousHash: string; readonly changed: readonly string[]; readonly needsRestart: readonly string[] }
  | { readonly kind: 'refused'; readonly file: string; readonly problems: readonly ReloadProblem[] };

/** One reason a file was refused: where (`FILE:LINE:COL`, with the field's path) when it is known, and what. */
export interface ReloadProblem {
  readonly where: string;
  readonly message: string;
  /** As `sluice check` and loading print it. */
  readonly line: string;
}

export type ReloadVia = 'signal' | 'api';

/** The configuration serve runs with now. `view` reads through to it, so what keeps the view sees each reload. */
export class ConfigSlot {
  private now: LoadedConfig;
  readonly view: LoadedConfig;

  constructor(first: LoadedConfig) {
    this.now = first;
    const slot = (): LoadedConfig => this.now;
    this.view = {
      get config() { return slot().config; },
      get hash() { return slot().hash; },
      get dir() { return slot().dir; },
      resolvePath: (p) => slot().resolvePath(p),
    };
  }

  get current(): LoadedConfig {
    return this.now;
  }

  set(next: LoadedConfig): void {
    this.now = next;
  }
}

/**
 * The engines of one serve: the current one claims jobs; each one a reload replaced
 * finishes the jobs it runs, then stops. Stopping or handing back applies to all of them.
 */
export class ServeEngines {
  private engine: Engine;
  private readonly draining = new Map<Engine, Promise<void>>();

  constructor(first: Engine, private readonly log: (line: string) => void) {
    this.engine = first;
  }

  get current(): Engine {
    return this.engine;
  }

  get clock(): Engine['clock'] {
    return this.engine.clock;
  }

  /** The current engine's wake-up hints (a reload replaces them with the engine). */
  get wake(): Engine['wake'] {
    return this.engine.wake;
  }

  start(): void {
    this.engine.start();
  }

  notify(): void {
    this.engine.notify();
  }

  /** Starts `next` and drains the engine it replaces in the background. */
  replace(next: Engine): void {
    const old = this.engine;
    this.engine = next;
    next.start();
    const drained = old.stop()
      .catch((e) => this.log(`sluice serve: the engine replaced by a reload stopped badly: ${(e as Error).message}`))
      .finally(() => this.draining.delete(old));
    this.draining.set(old, drained);
  }

  handBack(): void {
    this.engine.handBack();
    for (const old of this.draining.keys()) old.handBack();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    await Promise.all(this.draining.values());
  }
}

export interface ReloaderDeps {
  readonly slot: ConfigSlot;
  /** The file as loaded at start: absolute, and as messages name it. */
  readonly path: string;
  readonly file: string;
  readonly engines: ServeEngines;
  readonly store: Pick<Store, 'appendEvent'>;
  readonly workerId: string;
  /** Builds (does not start) an engine of this configuration; throws what makeEngine throws on a bad provider, trigger or analysis section. */
  readonly makeEngine: (loaded: LoadedConfig, workerId: string) => Promise<Engine>;
  /** Stops the scheduler (and the continuous ladder) and starts them again on the slot's configuration (called when `schedules` or `ladder` changed). */
  readonly restartScheduler: () => Promise<void>;
  readonly log: (line: string) => void;
  readonly now: () => number;
}

/** Reloads one at a time: a reload asked while one runs waits for it, then reads the file again. */
export class ConfigReloader {
  private queue: Promise<unknown> = Promise.resolve();
  private generation = 1;
  private closed = false;

  constructor(private readonly d: ReloaderDeps) {}

  reload(via: ReloadVia): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.reloadNow(via));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Refuses reloads from now on and waits for the one under way. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async reloadNow(via: ReloadVia): Promise<ReloadOutcome> {
    const { d } = this;
    const refuse = (problems: ReloadProblem[]): ReloadOutcome => {
      d.log(`sluice serve: reload refused (${via}): ${d.file} is not valid, the configuration in use (sha256 ${d.slot.current.hash}) stays:`);
      for (const p of problems) d.log(`  ${p.line}`);
      return { kind: 'refused', file: d.file, problems };
    };
    if (this.closed) return refuse([{ where: d.file, message: 'sluice serve is stopping', line: `${d.file}: sluice serve is stopping` }]);
    let read: ReturnType<typeof readConfigFile>;
    try {
      read = readConfigFile(d.path, d.file);
    } catch (e) {
      return refuse([{ where: d.file, message: `cannot read it: ${(e as Error).message}`, line: `${d.file}: cannot read it: ${(e as Error).message}` }]);
    }
    if (!read.ok) {
      return refuse(read.problems.map((p) => ({
        where: `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ''}`, message: `${p.code}: ${p.message}`, line: formatProblem(p),
      })));
    }
    const previous = d.slot.current;
    const loaded = read.loaded;
    if (loaded.hash === previous.hash) {
      d.log(`sluice serve: reload (${via}): ${d.file} is unchanged (sha256 ${loaded.hash})`);
      return { kind: 'unchanged', file: d.file, hash: loaded.hash };
    }
    // Providers, triggers' reporters and analysis rules are checked by building the engine:
    // one that cannot be built leaves the running one in place.
    const workerId = `${d.workerId}/${this.generation + 1}`;
    let engine: Engine;
    try {
      engine = await d.makeEngine(loaded, workerId);
    } catch (e) {
      const message = (e as Error).message;
      return refuse([{ where: d.file, message, line: message.startsWith(d.file) ? message : `${d.file}: ${message}` }]);
    }
    this.generation += 1;
    const changed = changedKeys(previous.config, loaded.config);
    const needsRestart = changed.filter((k) => RESTART_KEYS.includes(k));
    d.slot.set(loaded);
    d.engines.replace(engine);
    if (changed.includes('schedules') || changed.includes('retention') || changed.includes('ladder')) await d.restartScheduler();
    d.log(`sluice serve: reloaded ${d.file} (${via}; sha256 ${loaded.hash}); changed: ${changed.join(', ') || 'nothing at the top level'}; new jobs use it, running jobs finish as planned`);
    if (needsRestart.length > 0) d.log(`sluice serve: ${needsRestart.join(', ')} changed too, which takes effect only at the next restart of sluice serve`);
    try {
      await d.store.appendEvent({
        at: d.now(), kind: 'config.reloaded', runId: RELOAD_STREAM,
        payload: { file: d.file, hash: loaded.hash, previousHash: previous.hash, changed: [...changed], needsRestart, via, worker: d.workerId },
      });
    } catch (e) {
      d.log(`sluice serve: the reload is applied but could not be recorded: ${(e as Error).message}`);
    }
    return { kind: 'reloaded', file: d.file, hash: loaded.hash, previousHash: previous.hash, changed, needsRestart };
  }
}

/** The reloads' events share this stream name in place of a run id (run ids hold no colon), like the schedules'. */
export const RELOAD_STREAM = 'config:reload';

/** Top-level keys whose values differ (the derived `file` and `distNames` aside), sorted. */
export function changedKeys(before: Config, after: Config): string[] {
  const skip = new Set(['file', 'distNames']);
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  // `triggers` holds the trigger drivers' sections again (`gerrit`, `notify`), each also its
  // own key: it counts only for a section whose driver starts something at start (Gerrit's
  // event stream); a reporter's section (`notify`) applies with the new engine.
  const started = DRIVERS.triggers.filter((t) => t.start).map((t) => t.type);
  const differs = (k: string) => (k === 'triggers'
    ? started.some((t) => JSON.stringify(before.triggers[t]) !== JSON.stringify(after.triggers[t]))
    : JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return [...keys].filter((k) => !skip.has(k) && differs(k)).sort();
}

/** SIGHUP reloads; from `stop()` on it is only acknowledged (never the default, which ends the process). */
export function reloadOnSighup(reloader: ConfigReloader, log: (line: string) => void): { stop(): void } {
  let stopping = false;
  const onHup = () => {
    if (stopping) { log('sluice serve: SIGHUP ignored: stopping'); return; }
    log('sluice serve: SIGHUP: reloading the configuration');
    void reloader.reload('signal');
  };
  process.on('SIGHUP', onHup);
  return { stop: () => { stopping = true; } };
}
