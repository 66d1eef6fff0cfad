import { isAbsolute } from 'node:path';
import { initUpdateRepo } from '../drivers/repo/layout.js';
import { followingUpstream, pullUpstream, UpstreamError, type Upstream } from '../drivers/repo/upstream.js';
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
