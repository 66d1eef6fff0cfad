import type { z } from 'zod';
import { decodeRecord, type RecordOf } from './decode.js';
import { ImagesInputsSchema, ImagesOutcomeSchema } from './images.js';
import { Phase1InputsSchema, Phase1OutcomeSchema } from './phase1.js';
import { Phase2InputsSchema, Phase2OutcomeSchema } from './phase2.js';
import { PromoteInputsSchema, PromoteOutcomeSchema } from './promote.js';
import { PIPELINES, type Pipeline } from './vocabulary.js';

/** Each pipeline's run record: the schemas of what its runs store in `inputs` and `outcome`. */
export const RUN_RECORD_SCHEMAS = {
  phase1: { inputs: Phase1InputsSchema, outcome: Phase1OutcomeSchema },
  phase2: { inputs: Phase2InputsSchema, outcome: Phase2OutcomeSchema },
  promote: { inputs: PromoteInputsSchema, outcome: PromoteOutcomeSchema },
  images: { inputs: ImagesInputsSchema, outcome: ImagesOutcomeSchema },
} as const satisfies Record<Pipeline, { inputs: z.ZodType; outcome: z.ZodType }>;

type Schemas = typeof RUN_RECORD_SCHEMAS;
export type RunInputsOf<P extends Pipeline> = RecordOf<Schemas[P]['inputs']>;
export type RunOutcomeOf<P extends Pipeline> = RecordOf<Schemas[P]['outcome']>;
/** The outcome of a run of any pipeline. */
export type RunOutcome = RunOutcomeOf<Pipeline>;

/** The typed part of a run, by pipeline. */
export type RunRecord = { [P in Pipeline]: { readonly pipeline: P; readonly inputs: RunInputsOf<P>; readonly outcome: RunOutcomeOf<P> } }[Pipeline];

/** What a new run of a pipeline is written with. */
export type NewRunRecord = { [P in Pipeline]: { readonly pipeline: P; readonly inputs: RunInputsOf<P> } }[Pipeline];

/**
 * A run row this version cannot read: its pipeline is one it does not know (a newer
 * version wrote it) or its inputs/outcome do not match the pipeline's schema (an older
 * one did, or a hand edit). It stays listable, with what was stored and why it is
 * unreadable, and no pipeline acts on it.
 */
export interface UnreadableRunRecord {
  readonly pipeline: 'unreadable';
  /** The pipeline column as stored. */
  readonly storedPipeline: string;
  readonly problem: string;
  readonly inputs: unknown;
  readonly outcome: unknown;
}

export const UNREADABLE = 'unreadable';

/** A run's record to write again for a rerun of it, marked with the run it repeats. */
export function rerunRecord(record: RunRecord, rerunOf: string): NewRunRecord {
  // Every pipeline's inputs carry an optional rerunOf: the spread keeps the pipeline's own shape.
  return { pipeline: record.pipeline, inputs: { ...record.inputs, rerunOf } } as NewRunRecord;
}

/** Checks a run's inputs against its pipeline's schema before they are written: a run the store could not read back is refused. */
export function checkNewRunRecord(record: NewRunRecord): void {
  const decoded = decodeRecord(RUN_RECORD_SCHEMAS[record.pipeline].inputs as z.ZodType, record.inputs);
  if (!decoded.ok) throw new TypeError(`inputs of a ${record.pipeline} run: ${decoded.problem}`);
}

/** Checks a run's outcome against its pipeline's schema before it is written. */
export function checkRunOutcome(pipeline: Pipeline, outcome: unknown): void {
  const decoded = decodeRecord(RUN_RECORD_SCHEMAS[pipeline].outcome as z.ZodType, outcome);
  if (!decoded.ok) throw new TypeError(`outcome of a ${pipeline} run: ${decoded.problem}`);
}

export function isPipeline(value: string): value is Pipeline {
  return (PIPELINES as readonly string[]).includes(value);
}

/** Decodes a run row's pipeline, inputs and outcome (parsed JSON) into its typed record. */
export function decodeRunRecord(pipeline: string, inputs: unknown, outcome: unknown): RunRecord | UnreadableRunRecord {
  const unreadable = (problem: string): UnreadableRunRecord => ({ pipeline: UNREADABLE, storedPipeline: pipeline, problem, inputs, outcome });
  if (!isPipeline(pipeline)) return unreadable(`no pipeline "${pipeline}" in this version (${PIPELINES.join(', ')})`);
  const schemas: { inputs: z.ZodType; outcome: z.ZodType } = RUN_RECORD_SCHEMAS[pipeline];
  const i = decodeRecord(schemas.inputs, inputs);
  if (!i.ok) return unreadable(`inputs of a ${pipeline} run: ${i.problem}`);
  const o = decodeRecord(schemas.outcome, outcome);
  if (!o.ok) return unreadable(`outcome of a ${pipeline} run: ${o.problem}`);
  // Both checked against this pipeline's schemas just above.
  return { pipeline, inputs: i.value, outcome: o.value } as RunRecord;
}
