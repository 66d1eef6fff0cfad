import type { z } from 'zod';
import type { Config } from '../core/config.js';
import type { PipelineName } from '../core/config-schema.js';
import type { RunReporter } from '../engine/engine.js';
import type { JobSpec } from '../engine/job-spec.js';
import type { RunController } from '../engine/run-controller.js';
import type { TriggerOutcome } from '../engine/schedule-log.js';
import type { ImageRecord, Job, Run, Store } from '../store/index.js';
import type { RunStory } from './run-story.js';

/**
 * What the composition root hands a pipeline to build its engine parts: the configuration,
 * the store, where the update repository and the published trees are, and the two things
 * only the providers know (how to drop an image, what production holds now).
 */
export interface PipelineContext {
  readonly config: Config;
  readonly configDir: string;
  readonly store: Store;
  readonly repoPath: string;
  readonly cacheDir: string;
  readonly stageRoot: string;
  readonly productionRoot: string;
  readonly now: () => number;
  readonly removeImage: (image: ImageRecord) => Promise<void>;
  readonly productionKey: (target: string) => Promise<string | undefined>;
}

/** What starting a pipeline on demand needs (a schedule, the dashboard, `sluice phase2`'s trigger). */
export interface StartContext {
  readonly config: Config;
  readonly configHash: string;
  readonly store: Store;
  /** The update repository, brought up to date with its upstream first. */
  readonly updateRepo: () => Promise<string>;
}

/** What did it do: a new run, the run already going joined, or nothing to do and why. */
export type StartOutcome = TriggerOutcome;

/** What a recheck from the dashboard does with a finished run of the pipeline. */
export type RecheckRule =
  /** run again from its record: the same job specs (phase1) */
  | 'copy-run'
  /** a function of the update repository now: start the pipeline again, or join the one going */
  | 'start-again'
  | 'refuse';

/**
 * One pipeline: everything that decides what its runs mean. The engine, the CLI, the web
 * and Gerrit ask the registry (registry.ts) for a run's pipeline instead of branching on
 * its name, so a new pipeline is one folder and one line in the registry.
 */
export interface Pipeline {
  readonly name: PipelineName;
  /** The schemas of its runs' `inputs` and `outcome` (src/core/records/), which the store decodes rows with. */
  readonly records: { readonly inputs: z.ZodType; readonly outcome: z.ZodType };
  /** Starts a run of the pipeline over what the update repository holds now (absent: runs come from updates, one by one). */
  start?(ctx: StartContext, now: number): Promise<StartOutcome>;
  /** Drives runs whose jobs come round by round (`runs.controller`). */
  controller?(ctx: PipelineContext): RunController;
  /** Makes a finished run count outside the store; `writesUpdateRepo` ones pull and push around it. */
  reporter?(ctx: PipelineContext): RunReporter;
  /** Its reporter changes the update repository (merge, move to ready/, pushed/). */
  readonly writesUpdateRepo: boolean;
  /** phase2 finds culprits by bisection: the demo points at such a failure first. */
  readonly bisects: boolean;
  readonly recheck: RecheckRule;
  /** How `sluice explain`, `sluice status` and the run page tell its runs. */
  readonly story: RunStory;
  /**
   * The class of passing jobs a failing job's log is compared with (a prefix of job
   * kinds): the same tests on the same kind of node.
   */
  referenceClass(spec: JobSpec): string;
}

export type { Config, Job, Run };
