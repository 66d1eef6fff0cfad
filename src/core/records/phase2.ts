import { z } from 'zod';
import type { RecordOf } from './decode.js';
import { HeldSchema, RunDependenciesSchema } from './dependencies.js';

/** What a phase2 run records of its inputs (`runs.inputs`). */
export const Phase2InputsSchema = z.object({
  snapshot: z.object({ commit: z.string(), blobs: z.record(z.string(), z.string()) }),
  /** Every update of the batch, exactly as it was at the snapshot. */
  updates: z.array(z.object({ id: z.string(), content: z.string(), contentHash: z.string() })),
  batch: z.array(z.string()),
  held: HeldSchema,
  /** Whether the cheap built-in checks bisect the batch before any node is provisioned. */
  withChecks: z.boolean(),
  configFile: z.string(),
  configHash: z.string(),
  plannedAt: z.number(),
  /** Set on a recheck from the dashboard: the run it repeats. */
  rerunOf: z.string().optional(),
  /**
   * Updates that need each other: the edges and places read at the start, and the updates
   * of ready/ the batch needs, installed with their dependants' groups as a base (never blamed).
   */
  dependencies: RunDependenciesSchema.extend({
    base: z.array(z.object({ id: z.string(), content: z.string(), contentHash: z.string() })),
  }).optional(),
});
export type Phase2Inputs = RecordOf<typeof Phase2InputsSchema>;

export const CulpritSchema = z.object({
  /** One update, or a group that fails only as a whole (an interaction). */
  updates: z.array(z.string()),
  stage: z.enum(['checks', 'tests']),
  /** The jobs that failed when it was tested alone: their errors are the evidence. */
  failedJobs: z.array(z.string()),
  /** The units of updates that need each other it is made of, when one has several members. */
  units: z.array(z.array(z.string())).optional(),
});

/**
 * What a finished phase2 run decided (`runs.outcome`). A bisection that ran to its end
 * records everything; one that got stuck (no verdict on a group) records only `held`;
 * a run cancelled before deciding records null.
 */
export const Phase2OutcomeSchema = z.object({
  batch: z.array(z.string()).optional(),
  /** Passed everything: moved to ready/. */
  clean: z.array(z.string()).optional(),
  culprits: z.array(CulpritSchema).optional(),
  /** Groups that failed once and passed when tested again. */
  flaky: z.array(z.array(z.string())).optional(),
  rounds: z.object({ checks: z.number(), tests: z.number() }).optional(),
  held: HeldSchema,
}).nullable();
export type Phase2Outcome = RecordOf<typeof Phase2OutcomeSchema>;
