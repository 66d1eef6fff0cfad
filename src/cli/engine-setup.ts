import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { updatePreparer } from '../drivers/prepare/update-preparer.js';
import { localProviderFromConfig } from '../drivers/providers/local/local-config.js';
import { parseOpenStackConfig, secretEnvOf } from '../drivers/providers/openstack/config.js';
import { openstackProviderFromConfig } from '../drivers/providers/openstack/from-config.js';
import { isOpenStackProvider } from '../drivers/providers/openstack/openstack-provider.js';
import { sshSettings } from '../drivers/providers/ssh/ssh-config.js';
import { sshProvider } from '../drivers/providers/ssh/ssh-provider.js';
import { removeImage } from '../drivers/providers/local/local-images.js';
import { productionKey } from '../drivers/rpm/production-key.js';
import { initUpdateRepo } from '../drivers/repo/layout.js';
import { ensureWorkingCopy, UpstreamError } from '../drivers/repo/upstream.js';
import { mergeReporter } from '../drivers/repo/merge-reporter.js';
import { phase2Reporter } from '../drivers/repo/phase2-reporter.js';
import { promoteReporter } from '../drivers/repo/promote-reporter.js';
import { promoteController, type PromoteControllerOptions } from '../drivers/publish/promote-controller.js';
import { phase2Controller } from '../engine/phase2.js';
import { analysisFromConfig } from '../analysis/from-config.js';
import { jobAnalyzer } from '../analysis/job-analyzer.js';
import { Engine, type RunReporter } from '../engine/engine.js';
import { gerritRefOf } from '../drivers/gerrit/ledger.js';
import { gerritReporter } from '../drivers/gerrit/reporter.js';
import { GerritSetupError, gerritRestFromConfig } from '../drivers/gerrit/start-trigger.js';
import { imagesReporter, submitImages } from '../engine/images.js';
import { newRunId } from '../engine/hash.js';
import type { NodeProvider } from '../engine/node-provider.js';
import type { Store } from '../store/index.js';
import type { LoadedConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import { followUpstream, upstreamOf } from './update-repo-setup.js';

const ms = (d: string): number => parseDuration(d) ?? 1000;

/** The composition root: the engine with the drivers the configuration names. */
export async function makeEngine(loaded: LoadedConfig, store: Store, opts: { pollMs?: number; log?: (line: string) => void; env?: Readonly<Record<string, string | undefined>> } = {}): Promise<Engine> {
  const { config } = loaded;
  const providers = providersFor(loaded, { env: opts.env ?? process.env, note: (line) => (opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line) });
  const repoPath = loaded.resolvePath(config.update_repo);
  await ensureUpdateRepo(loaded, repoPath);
  const workDir = loaded.resolvePath(config.work_dir);
  const analysis = analysisFromConfig(config.analysis);
  if (!analysis.ok) throw new CliExit(EXIT.usage, `${config.file}: ${analysis.problems.join('; ')}`, 'E_CONFIG_INVALID');
  const preparer = updatePreparer({ config, configDir: loaded.dir, store, cacheDir: cacheDirOf(loaded), logDir: workDir, now: () => Date.now() });
  return new Engine({
    store, providers, preparer,
    analyzer: jobAnalyzer({ store, patterns: analysis.patterns, infraRules: analysis.infraRules, requestBaseline: (target) => requestBaseline(loaded, store, target), ...(opts.log ? { log: opts.log } : {}) }),
    reporters: [
      ...gerritReporters(loaded, store, followUpstream(loaded, mergeReporter({ repoPath }), ['phase1']), opts),
      followUpstream(loaded, phase2Reporter({ repoPath, store, now: () => Date.now() }), ['phase2']),
      followUpstream(loaded, promoteReporter({ repoPath, store, now: () => Date.now() }), ['promote']), imagesReporter({
      store, now: () => Date.now(), productionKey: productionKeyOf(loaded), keep: config.images.keep,
      removeImage: async (image) => {
        const type = config.providers[image.provider]?.type;
        if (type === 'local') removeImage(imagesDirOf(loaded), image.name);
        const cloud = type === 'openstack' ? providers.find((p) => p.name === image.provider) : undefined;
        if (cloud && isOpenStackProvider(cloud)) await cloud.deleteImage(image.location);
      },
    })],
    controllers: [phase2Controller({ config, store, now: () => Date.now() }), promoteController(promoteOptions(loaded, store))],
    workerId: `${hostname()}:${process.pid}`,
    leaseMs: ms(config.engine.lease), pollMs: opts.pollMs ?? ms(config.engine.poll), sweepEveryMs: ms(config.engine.sweep), retryBackoffMs: ms(config.engine.retry_backoff), interruptedAttempts: config.engine.interrupted_attempts, semaphores: config.engine.semaphores,
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/** The node providers of the configuration; refuses one that a target uses but this version cannot run. */
/**
 * The providers the configuration names. `env` holds the cloud passwords' variables; `note`
 * hears what is left out. Commands call it once before writing anything, to stop early on
 * a bad provider, and makeEngine again.
 */
export function providersFor(loaded: LoadedConfig, setup: { env: Readonly<Record<string, string | undefined>>; note: (line: string) => void } = { env: process.env, note: () => {} }): NodeProvider[] {
  const { config } = loaded;
  const providers: NodeProvider[] = [];
  for (const [name, p] of Object.entries(config.providers)) {
    if (p.type === 'local') {
      const local = localProviderFromConfig(name, p, { workDir: loaded.resolvePath(config.work_dir), configDir: loaded.dir, imagesDir: imagesDirOf(loaded), log: (l) => process.stderr.write(`${l}\n`) });
      if (!local.ok) throw new CliExit(EXIT.usage, `${config.file}: providers.${name}.${local.key}: ${local.message}`, 'E_CONFIG_INVALID');
      providers.push(local.provider);
    } else if (p.type === 'ssh') {
      const ssh = sshSettings(p, (f) => loaded.resolvePath(f));
      if (!ssh.ok) throw new CliExit(EXIT.usage, `${config.file}: providers.${name}.${ssh.key}: ${ssh.message}`, 'E_CONFIG_INVALID');
      providers.push(sshProvider({ name, workDir: loaded.resolvePath(config.work_dir), configDir: loaded.dir, ...ssh.settings }));
    } else if (p.type === 'openstack') {
      // A cloud no target uses runs no job: without its password it is left out (its orphan
      // sweep with it) rather than stopping every command of a site that only declares it.
      // Validated first all the same: a password pasted where the variable's name belongs is
      // refused (never echoed), whether a target uses the provider or not.
      try {
        const { variable } = secretEnvOf(parseOpenStackConfig(name, p));
        if (!Object.values(config.targets).some((t) => t.provider === name) && !setup.env[variable]) {
          setup.note(`note: provider ${name} is not used by any target and $${variable} is not set: left out`);
          continue;
        }
        providers.push(openstackProviderFromConfig(name, p, { configDir: loaded.dir, workDir: loaded.resolvePath(config.work_dir), env: setup.env, targets: config.targets }));
      } catch (e) {
        throw new CliExit(EXIT.usage, `${config.file}: ${(e as Error).message}`, 'E_CONFIG_INVALID');
      }
    } else if (Object.values(config.targets).some((t) => t.provider === name)) {
      throw new CliExit(EXIT.usage, `provider "${name}" has type ${p.type}, which this version cannot run yet (only local, ssh and openstack)`, 'E_CONFIG_INVALID');
    }
  }
  return providers;
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
  const going = await store.listRuns({ unfinished: true, limit: 200 });
  if (going.some((r) => r.pipeline === 'images' && r.inputs.targets.includes(target))) return undefined;
  const now = Date.now();
  const r = await submitImages({ store, config: loaded.config, targets: [target], now, runId: newRunId(now) });
  return r.ok ? r.runId : undefined;
}

/**
 * With Gerrit configured, every engine reports Gerrit's runs (any worker may drain the
 * outbox), so each needs the REST password; when Gerrit submits passing changes, the
 * local merge is left to Gerrit for the runs it triggered.
 */
function gerritReporters(loaded: LoadedConfig, store: Store, merge: RunReporter, opts: { log?: (line: string) => void; env?: Readonly<Record<string, string | undefined>> }): RunReporter[] {
  const gerrit = loaded.config.gerrit;
  if (!gerrit) return [merge];
  let rest;
  try {
    rest = gerritRestFromConfig(gerrit, opts.env ?? process.env);
  } catch (e) {
    if (e instanceof GerritSetupError) throw new CliExit(EXIT.usage, `${loaded.config.file}: ${e.message}`, 'E_CONFIG_INVALID');
    throw e;
  }
  const reporter = gerritReporter({ rest, store, labels: gerrit.labels, submit: gerrit.submit, ...(gerrit.web_url ? { webUrl: gerrit.web_url } : {}), ...(opts.log ? { log: opts.log } : {}) });
  const localMerge: RunReporter = gerrit.submit
    ? { async report(run, jobs) { if (!(await gerritRefOf(store, run))) await merge.report(run, jobs); } }
    : merge;
  return [localMerge, reporter];
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
