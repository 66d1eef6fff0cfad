import type { Config, PlannedCommand } from '../../core/config.js';
import { pipelineFor, withRoles } from '../../core/config.js';
import { splitNvr } from '../../core/names.js';
import { describeDisable, type TargetDisable } from '../../core/target-state.js';
import type { Build } from '../../core/update-schema.js';
import { updateTargets, type TargetIssue } from '../../core/update-targets.js';

import type { NodeMode } from '../../core/node-mode.js';

export type { NodeMode } from '../../core/node-mode.js';

export interface PlannedJob extends PlannedCommand {
  readonly target: string;
  readonly builds: readonly Build[];
  /** Set when the target is disabled: the job is recorded as skipped with this reason. */
  readonly skip: string | null;
  readonly mode: NodeMode;
  readonly image: string | null;
  /** Why this mode: an operator reading `sluice explain` should not have to guess. */
  readonly modeBecause: string;
}

export type Phase1Plan =
  | { ok: true; jobs: readonly PlannedJob[] }
  | { ok: false; issues: readonly TargetIssue[] };

export interface Phase1Inputs {
  readonly builds: readonly Build[];
  readonly config: Config;
  readonly disabled: ReadonlyMap<string, TargetDisable>;
  /** Known-good images by target; absent or null means the target has none yet. */
  readonly images: ReadonlyMap<string, string | null>;
  /** Why a target has no usable image (stale, too old), when it has none. */
  readonly noImageBecause?: ReadonlyMap<string, string>;
  /** Must-provision packages added at run time (`sluice must-provision add`), with why; sluice.yaml's are always in. */
  readonly mustProvision?: ReadonlyMap<string, string>;
}

/**
 * One job per target the update touches. Disabled targets become skipped jobs with their
 * reason; an update touching a must-provision package, or a target with no known-good
 * image, is provisioned from scratch. Unknown targets refuse the whole plan: nothing runs.
 */
export function planPhase1({ builds, config, disabled, images, mustProvision: added, noImageBecause }: Phase1Inputs): Phase1Plan {
  const resolved = updateTargets(builds, config, disabled);
  const errors = resolved.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) return { ok: false, issues: errors };
  const why = new Map<string, string>(config.must_provision.map((p) => [p, `listed in ${config.file}`]));
  for (const [p, because] of added ?? []) if (!why.has(p)) why.set(p, because);
  // A koji-scratch id is a task number: its package is unknown until fetched, so it might
  // be an installer package; an image would then test the wrong thing. Provision.
  const touched = builds.flatMap((b) => {
    const name = typeof b.id === 'string' ? splitNvr(b.id)?.name : undefined;
    if (name === undefined) return [`${String(b.id)} (a scratch build of unknown package)`];
    return why.has(name) ? [`${name} (${why.get(name)})`] : [];
  });
  const jobs = [...resolved.targets].map(([target, targetBuilds]): PlannedJob => {
    const d = disabled.get(target);
    const image = images.get(target) ?? null;
    const p = pipelineFor(config, target, 'phase1');
    const [mode, modeBecause]: [NodeMode, string] = touched.length > 0
      ? ['provision', `the update touches must-provision package ${[...new Set(touched)].join(', ')}`]
      : image === null
        ? ['provision', noImageBecause?.get(target) ?? `${target} has no known-good image yet`]
        : ['image', `booted from known-good image ${image}`];
    return {
      target, builds: targetBuilds, skip: d ? describeDisable(d) : null,
      mode, image: mode === 'image' ? image : null, modeBecause,
      ...withRoles(p), checks: p.checks, productionRepo: config.targets[target]?.repo ?? '',
      timeoutMs: p.timeoutMs, maxAttempts: p.retries + 1,
    };
  });
  return { ok: true, jobs };
}
