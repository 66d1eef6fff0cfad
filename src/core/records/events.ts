import { z } from 'zod';
import { decodeRecord, type RecordOf } from './decode.js';
import { GerritRefSchema } from './phase1.js';
import { StagedPlanSchema } from './promote.js';
import { JOB_RESULTS, PIPELINES, RUN_VERDICTS } from './vocabulary.js';

// Every kind of event the event log holds, with the schema of its payload: one entry per
// kind, the kind its discriminant. The store writes the run, job, lease, target and image
// events; the pipelines, the scheduler, the Gerrit trigger and `sluice serve`'s reloads the others.

const ids = z.array(z.string());
const RequeuedSchema = {
  worker: z.string().nullable(),
  attempt: z.number(),
  reason: z.string().nullable(),
  availableAt: z.number(),
  /** Set when the attempt was handed back or lost with its worker. */
  givenBack: z.boolean().optional(),
  interruptions: z.number().optional(),
  maxAttempts: z.number().optional(),
};
const GerritEntrySchema = GerritRefSchema.extend({
  cause: z.enum(['patchset', 'recheck', 'topic', 'phase2']),
  /** Gerrit's time of what caused it (upload, comment), in ms. */
  requestedAt: z.number(),
  /** Who gave a command. */
  by: z.string().optional(),
});
const FiringOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('started'), runId: z.string() }),
  z.object({ kind: z.literal('coalesced'), runId: z.string() }),
  z.object({ kind: z.literal('nothing'), why: z.string() }),
  z.object({ kind: z.literal('failed'), error: z.string() }),
]);
const pipeline = z.enum(PIPELINES);

export const EVENT_PAYLOADS = {
  'run.created': z.object({ pipeline, updateId: z.string().nullable(), jobs: ids }),
  'run.started': z.null(),
  'run.jobs_added': z.object({ jobs: ids }),
  'run.cancel_requested': z.object({ reason: z.string(), cancelledJobs: ids, signalledJobs: ids, open: z.number() }),
  'run.finished': z.object({ verdict: z.enum(RUN_VERDICTS), because: z.string() }),
  'run.reported': z.object({}),
  'run.advance_failed': z.object({ message: z.string() }),
  'job.started': z.object({ worker: z.string(), attempt: z.number(), lockedUntil: z.number().nullable() }),
  'job.retried': z.object(RequeuedSchema),
  /** Requeued after its worker's lease lapsed, or (`final`) finished for lack of attempts left. */
  'job.reclaimed': z.union([
    z.object(RequeuedSchema),
    z.object({ worker: z.string().nullable(), attempt: z.number(), reason: z.string().nullable(), final: z.literal(true) }),
  ]),
  /** `worker` and `attempt` are absent for a queued job finished by a cancel. */
  'job.finished': z.object({ worker: z.string().nullable().optional(), attempt: z.number().optional(), result: z.enum(JOB_RESULTS), reason: z.string().nullable() }),
  'lease.reclaimed': z.object({ resource: z.string(), slot: z.number(), holder: z.string(), jobId: z.string().nullable(), acquiredAt: z.number(), expiresAt: z.number() }),
  'target.disabled': z.object({ target: z.string(), reason: z.string(), by: z.string(), until: z.number().nullable() }),
  'target.enabled': z.object({ target: z.string(), by: z.string(), was: z.object({ reason: z.string(), by: z.string(), since: z.number() }) }),
  'target.disable_proposed': z.object({ target: z.string(), reason: z.string() }),
  'update.dependencies': z.object({ update: z.string(), content: z.string(), declared: z.array(z.string()), by: z.string() }),
  'update.dependencies.inferred': z.object({ update: z.string(), content: z.string(), inferred: z.array(z.string()) }),
  'must_provision.added': z.object({ package: z.string(), by: z.string(), reason: z.string() }),
  'must_provision.removed': z.object({ package: z.string(), by: z.string(), reason: z.string() }),
  'image.snapshot': z.object({ name: z.string(), location: z.string(), provider: z.string(), target: z.string() }),
  'image.recorded': z.object({ name: z.string(), target: z.string(), productionKey: z.string().nullable() }),
  'image.pruned': z.object({ names: ids }),
  /** `sluice prune` deleted a run's logs and results (docs/retention.md); the run's rows stay, and say when. */
  'logs.pruned': z.object({ bytes: z.number(), files: z.number() }),
  'schedule.fired': z.object({ pipeline, cron: z.string(), firedAt: z.number(), outcome: FiringOutcomeSchema, coalescedWith: z.number().optional() }),
  'schedule.armed': z.object({ pipeline, cron: z.string(), since: z.number() }),
  'promote.staged': StagedPlanSchema,
  'promote.recorded': z.object({
    results: z.array(z.discriminatedUnion('done', [
      z.object({ id: z.string(), done: z.literal(true), commit: z.string() }),
      z.object({ id: z.string(), done: z.literal(false), why: z.enum(['gone', 'already']) }),
    ])),
  }),
  /** A release manager approved the set of updates a promote run publishes (`promote.approval: required`, docs/promote.md). */
  'promote.approved': z.object({ setHash: z.string(), updates: z.array(z.object({ id: z.string(), contentHash: z.string() })), by: z.string(), via: z.enum(['cli', 'api', 'dashboard']) }),
  /** A controlled run waits for something other than its jobs (a promote for its approval): the run's reason says what, until it goes on. */
  'run.waiting': z.object({ why: z.string() }),
  'phase2.moved': z.object({
    moves: z.array(z.discriminatedUnion('moved', [
      z.object({ id: z.string(), moved: z.literal(true), folder: z.string(), commit: z.string() }),
      z.object({ id: z.string(), moved: z.literal(false), why: z.enum(['changed', 'gone', 'already']) }),
    ])),
  }),
  /** A `sluice serve` took a role's lease (docs/schedules.md, "One scheduler per store"); `previous` held the term before. */
  'leader.elected': z.object({ role: z.string(), holder: z.string(), term: z.number(), expiresAt: z.number(), previous: z.string().nullable() }),
  /** A holder's term ended: it let the lease expire (`expired`, seen by its successor or its own renewal), stopped (`resigned`), or took it again after losing track of it (`superseded`). */
  'leader.lost': z.object({ role: z.string(), holder: z.string(), term: z.number(), reason: z.enum(['expired', 'resigned', 'superseded']) }),
  'gerrit.request': GerritEntrySchema,
  'gerrit.rejected': GerritEntrySchema,
  'gerrit.command': GerritEntrySchema,
  /**
   * Someone acted through the API or the dashboard: who (the token's person, a session's,
   * or a trusted proxy's user; never a field of the request), how they were recognised,
   * what they did (docs/web.md, "Roles"), and the run or target it was about.
   */
  'web.action': z.object({
    action: z.string(),
    by: z.string(),
    via: z.enum(['token', 'session', 'header']),
    runId: z.string().nullable(),
    target: z.string().nullable(),
  }),
  /**
   * Production (and every mirror) was switched back to kept trees (docs/promote.md,
   * "Rollback"): who (`sluice rollback`'s user, or the API's person), how, why, and each
   * target's tree before and after.
   */
  'production.rolled_back': z.object({
    by: z.string(),
    via: z.enum(['cli', 'token', 'session', 'header']),
    reason: z.string(),
    to: z.string().nullable(),
    targets: z.array(z.object({ target: z.string(), from: z.string(), to: z.string() })),
    mirrors: z.array(z.string()),
  }),
  /**
   * `sluice serve` took a new sluice.yaml without a restart (SIGHUP or the admin API): its
   * SHA-256, the top-level keys that changed, and those of them that wait for a restart.
   */
  'config.reloaded': z.object({
    file: z.string(),
    hash: z.string(),
    previousHash: z.string(),
    changed: z.array(z.string()),
    needsRestart: z.array(z.string()),
    via: z.enum(['signal', 'api']),
    worker: z.string(),
  }),
  // issue 19: waivers (docs/lifecycle.md, "Waivers")
  'waiver.added': z.object({ id: z.string(), updateId: z.string(), contentHash: z.string(), target: z.string(), test: z.string().nullable(), reason: z.string(), by: z.string(), expiresAt: z.number() }),
  'waiver.revoked': z.object({ id: z.string(), by: z.string(), reason: z.string() }),
  /** A finished run given its verdict again because a waiver now covers (or no longer covers) a failure; it is reported again. */
  'run.recollated': z.object({ verdict: z.enum(RUN_VERDICTS), because: z.string(), previousVerdict: z.enum(RUN_VERDICTS), revision: z.number(), waiverId: z.string() }),
} as const satisfies Record<string, z.ZodType>;

type Payloads = typeof EVENT_PAYLOADS;
export type EventKind = keyof Payloads;
export const EVENT_KINDS = Object.keys(EVENT_PAYLOADS) as EventKind[];
export type EventPayload<K extends EventKind> = RecordOf<Payloads[K]>;

/** An event's kind with its payload: the discriminated union every writer and reader uses. */
export type EventRecord = { [K in EventKind]: { readonly kind: K; readonly payload: EventPayload<K> } }[EventKind];

/**
 * An event this version cannot read: a kind it does not know (a newer version wrote it)
 * or a payload that does not match its kind's schema. Readers list it and act on nothing.
 */
export interface UnreadableEventRecord {
  readonly kind: 'unreadable';
  /** The kind column as stored. */
  readonly storedKind: string;
  readonly problem: string;
  readonly payload: unknown;
}

export function isEventKind(value: string): value is EventKind {
  return Object.hasOwn(EVENT_PAYLOADS, value);
}

/** Checks an event's payload against its kind's schema before it is written: an event the store could not read back is refused. */
export function checkEventRecord(event: EventRecord): void {
  const schema: z.ZodType | undefined = isEventKind(event.kind) ? EVENT_PAYLOADS[event.kind] : undefined;
  if (!schema) throw new TypeError(`no event kind "${event.kind}"`);
  const decoded = decodeRecord(schema, event.payload);
  if (!decoded.ok) throw new TypeError(`payload of ${event.kind}: ${decoded.problem}`);
}

/** Decodes an event row's kind and payload (parsed JSON) into its typed record. */
export function decodeEventRecord(kind: string, payload: unknown): EventRecord | UnreadableEventRecord {
  if (!isEventKind(kind)) return { kind: 'unreadable', storedKind: kind, problem: `no event kind "${kind}" in this version`, payload };
  const schema: z.ZodType = EVENT_PAYLOADS[kind];
  const decoded = decodeRecord(schema, payload);
  if (!decoded.ok) return { kind: 'unreadable', storedKind: kind, problem: `payload of ${kind}: ${decoded.problem}`, payload };
  // Checked against this kind's schema just above.
  return { kind, payload: decoded.value } as EventRecord;
}
