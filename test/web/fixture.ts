import { writeFileSync } from 'node:fs';
import { join, resolve, isAbsolute } from 'node:path';
import type { TestContext } from 'node:test';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { mergeReporter } from '../../src/pipelines/phase1/merge-reporter.js';
import { Engine } from '../../src/engine/engine.js';
import type { Store } from '../../src/store/index.js';
import type { AuthPolicy } from '../../src/web/auth.js';
import { tokenHash, type Role, type TokenEntry } from '../../src/web/tokens.js';
import type { WebDeps, WebSite } from '../../src/web/deps.js';
import type { WebLimits } from '../../src/web/limits.js';
import { buildWebServer, type WebServer } from '../../src/web/server.js';
import { makeSite, type Site } from '../helpers/site.js';

export const TOKEN = 'sluice-test-token-0123456789';
export const AUTH = { authorization: `Bearer ${TOKEN}` } as const;

/** A token file's entry for a token the test holds, as `sluice token add` would write it. */
export function namedToken(person: string, roles: readonly Role[], token: string): TokenEntry {
  return { person, roles, hash: tokenHash(token), source: `test:${person}` };
}
/** The tests' default: TOKEN is the admin "tester"'s. */
export const TEST_TOKENS: readonly TokenEntry[] = [namedToken('tester', ['admin'], TOKEN)];

/**
 * The web tests' smoke test: like the engine tests' (behaviour from the update's notes),
 * and `lines N` first prints N lines of an install; a failure prints a yum error with
 * markup in it, then some lines after, as real logs do.
 */
export const WEB_TEST = `#!/bin/sh
notes=$(sed -n 's/^notes: //p' "$SLUICE_UPDATE_FILE")
n=$(echo "$notes" | sed -n 's/.*lines \\([0-9][0-9]*\\).*/\\1/p')
if [ -n "$n" ]; then seq 1 "$n" | sed "s|^|---> Package python-dep|; s|$|.noarch will be installed on $SLUICE_TARGET|"; fi
case "$notes" in
  *"sleep "*) sleep "$(echo "$notes" | sed 's/.*sleep \\([0-9.]*\\).*/\\1/')" ;;
esac
case "$notes" in
  *"fail on $SLUICE_TARGET"*)
    echo "Error: Package: openstack-nova-api <script>alert('log')</script> broken on $SLUICE_TARGET"
    echo "           Requires: python-oslo-concurrency >= 1.8.0"
    seq 1 30 | sed "s/^/cleanup step /"
    exit 1 ;;
esac
echo "Complete!"
`;

export interface WebSiteFixture {
  readonly site: Site;
  readonly web: WebSite;
}

export async function webSite(dir: string, extra: Parameters<typeof makeSite>[1] = {}): Promise<WebSiteFixture> {
  const site = await makeSite(dir, extra);
  writeFileSync(join(dir, 'tests', 'smoke.sh'), WEB_TEST);
  const web: WebSite = { config: site.config, hash: 'test', resolvePath: (p) => (isAbsolute(p) ? p : resolve(dir, p)) };
  return { site, web };
}

/** A real engine on local nodes whose job directories are where the configuration says (so running logs are found). */
export function webEngine(f: WebSiteFixture, store: Store): Engine {
  const local = localProvider({ name: 'local', capacity: 3, workDir: f.web.resolvePath(f.web.config.work_dir), configDir: f.site.dir, killGraceMs: 300 });
  return new Engine({ store, providers: [local], reporters: [mergeReporter({ repoPath: f.site.repoPath })], workerId: 'web-test', leaseMs: 10_000, pollMs: 100, sweepEveryMs: 200, retryBackoffMs: 50 });
}

export async function webServer(t: TestContext, store: Store, f: WebSiteFixture, opts: { auth?: AuthPolicy; engine?: Engine; trigger?: WebDeps['trigger']; limits?: Partial<WebLimits>; logger?: WebDeps['logger'] } = {}): Promise<WebServer> {
  const { config } = f.web;
  const site: WebSite = opts.limits ? { ...f.web, config: { ...config, web: { ...config.web, limits: { ...config.web.limits, ...opts.limits } } } } : f.web;
  const server = await buildWebServer({
    store, site, now: () => Date.now(), logger: opts.logger ?? false, pollMs: 50,
    auth: opts.auth ?? { tokens: TEST_TOKENS, publicReads: true },
    ...(opts.engine ? { notify: () => opts.engine?.notify() } : {}),
    ...(opts.trigger ? { trigger: opts.trigger } : {}),
  });
  t.after(() => server.app.close());
  return server;
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function until(check: () => Promise<boolean> | boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CI=true, CI=1...: any value but empty, 0 or false. */
export function underCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}
