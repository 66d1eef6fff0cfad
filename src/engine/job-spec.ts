import type { BuiltinCheck } from '../core/config-schema.js';
import type { Phase1Inputs, TestedWith } from '../core/records/phase1.js';
import type { Pipeline } from '../core/records/vocabulary.js';
import type { NodeMode } from '../core/node-mode.js';
import type { Build } from '../core/update-schema.js';
import type { DeliverySettings, JobRole } from '../core/config.js';

/**
 * What a job row carries (`jobs.spec`): everything needed to run it again, so that a
 * restarted worker, `sluice explain` and `sluice rerun` read the same record.
 */
export interface JobSpec {
  readonly pipeline: Pipeline;
  /** The update tested; for a phase2 group, its updates' ids separated by spaces. */
  readonly updateId: string;
  readonly target: string;
  readonly provider: string;
  readonly builds: readonly Build[];
  readonly mode: NodeMode;
  readonly image: string | null;
  readonly modeBecause: string;
  /** Shell command line(s) from the operator's config; undefined is refused at plan time. */
  readonly command: string | readonly string[];
  readonly timeoutMs: number;
  /** Built-in checks run before the command; absent in runs recorded before they existed. */
  readonly checks?: readonly BuiltinCheck[];
  readonly productionRepo?: string;
  /**
   * phase2: `checks` runs only the built-in checks (no node, no command), `tests` the
   * commands on a node provisioned in preinstall mode. promote: `stage` tests the stage tree.
   */
  readonly stage?: 'checks' | 'tests' | 'stage' | 'baseline';
  /** phase2: the bisection round and the group of updates this job tests together. */
  readonly round?: number;
  readonly group?: readonly string[];
  /** phase2: updates of ready/ the group needs, whose builds are installed with it (never blamed). */
  readonly base?: readonly string[];
  /** The update files the node gets; absent for phase1, whose run holds its one file. */
  readonly updates?: readonly { readonly id: string; readonly content: string }[];
  /** DESIGN.md "Lessons": phase1 installs the update after provisioning, phase2 before. */
  readonly install?: 'preinstall' | 'postinstall';
  /** Extra environment for the commands (values only: a worker's path means nothing on a node). */
  readonly env?: Readonly<Record<string, string>>;
  /** Directories of the worker the node receives, by variable (promote: the stage and production trees). */
  readonly dirs?: Readonly<Record<string, string>>;
  /** Run on a node booted from an image before the command (`images.on_restore`), with the image's old and the node's new address. */
  readonly onRestore?: string | readonly string[];
  /** A multi-node job: each role's command runs on its own node, all leased together (`pipelines.<name>.nodes`). */
  readonly roles?: readonly JobRole[];
  /**
   * phase1: other updates' builds for this target, put in the job's repository with the
   * update's (docs/lifecycle.md, "Updates that need each other"); a job adds those it infers.
   */
  readonly testedWith?: readonly TestedWithBuilds[];
  /** phase1: look among pending updates for what the update's RPMs require and production lacks. */
  readonly inferDependencies?: boolean;
  /** Repository files' gpgcheck and the node's logs to bring back (`pipelines.<name>`). */
  readonly delivery?: DeliverySettings;
}

/**
 * What a job does with its node, read from its spec (a driver never asks which pipeline a
 * job is of): a green `baseline` node is kept as the target's next image (images); a
 * `stage` job tests the stage tree (promote); a job without a stage is one update's smoke
 * test (phase1), which like phase2's preinstall nodes installs the update's builds.
 */
export const keepsNodeAsImage = (spec: Pick<JobSpec, 'stage'>): boolean => spec.stage === 'baseline';
export const testsStageTree = (spec: Pick<JobSpec, 'stage'>): boolean => spec.stage === 'stage';
export const installsUpdateBuilds = (spec: Pick<JobSpec, 'stage' | 'install'>): boolean => spec.stage === undefined || spec.install === 'preinstall';

/** What a phase1 run records of its inputs (`runs.inputs`), for explain and rerun: its record schema is in core/records. */
export type RunInputs = Phase1Inputs;

/** Another update a job tests with, and its builds for the job's target. */
export interface TestedWithBuilds extends TestedWith {
  readonly builds: readonly Build[];
}
