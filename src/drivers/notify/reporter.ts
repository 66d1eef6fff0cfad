import { createHash } from 'node:crypto';
import type { RunReporter } from '../../engine/engine.js';
import type { Job, NewNotification, Store } from '../../store/index.js';
import type { JobExcerpt } from '../gerrit/comment.js';
import { jobExcerpt } from '../gerrit/job-excerpt.js';
import type { NotifyConfig } from './config.js';
import { runMessage, runPageUrl, webhookBody } from './message.js';
import type { NotificationOutbox, StoredMessage } from './outbox.js';
import { failedJobs, matchingRules } from './rules.js';

export interface NotifyReporterOptions {
  readonly store: Store;
  readonly config: NotifyConfig;
  readonly outbox: NotificationOutbox;
  readonly now: () => number;
  readonly excerpt?: (job: Job) => Promise<JobExcerpt | undefined>;
}

/** The delivery id of a run's message to one recipient of one rule: the same whenever it is composed. */
export function deliveryId(runId: string, rule: string, recipient: string): string {
  return createHash('sha256').update(`${runId}\n${rule}\n${recipient}`).digest('hex').slice(0, 32);
}

/**
 * The notifications' part of a run's report: the messages of every rule the run matches,
 * one per recipient, written to the store's notification outbox, then sent by `drain`.
 * The report outbox calls it at least once per finished run (again after a crash, until
 * the run is marked reported); a repeat writes nothing, since (run, rule, recipient) is
 * written once. Sending is not part of the report: a receiver that is down delays nobody's
 * merge or vote, and its retries wait in the store, not in this process.
 */
export function notifyReporter(o: NotifyReporterOptions): RunReporter {
  return {
    async report(run, jobs) {
      const rules = matchingRules(o.config.rules, run, jobs);
      if (rules.length === 0) return;
      const excerpts = new Map<string, JobExcerpt>();
      for (const j of failedJobs(jobs)) {
        const e = await (o.excerpt ?? jobExcerpt)(j);
        if (e) excerpts.set(j.id, e);
      }
      const runUrl = runPageUrl(o.config.web_url, run.id);
      const message = runMessage({ run, jobs, excerpts, runUrl });
      const notifications: NewNotification[] = [];
      const add = (rule: string, recipient: string, compose: (id: string) => StoredMessage) => {
        const id = deliveryId(run.id, rule, recipient);
        const m = compose(id);
        notifications.push({ id, rule, recipient, channel: m.kind, message: m, maxAttempts: o.config.attempts });
      };
      for (const rule of rules) {
        for (const to of new Set(rule.email)) add(rule.name, `email:${to}`, () => ({ kind: 'email', to, subject: message.subject, text: message.text }));
        for (const hook of new Set(rule.webhooks)) add(rule.name, `webhook:${hook}`, (id) => ({ kind: 'webhook', webhook: hook, body: JSON.stringify(webhookBody(message, run, id, rule.name, runUrl)) }));
      }
      await o.store.enqueueNotifications({ runId: run.id, now: o.now(), notifications });
    },
    drain: (signal) => o.outbox.drain(signal),
  };
}

