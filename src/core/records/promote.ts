import { z } from 'zod';
import type { RecordOf } from './decode.js';
import { HeldSchema, RunDependenciesSchema } from './dependencies.js';

/** What a promote run records of its inputs (`runs.inputs`): ready/ as it was when promote started. */
export const PromoteInputsSchema = z.object({
  ready: z.array(z.object({ id: z.string(), blob: z.string(), content: z.string(), contentHash: z.string() })),
  configFile: z.string(),
  configHash: z.string(),
  plannedAt: z.number(),
  /** Set on a recheck from the dashboard: the run it repeats. */
  rerunOf: z.string().optional(),
  /** Updates of ready/ left there for a later promote: younger than `promote.min_soak` (issue 19). */
  soaking: z.array(z.object({ id: z.string(), readySince: z.number(), eligibleAt: z.number(), why: z.string() })).optional(),
  /** Updates that need each other: the edges and places read at the start. */
  dependencies: RunDependenciesSchema.optional(),
  /** Updates of ready/ left there because something they need is not published (decided at the start). */
  held: HeldSchema.optional(),
});
export type PromoteInputs = RecordOf<typeof PromoteInputsSchema>;

const RefusedSchema = z.array(z.object({ id: z.string(), reasons: z.array(z.string()) }));

/** What a finished promote run decided (`runs.outcome`): its reporter writes pushed/ and failed/ from it; null when cancelled first. */
export const PromoteOutcomeSchema = z.object({
  /** Published: each update with the paths its RPMs have in production (`pushed/<id>.yml.files`). */
  pushed: z.array(z.object({ id: z.string(), files: z.array(z.string()) })),
  /** Refused before stage (a checksum differs, never tested, a collision): to failed/ with the reasons. */
  failed: RefusedSchema,
  /** Left in ready/ (the stage tests failed, or production could not be published). */
  kept: z.array(z.string()),
  published: z.array(z.object({ target: z.string(), tree: z.string() })),
  /** Left in ready/ because something they need is not published, each with why. */
  held: HeldSchema.optional(),
}).nullable();
export type PromoteOutcome = RecordOf<typeof PromoteOutcomeSchema>;

/** What promote's stage step decided, kept as the run's `promote.staged` event for the publish step. */
export const StagedPlanSchema = z.object({
  staged: z.array(z.object({ id: z.string(), targets: z.array(z.object({ target: z.string(), files: z.array(z.string()) })) })),
  failed: RefusedSchema,
  trees: z.array(z.object({ target: z.string(), stagePath: z.string() })),
  /** Not staged: something they need is not published or was refused in this run. */
  held: HeldSchema.optional(),
});
export type StagedPlan = RecordOf<typeof StagedPlanSchema>;
