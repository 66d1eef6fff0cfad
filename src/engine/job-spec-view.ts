import { z } from 'zod';
import { TestedWithSchema } from '../core/records/phase1.js';

/**
 * The fields of a job's spec (`jobs.spec`) that the front ends and sweeps show, read
 * through a loose schema: every field optional, so a spec written by an older version
 * still reads, and a field of the wrong type makes the spec unreadable (null) rather
 * than a wrong label. The engine itself runs the spec it wrote (JobSpec).
 */
const JobSpecViewSchema = z.looseObject({
  pipeline: z.string().optional(),
  updateId: z.string().optional(),
  provider: z.string().optional(),
  mode: z.string().optional(),
  image: z.string().nullable().optional(),
  modeBecause: z.string().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  timeoutMs: z.number().optional(),
  stage: z.string().optional(),
  round: z.number().optional(),
  group: z.array(z.string()).optional(),
  testedWith: z.array(TestedWithSchema).optional(),
});
export type JobSpecView = z.infer<typeof JobSpecViewSchema>;

export function specView(job: { readonly spec: unknown }): JobSpecView | null {
  const read = JobSpecViewSchema.safeParse(job.spec);
  return read.success ? read.data : null;
}
