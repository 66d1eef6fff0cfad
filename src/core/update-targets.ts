import { canonicalDist, type Config } from './config.js';
import type { Problem } from './problem.js';
import { describeDisable, type TargetDisable } from './target-state.js';
import type { Build } from './update-schema.js';

/** `release/dist` with the canonical dist name. */
export type TargetName = string;

export interface TargetIssue {
  readonly severity: Problem['severity'];
  readonly code: string;
  /** Field path into the update file, e.g. `['builds', 2, 'dist']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface UpdateTargets {
  /** Each target the update touches, with its builds, in the order the file names them. */
  readonly targets: ReadonlyMap<TargetName, readonly Build[]>;
  readonly issues: readonly TargetIssue[];
}

/**
 * Maps an update's builds onto the configured targets. Unknown releases, dists, sources and
 * unsupported release/dist pairs are errors (a pipeline cannot test them); a disabled target
 * is a warning, since the update is still valid and the target is skipped with its reason.
 */
export function updateTargets(builds: readonly Build[], config: Config, disabled: ReadonlyMap<TargetName, TargetDisable>): UpdateTargets {
  const targets = new Map<TargetName, Build[]>();
  const issues: TargetIssue[] = [];
  const warnedDisabled = new Set<TargetName>();
  builds.forEach((b, i) => {
    const err = (field: string, code: string, message: string) => issues.push({ severity: 'error', code, path: ['builds', i, field], message });
    if (!config.releases.includes(b.repo)) {
      err('repo', 'E_RELEASE_UNKNOWN', `unknown release "${b.repo}" (known: ${config.releases.join(', ')})`);
      return;
    }
    const dist = canonicalDist(config, b.dist);
    if (dist === undefined) {
      err('dist', 'E_DIST_UNKNOWN', `unknown dist "${b.dist}" (known: ${[...config.distNames.keys()].join(', ')})`);
      return;
    }
    const target = `${b.repo}/${dist}`;
    if (!(target in config.targets)) {
      const ofRelease = Object.keys(config.targets).filter((t) => t.startsWith(`${b.repo}/`));
      err('dist', 'E_TARGET_UNKNOWN', `unexpected ${b.repo} build for ${b.dist}: target ${target} is not supported (${b.repo} targets: ${ofRelease.join(', ') || 'none'})`);
      return;
    }
    if (Object.keys(config.sources).length > 0 && !(b.source in config.sources)) {
      err('source', 'E_SOURCE_UNKNOWN', `unknown build source "${b.source}" (known: ${Object.keys(config.sources).join(', ')})`);
    }
    const d = disabled.get(target);
    if (d && !warnedDisabled.has(target)) {
      warnedDisabled.add(target);
      issues.push({ severity: 'warning', code: 'W_TARGET_DISABLED', path: ['builds', i, 'dist'], message: `target ${target} is disabled and will be skipped: ${describeDisable(d)}` });
    }
    const list = targets.get(target) ?? [];
    list.push(b);
    targets.set(target, list);
  });
  return { targets, issues };
}
