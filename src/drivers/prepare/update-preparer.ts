import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CHECKS } from '../checks/index.js';
import type { Config } from '../../core/config.js';
import type { JobPreparer, Preparation } from '../../engine/job-preparer.js';
import type { Store } from '../../store/index.js';
import { jobSlug } from '../../engine/job-kind.js';
import { makeRepository } from '../rpm/repository.js';
import type { FetchedRpm } from '../sources/build-source.js';
import { fetchAndRecord } from '../sources/fetch-and-record.js';
import { buildCacheDir, cachedBuild, rememberBuild } from './build-cache.js';
import { sourceFor } from '../sources/registry.js';
import { installsUpdateBuilds } from '../../engine/job-spec.js';
import type { Build } from '../../core/update-schema.js';
import { Phase1InputsSchema } from '../../core/records/phase1.js';
import { inferCompanions } from './infer-companions.js';
import { pendingUpdates } from './pending-updates.js';
import type { CheckResult } from '../checks/check.js';
import type { Unsatisfied } from '../checks/installable.js';

export interface UpdatePreparerOptions {
  readonly config: Config;
  readonly configDir: string;
  readonly store: Pick<Store, 'recordRpms' | 'listRuns' | 'getRun' | 'inferDependencies' | 'addJobTestedWith'>;
  /** The update repository's working copy: its updates/ and ready/ are pending updates a job may need. */
  readonly repoPath?: string;
  /** Fetched builds and content-addressed repositories, shared by jobs. */
  readonly cacheDir: string;
  /** Where preparation logs go: <logDir>/<run>/<target>-a<attempt>-prepare.log. */
  readonly logDir: string;
  readonly now: () => number;
}

/**
 * What the 2015 RDO jobs did by hand before testing (rdoupdate download, createrepo, yum
 * install), for every phase1 job, phase2's preinstall nodes and any job whose pipeline names
 * built-in checks: fetch each build from its source
 * (recording every RPM's SHA-256), make the update's repository, run the checks against
 * the target's production repository. The node receives the repository (the provider
 * delivers it) and the test command finds it in $SLUICE_UPDATE_REPO.
 */
export function updatePreparer(o: UpdatePreparerOptions): JobPreparer {
  return {
    async prepare(ex): Promise<Preparation> {
      const checks = ex.spec.checks ?? [];
      // Testing the update's RPMs is what phase1 is for, and phase2's preinstall nodes point
      // the installer itself at them: both get the repository, checks or not. A site that
      // configures no source at all fetches nothing (its commands get no repository).
      const needsRepo = installsUpdateBuilds(ex.spec) && ex.spec.builds.length > 0 && Object.keys(o.config.sources).length > 0;
      if (checks.length === 0 && !needsRepo) return { ok: true, env: {} };
      const logPath = join(o.logDir, ex.runId, `${jobSlug(ex.runId, ex.jobId)}-a${ex.attempt}-prepare.log`);
      mkdirSync(join(o.logDir, ex.runId), { recursive: true });
      const log = (text: string) => appendFileSync(logPath, text.endsWith('\n') ? text : `${text}\n`);
      const end = (result: 'failure' | 'infra', reason: string): Preparation => {
        log(`${result === 'failure' ? 'FAILED' : 'INFRA'}: ${reason}`);
        return { ok: false, outcome: { result, reason, node: 'prepare', logPath } };
      };
      const fetchBuilds = async (builds: readonly Build[]): Promise<string[] | { fault: 'failure' | 'infra'; message: string }> => {
        const paths: string[] = [];
        for (const build of builds) {
          const got = await fetchBuild(o, build, ex.runId, log, ex.signal);
          if (!Array.isArray(got)) return got;
          paths.push(...got);
        }
        return paths;
      };
      const own = await fetchBuilds(ex.spec.builds);
      if (!Array.isArray(own)) return end(own.fault, own.message);
      const rpms: string[] = [...own];
      // Updates it needs (docs/lifecycle.md, "Updates that need each other"): their builds go
      // into the same repository. One that cannot be fetched is not this update's fault.
      const testedWith = [...(ex.spec.testedWith ?? [])];
      for (const c of testedWith) {
        log(`== tested with ${c.id} (${c.how}): ${c.why}`);
        const got = await fetchBuilds(c.builds);
        if (!Array.isArray(got)) return end('infra', `fetching the builds of ${c.id}, which ${ex.spec.updateId} is tested with: ${got.message}`);
        rpms.push(...got);
      }
      const releasever = /(\d+)$/.exec(ex.spec.target)?.[1] ?? '';
      const scratch = join(o.cacheDir, 'tmp');
      mkdirSync(scratch, { recursive: true });
      // A file: URL names a local directory, which the checks turn into a cached repository
      // when it holds bare RPMs (an air-gapped mirror, a test site).
      const url = ex.spec.productionRepo ?? '';
      const production = url.startsWith('file:') ? fileURLToPath(url) : url;
      // What the update needs and production lacks, from the pending updates (docs/lifecycle.md):
      // only once the installable check has failed for want of something, so a passing update
      // costs nothing more, and a pipeline without that check never runs dnf for it (a dnf
      // resolution per job would cost every job seconds).
      const canInfer = ex.spec.inferDependencies === true && url !== '' && o.repoPath !== undefined;
      const infer = async (known?: readonly Unsatisfied[]): Promise<boolean> => {
        log(`== looking among pending updates for what the update needs and ${url} lacks`);
        const pending = await pendingUpdates({ config: o.config, store: o.store, ...(o.repoPath ? { repoPath: o.repoPath } : {}) }, ex.spec.target, new Set([ex.spec.updateId, ...testedWith.map((c) => c.id)]));
        const inferred = await inferCompanions({
          rpms, pending, production, releasever, cacheDir: o.cacheDir, workDir: scratch, signal: ex.signal, log, ...(known ? { known } : {}),
          rpmsOf: async (u) => {
            const got = await fetchBuilds(u.builds);
            return Array.isArray(got) ? got : got.message;
          },
        });
        if (inferred.length === 0) log('   none of them provides it');
        for (const c of inferred) rpms.push(...c.rpms);
        const found = inferred.map((c) => ({ id: c.update.id, contentHash: c.update.contentHash, how: 'inferred' as const, why: c.why, builds: c.update.builds }));
        if (found.length === 0) return false;
        testedWith.push(...found);
        await o.store.addJobTestedWith({ jobId: ex.jobId, testedWith: found });
        const run = await o.store.getRun(ex.runId);
        const contentHash = Phase1InputsSchema.safeParse(run?.inputs).data?.contentHash;
        if (contentHash) await o.store.inferDependencies({ updateId: ex.spec.updateId, contentHash, dependsOn: found.map((f) => ({ id: f.id, why: f.why })), now: o.now() });
        return true;
      };
      const repository = async (): Promise<string | Preparation> => {
        try {
          const made = (await makeRepository(rpms, o.cacheDir)).path;
          log(`== repository of the update: ${made}`);
          return made;
        } catch (e) {
          return end('infra', `cannot make the update's repository: ${(e as Error).message}`);
        }
      };
      let repo = await repository();
      if (typeof repo !== 'string') return repo;
      let inferredOnce = false;
      for (let i = 0; i < checks.length; i++) {
        const name = checks[i] as (typeof checks)[number];
        log(`== check ${name} against ${url || '(no production repository)'}`);
        const result: CheckResult & { unsatisfied?: readonly Unsatisfied[] } = await BUILTIN_CHECKS[name]({ rpms, production, releasever, cacheDir: o.cacheDir, workDir: scratch, signal: ex.signal });
        log(result.log);
        for (const p of result.problems) log(`   ${p}`);
        if (result.status === 'failure' && name === 'installable' && canInfer && !inferredOnce && (result.unsatisfied ?? []).length > 0) {
          inferredOnce = true;
          if (await infer(result.unsatisfied)) {
            repo = await repository();
            if (typeof repo !== 'string') return repo;
            i = -1; // every check again, on the update with what it needs
            continue;
          }
        }
        if (result.status !== 'pass') return end(result.status, `${name}: ${result.summary}`);
        log(`   ${result.summary}`);
      }
      return { ok: true, env: {}, dirs: { SLUICE_UPDATE_REPO: repo }, logPath };
    },
  };
}

/** One build's RPM paths, from the cache or fetched (and recorded) now. */
async function fetchBuild(o: UpdatePreparerOptions, build: Build, runId: string, log: (text: string) => void, signal?: AbortSignal): Promise<string[] | { fault: 'failure' | 'infra'; message: string }> {
  const dest = buildCacheDir(o.cacheDir, build.source, build.id);
  const cached = await cachedBuild(dest);
  let fetched: FetchedRpm[];
  if (cached) {
    log(`== ${String(build.id)} from ${build.source}: fetched before, checksums verified`);
    fetched = cached;
  } else {
    log(`== fetching ${String(build.id)} from ${build.source}`);
    const source = sourceFor(build.source, o.config.sources, { configDir: o.configDir });
    if (!source.ok) return { fault: source.fault === 'update' ? 'failure' : 'infra', message: source.message };
    const got = await fetchAndRecord(source.value, build, dest, { store: o.store, sourceName: build.source, runId, now: o.now() }, signal);
    // The source's own words name the URL; the operator also needs to know which source it was.
    if (!got.ok) return got.fault === 'update' ? { fault: 'failure', message: got.message } : { fault: 'infra', message: `fetching ${String(build.id)} from source ${build.source}: ${got.message}` };
    fetched = got.value;
    rememberBuild(dest, fetched);
  }
  for (const r of fetched) log(`   ${r.name}  sha256 ${r.sha256}`);
  return fetched.map((r) => r.path);
}
