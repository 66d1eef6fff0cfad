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

/**
 * Another update a phase1 run tests with (docs/lifecycle.md, "Updates that need each other"):
 * `declared` (--with, Depends-On, depends_on), `base` (`pipelines.phase1.base: updates`), or
 * `inferred` by a job from the RPMs' requirements. The content hash is the file's as tested.
 */
export const TestedWithSchema = z.object({
  id: z.string(),
  contentHash: z.string(),
  how: z.enum(['declared', 'inferred', 'base']),
  why: z.string(),
});
export type TestedWith = RecordOf<typeof TestedWithSchema>;

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
  /** The other updates whose builds are tested with this one (declared, or the base of updates/); jobs add what they infer. */
  testedWith: z.array(TestedWithSchema).optional(),
  /** What was declared, as given (update ids, change URLs): a rerun resolves the same again. */
  declared: z.array(z.object({ ref: z.string(), why: z.string() })).optional(),
});
export type Phase1Inputs = RecordOf<typeof Phase1InputsSchema>;

/** A phase1 run's verdict is collated from its jobs: it records no outcome. */
export const Phase1OutcomeSchema = z.null();
export type Phase1Outcome = RecordOf<typeof Phase1OutcomeSchema>;
