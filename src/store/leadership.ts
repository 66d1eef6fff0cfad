import type { Kysely, Selectable } from 'kysely';
import type { EventPayload } from '../core/records/events.js';
import { write, type StoreContext } from './context.js';
import { insertEvents, type NewEvent } from './events.js';
import { refused, type Done, type Outcome } from './results.js';
import type { Database, LeadershipTable } from './schema.js';

// One leader per role among the processes sharing a store: a lease row (holder, term,
// expiry). A lease is current while expires_at > now; once it is not, anyone may take
// the role, and the term grows by one. A holder renews only the term it took, and only
// before it expires: an expired lease is lost to its holder even if nobody took it yet,
// so a paused leader that wakes up finds out rather than carrying on beside its successor.
// Each term's end is recorded once: by the successor that finds it expired, by the
// holder's own renewal that finds it expired, or by the holder resigning.

export interface Leader {
  readonly role: string;
  readonly holder: string;
  readonly term: number;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

export interface TakeLeadershipInput {
  readonly role: string;
  readonly holder: string;
  readonly now: number;
  readonly ttlMs: number;
}

/** `held`: another holder's lease is current; `leader` is whose, until when. */
export type TakeLeadershipResult = Done<{ term: number; expiresAt: number }> | { readonly ok: false; readonly code: 'held'; readonly leader: Leader };

export interface RenewLeadershipInput {
  readonly role: string;
  readonly holder: string;
  readonly term: number;
  readonly now: number;
  readonly ttlMs: number;
}

/** `lost`: the term expired, was taken over, or was resigned: the caller leads no more. */
export type RenewLeadershipResult = Outcome<'lost', { expiresAt: number }>;

export interface ResignLeadershipInput {
  readonly role: string;
  readonly holder: string;
  readonly term: number;
  readonly now: number;
}

/** `lost`: the term had ended already (taken over, or its end recorded). */
export type ResignLeadershipResult = Outcome<'lost'>;

type LostReason = EventPayload<'leader.lost'>['reason'];

/** The event stream of a role's terms, in place of a run id (run ids hold no colon). */
export function leaderStream(role: string): string {
  return `leader:${role}`;
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/**
 * Takes the role when nobody holds it, its lease expired, or the caller holds it already
 * (it lost track of its term, e.g. a renewal whose answer never came): a new term each
 * time, with `leader.lost` for the term it ends and `leader.elected` for the new one.
 */
export async function takeLeadership(ctx: StoreContext, input: TakeLeadershipInput): Promise<TakeLeadershipResult> {
  positiveInteger(input.ttlMs, 'ttlMs');
  return write(ctx, async (trx) => {
    // The row is made on first need; a racing taker's insert waits on the conflict, then
    // both lock the one row and go one after the other.
    await trx.insertInto('leadership').values({ role: input.role, holder: null, term: 0, acquired_at: null, expires_at: null })
      .onConflict((oc) => oc.column('role').doNothing()).execute();
    const row = await lockedRow(ctx, trx, input.role);
    const current = toLeader(row);
    if (current && current.expiresAt > input.now && current.holder !== input.holder) return { ok: false, code: 'held', leader: current } as const;
    const term = Number(row.term) + 1;
    const expiresAt = input.now + input.ttlMs;
    await trx.updateTable('leadership')
      .set({ holder: input.holder, term, acquired_at: input.now, expires_at: expiresAt })
      .where('role', '=', input.role).execute();
    const stream = leaderStream(input.role);
    const events: NewEvent[] = [];
    if (current) {
      const reason: LostReason = current.expiresAt <= input.now ? 'expired' : 'superseded';
      events.push({ at: input.now, kind: 'leader.lost', runId: stream, payload: { role: input.role, holder: current.holder, term: current.term, reason } });
    }
    events.push({ at: input.now, kind: 'leader.elected', runId: stream, payload: { role: input.role, holder: input.holder, term, expiresAt, previous: current?.holder ?? null } });
    await insertEvents(trx, ctx.adapter, events);
    return { ok: true, term, expiresAt } as const;
  });
}

/**
 * Extends the caller's term while it is current. A term that expired before anyone took
 * it over ends here, recorded as `expired`, and the role is free.
 */
export async function renewLeadership(ctx: StoreContext, input: RenewLeadershipInput): Promise<RenewLeadershipResult> {
  positiveInteger(input.ttlMs, 'ttlMs');
  const expiresAt = input.now + input.ttlMs;
  return write(ctx, async (trx) => {
    const renewed = await trx.updateTable('leadership')
      .set({ expires_at: expiresAt })
      .where('role', '=', input.role).where('holder', '=', input.holder).where('term', '=', input.term)
      .where('expires_at', '>', input.now)
      .executeTakeFirst();
    if (renewed.numUpdatedRows > 0n) return { ok: true, expiresAt } as const;
    await endTerm(ctx, trx, input, 'expired');
    return refused('lost');
  });
}

/** Gives the role up (serve stopping): a follower takes it at its next look, without waiting for the lease to expire. */
export async function resignLeadership(ctx: StoreContext, input: ResignLeadershipInput): Promise<ResignLeadershipResult> {
  return write(ctx, async (trx) => ((await endTerm(ctx, trx, input, 'resigned')) ? { ok: true } as const : refused('lost')));
}

/** The role's holder, current or expired (compare `expiresAt` with the time); undefined when nobody holds it. */
export async function getLeader(ctx: StoreContext, role: string): Promise<Leader | undefined> {
  const row = await ctx.db.selectFrom('leadership').selectAll().where('role', '=', role).executeTakeFirst();
  return row ? toLeader(row) : undefined;
}

/** Frees the role if `holder` still has this term, recording its end; false when it had ended already. */
async function endTerm(ctx: StoreContext, trx: Kysely<Database>, input: { role: string; holder: string; term: number; now: number }, reason: LostReason): Promise<boolean> {
  const freed = await trx.updateTable('leadership')
    .set({ holder: null, acquired_at: null, expires_at: null })
    .where('role', '=', input.role).where('holder', '=', input.holder).where('term', '=', input.term)
    .executeTakeFirst();
  if (freed.numUpdatedRows === 0n) return false;
  await insertEvents(trx, ctx.adapter, [{ at: input.now, kind: 'leader.lost', runId: leaderStream(input.role), payload: { role: input.role, holder: input.holder, term: input.term, reason } }]);
  return true;
}

async function lockedRow(ctx: StoreContext, trx: Kysely<Database>, role: string): Promise<Selectable<LeadershipTable>> {
  return ctx.adapter.lockRows(trx.selectFrom('leadership').selectAll().where('role', '=', role), 'wait').executeTakeFirstOrThrow();
}

function toLeader(row: Selectable<LeadershipTable>): Leader | undefined {
  if (row.holder === null || row.acquired_at === null || row.expires_at === null) return undefined;
  return { role: row.role, holder: row.holder, term: Number(row.term), acquiredAt: Number(row.acquired_at), expiresAt: Number(row.expires_at) };
}
