import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolOptions, type ToolRun } from './run-tool.js';

/** A repository dnf enables by id: a local directory with repodata/, or a URL. */
export interface DnfRepo {
  readonly id: string;
  readonly location: string;
}

export interface DnfOptions extends ToolOptions {
  readonly releasever: string;
  /** Where the throwaway installroot goes (the system temp directory by default). */
  readonly workDir?: string;
  /**
   * Keeps repository metadata between runs under <cacheDir>/dnf (the per-target view of
   * a remote production repository): a second check within METADATA_EXPIRE_S of the first
   * downloads nothing. dnf keys its cache by repository id and location, and takes its
   * own lock while writing it.
   */
  readonly cacheDir?: string;
}

/** How long cached production metadata is trusted: short, since production moves. */
export const METADATA_EXPIRE_S = 300;

/**
 * Runs `dnf <args>` against exactly `repos`, in a throwaway installroot: no repository of
 * the host, no plugin, nothing installed anywhere; only metadata is kept (see cacheDir).
 * An unreachable repository is an error, not silently skipped.
 */
export async function runDnf(repos: readonly DnfRepo[], args: readonly string[], opts: DnfOptions): Promise<ToolRun> {
  for (const r of repos) {
    // --repofrompath splits at the first comma: an id or location with one would be misread.
    if (!/^[A-Za-z0-9_.-]+$/.test(r.id) || r.location.includes(',')) throw new Error(`unusable dnf repository ${r.id},${r.location}`);
  }
  const root = await mkdtemp(join(opts.workDir ?? tmpdir(), 'sluice-dnf-'));
  try {
    const argv = [
      `--installroot=${root}`, '--setopt=reposdir=/dev/null', '--noplugins',
      ...repos.map((r) => `--repofrompath=${r.id},${r.location}`),
      ...repos.map((r) => `--repo=${r.id}`),
      '--setopt=*.gpgcheck=0', '--setopt=skip_if_unavailable=False', `--releasever=${opts.releasever}`,
      ...(opts.cacheDir ? [`--setopt=cachedir=${join(opts.cacheDir, 'dnf')}`, `--setopt=metadata_expire=${METADATA_EXPIRE_S}`] : []),
      ...args,
    ];
    return await runTool('dnf', argv, opts);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** dnf's words for a repository it could not read: the network or the mirror, not the update. */
const UNAVAILABLE = /Failed to download metadata for repo|Cannot download repomd\.xml|Errors during downloading metadata|Curl error|Failed to load expired repos cache/;

export function repositoryUnavailable(output: string): boolean {
  return UNAVAILABLE.test(output);
}

export interface RepoPackage {
  readonly name: string;
  readonly epoch: number;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

export type RepoQuery =
  | { readonly ok: true; readonly packages: readonly RepoPackage[]; readonly log: string }
  | { readonly ok: false; readonly log: string };

/** Every package of one repository, read from its repodata with `dnf repoquery`. */
export async function repoquery(repo: DnfRepo, opts: DnfOptions): Promise<RepoQuery> {
  const run = await runDnf([repo], ['-q', 'repoquery', '--qf', '%{name} %{epoch} %{version} %{release} %{arch}'], opts);
  const log = `${run.stdout}${run.stderr}${run.kind === 'not_run' ? `\n${run.message}` : ''}`;
  if (run.kind !== 'exited' || run.code !== 0) return { ok: false, log };
  const packages = run.stdout.split('\n').flatMap((line) => {
    const [name, epoch, version, release, arch] = line.trim().split(' ');
    return name && version && release !== undefined && arch ? [{ name, epoch: Number(epoch) || 0, version, release, arch }] : [];
  });
  return { ok: true, packages, log };
}
