import { z } from 'zod';
import type { RecordOf } from './decode.js';

/** The Gerrit patch set a run tests, when a Gerrit trigger submitted it: where its vote goes. */
export const GerritRefSchema = z.object({
  project: z.string(),
  branch: z.string(),
  change: z.number(),
  patchset: z.number(),
  revision: z.string(),
});

/** What a phase1 run records of its inputs (`runs.inputs`), for explain and rerun. */
export const Phase1InputsSchema = z.object({
  updateId: z.string(),
  updateFile: z.string(),
  contentHash: z.string(),
  /** The file exactly as submitted: what is tested is what gets merged. */
  content: z.string(),
  author: z.object({ name: z.string(), email: z.string() }),
  configFile: z.string(),
  configHash: z.string(),
  plannedAt: z.number(),
  /** Set on a rerun: the run whose plan it repeats. */
  rerunOf: z.string().optional(),
  /** A `recheck failed` of `rerunOf`: only its targets that did not pass run again, its passes are carried. */
  onlyFailed: z.boolean().optional(),
  gerrit: GerritRefSchema.optional(),
});
export type Phase1Inputs = RecordOf<typeof Phase1InputsSchema>;

/** A phase1 run's verdict is collated from its jobs: it records no outcome. */
export const Phase1OutcomeSchema = z.null();
export type Phase1Outcome = RecordOf<typeof Phase1OutcomeSchema>;
