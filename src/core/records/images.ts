import { z } from 'zod';
import type { RecordOf } from './decode.js';

/** What an images run records of its inputs (`runs.inputs`): the targets whose baseline it runs. */
export const ImagesInputsSchema = z.object({
  targets: z.array(z.string()),
  plannedAt: z.number(),
  /** Set on a rerun: the run whose plan it repeats. */
  rerunOf: z.string().optional(),
});
export type ImagesInputs = RecordOf<typeof ImagesInputsSchema>;

/** An images run's verdict is collated from its jobs: it records no outcome. */
export const ImagesOutcomeSchema = z.null();
export type ImagesOutcome = RecordOf<typeof ImagesOutcomeSchema>;
