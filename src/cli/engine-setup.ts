import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { updatePreparer } from '../drivers/prepare/index.js';
import { makeProviders, removePrunedImage } from '../drivers/providers/configured-providers.js';
import { ProviderSetupError, type ProviderSite } from '../drivers/providers/provider-driver.js';
import { DRIVERS } from '../drivers/registry.js';
import { TriggerSetupError } from '../drivers/trigger-driver.js';
import { productionKey } from '../drivers/rpm/index.js';
import { ensureWorkingCopy, initUpdateRepo, UpstreamError } from '../drivers/repo/index.js';
import type { PromoteControllerOptions } from '../pipelines/promote/controller.js';
import { analysisFromConfig } from '../analysis/from-config.js';
import { jobAnalyzer } from '../analysis/job-analyzer.js';
import { Engine, type RunReporter } from '../engine/engine.js';
import { requestBaselineRun } from '../pipelines/images/images.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import { pipelineEngineParts, pipelineNamed } from '../pipelines/registry.js';
import type { JobSpec } from '../engine/job-spec.js';
import { newRunId } from '../engine/hash.js';
import type { NodeProvider } from '../engine/node-provider.js';
import type { ImageRecord, Store } from '../store/index.js';
import type { LoadedConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import { followUpstream, upstreamOf } from './update-repo-setup.js';

const ms = (d: string): number => parseDuration(d) ?? 1000;

/** The composition root: the engine with the drivers the configuration names. */
export async function makeEngine(loaded: LoadedConfig, store: Store, opts: { pollMs?: number; log?: (line: string) => void; env?: Readonly<Record<string, string | undefined>>; workerId?: string; origin?: string } = {}): Promise<Engine> {
  const { config } = loaded;
  const providers = providersFor(loaded, { env: opts.env ?? process.env, note: (line) => (opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line) });
  const repoPath = loaded.resolvePath(config.update_repo);
  await ensureUpdateRepo(loaded, repoPath);
  const workDir = loaded.resolvePath(config.work_dir);
  const analysis = analysisFromConfig(config.analysis);
  if (!analysis.ok) throw new CliExit(EXIT.usage, `${config.file}: ${analysis.problems.join('; ')}`, 'E_CONFIG_INVALID');
  const preparer = updatePreparer({ config, configDir: loaded.dir, store, repoPath, cacheDir: cacheDirOf(loaded), logDir: workDir, now: () => Date.now() });
  const ctx: PipelineContext = {
    config, configDir: loaded.dir, store, repoPath, cacheDir: cacheDirOf(loaded),
    stageRoot: loaded.resolvePath(config.promote.stage), productionRoot: loaded.resolvePath(config.promote.production), now: () => Date.now(),
    productionKey: productionKeyOf(loaded),
    removeImage: (image) => removePrunedImage(DRIVERS.providers, config.providers, providers, image, providerSite(loaded, { env: opts.env ?? process.env, note: () => {} })),
  };
  // The reporters that write the update repository pull and push its upstream around them,
  // and leave the merge to Gerrit for the changes it submits.
  const repoReporters: RunReporter[] = [];
  const otherReporters: RunReporter[] = [];
  const parts = pipelineEngineParts(ctx, (p, r) => {
    if (p.writesUpdateRepo) repoReporters.push(followUpstream(loaded, r, [p.name]));
    else otherReporters.push(r);
    return r;
  });
  const repoWrites: RunReporter = { async report(run, jobs) { for (const r of repoReporters) await r.report(run, jobs); } };
  return new Engine({
    store, providers, preparer,
    analyzer: jobAnalyzer({ store, patterns: analysis.patterns, infraRules: analysis.infraRules, referenceClass, requestBaseline: (target) => requestBaseline(loaded, store, target), ...(opts.log ? { log: opts.log } : {}) }),
    reporters: [...triggerReporters(loaded, store, repoWrites, opts), ...otherReporters],
    controllers: parts.controllers,
    workerId: opts.workerId ?? processWorkerId(),
    ...(opts.origin === undefined ? {} : { origin: opts.origin }),
    leaseMs: ms(config.engine.lease), pollMs: opts.pollMs ?? ms(config.engine.poll), sweepEveryMs: ms(config.engine.sweep), retryBackoffMs: ms(config.engine.retry_backoff), interruptedAttempts: config.engine.interrupted_attempts, semaphores: config.engine.semaphores,
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/** Deletes a pruned image through the driver of the provider that made it (as the images pipeline does). */
export function imageRemover(loaded: LoadedConfig, env: Readonly<Record<string, string | undefined>>): (image: ImageRecord) => Promise<void> {
  // Made at the first image to remove: a prune with nothing of the cloud's to delete needs no cloud credentials.
  let providers: NodeProvider[] | undefined;
  return (image) => {
    providers ??= providersFor(loaded, { env, note: () => {} });
    return removePrunedImage(DRIVERS.providers, loaded.config.providers, providers, image, providerSite(loaded, { env, note: () => {} }));
  };
}

/** This process's worker id: `host:pid`. An engine replaced by a reload keeps it; its successor adds `/2`, `/3`... */
export function processWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * The providers the configuration names, each made by its driver (src/drivers/registry.ts).
 * `env` holds the cloud passwords' variables; `note` hears what is left out. Commands call
 * it once before writing anything, to stop early on a bad provider, and makeEngine again.
 */
export function providersFor(loaded: LoadedConfig, setup: { env: Readonly<Record<string, string | undefined>>; note: (line: string) => void } = { env: process.env, note: () => {} }): NodeProvider[] {
  try {
    return makeProviders(DRIVERS.providers, loaded.config.providers, providerSite(loaded, setup));
  } catch (e) {
    if (e instanceof ProviderSetupError) throw new CliExit(EXIT.usage, `${loaded.config.file}: ${e.message}`, 'E_CONFIG_INVALID');
    throw e;
  }
}

function providerSite(loaded: LoadedConfig, setup: { env: Readonly<Record<string, string | undefined>>; note: (line: string) => void }): ProviderSite {
  return {
    workDir: loaded.resolvePath(loaded.config.work_dir), configDir: loaded.dir, imagesDir: imagesDirOf(loaded),
    env: setup.env, targets: loaded.config.targets, note: setup.note, log: (l) => process.stderr.write(`${l}\n`),
  };
}

/** A new update repository, or with an upstream, its clone (pulls happen when a pipeline reads it and around reports). */
async function ensureUpdateRepo(loaded: LoadedConfig, repoPath: string): Promise<void> {
  const upstream = upstreamOf(loaded);
  if (!upstream) {
    if (!existsSync(join(repoPath, '.git'))) await initUpdateRepo(repoPath);
    return;
  }
  try {
    await ensureWorkingCopy(repoPath, upstream);
  } catch (e) {
    if (e instanceof UpstreamError) throw new CliExit(EXIT.error, `${loaded.config.file}: ${e.message}`, 'E_UPSTREAM');
    throw e;
  }
}

/** Fetched builds and repositories, shared by jobs and promote: beside the work directory. */
export function cacheDirOf(loaded: LoadedConfig): string {
  return resolve(loaded.resolvePath(loaded.config.work_dir), '..', 'cache');
}

export function promoteOptions(loaded: LoadedConfig, store: Store): PromoteControllerOptions {
  return {
    config: loaded.config, configDir: loaded.dir, store, cacheDir: cacheDirOf(loaded),
    stageRoot: loaded.resolvePath(loaded.config.promote.stage), productionRoot: loaded.resolvePath(loaded.config.promote.production), now: () => Date.now(),
  };
}

/** A reference run of a target's baseline, unless one is already queued or running. */
export async function requestBaseline(loaded: LoadedConfig, store: Store, target: string): Promise<string | undefined> {
  const now = Date.now();
  return requestBaselineRun({ store, config: loaded.config, target, now, runId: newRunId(now) });
}

/** The passing jobs a failing job's log is compared with: its pipeline says which. */
function referenceClass(spec: JobSpec): string {
  return pipelineNamed(spec.pipeline)?.referenceClass(spec) ?? `${spec.pipeline}/`;
}

/** The local merge and the reporters of every configured trigger that reports (Gerrit's votes), through their drivers. */
function triggerReporters(loaded: LoadedConfig, store: Store, merge: RunReporter, opts: { log?: (line: string) => void; env?: Readonly<Record<string, string | undefined>> }): RunReporter[] {
  const site = { store, configDir: loaded.dir, env: opts.env ?? process.env, ...(opts.log ? { log: opts.log } : {}) };
  const own: RunReporter[] = [];
  let localMerge = merge;
  try {
    for (const driver of DRIVERS.triggers) {
      const section = loaded.config.triggers[driver.type];
      if (section === undefined || !driver.reporters) continue;
      const made = driver.reporters(section, site, localMerge);
      localMerge = made.merge;
      own.push(...made.reporters);
    }
  } catch (e) {
    if (e instanceof TriggerSetupError) throw new CliExit(EXIT.usage, `${loaded.config.file}: ${e.message}`, 'E_CONFIG_INVALID');
    throw e;
  }
  return [localMerge, ...own];
}

/** Archives of local nodes' roots kept as images: beside the work directory. */
export function imagesDirOf(loaded: LoadedConfig): string {
  return resolve(loaded.resolvePath(loaded.config.work_dir), '..', 'images');
}

/** What each target's production repository holds now (its repomd.xml's SHA-256), for image freshness. */
export function productionKeyOf(loaded: LoadedConfig): (target: string) => Promise<string | undefined> {
  return async (target) => {
    const repo = loaded.config.targets[target]?.repo;
    return repo ? productionKey(repo, { timeoutMs: 5000 }) : undefined;
  };
}
