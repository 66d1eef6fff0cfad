import type { Kysely, Selectable } from 'kysely';
import { checkEventRecord, decodeEventRecord, type EventRecord, type UnreadableEventRecord } from '../core/records/events.js';
import { EVENTS_PER_INSERT, type DialectAdapter, type EventRow } from './adapter.js';
import { write, type StoreContext } from './context.js';
import { fromJsonText, toJsonText } from './json.js';
import type { Database, EventsTable } from './schema.js';
import type { WakeHint } from './wake-hint.js';

/**
 * An event to append: its kind (`noun.verb`, e.g. `job.finished`) with the payload that
 * kind's schema (core/records/events.ts) says, so a wrong payload does not compile.
 */
export type NewEvent = EventRecord & {
  at: number;
  runId?: string | null;
  jobId?: string | null;
};

/**
 * An event as read, its payload decoded by its kind's schema. A row this version cannot
 * decode (a newer kind, a payload of another shape) reads as the `unreadable` variant,
 * with its stored kind, instead of failing the read.
 */
export type StoredEvent = (EventRecord | UnreadableEventRecord) & {
  seq: number;
  at: number;
  runId: string | null;
  jobId: string | null;
};
/** A stored event of one kind. */
export type StoredEventOf<K extends StoredEvent['kind']> = Extract<StoredEvent, { kind: K }>;

export interface EventQuery {
  /** Only events after this sequence number: a reader's cursor. */
  afterSeq?: number;
  runId?: string;
  /** At most this many, oldest first; default 1000. */
  limit?: number;
}

const DEFAULT_LIMIT = 1000;

/**
 * Appends an event inside the caller's transaction. Append events last in a
 * transaction: on PostgreSQL this takes a gate held until commit, because sequence
 * numbers are handed out at insert but become visible at commit, and a reader
 * tailing by `afterSeq` would otherwise skip an event that commits late.
 */
export async function insertEvent(trx: Kysely<Database>, adapter: DialectAdapter, event: NewEvent): Promise<number> {
  checkEventRecord(event);
  const [seq] = await adapter.appendEventRows(trx, [eventRow(event)], false);
  if (seq === undefined) throw new Error(`the ${event.kind} event was not appended`);
  return seq;
}

/** An event as its row is written (the payload as JSON text). */
export function eventRow(event: NewEvent): EventRow {
  return { at: event.at, kind: event.kind, run_id: event.runId ?? null, job_id: event.jobId ?? null, payload: toJsonText(event.payload, `payload of ${event.kind}`) };
}


/**
 * Appends several events inside the caller's transaction, in order, with one gate and
 * one statement per EVENTS_PER_INSERT (a transition's events: one round trip, not two
 * per event on PostgreSQL). The same rule as insertEvent: last in the transaction.
 */
export async function insertEvents(trx: Kysely<Database>, adapter: DialectAdapter, events: readonly NewEvent[], wake: WakeHint | false = false): Promise<void> {
  if (events.length === 0) return;
  for (const event of events) checkEventRecord(event);
  for (let at = 0; at < events.length; at += EVENTS_PER_INSERT) {
    // The wake-up rides on the first statement: it is delivered at commit either way.
    await adapter.appendEventRows(trx, events.slice(at, at + EVENTS_PER_INSERT).map(eventRow), at === 0 ? wake : false);
  }
}

export async function appendEvent(ctx: StoreContext, event: NewEvent): Promise<number> {
  return write(ctx, (trx) => insertEvent(trx, ctx.adapter, event));
}

/** The seq of the newest event, 0 when there is none: where a reader that wants only what comes next starts. */
export async function latestEventSeq(ctx: StoreContext): Promise<number> {
  const row = await ctx.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
}

export async function listEvents(ctx: StoreContext, query: EventQuery = {}): Promise<StoredEvent[]> {
  let select = ctx.db.selectFrom('events').selectAll();
  if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
  if (query.runId !== undefined) select = select.where('run_id', '=', query.runId);
  const rows = await select
    .orderBy('seq')
    .limit(query.limit ?? DEFAULT_LIMIT)
    .execute();
  return rows.map(toEvent);
}

function toEvent(row: Selectable<EventsTable>): StoredEvent {
  return {
    ...decodeEventRecord(row.kind, fromJsonText(row.payload)),
    seq: row.seq,
    at: row.at,
    runId: row.run_id,
    jobId: row.job_id,
  };
}
