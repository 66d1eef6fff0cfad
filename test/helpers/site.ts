import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/core/config.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { mergeReporter } from '../../src/pipelines/phase1/merge-reporter.js';
import { Engine } from '../../src/engine/engine.js';
import type { NodeProvider } from '../../src/engine/node-provider.js';
import { newRunId } from '../../src/engine/hash.js';
import { submitPhase1 } from '../../src/pipelines/phase1/submit.js';
import type { Store } from '../../src/store/index.js';

/**
 * A real site for engine tests: a config, a smoke test script that really runs, and a
 * git update repository. The script's behaviour per target comes from the update notes
 * (`fail on kilo/fedora-22`, `sleep 30`...), so each test says what it wants in the file.
 */
export const SITE_TEST = `#!/bin/sh
echo "update=$SLUICE_UPDATE target=$SLUICE_TARGET mode=$SLUICE_NODE_MODE builds=$SLUICE_BUILDS repo=\${SLUICE_UPDATE_REPO:-none}"
notes=$(sed -n 's/^notes: //p' "$SLUICE_UPDATE_FILE")
case "$notes" in
  *"sleep "*) sleep "$(echo "$notes" | sed 's/.*sleep \\([0-9.]*\\).*/\\1/')" ;;
esac
case "$notes" in
  *"flood"*) yes "flood flood flood" ;;
esac
case "$notes" in
  *"fail on $SLUICE_TARGET"*) echo "Error: Package: broken on $SLUICE_TARGET"; exit 1 ;;
esac
echo ok
`;

export interface Site {
  readonly dir: string;
  readonly config: Config;
  readonly repoPath: string;
  readonly configText: string;
}

export async function makeSite(dir: string, extra: { timeout?: string; retries?: number; capacity?: number; store?: string; lease?: string; interruptedAttempts?: number } = {}): Promise<Site> {
  mkdirSync(join(dir, 'tests'), { recursive: true });
  writeFileSync(join(dir, 'tests', 'smoke.sh'), SITE_TEST);
  chmodSync(join(dir, 'tests', 'smoke.sh'), 0o755);
  const configText = `releases: [kilo, liberty]
dists: { epel-7: { aliases: [el7] }, fedora-22: { aliases: [f22] } }
targets:
  kilo/epel-7: { repo: "https://example.org/kilo/el7/", image: img-kilo-el7 }
  kilo/fedora-22: { repo: "https://example.org/kilo/f22/", image: img-kilo-f22 }
  liberty/epel-7: { repo: "https://example.org/liberty/el7/" }
providers: { local: { type: local, capacity: ${extra.capacity ?? 3} } }
pipelines: { phase1: { test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"', timeout: ${extra.timeout ?? '1m'}, retries: ${extra.retries ?? 2} } }
engine: { lease: ${extra.lease ?? '2s'}, poll: 100ms, sweep: 200ms, retry_backoff: 50ms${extra.interruptedAttempts === undefined ? '' : `, interrupted_attempts: ${extra.interruptedAttempts}`} }
store: ${extra.store ?? 'sqlite:.sluice/sluice.db'}
`;
  writeFileSync(join(dir, 'sluice.yaml'), configText);
  const parsed = parseConfigText(configText, join(dir, 'sluice.yaml'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const repoPath = join(dir, 'update-repo');
  await initUpdateRepo(repoPath);
  return { dir, config: parsed.config, repoPath, configText };
}

export function siteEngine(site: Site, store: Store, opts: { workerId?: string; providers?: NodeProvider[]; maxLogBytes?: number; leaseMs?: number } = {}): Engine {
  const local = localProvider({ name: 'local', capacity: site.config.providers.local?.capacity ?? 3, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300, ...(opts.maxLogBytes ? { maxLogBytes: opts.maxLogBytes } : {}) });
  return new Engine({
    store, providers: opts.providers ?? [local], reporters: [mergeReporter({ repoPath: site.repoPath })],
    workerId: opts.workerId ?? 'test-worker', leaseMs: opts.leaseMs ?? 2000, pollMs: 100, sweepEveryMs: 200, retryBackoffMs: 50,
  });
}

export function updateText(notes: string, targets: readonly string[]): string {
  const builds = targets.map((t) => {
    const [release, dist] = t.split('/');
    return `  - id: openstack-nova-2015.1.2-1.${dist === 'fedora-22' ? 'fc22' : 'el7'}\n    repo: ${release}\n    dist: ${dist}\n`;
  });
  return `notes: ${notes}\nbuilds:\n${builds.join('')}`;
}

export async function submit(site: Site, store: Store, id: string, notes: string, targets: readonly string[], now = Date.now()): Promise<string> {
  const r = await submitPhase1({
    store, config: site.config, configHash: 'test', file: `updates/${id}.yml`, bytes: new TextEncoder().encode(updateText(notes, targets)),
    author: { name: 'Packager', email: 'packager@example.org' }, now, runId: newRunId(now),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.runId;
}
