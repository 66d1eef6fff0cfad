import type { Selectable } from 'kysely';
import { NOTIFICATION_CHANNELS, NOTIFICATION_STATES, type NotificationChannel, type NotificationState } from '../core/records/vocabulary.js';
import { member } from './closed.js';
import { write, type StoreContext } from './context.js';
import { fromJsonText, toJsonText } from './json.js';
import { refused, type Outcome } from './results.js';
import type { NotificationAttemptsTable, NotificationsTable } from './schema.js';

// The notification outbox (migration 0016): rows written when a run is reported, one per
// (run, rule, recipient), then claimed with a lease by a sender, each attempt recorded.
// A claim counts the attempt as begun, so a sender that dies mid-send uses one attempt up
// and a message that kills its sender cannot be retried forever.

export { NOTIFICATION_STATES, NOTIFICATION_CHANNELS, type NotificationState, type NotificationChannel };

/** A notification to write: its id is the delivery id the receiver sees. */
export interface NewNotification {
  readonly id: string;
  readonly rule: string;
  /** `email:ADDRESS` or `webhook:NAME`. */
  readonly recipient: string;
  readonly channel: NotificationChannel;
  /** What is sent, frozen now: every retry sends the same. */
  readonly message: unknown;
  readonly maxAttempts: number;
}

export interface EnqueueNotificationsInput {
  readonly runId: string;
  readonly now: number;
  readonly notifications: readonly NewNotification[];
}

export interface Notification {
  readonly id: string;
  readonly runId: string;
  readonly rule: string;
  readonly recipient: string;
  readonly channel: NotificationChannel;
  readonly message: unknown;
  readonly state: NotificationState;
  /** Attempts begun so far. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly nextAttemptAt: number;
  readonly lockedBy: string | null;
  readonly lockedUntil: number | null;
  readonly createdAt: number;
  /** When it was delivered or given up. */
  readonly finishedAt: number | null;
  readonly lastError: string | null;
}

export interface NotificationAttempt {
  readonly notificationId: string;
  readonly attempt: number;
  readonly worker: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
  /** What the receiver answered (`HTTP 204`, `250 OK: queued`) or how it failed. */
  readonly detail: string;
}

/** A notification with every attempt made at it, oldest first. */
export interface NotificationWithAttempts extends Notification {
  readonly history: readonly NotificationAttempt[];
}

export interface ClaimNotificationsInput {
  readonly worker: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly limit?: number;
}

export interface RecordNotificationAttemptInput {
  readonly id: string;
  readonly worker: string;
  /** The attempt the claim began (the claimed row's `attempts`). */
  readonly attempt: number;
  readonly startedAt: number;
  readonly now: number;
  readonly ok: boolean;
  readonly detail: string;
  /** After a failure: when to try again, or null to give up (the row becomes `failed`). */
  readonly retryAt: number | null;
}

/** `lost`: the caller's claim lapsed and another sender has the row, or it is finished already. */
export type RecordNotificationAttemptResult = Outcome<'lost', { state: NotificationState }>;

const MAX_DETAIL_CHARS = 2000;

/** Writes what is not written yet, in one transaction; a (run, rule, recipient) already there is left as it is. */
export async function enqueueNotifications(ctx: StoreContext, input: EnqueueNotificationsInput): Promise<{ written: number }> {
  for (const n of input.notifications) {
    member(NOTIFICATION_CHANNELS, n.channel, 'notification.channel');
    if (!Number.isSafeInteger(n.maxAttempts) || n.maxAttempts < 1) throw new RangeError(`maxAttempts of notification ${n.id} must be a positive integer, got ${n.maxAttempts}`);
  }
  if (input.notifications.length === 0) return { written: 0 };
  return write(ctx, async (trx) => {
    let written = 0;
    for (const n of input.notifications) {
      const done = await trx.insertInto('notifications').values({
        id: n.id, run_id: input.runId, rule: n.rule, recipient: n.recipient, channel: n.channel,
        message: toJsonText(n.message, `message of notification ${n.id}`),
        state: 'pending' satisfies NotificationState, max_attempts: n.maxAttempts,
        next_attempt_at: input.now, created_at: input.now,
      }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      written += Number(done.numInsertedOrUpdatedRows ?? 0n);
    }
    if (written > 0) await ctx.adapter.wake(trx);
    return { written };
  });
}

/**
 * Takes up to `limit` pending notifications that are due and not held by a live lease,
 * each leased to `worker` for `leaseMs` with one more attempt begun; oldest due first.
 */
export async function claimDueNotifications(ctx: StoreContext, input: ClaimNotificationsInput): Promise<Notification[]> {
  return write(ctx, async (trx) => {
    // A sender that died during the last attempt left the row pending with nothing to try: it ends here.
    await trx.updateTable('notifications')
      .set({ state: 'failed' satisfies NotificationState, finished_at: input.now, locked_by: null, locked_until: null, last_error: 'the sender of its last attempt stopped before it recorded how it went' })
      .where('state', '=', 'pending' satisfies NotificationState).whereRef('attempts', '>=', 'max_attempts').where('locked_until', '<', input.now)
      .execute();
    const due = await ctx.adapter.lockRows(
      trx.selectFrom('notifications').select('id')
        .where('state', '=', 'pending' satisfies NotificationState).where('next_attempt_at', '<=', input.now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', input.now)]))
        .whereRef('attempts', '<', 'max_attempts')
        .orderBy('next_attempt_at').orderBy('id').limit(input.limit ?? 20),
      'skip',
    ).execute();
    const claimed: Notification[] = [];
    for (const { id } of due) {
      const row = await trx.updateTable('notifications')
        .set((eb) => ({ locked_by: input.worker, locked_until: input.now + input.leaseMs, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      claimed.push(toNotification(row));
    }
    return claimed;
  });
}

/**
 * Records how a claimed attempt went and what comes next, fenced by the claim (its holder
 * and attempt): delivered, due again at `retryAt`, or failed for good.
 */
export async function recordNotificationAttempt(ctx: StoreContext, input: RecordNotificationAttemptInput): Promise<RecordNotificationAttemptResult> {
  const detail = input.detail.length > MAX_DETAIL_CHARS ? `${input.detail.slice(0, MAX_DETAIL_CHARS)}…` : input.detail;
  const state: NotificationState = input.ok ? 'delivered' : input.retryAt === null ? 'failed' : 'pending';
  return write(ctx, async (trx) => {
    const done = await trx.updateTable('notifications')
      .set({
        state, locked_by: null, locked_until: null,
        ...(state === 'pending' ? { next_attempt_at: input.retryAt ?? input.now } : { finished_at: input.now }),
        ...(input.ok ? {} : { last_error: detail }),
      })
      .where('id', '=', input.id).where('state', '=', 'pending' satisfies NotificationState)
      .where('locked_by', '=', input.worker).where('attempts', '=', input.attempt)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) return refused('lost');
    await trx.insertInto('notification_attempts').values({
      notification_id: input.id, attempt: input.attempt, worker: input.worker,
      started_at: input.startedAt, ended_at: input.now, ok: input.ok ? 1 : 0, detail,
    }).execute();
    return { ok: true, state } as const;
  });
}

/** Notifications with their attempts: of one run, or the newest across runs; optionally in one state. */
export async function listNotifications(ctx: StoreContext, query: { runId?: string; state?: NotificationState; limit?: number } = {}): Promise<NotificationWithAttempts[]> {
  let q = ctx.db.selectFrom('notifications').selectAll();
  if (query.runId !== undefined) q = q.where('run_id', '=', query.runId);
  if (query.state !== undefined) q = q.where('state', '=', query.state);
  const rows = await q.orderBy('created_at', 'desc').orderBy('run_id').orderBy('rule').orderBy('recipient').limit(query.limit ?? 100).execute();
  if (rows.length === 0) return [];
  const attempts = await ctx.db.selectFrom('notification_attempts').selectAll()
    .where('notification_id', 'in', rows.map((r) => r.id)).orderBy('notification_id').orderBy('attempt').execute();
  const byId = new Map<string, NotificationAttempt[]>();
  for (const a of attempts) {
    const list = byId.get(a.notification_id) ?? [];
    list.push(toAttempt(a));
    byId.set(a.notification_id, list);
  }
  return rows.map((r) => ({ ...toNotification(r), history: byId.get(r.id) ?? [] }));
}

/** When the next pending notification falls due (a lapsed claim counts as due at its expiry); undefined when none is pending. */
export async function nextNotificationDue(ctx: StoreContext): Promise<number | undefined> {
  const rows = await ctx.db.selectFrom('notifications').select(['next_attempt_at', 'locked_until'])
    .where('state', '=', 'pending' satisfies NotificationState).whereRef('attempts', '<', 'max_attempts')
    .orderBy('next_attempt_at').limit(50).execute();
  let next: number | undefined;
  for (const r of rows) {
    const at = Math.max(Number(r.next_attempt_at), r.locked_until === null ? 0 : Number(r.locked_until) + 1);
    if (next === undefined || at < next) next = at;
  }
  return next;
}

function toNotification(row: Selectable<NotificationsTable>): Notification {
  return {
    id: row.id,
    runId: row.run_id,
    rule: row.rule,
    recipient: row.recipient,
    channel: member(NOTIFICATION_CHANNELS, row.channel, 'notifications.channel'),
    message: fromJsonText(row.message),
    state: member(NOTIFICATION_STATES, row.state, 'notifications.state'),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    lastError: row.last_error,
  };
}

function toAttempt(row: Selectable<NotificationAttemptsTable>): NotificationAttempt {
  return {
    notificationId: row.notification_id,
    attempt: Number(row.attempt),
    worker: row.worker,
    startedAt: Number(row.started_at),
    endedAt: Number(row.ended_at),
    ok: Number(row.ok) === 1,
    detail: row.detail,
  };
}
