import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/core/config.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { updatePreparer } from '../../src/drivers/prepare/update-preparer.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { mergeReporter } from '../../src/pipelines/phase1/merge-reporter.js';
import { Engine } from '../../src/engine/engine.js';
import type { NodeProvider } from '../../src/engine/node-provider.js';
import type { Store } from '../../src/store/index.js';
import { SITE_TEST } from './site.js';

/**
 * The site of the fault suites: two targets whose production is a local directory (no
 * network), the notes-driven smoke test of site.ts, and optionally a build source and the
 * `conflicts` check, so that each job fetches its builds before its test.
 */
export interface FaultSite {
  readonly dir: string;
  readonly config: Config;
  readonly repoPath: string;
}

export interface FaultSiteOptions {
  /** The `sources:` mapping, as YAML flow text. */
  readonly sources?: string;
  /** Name the `conflicts` check in phase1: each job fetches its builds first. */
  readonly fetchBuilds?: boolean;
  readonly retries?: number;
  readonly capacity?: number;
  readonly lease?: string;
  readonly store?: string;
}

export async function makeFaultSite(dir: string, o: FaultSiteOptions = {}): Promise<FaultSite> {
  mkdirSync(join(dir, 'tests'), { recursive: true });
  writeFileSync(join(dir, 'tests', 'smoke.sh'), SITE_TEST);
  chmodSync(join(dir, 'tests', 'smoke.sh'), 0o755);
  mkdirSync(join(dir, 'production'), { recursive: true });
  const production = `file://${join(dir, 'production')}`;
  const text = `releases: [kilo]
dists: { epel-7: { aliases: [el7] }, fedora-22: { aliases: [f22] } }
targets:
  kilo/epel-7: { repo: "${production}" }
  kilo/fedora-22: { repo: "${production}" }
${o.sources ? `sources: ${o.sources}\n` : ''}providers: { local: { type: local, capacity: ${o.capacity ?? 3} } }
pipelines: { phase1: { ${o.fetchBuilds ? 'checks: [conflicts], ' : ''}test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"', timeout: 1m, retries: ${o.retries ?? 2} } }
engine: { lease: ${o.lease ?? '2s'}, poll: 100ms, sweep: 200ms, retry_backoff: 50ms }
store: ${o.store ?? 'sqlite:.sluice/sluice.db'}
`;
  writeFileSync(join(dir, 'sluice.yaml'), text);
  const parsed = parseConfigText(text, join(dir, 'sluice.yaml'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const repoPath = join(dir, 'update-repo');
  await initUpdateRepo(repoPath);
  return { dir, config: parsed.config, repoPath };
}

/** An in-process engine on the site: its local provider (or `wrap` of it), the build preparer, the merge reporter. */
export function faultEngine(site: FaultSite, store: Store, o: { wrap?: (local: NodeProvider) => NodeProvider; leaseMs?: number } = {}): Engine {
  const local = localProvider({ name: 'local', capacity: site.config.providers.local?.capacity ?? 3, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 });
  return new Engine({
    store,
    providers: [o.wrap ? o.wrap(local) : local],
    preparer: updatePreparer({ config: site.config, configDir: site.dir, store, cacheDir: join(site.dir, 'cache'), logDir: join(site.dir, 'work'), now: () => Date.now() }),
    reporters: [mergeReporter({ repoPath: site.repoPath })],
    workerId: 'fault-worker', leaseMs: o.leaseMs ?? 2000, pollMs: 100, sweepEveryMs: 200, retryBackoffMs: 50,
  });
}

/** An update file: its notes (which drive the smoke test) and one build per dist. */
export function faultUpdate(notes: string, builds: readonly { readonly id: string; readonly dist: 'epel-7' | 'fedora-22' }[]): string {
  return `notes: ${notes}\nbuilds:\n${builds.map((b) => `  - id: ${b.id}\n    repo: kilo\n    dist: ${b.dist}\n`).join('')}`;
}
