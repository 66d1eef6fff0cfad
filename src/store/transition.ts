import type { Kysely } from 'kysely';
import { checkEventRecord } from '../core/records/events.js';
import type { StoreContext } from './context.js';
import { eventRow, type NewEvent } from './events.js';
import type { Database } from './schema.js';

export type TransitionTrx = Kysely<Database>;

/** Transitions after which another worker may have something to do. */
const WAKING_EVENTS = new Set(['job.retried', 'job.reclaimed', 'run.finished', 'run.cancel_requested', 'run.jobs_added']);
/** Transitions that only free a node: work only for a worker waiting for one. */
const FREEING_EVENTS = new Set(['job.finished']);
export type Emit = (event: NewEvent) => void;

/**
 * One write transaction for a job or run transition. Events are emitted during the
 * work and appended at its end, after every row lock, as events.ts requires.
 *
 * Lock order on PostgreSQL, the same in every transition so none can deadlock: job
 * rows first (several at once only in id order, or skip-locked), then run rows (several
 * only in run id order), then lease rows; never a job row while holding a run row, nor
 * either while holding a lease row.
 */
export function transition<T>(ctx: StoreContext, work: (trx: TransitionTrx, emit: Emit) => Promise<T>): Promise<T> {
  return ctx.adapter.writeWithEvents(ctx.db, async (trx) => {
    const events: NewEvent[] = [];
    const value = await work(trx as TransitionTrx, (event) => events.push(event));
    for (const event of events) checkEventRecord(event);
    const wake = events.some((e) => WAKING_EVENTS.has(e.kind)) ? 'work' : events.some((e) => FREEING_EVENTS.has(e.kind)) ? 'freed' : false;
    return { value, rows: events.map(eventRow), wake };
  });
}
