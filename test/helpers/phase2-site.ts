import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/core/config.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { updatePreparer } from '../../src/drivers/prepare/update-preparer.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { mergeReporter } from '../../src/pipelines/phase1/merge-reporter.js';
import { phase2Reporter } from '../../src/pipelines/phase2/reporter.js';
import { mergeUpdate } from '../../src/drivers/repo/update-repo.js';
import { Engine } from '../../src/engine/engine.js';
import type { NodeProvider } from '../../src/engine/node-provider.js';
import { phase2Controller } from '../../src/pipelines/phase2/controller.js';
import type { Store } from '../../src/store/index.js';
import { buildRpm } from './rpm.js';

/**
 * A site for phase2 tests with real RPMs: each update is one package built with rpmbuild
 * into builds/<nvr>/, production is a directory of RPMs, and the phase2 test command
 * fails when an update of its group says "breaks phase2" in its notes (the culprit).
 */
export const PHASE2_TEST = `#!/bin/sh
echo "phase2 install=$SLUICE_INSTALL_MODE updates=$SLUICE_UPDATES target=$SLUICE_TARGET"
test -f "$SLUICE_UPDATE_REPO/repodata/repomd.xml" || { echo "Error: no update repository before the installer ran"; exit 2; }
for f in "$SLUICE_UPDATE_DIR"/*.yml; do
  if grep -q "breaks phase2" "$f"; then
    echo "Error: Execution of '/usr/bin/packstack --allinone' returned 1: $(basename "$f" .yml) broke the installer"
    exit 1
  fi
done
echo "All tests passed"
`;

/** The stage test: the stage tree must be a repository holding every RPM of the updates. */
export const STAGE_TEST = `#!/bin/sh
echo "stage=$SLUICE_STAGE_REPO updates=$SLUICE_UPDATES"
test -f "$SLUICE_STAGE_REPO/repodata/repomd.xml" || { echo "Error: stage has no repodata"; exit 1; }
for id in $SLUICE_UPDATES; do
  ls "$SLUICE_STAGE_REPO" | grep -q "^python-$id-" || { echo "Error: $id is not in stage"; exit 1; }
done
echo "stage OK"
`;

export interface Phase2Site {
  readonly dir: string;
  readonly config: Config;
  readonly repoPath: string;
}

export async function makePhase2Site(dir: string, opts: { checks?: boolean; capacity?: number } = {}): Promise<Phase2Site> {
  mkdirSync(join(dir, 'tests'), { recursive: true });
  writeFileSync(join(dir, 'tests', 'phase2.sh'), PHASE2_TEST);
  chmodSync(join(dir, 'tests', 'phase2.sh'), 0o755);
  writeFileSync(join(dir, 'tests', 'stage.sh'), STAGE_TEST);
  chmodSync(join(dir, 'tests', 'stage.sh'), 0o755);
  buildRpm(join(dir, 'rpmbuild'), join(dir, 'production'), { name: 'python-oslo-concurrency', version: '1.4.1', release: '1.el7' });
  const checks = opts.checks ? 'checks: [conflicts, upgrade, installable], ' : '';
  const text = `releases: [kilo]
dists: { epel-7: { aliases: [el7] }, fedora-22: { aliases: [f22] } }
targets:
  kilo/epel-7: { repo: "file://${join(dir, 'production')}" }
  kilo/fedora-22: { repo: "file://${join(dir, 'production')}" }
sources: { koji: { type: local, path: builds } }
providers: { local: { type: local, capacity: ${opts.capacity ?? 3} } }
pipelines:
  phase1: { test: "true" }
  phase2: { ${checks}test: '"$SLUICE_CONFIG_DIR/tests/phase2.sh"', timeout: 1m, retries: 1 }
  promote: { test: '"$SLUICE_CONFIG_DIR/tests/stage.sh"', timeout: 1m, retries: 1 }
promote: { production: published, stage: .sluice/stage }
engine: { lease: 5s, poll: 100ms, sweep: 200ms, retry_backoff: 50ms }
`;
  writeFileSync(join(dir, 'sluice.yaml'), text);
  const parsed = parseConfigText(text, join(dir, 'sluice.yaml'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const repoPath = join(dir, 'update-repo');
  await initUpdateRepo(repoPath);
  return { dir, config: parsed.config, repoPath };
}

/** Builds the update's package and merges its file into updates/, as a passing phase1 would. */
export async function addUpdate(site: Phase2Site, id: string, opts: { notes?: string; requires?: string[]; dists?: ('el7' | 'f22')[] } = {}): Promise<void> {
  const dists = opts.dists ?? ['el7'];
  const builds = dists.map((d) => {
    const nvr = `python-${id}-1.0-1.${d === 'el7' ? 'el7' : 'fc22'}`;
    buildRpm(join(site.dir, 'rpmbuild'), join(site.dir, 'builds', nvr), { name: `python-${id}`, version: '1.0', release: `1.${d === 'el7' ? 'el7' : 'fc22'}`, requires: opts.requires ?? [] });
    return `  - id: ${nvr}\n    repo: kilo\n    dist: ${d}\n`;
  });
  const content = `notes: ${opts.notes ?? `update ${id}`}\nbuilds:\n${builds.join('')}`;
  await mergeUpdate({ repoPath: site.repoPath, updateId: id, content, author: { name: `Packager ${id}`, email: `${id}@example.org` }, runId: `p1-${id}` });
}

export function phase2Engine(site: Phase2Site, store: Store, workerId = 'p2-worker', providers?: NodeProvider[]): Engine {
  return new Engine({
    store,
    providers: providers ?? [localProvider({ name: 'local', capacity: site.config.providers.local?.capacity ?? 3, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 })],
    preparer: updatePreparer({ config: site.config, configDir: site.dir, store, cacheDir: join(site.dir, 'cache'), logDir: join(site.dir, 'work'), now: () => Date.now() }),
    reporters: [mergeReporter({ repoPath: site.repoPath }), phase2Reporter({ repoPath: site.repoPath, store, now: () => Date.now() })],
    controllers: [phase2Controller({ config: site.config, store, now: () => Date.now() })],
    workerId, leaseMs: 5000, pollMs: 100, sweepEveryMs: 200, retryBackoffMs: 50,
  });
}
