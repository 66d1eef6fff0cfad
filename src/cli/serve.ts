import { recheckFailedOfContent } from '../pipelines/phase1/recheck-failed.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { LISTEN_RULE } from '../core/config-schema.js';
import { parseDuration } from '../core/duration.js';
import type { Engine } from '../engine/engine.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Leadership, SERVICE_ROLE } from '../engine/leadership.js';
import { Scheduler } from '../engine/scheduler.js';
import { CronTask } from '../engine/cron-task.js';
import type { Store } from '../store/index.js';
import { readTokens } from '../web/auth.js';
import { PeerLogs } from '../web/peer-logs.js';
import { SessionSigner } from '../web/session.js';
import { TrustedHeader } from '../web/trusted-header.js';
import type { TokenEntry } from '../web/tokens.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_LISTEN, parseListen, startWeb, webLogger, type StartedWeb } from '../web/start.js';
import { loadConfig, type LoadedConfig } from './config-loader.js';
import { makeEngine, processWorkerId, productionKeyOf } from './engine-setup.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import type { ContinuousLadder } from '../engine/continuous-ladder.js';
import { startContinuousLadder, triggerPipeline } from './pipeline-triggers.js';
import { pruneLines, pruneNow } from './prune.js';
import { DRIVERS } from '../drivers/registry.js';
import { TriggerSetupError, type StartedTrigger } from '../drivers/trigger-driver.js';
import { submitPhase1 } from '../pipelines/phase1/submit.js';
import { withStore } from './store-access.js';
import { upstreamFollower } from './update-repo-setup.js';
import { ConfigReloader, ConfigSlot, reloadOnSighup, ServeEngines, type ReloadOutcome } from './serve-reload.js';

interface ServeOptions { config?: string; listen?: string; advertise?: string }

export function registerServe(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('serve')
    .description('run the engine (claim and run jobs) and the dashboard, HTTP API and /metrics, until SIGINT or SIGTERM; SIGHUP reloads the configuration (several may share a PostgreSQL store; the one elected leader runs the schedules and triggers)')
    .option('--listen <address>', `where the dashboard and API answer: ${LISTEN_RULE}, or "off" (default: web.listen, else ${DEFAULT_LISTEN})`)
    .option('--advertise <url>', 'the URL other hosts reach this dashboard at, recorded with each job this serve runs so their dashboards show its log (default: $SLUICE_ADVERTISE_URL, else the listen address, with this host\'s name for 0.0.0.0 or ::)')
    .option('--config <file>', 'configuration file')
    .action(async (opts: ServeOptions) => setStatus(await serve(io, opts)));
}

async function serve(io: Io, opts: ServeOptions): Promise<number> {
  const slot = new ConfigSlot(loadConfig(io, opts.config));
  // Everything below reads the configuration through the slot: a reload swaps what it holds.
  const loaded = slot.view;
  const listenText = opts.listen ?? loaded.config.web.listen ?? DEFAULT_LISTEN;
  const listen = listenText === 'off' ? undefined : parseListen(listenText);
  if (listenText !== 'off' && !listen) throw new CliExit(EXIT.usage, `--listen "${listenText}" is not ${LISTEN_RULE}, nor "off"`, 'E_USAGE');
  // The token file named at start: a change of `web` waits for a restart, the file's lines do not (SIGHUP).
  const tokenFile = loaded.config.web.token_file === undefined ? undefined : { named: loaded.config.web.token_file, path: loaded.resolvePath(loaded.config.web.token_file) };
  const tokens = listen ? tokensOf(tokenFile, io) : [];
  return withStore(loaded, io, async (store) => {
    const log = (l: string) => io.err(`${l}\n`);
    // The dashboard starts first, so a port that cannot be bound stops serve before any job runs.
    const started: { engine?: ServeEngines; reloader?: ConfigReloader; origin?: string } = {};
    const peerLogs = new PeerLogs(join(loaded.resolvePath(loaded.config.work_dir), '.peer-logs'), () => started.origin);
    const reread = { tokens: () => {} };
    const web = listen ? await startDashboard(loaded, store, io, {
      listen, explicit: opts.listen !== undefined || loaded.config.web.listen !== undefined, tokens, peerLogs, engine: () => started.engine,
      reload: (via) => { reread.tokens(); return started.reloader?.reload(via); },
    }) : undefined;
    if (web) reread.tokens = () => rereadTokens(web, tokenFile, io, log);
    // Before the configuration's own SIGHUP handler, and whether or not sluice.yaml changed.
    const onHup = () => reread.tokens();
    if (web) process.on('SIGHUP', onHup);
    try {
      const origin = web && listen ? advertisedUrl(opts.advertise ?? io.env.SLUICE_ADVERTISE_URL, web.url, listen.host) : undefined;
      started.origin = origin;
      const running = new ServeEngines(await makeEngine(slot.current, store, { log, env: io.env, ...(origin ? { origin } : {}) }), log);
      started.engine = running;
      running.start();
      const leadership = await leadWhileServing(loaded, store, io, running, log);
      // A reload with new schedules restarts the leader's scheduler; a follower's next election reads them anyway.
      const reloads = startReloads(io, slot, store, running, log, () => leadership.restartScheduler(), origin);
      started.reloader = reloads.reloader;
      io.err(`sluice serve: working (store ${store.dialect})${origin ? `; other hosts' dashboards read its jobs' logs at ${origin}` : ''}; stop with SIGINT or SIGTERM\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      io.err('sluice serve: stopping after the running jobs (SIGINT or SIGTERM again hands them back to the queue now)\n');
      // A second signal: the operator will not wait for long jobs. They go back to the
      // queue with their attempts given back; another worker, or the next start, runs them.
      const handBack = () => {
        io.err('sluice serve: handing the running jobs back to the queue\n');
        running.handBack();
      };
      process.once('SIGINT', handBack);
      process.once('SIGTERM', handBack);
      await reloads.stop();
      await leadership.stop();
      await running.stop();
    } finally {
      process.off('SIGHUP', onHup);
      await web?.close();
    }
    return EXIT.ok;
  });
}

/**
 * The scheduler and the triggers run in one serve per store, the leader (docs/schedules.md,
 * "One scheduler per store"): this serve follows until it takes the lease, runs them while
 * it holds it, and stops them at once when it loses it. The first look is awaited, so a
 * trigger's configuration problem stops a serve that leads as it starts.
 */
async function leadWhileServing(loaded: LoadedConfig, store: Store, io: Io, engine: Pick<Engine, 'clock' | 'notify' | 'wake'>, log: (line: string) => void): Promise<{ stop(): Promise<void>; restartScheduler(): Promise<void> }> {
  const { engine: timing } = loaded.config;
  let work: { scheduler: Scheduler; pruning: CronTask | undefined; triggers: StartedTrigger[]; ladder?: ContinuousLadder | undefined } | undefined;
  const newLadder = () => startContinuousLadder(loaded, store, engine, log, () => leadership.leading);
  // The configuration is read at each election and each restart: a reload reaches the next scheduler.
  const newScheduler = () => new Scheduler({
    schedules: loaded.config.schedules, clock: engine.clock, store, log, mayFire: () => leadership.leading,
    trigger: async (pipeline, firedAt) => {
      const outcome = await triggerPipeline(loaded, store, pipeline, engine.clock.now());
      log(`schedule ${pipeline} (${new Date(firedAt).toISOString()}): ${outcome.kind === 'nothing' ? `nothing to do: ${outcome.why}` : `${outcome.kind} ${outcome.runId}`}`);
      if (outcome.kind === 'started') engine.notify();
      return outcome;
    },
  });
  // retention.schedule: the leader prunes, as it alone fires the schedules (docs/retention.md).
  const newPruning = (): CronTask | undefined => {
    const cron = loaded.config.retention.schedule;
    if (cron === undefined) return undefined;
    const task = new CronTask({
      name: 'retention', cron, clock: engine.clock, log, mayFire: () => leadership.leading,
      task: async (firedAt) => {
        const report = await pruneNow(loaded, store, { dryRun: false, now: engine.clock.now(), env: io.env });
        log(`retention "${cron}" fired for ${new Date(firedAt).toISOString()}: ${pruneLines(report).at(-1) ?? ''}`);
        for (const f of report.failures) log(`retention: could not delete ${f}`);
      },
    });
    task.start();
    return task;
  };
  const leadership: Leadership = new Leadership({
    store, role: SERVICE_ROLE, holder: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    leaseMs: durationMs(timing.leader_lease), renewMs: durationMs(timing.leader_renew), clock: engine.clock, log,
    onElected: async () => {
      const scheduler = newScheduler();
      await scheduler.start();
      try {
        work = { scheduler, pruning: newPruning(), triggers: await startTriggers(loaded, store, io, engine, log), ladder: newLadder() };
      } catch (e) {
        await scheduler.stop();
        throw e;
      }
    },
    onLost: async () => {
      const leading = work;
      work = undefined;
      if (!leading) return;
      // The triggers first: a Gerrit event arriving now is the next leader's, through its catch-up.
      for (const trigger of leading.triggers) await trigger.stop();
      await leading.ladder?.stop();
      await leading.scheduler.stop();
      await leading.pruning?.stop();
    },
  });
  await leadership.start();
  return {
    stop: () => leadership.stop(),
    async restartScheduler() {
      if (!work) return;
      await work.scheduler.stop();
      await work.ladder?.stop();
      work.scheduler = newScheduler();
      await work.scheduler.start();
      await work.pruning?.stop();
      work.pruning = newPruning();
      work.ladder = newLadder();
    },
  };
}

/** A duration the configuration's schema validated already. */
function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return ms;
}

/** Named tokens: `$SLUICE_WEB_TOKENS` and `web.token_file`, only their hashes; never from sluice.yaml itself. */
function tokensOf(file: { named: string; path: string } | undefined, io: Io): TokenEntry[] {
  try {
    return readTokens(io.env, file?.path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ? `web.token_file: cannot read ${file?.named}: ${(e as Error).message}` : (e as Error).message;
    throw new CliExit(EXIT.usage, why, 'E_CONFIG_INVALID');
  }
}

/** SIGHUP (and the admin API's reload) reread the token file: a bad one changes nothing and says why. */
function rereadTokens(web: StartedWeb, file: { named: string; path: string } | undefined, io: Io, log: (line: string) => void): void {
  try {
    const tokens = tokensOf(file, io);
    web.replaceTokens(tokens);
    log(`sluice serve: tokens reread: ${tokens.length} API token(s) of ${new Set(tokens.map((t) => t.person)).size} person(s)`);
  } catch (e) {
    log(`sluice serve: the tokens in use stay: ${(e as Error).message}`);
  }
}

/**
 * What signs dashboard sessions: `$SLUICE_SESSION_SECRET`, else `web.session_secret_file`,
 * else a random secret of this process (a restart logs everyone out; say so).
 */
function sessionSigner(loaded: LoadedConfig, io: Io): { signer: SessionSigner; from: string } {
  const file = loaded.config.web.session_secret_file;
  let text = io.env.SLUICE_SESSION_SECRET;
  let from = '$SLUICE_SESSION_SECRET';
  if ((text === undefined || text === '') && file !== undefined) {
    from = `web.session_secret_file (${file})`;
    try {
      text = readFileSync(loaded.resolvePath(file), 'utf8');
    } catch (e) {
      throw new CliExit(EXIT.usage, `web.session_secret_file: cannot read ${file}: ${(e as Error).message}`, 'E_CONFIG_INVALID');
    }
  }
  if (text === undefined || text === '') return { signer: SessionSigner.random(), from: 'a random secret of this process' };
  const secret = Buffer.from(text.trim(), 'utf8');
  if (secret.length < 32) throw new CliExit(EXIT.usage, `${from}: a session secret must be at least 32 bytes (e.g. openssl rand -hex 32)`, 'E_CONFIG_INVALID');
  return { signer: new SessionSigner(secret), from };
}

/**
 * The dashboard. An address the operator chose that cannot be bound stops serve; the
 * default one only warns, so several workers on one host (or a busy port) still work.
 */
async function startDashboard(loaded: LoadedConfig, store: Store, io: Io, o: { listen: { host: string; port: number }; explicit: boolean; tokens: TokenEntry[]; peerLogs: PeerLogs; engine: () => { notify(): void } | undefined; reload: (via: 'api') => Promise<ReloadOutcome> | undefined }): Promise<StartedWeb | undefined> {
  const sessions = sessionSigner(loaded, io);
  const { web: webConfig } = loaded.config;
  if (webConfig.trusted_header) {
    try {
      new TrustedHeader(webConfig.trusted_header);
    } catch (e) {
      throw new CliExit(EXIT.usage, `${loaded.config.file}: ${(e as Error).message}`, 'E_CONFIG_INVALID');
    }
  }
  try {
    const web = await startWeb({
      store, site: loaded, now: () => Date.now(),
      auth: {
        tokens: o.tokens, publicReads: webConfig.public_reads, sessions: sessions.signer, sessionTtlMs: durationMs(webConfig.session_ttl),
        ...(webConfig.trusted_header ? { trustedHeader: webConfig.trusted_header } : {}),
      },
      trigger: (pipeline, now) => triggerPipeline(loaded, store, pipeline, now),
      notify: () => o.engine()?.notify(),
      peerLogs: o.peerLogs,
      reload: async () => (await o.reload('api')) ?? { kind: 'refused', file: loaded.config.file, problems: [{ where: loaded.config.file, message: 'sluice serve is still starting', line: `${loaded.config.file}: sluice serve is still starting` }] },
      logger: webLogger((line) => io.err(line), io.env.SLUICE_LOG_LEVEL ?? 'info'),
    }, o.listen);
    io.err(`sluice serve: dashboard and API on ${web.url}/ (OpenAPI: ${web.url}/api/openapi.json, metrics: ${web.url}/metrics)${o.tokens.length === 0 && !webConfig.trusted_header ? '; no API token: actions are refused' : `; ${o.tokens.length} API token(s) of ${new Set(o.tokens.map((t) => t.person)).size} person(s)${webConfig.trusted_header ? `, ${webConfig.trusted_header.header} from ${webConfig.trusted_header.proxies.join(' ')}` : ''}; sessions signed with ${sessions.from}`}\n`);
    return web;
  } catch (e) {
    const why = `cannot listen on ${o.listen.host}:${o.listen.port}: ${(e as Error).message}`;
    if (o.explicit) throw new CliExit(EXIT.error, why, 'E_WEB_LISTEN');
    io.err(`sluice serve: no dashboard (${why}); set web.listen or --listen, or --listen off\n`);
    return undefined;
  }
}

/** The configured triggers, each started by its driver: Gerrit's events start phase1 runs (and `run phase2` comments phase2). */
async function startTriggers(loaded: LoadedConfig, store: Store, io: Io, engine: { notify(): void }, log: (line: string) => void): Promise<StartedTrigger[]> {
  const started: StartedTrigger[] = [];
  try {
    for (const driver of DRIVERS.triggers) {
      const section = loaded.config.triggers[driver.type];
      if (section === undefined || !driver.start) continue;
      const follow = upstreamFollower(loaded, log);
      const trigger = await driver.start(section, {
        store, configDir: loaded.dir, env: io.env, log, notify: () => engine.notify(),
        ...(follow ? { onRefUpdated: follow } : {}),
        submit: (s) => submitPhase1({
          store, config: loaded.config, configHash: loaded.hash, file: s.file, bytes: s.bytes, author: s.author, now: Date.now(), runId: s.runId, productionKey: productionKeyOf(loaded),
          with: s.dependsOn ?? [], repoPath: loaded.resolvePath(loaded.config.update_repo),
        }),
        recheckFailed: (s) => recheckFailedOfContent(store, { runId: s.runId, bytes: s.bytes, file: s.file, now: Date.now(), ...(s.gerrit ? { gerrit: s.gerrit } : {}) }),
        startPhase2: async () => {
          const outcome = await triggerPipeline(loaded, store, 'phase2', Date.now());
          if (outcome.kind === 'nothing') return { refused: outcome.why };
          engine.notify();
          return { runId: outcome.runId, kind: outcome.kind };
        },
      });
      started.push(trigger);
      io.err(`sluice serve: ${trigger.description}\n`);
    }
    return started;
  } catch (e) {
    for (const trigger of started) await trigger.stop();
    if (e instanceof TriggerSetupError) throw new CliExit(EXIT.usage, `${loaded.config.file}: ${e.message}`, 'E_CONFIG_INVALID');
    throw e;
  }
}

/**
 * Reloads of sluice.yaml on SIGHUP (and through the admin API, given the reloader): each
 * builds a new engine from the file, validated first, and restarts the scheduler when the
 * schedules changed (docs/configuration.md, "Reloading without a restart").
 */
function startReloads(io: Io, slot: ConfigSlot, store: Store, engines: ServeEngines, log: (line: string) => void, restartScheduler: () => Promise<void>, origin: string | undefined): { reloader: ConfigReloader; stop(): Promise<void> } {
  const file = slot.current.config.file;
  const reloader = new ConfigReloader({
    slot, path: resolve(io.cwd, file), file, engines, store, workerId: processWorkerId(), log, now: () => Date.now(), restartScheduler,
    makeEngine: (next, workerId) => makeEngine(next, store, { log, env: io.env, workerId, ...(origin ? { origin } : {}) }),
  });
  const signal = reloadOnSighup(reloader, log);
  return { reloader, stop: async () => { signal.stop(); await reloader.close(); } };
}

/**
 * The URL other hosts' dashboards reach this one at, to read the logs of the jobs this serve
 * runs: the operator's, else where it listens (a wildcard address names this host instead).
 */
function advertisedUrl(given: string | undefined, listening: string, host: string): string {
  if (given !== undefined && given !== '') {
    let url: URL;
    try { url = new URL(given); } catch { throw new CliExit(EXIT.usage, `--advertise "${given}" is not a URL (e.g. http://ci1.example.org:8080)`, 'E_USAGE'); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliExit(EXIT.usage, `--advertise "${given}" must be an http or https URL`, 'E_USAGE');
    return given.replace(/\/+$/, '');
  }
  if (host !== '0.0.0.0' && host !== '::') return listening;
  return listening.replace(/^http:\/\/(\[::\]|0\.0\.0\.0)/, `http://${hostname()}`);
}
