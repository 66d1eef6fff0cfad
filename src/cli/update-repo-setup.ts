import { isAbsolute } from 'node:path';
import { followingUpstream, initUpdateRepo, pullUpstream, type Upstream, UpstreamError } from '../drivers/repo/index.js';
import type { RunReporter } from '../engine/engine.js';
import type { LoadedConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';

/** `upstream:` of the configuration with its url made absolute when it is a path. */
export function upstreamOf(loaded: LoadedConfig): Upstream | undefined {
  const u = loaded.config.upstream;
  if (!u) return undefined;
  const isRemoteUrl = (url: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\s]+@[^/\s:]+:/.test(url);
  const url = u.url === undefined ? undefined : (isRemoteUrl(u.url) || isAbsolute(u.url) ? u.url : loaded.resolvePath(u.url));
  return { remote: u.remote, push: u.push, ...(u.branch ? { branch: u.branch } : {}), ...(url ? { url } : {}) };
}

/**
 * The update repository as a pipeline should read it: created if new, and with an
 * upstream, brought up to it first, so phase2 and promote see what Gerrit or a packager
 * merged there. Answers its path.
 */
export async function currentUpdateRepo(loaded: LoadedConfig): Promise<string> {
  const repoPath = loaded.resolvePath(loaded.config.update_repo);
  const upstream = upstreamOf(loaded);
  if (!upstream) {
    await initUpdateRepo(repoPath);
    return repoPath;
  }
  try {
    await pullUpstream(repoPath, upstream);
  } catch (e) {
    if (e instanceof UpstreamError) throw new CliExit(EXIT.error, `${loaded.config.file}: ${e.message}`, 'E_UPSTREAM');
    throw e;
  }
  return repoPath;
}

/** Reporters that commit to the update repository, each following the upstream when there is one. */
export function followUpstream(loaded: LoadedConfig, reporter: RunReporter, pipelines: readonly string[]): RunReporter {
  const upstream = upstreamOf(loaded);
  if (!upstream) return reporter;
  return followingUpstream(reporter, { repoPath: loaded.resolvePath(loaded.config.update_repo), upstream, pipelines });
}

/**
 * For Gerrit's `ref-updated`: pulls the upstream in the background so `status` and the
 * web show a submitted change in updates/ at once, not only at the next phase2. Pulls
 * that arrive while one runs become one more pull after it; a failure is only logged
 * (the next pipeline's pull reports it properly).
 */
export function upstreamFollower(loaded: LoadedConfig, log: (line: string) => void): (() => void) | undefined {
  const upstream = upstreamOf(loaded);
  if (!upstream) return undefined;
  const repoPath = loaded.resolvePath(loaded.config.update_repo);
  let running: Promise<void> | undefined;
  let again = false;
  const pull = (): void => {
    if (running) { again = true; return; }
    running = pullUpstream(repoPath, upstream)
      .then(() => undefined, (e: Error) => log(`cannot follow the upstream of the update repository: ${e.message}`))
      .finally(() => { running = undefined; if (again) { again = false; pull(); } });
  };
  return pull;
}
