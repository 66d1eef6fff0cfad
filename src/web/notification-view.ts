import { z } from 'zod';
import { NOTIFICATION_CHANNELS, NOTIFICATION_STATES, type NotificationWithAttempts } from '../store/index.js';
import { publicWorker } from './public-view.js';

/**
 * A run's notifications as the dashboard and the API show them. Pages are public by
 * default, so an email address shows its domain only (`email:…@example.org`), in the
 * recipient and in what a mail server answered; webhooks show their configured name.
 */

const ms = z.int().meta({ description: 'Milliseconds since the epoch.' });

export const NotificationAttemptSchema = z.object({
  attempt: z.int(),
  worker: z.string(),
  startedAt: ms,
  endedAt: ms,
  ok: z.boolean(),
  detail: z.string().meta({ description: 'What the receiver answered (`webhook chat: HTTP 204`, `smtp HOST: 250 ...`) or how the attempt failed.' }),
}).meta({ id: 'NotificationAttempt' });

export const NotificationSchema = z.object({
  id: z.string().meta({ description: 'The delivery id (`X-Sluice-Delivery`), the same on every attempt.' }),
  runId: z.string(),
  rule: z.string(),
  recipient: z.string().meta({ description: '`webhook:NAME`, or `email:…@DOMAIN` (the address\'s domain only).' }),
  channel: z.enum(NOTIFICATION_CHANNELS),
  state: z.enum(NOTIFICATION_STATES),
  attempts: z.int().meta({ description: 'Attempts begun.' }),
  maxAttempts: z.int(),
  nextAttemptAt: ms.nullable().meta({ description: 'When the next attempt is due, while pending.' }),
  createdAt: ms,
  finishedAt: ms.nullable(),
  lastError: z.string().nullable(),
  history: z.array(NotificationAttemptSchema),
}).meta({ id: 'Notification' });

export const NotificationListSchema = z.object({ items: z.array(NotificationSchema) });

const ADDRESS = /[^\s<>@"',;:()[\]]+@([A-Za-z0-9.-]+)/g;

/** Text with each email address cut to its domain. */
export function maskAddresses(text: string): string {
  return text.replace(ADDRESS, (_, domain: string) => `…@${domain}`);
}

export function notificationView(n: NotificationWithAttempts): z.output<typeof NotificationSchema> {
  return {
    id: n.id, runId: n.runId, rule: n.rule, recipient: maskAddresses(n.recipient), channel: n.channel, state: n.state,
    attempts: n.attempts, maxAttempts: n.maxAttempts, nextAttemptAt: n.state === 'pending' ? n.nextAttemptAt : null,
    createdAt: n.createdAt, finishedAt: n.finishedAt, lastError: n.lastError === null ? null : maskAddresses(n.lastError),
    history: n.history.map((a) => ({ attempt: a.attempt, worker: publicWorker(a.worker), startedAt: a.startedAt, endedAt: a.endedAt, ok: a.ok, detail: maskAddresses(a.detail) })),
  };
}
