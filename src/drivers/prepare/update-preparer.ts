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

export interface UpdatePreparerOptions {
  readonly config: Config;
  readonly configDir: string;
  readonly store: Pick<Store, 'recordRpms'>;
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
      const rpms: string[] = [];
      for (const build of ex.spec.builds) {
        const dest = buildCacheDir(o.cacheDir, build.source, build.id);
        const cached = await cachedBuild(dest);
        let fetched: FetchedRpm[];
        if (cached) {
          log(`== ${String(build.id)} from ${build.source}: fetched before, checksums verified`);
          fetched = cached;
        } else {
          log(`== fetching ${String(build.id)} from ${build.source}`);
          const source = sourceFor(build.source, o.config.sources, { configDir: o.configDir });
          if (!source.ok) return end(source.fault === 'update' ? 'failure' : 'infra', source.message);
          const got = await fetchAndRecord(source.value, build, dest, { store: o.store, sourceName: build.source, runId: ex.runId, now: o.now() }, ex.signal);
          // The source's own words name the URL; the operator also needs to know which source it was.
          if (!got.ok) return got.fault === 'update' ? end('failure', got.message) : end('infra', `fetching ${String(build.id)} from source ${build.source}: ${got.message}`);
          fetched = got.value;
          rememberBuild(dest, fetched);
        }
        for (const r of fetched) {
          log(`   ${r.name}  sha256 ${r.sha256}`);
          rpms.push(r.path);
        }
      }
      let repo: string;
      try {
        repo = (await makeRepository(rpms, o.cacheDir)).path;
        log(`== repository of the update: ${repo}`);
      } catch (e) {
        return end('infra', `cannot make the update's repository: ${(e as Error).message}`);
      }
      const releasever = /(\d+)$/.exec(ex.spec.target)?.[1] ?? '';
      const scratch = join(o.cacheDir, 'tmp');
      mkdirSync(scratch, { recursive: true });
      // A file: URL names a local directory, which the checks turn into a cached repository
      // when it holds bare RPMs (an air-gapped mirror, a test site).
      const url = ex.spec.productionRepo ?? '';
      const production = url.startsWith('file:') ? fileURLToPath(url) : url;
      for (const name of checks) {
        log(`== check ${name} against ${url || '(no production repository)'}`);
        const result = await BUILTIN_CHECKS[name]({ rpms, production, releasever, cacheDir: o.cacheDir, workDir: scratch, signal: ex.signal });
        log(result.log);
        for (const p of result.problems) log(`   ${p}`);
        if (result.status !== 'pass') return end(result.status, `${name}: ${result.summary}`);
        log(`   ${result.summary}`);
      }
      return { ok: true, env: {}, dirs: { SLUICE_UPDATE_REPO: repo }, logPath };
    },
  };
}
