import { z } from 'zod';
import type { Notification, Store } from '../../store/index.js';
import type { EmailSender } from './email.js';
import type { SendOutcome } from './send-outcome.js';
import { postWebhook, type WebhookTarget } from './webhook.js';

/** What a notification row holds, frozen when the run was reported: every retry sends these bytes. */
export const StoredMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('email'), to: z.string(), subject: z.string(), text: z.string() }),
  z.object({ kind: z.literal('webhook'), webhook: z.string(), body: z.string() }),
]);
export type StoredMessage = z.output<typeof StoredMessageSchema>;

/** Where messages go: the SMTP server (when `notify.email` is set) and the webhooks by name. */
export interface NotifySenders {
  readonly email?: EmailSender;
  readonly webhooks: ReadonlyMap<string, WebhookTarget>;
}

export interface OutboxOptions {
  readonly store: Store;
  readonly senders: NotifySenders;
  /** This sender's name on its claims. */
  readonly worker: string;
  readonly now: () => number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** How long a claim holds a delivery: longer than the slowest attempt may take. */
  readonly leaseMs: number;
  readonly log?: (line: string) => void;
}

/** Deliveries claimed at once; they are sent side by side. */
const BATCH = 10;

/** The wait before attempt `attempt + 1`, after `attempt` failed ones: `backoff`, doubled each time, at most `max`. */
export function retryDelay(attempt: number, backoffMs: number, maxBackoffMs: number): number {
  return Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/**
 * Sends the notifications that are due: claims a batch (a lease per row, so several
 * processes share the outbox), sends each, records the attempt and what follows (delivered,
 * again after the backoff, or failed once its attempts are used up), until none is due.
 */
export class NotificationOutbox {
  constructor(private readonly o: OutboxOptions) {}

  /** Sends what is due now; returns when the next pending one falls due (undefined: none pending). */
  async drain(signal?: AbortSignal): Promise<number | undefined> {
    for (;;) {
      if (signal?.aborted) break;
      const claimed = await this.o.store.claimDueNotifications({ worker: this.o.worker, now: this.o.now(), leaseMs: this.o.leaseMs, limit: BATCH });
      await Promise.all(claimed.map((n) => this.attempt(n)));
      if (claimed.length < BATCH) break;
    }
    return this.o.store.nextNotificationDue();
  }

  private async attempt(n: Notification): Promise<void> {
    const startedAt = this.o.now();
    const outcome = await this.send(n).catch((e: unknown): SendOutcome => ({ ok: false, retryable: true, detail: (e as Error).message }));
    const now = this.o.now();
    const retryAt = outcome.ok || !outcome.retryable || n.attempts >= n.maxAttempts ? null : now + retryDelay(n.attempts, this.o.backoffMs, this.o.maxBackoffMs);
    const recorded = await this.o.store.recordNotificationAttempt({ id: n.id, worker: this.o.worker, attempt: n.attempts, startedAt, now, ok: outcome.ok, detail: outcome.detail, retryAt });
    if (!recorded.ok) this.o.log?.(`notification ${n.id} (${n.recipient}, run ${n.runId}): attempt ${n.attempts} outlived its claim; another sender has it`);
    else if (recorded.state === 'failed') this.o.log?.(`notification ${n.id} (${n.recipient}, run ${n.runId}) given up after attempt ${n.attempts}: ${outcome.detail}`);
  }

  private async send(n: Notification): Promise<SendOutcome> {
    const parsed = StoredMessageSchema.safeParse(n.message);
    if (!parsed.success) return { ok: false, retryable: false, detail: `the stored message cannot be read by this version: ${parsed.error.issues[0]?.message ?? 'unknown shape'}` };
    const m = parsed.data;
    const delivery = { id: n.id, runId: n.runId };
    if (m.kind === 'email') {
      if (!this.o.senders.email) return { ok: false, retryable: true, detail: 'notify.email is not configured in this process' };
      return this.o.senders.email.send(delivery, m);
    }
    const target = this.o.senders.webhooks.get(m.webhook);
    if (!target) return { ok: false, retryable: true, detail: `no webhook named ${m.webhook} in notify.webhooks of this process` };
    return postWebhook(target, delivery, m.body);
  }
}
