import { z } from 'zod';
import { AUTHOR_NAME_RULE, hasControlCharacter, isAuthorName, isSafeName, isTargetPart, NAME_RULE } from '../core/names.js';
import { UPDATE_REPO_FOLDERS } from '../core/records/vocabulary.js';
import { JOB_RESULTS, JOB_STATES, PIPELINES, RUN_STATES, RUN_VERDICTS } from '../store/index.js';
import { CELL_STATES } from './cell-state.js';

/**
 * The shapes of the HTTP API: one zod schema each, used to validate requests, to type
 * what handlers return, and to generate the OpenAPI document (openapi.ts).
 */

/** Run and job ids as the engine makes them (`rmie3k2x0a9f2`, `rmie3k2x0a9f2.kilo_epel-7`). */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$/;
const id = (what: string) => z.string().regex(ID_PATTERN, { error: `${what} must be letters, digits and . _ : + - (at most 200)` })
  .refine((s) => !s.includes('..'), { error: `${what} may not contain ".."` });
const updateId = z.string().refine(isSafeName, { error: 'an update id is letters, digits, ".", "_", "+" and "-" (at most 64)' });
const targetPart = (what: string) => z.string().refine(isTargetPart, { error: `${what} must be letters, digits, ".", "+" and "-" (at most 64)` });
/** Reasons and names are stored and shown: no control characters but tabs and newlines. */
const NO_CONTROL = [(s: string) => !hasControlCharacter(s), { error: 'must not contain control characters (tabs and newlines are fine)' }] as const;
const ms = z.int().meta({ description: 'Milliseconds since the epoch.' });
const limit = (max: number, dflt: number) => z.coerce.number({ error: `limit must be a whole number from 1 to ${max}` }).int().min(1).max(max).default(dflt);
const offset = z.coerce.number({ error: 'offset must be a whole number' }).int().min(0).max(1_000_000).default(0);

export const RunParams = z.object({ id: id('run id') });
export const JobParams = z.object({ id: id('job id') });
export const UpdateParams = z.object({ id: updateId });
export const TargetParams = z.object({ release: targetPart('release'), dist: targetPart('dist') });
export const PipelineParams = z.object({ pipeline: z.enum(['phase2', 'promote'], { error: 'only phase2 and promote are started this way (phase1: POST /api/runs)' }) });

export const RunsQuery = z.strictObject({
  pipeline: z.enum(PIPELINES).optional(),
  state: z.enum(RUN_STATES).optional(),
  verdict: z.enum(RUN_VERDICTS).optional(),
  update: updateId.optional(),
  before: id('before').optional().meta({ description: 'The `next` cursor of the previous page.' }),
  limit: limit(200, 50),
});
export const JobsQuery = z.strictObject({
  state: z.enum(JOB_STATES).optional(),
  result: z.enum(JOB_RESULTS).optional(),
  target: z.string().max(130).optional(),
  limit: limit(500, 100),
  offset,
});
export const UpdatesQuery = z.strictObject({
  folder: z.enum(UPDATE_REPO_FOLDERS).optional(),
  limit: limit(500, 100),
  offset,
});
export const EventsQuery = z.strictObject({
  run: id('run').optional().meta({ description: 'Only the events of this run.' }),
});
export const LogLinesQuery = z.strictObject({
  from: z.coerce.number({ error: 'from must be a line number' }).int().min(1).default(1),
  count: limit(5000, 500),
});
export const LogFollowQuery = z.strictObject({
  offset: z.coerce.number({ error: 'offset must be a byte offset' }).int().min(0).default(0),
});

export const SubmitBody = z.strictObject({
  file: z.string().regex(/^(updates\/)?[A-Za-z0-9][A-Za-z0-9._+-]{0,63}\.yml$/, { error: 'file is the update file\'s name, <id>.yml (optionally updates/<id>.yml)' })
    .meta({ description: 'The file name: its id is the update\'s identity.' }),
  content: z.string().min(1, { error: 'content is the update file\'s YAML text' }).max(1024 * 1024, { error: 'an update file is at most 1 MiB' }),
  author: z.strictObject({ name: z.string().max(200).refine(isAuthorName, { error: `an author's name is ${AUTHOR_NAME_RULE}` }), email: z.email() }).optional()
    .meta({ description: 'Who wrote the update (its merge commit\'s author); default: the token\'s person, `PERSON <PERSON@sluice.invalid>`. Who submitted it is always the token\'s person (a `web.action` event).' }),
  with: z.array(z.string().trim().min(1).max(500).refine(...NO_CONTROL)).max(50).optional()
    .meta({ description: 'Other updates it needs, as `sluice submit --with` takes them: update ids or URLs of Gerrit changes Sluice has tested (docs/lifecycle.md, "Updates that need each other").' }),
});
export const CancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).refine(...NO_CONTROL).optional() }).default({});
export const DisableBody = z.strictObject({
  reason: z.string().trim().min(1, { error: 'reason must say why the target is red' }).max(500).refine(...NO_CONTROL),
  until: z.string().max(40).optional().meta({ description: 'A duration from now (`12h`, `2d`) or an ISO time.' }),
  by: z.string().trim().min(1).max(100).refine(...NO_CONTROL).optional()
    .meta({ description: 'Ignored, kept so that older clients still work: the target is disabled in the name of the token\'s person.' }),
});
export const MustProvisionParams = z.object({ package: z.string().refine(isSafeName, { error: `package must be ${NAME_RULE}` }) });
export const MustProvisionBody = z.strictObject({ reason: z.string().trim().min(1, { error: 'reason must say why' }).max(500).refine(...NO_CONTROL) });
export const MustProvisionResultSchema = z.object({
  package: z.string(),
  listed: z.boolean().meta({ description: 'Whether the package is on the list now.' }),
  changed: z.boolean().meta({ description: 'False when the list already said so (added before, by `by`).' }),
  by: z.string(),
  reason: z.string(),
}).meta({ id: 'MustProvisionResult' });
export const EnableBody = z.strictObject({
  by: z.string().trim().min(1).max(100).refine(...NO_CONTROL).optional()
    .meta({ description: 'Ignored, kept so that older clients still work: the target is enabled in the name of the token\'s person.' }),
}).default({});

/** A run's pipeline as the API shows it: `unreadable` for a run this version cannot read (docs/store.md). */
const RunPipeline = z.enum([...PIPELINES, 'unreadable']);

export const RunSummarySchema = z.object({
  id: z.string(),
  pipeline: RunPipeline,
  updateId: z.string().nullable(),
  state: z.enum(RUN_STATES),
  verdict: z.enum(RUN_VERDICTS).nullable(),
  reason: z.string().nullable(),
  createdAt: ms,
  startedAt: ms.nullable(),
  finishedAt: ms.nullable(),
  reportedAt: ms.nullable(),
  cancelRequestedAt: ms.nullable(),
  url: z.string(),
}).meta({ id: 'RunSummary' });

export const JobSchema = z.object({
  id: z.string(),
  runId: z.string(),
  target: z.string(),
  kind: z.string(),
  state: z.enum(JOB_STATES),
  result: z.enum(JOB_RESULTS).nullable(),
  status: z.enum(CELL_STATES).meta({ description: 'What a cell shows: the result once finished, else queued, retrying or running. Never failure before a result.' }),
  reason: z.string().nullable(),
  skipReason: z.string().nullable(),
  attempt: z.int(),
  maxAttempts: z.int().meta({ description: 'Attempts allowed: the retries plus one, plus each attempt given back (interruptions).' }),
  interruptions: z.int().meta({ description: 'Attempts lost to the death of the worker running them and given back (engine.interrupted_attempts).' }),
  node: z.string().nullable(),
  createdAt: ms,
  startedAt: ms.nullable(),
  finishedAt: ms.nullable(),
  logUrl: z.string().nullable().meta({ description: 'The log viewer of this job, when it has a log.' }),
}).meta({ id: 'Job' });

export const RunSchema = RunSummarySchema.extend({
  inputs: z.unknown(),
  outcome: z.unknown(),
  jobs: z.array(JobSchema),
}).meta({ id: 'Run' });

export const RunPageSchema = z.object({ items: z.array(RunSummarySchema), next: z.string().nullable().meta({ description: 'Pass as `before` for the next page; null on the last.' }) });
export const JobPageSchema = z.object({ items: z.array(JobSchema), total: z.int() });

export const TargetViewSchema = z.object({
  target: z.string(),
  release: z.string(),
  dist: z.string(),
  provider: z.string(),
  image: z.string().nullable(),
  disabled: z.object({ reason: z.string(), by: z.string(), since: ms, until: ms.nullable() }).nullable(),
  status: z.enum(CELL_STATES).meta({ description: 'Of the newest job on this target among recent runs; `none` without one.' }),
  last: z.object({
    runId: z.string(),
    jobId: z.string(),
    updateId: z.string().nullable().meta({ description: 'The update of a phase1 run; null for the other pipelines, which test none or several.' }),
    pipeline: RunPipeline.meta({ description: 'The pipeline of the job\'s run.' }),
    label: z.string().meta({ description: 'What the dashboard\'s cell names the job by: the update for phase1; for phase2 the batch size, or the bisection round and the group (its update when down to one), e.g. `phase2 of 12 updates`, `phase2 bisect r3: 6 of 12 updates`, `phase2 bisect r4: hkvc`; `promote`; `images baseline`.' }),
    at: ms,
  }).nullable(),
  running: z.int(),
  queued: z.int(),
}).meta({ id: 'Target' });

export const ImageSchema = z.object({
  target: z.string(),
  image: z.string().nullable(),
  phase1: z.enum(['image', 'provision']).meta({ description: 'How phase1 nodes start for this target unless an update touches a must-provision package.' }),
}).meta({ id: 'Image' });

export const NodeSchema = z.object({
  provider: z.string(),
  type: z.string(),
  capacity: z.int(),
  busy: z.int(),
  leases: z.array(z.object({ slot: z.int(), holder: z.string(), jobId: z.string().nullable(), acquiredAt: ms, expiresAt: ms })),
}).meta({ id: 'Node' });

export const FOLDERS = UPDATE_REPO_FOLDERS;
export const UpdateSummarySchema = z.object({
  id: z.string(),
  folder: z.enum(FOLDERS).nullable().meta({ description: 'Where its file is at HEAD of the update repository; null while only submitted.' }),
  topic: z.string().nullable(),
  author: z.string().nullable(),
  updatedAt: ms.nullable(),
  url: z.string(),
}).meta({ id: 'UpdateSummary' });
export const UpdateSchema = UpdateSummarySchema.extend({
  path: z.string().nullable(),
  notes: z.string().nullable(),
  firstSeenAt: ms.nullable(),
  builds: z.array(z.object({ id: z.string(), repo: z.string(), dist: z.string(), source: z.string() })),
  runs: z.array(RunSummarySchema),
}).meta({ id: 'Update' });
export const UpdatePageSchema = z.object({ items: z.array(UpdateSummarySchema), total: z.int() });

export const LadderSchema = z.object({
  updates: z.int(),
  ready: z.int(),
  stage: z.object({ runId: z.string(), updates: z.int() }).nullable().meta({ description: 'The promote run composing or testing stage now, if any.' }),
  production: z.int().meta({ description: 'Updates pushed (pushed/).' }),
  failed: z.int(),
}).meta({ id: 'Ladder' });

export const SubmitResultSchema = z.object({ runId: z.string(), jobs: z.int(), skipped: z.int(), url: z.string() });
export const ApproveBody = z.strictObject({
  set: z.string().trim().regex(/^[0-9a-fA-F]{6,64}$/, { error: 'set must be the set hash the run shows (6 to 64 hex digits)' })
    .meta({ description: 'The hash of the set of updates approved, as the run shows it (`waits for approval of set ...`): refused with E_APPROVAL_SET_MISMATCH if the run publishes another set.' }),
});
export const ApproveResultSchema = z.object({
  runId: z.string(), setHash: z.string(), updates: z.array(z.object({ id: z.string(), contentHash: z.string() })),
  by: z.string(), at: ms, already: z.boolean(),
});
export const CancelResultSchema = z.object({ runId: z.string(), cancelledJobs: z.array(z.string()), signalledJobs: z.array(z.string()), verdict: z.enum(RUN_VERDICTS).nullable() });
export const RecheckResultSchema = z.object({ runId: z.string(), recheckOf: z.string(), kind: z.enum(['started', 'coalesced']), url: z.string() });
export const TriggerResultSchema = z.object({ runId: z.string(), kind: z.enum(['started', 'coalesced']), url: z.string() });
export const TargetStateResultSchema = z.object({ target: z.string(), disabled: z.boolean(), reason: z.string().nullable(), until: ms.nullable() });

export const LogLinesSchema = z.object({
  jobId: z.string(),
  from: z.int(),
  lines: z.array(z.string()),
  totalLines: z.int(),
  bytes: z.int(),
  errors: z.object({ first: z.int(), lines: z.array(z.int()) }).nullable().meta({ description: 'Where the error is: the line to jump to and the lines that matched an error pattern (1-based); null while the job runs or when it passed.' }),
  growing: z.boolean().meta({ description: 'The job is still running: follow /api/jobs/{id}/log/follow for more.' }),
}).meta({ id: 'LogLines' });
