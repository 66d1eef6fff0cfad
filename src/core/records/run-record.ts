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

/** The pipeline of a run this version cannot read. */
export const UNREADABLE = 'unreadable';

/**
 * A run row this version cannot read: its pipeline is one it does not know (a newer
 * version wrote it) or its inputs/outcome do not match the pipeline's schema (an older
 * one did, or a hand edit). It stays listable, with what was stored and why it is
 * unreadable, and no pipeline acts on it.
 */
export interface UnreadableRunRecord {
  readonly pipeline: typeof UNREADABLE;
  /** The pipeline column as stored. */
  readonly storedPipeline: string;
  readonly problem: string;
  readonly inputs: unknown;
  readonly outcome: unknown;
}

/** Answers one question per pipeline about a run's record: the table a reader fills instead of branching on the name. */
export type ByPipeline<T> = { readonly [P in Pipeline]: (record: Extract<RunRecord, { pipeline: P }>) => T };

/** Asks a run's pipeline its answer; an unreadable run gets `otherwise`. */
export function askPipeline<T>(record: RunRecord | UnreadableRunRecord, table: ByPipeline<T>, otherwise: T): T {
  if (!isPipeline(record.pipeline)) return otherwise;
  // The pipeline's own entry gets the record of that pipeline: the table's type pairs them.
  return (table[record.pipeline] as (r: RunRecord) => T)(record as RunRecord);
}

/** The updates a run tests together: phase2's batch, promote's ready/ (phase1's one update is the run's updateId). */
export function batchOf(record: RunRecord | UnreadableRunRecord): readonly string[] | undefined {
  return askPipeline<readonly string[] | undefined>(record, {
    phase1: () => undefined,
    phase2: (r) => r.inputs.batch,
    promote: (r) => r.inputs.ready.map((u) => u.id),
    images: () => undefined,
  }, undefined);
}

/** The updates a run left for later, with why (phase2: in updates/; promote: in ready/, for what they need). */
export function heldOf(record: RunRecord | UnreadableRunRecord): readonly { readonly id: string; readonly why: string }[] {
  return askPipeline(record, { phase1: () => [], phase2: (r) => r.inputs.held, promote: (r) => r.outcome?.held ?? r.inputs.held ?? [], images: () => [] }, []);
}

/** The one update file a run tests, exactly as submitted (phase1's), if it tests one. */
export interface RunUpdateFile { readonly updateId: string; readonly content: string; readonly contentHash: string }
export function updateFileOf(record: RunRecord | UnreadableRunRecord): RunUpdateFile | undefined {
  return askPipeline<RunUpdateFile | undefined>(record, { phase1: (r) => r.inputs, phase2: () => undefined, promote: () => undefined, images: () => undefined }, undefined);
}

/** The run a rerun or recheck repeats, if it is one. */
export function rerunOf(record: RunRecord | UnreadableRunRecord): string | undefined {
  return askPipeline<string | undefined>(record, { phase1: (r) => r.inputs.rerunOf, phase2: (r) => r.inputs.rerunOf, promote: (r) => r.inputs.rerunOf, images: (r) => r.inputs.rerunOf }, undefined);
}

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

/** Whether a run (or its record) is one this version could read: then its inputs and outcome are typed by its pipeline. */
export function isReadable<R extends { readonly pipeline: string }>(run: R): run is Exclude<R, { readonly pipeline: typeof UNREADABLE }> {
  return isPipeline(run.pipeline);
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
