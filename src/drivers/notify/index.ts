import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseDuration } from '../../core/duration.js';
import { TriggerSetupError, type TriggerDriver, type TriggerSite } from '../trigger-driver.js';
import { NotifySchema, type NotifyConfig } from './config.js';
import { emailSender, type SmtpSettings } from './email.js';
import { NotificationOutbox, type NotifySenders } from './outbox.js';
import { notifyReporter } from './reporter.js';
import type { WebhookTarget } from './webhook.js';

/**
 * Notifications, as Zuul's smtp driver is a reporter with no trigger: the `notify:`
 * section's rules say which finished runs are told to whom, by mail (SMTP) or webhook
 * (docs/notifications.md). Every engine has the reporter (any worker may drain the report
 * outbox), so each needs the section's secrets in its environment.
 */
export const notifyDriver: TriggerDriver = {
  type: 'notify',
  summary: 'mail and webhooks',
  docs: 'docs/notifications.md',
  description: 'Tell people and services how runs ended: rules, mail over SMTP, signed webhooks (docs/notifications.md).',
  configSchema: NotifySchema,
  capabilities: { trigger: false, reporter: true },
  crossReferences(section, config) {
    const notify = NotifySchema.parse(section);
    return notify.rules.flatMap((rule, i) => (rule.targets ?? []).flatMap((target, j) => (Object.hasOwn(config.targets, target)
      ? []
      : [{ path: ['rules', i, 'targets', j], message: `target ${target} is not in targets (${Object.keys(config.targets).join(', ')})` }])));
  },
  reporters(section, site, merge) {
    const notify = NotifySchema.parse(section);
    const senders = notifySenders(notify, site);
    const timeouts = [...senders.webhooks.values()].map((w) => w.timeoutMs);
    if (notify.email) timeouts.push(ms(notify.email.timeout) * 4);
    const outbox = new NotificationOutbox({
      store: site.store, senders, worker: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, now: () => Date.now(),
      backoffMs: ms(notify.backoff), maxBackoffMs: ms(notify.max_backoff),
      // A claim outlives the slowest attempt, so a live sender is never raced by another.
      leaseMs: 2 * Math.max(10_000, ...timeouts),
      ...(site.log ? { log: site.log } : {}),
    });
    return { merge, reporters: [notifyReporter({ store: site.store, config: notify, outbox, now: () => Date.now() })] };
  },
};

function ms(d: string): number {
  return parseDuration(d) ?? 1000;
}

/** The SMTP server and webhooks with their secrets from the environment: a missing one stops here, naming its key. */
export function notifySenders(notify: NotifyConfig, site: Pick<TriggerSite, 'env' | 'configDir'>): NotifySenders {
  const secret = (key: string, variable: string): string => {
    const value = site.env[variable];
    if (!value) throw new TriggerSetupError(`notify.${key}: the environment variable ${variable} is not set`);
    return value;
  };
  const webhooks = new Map<string, WebhookTarget>();
  for (const [name, hook] of Object.entries(notify.webhooks)) {
    webhooks.set(name, { name, url: hook.url, secret: secret(`webhooks.${name}.secret_env`, hook.secret_env), timeoutMs: ms(hook.timeout) });
  }
  const e = notify.email;
  if (!e) return { webhooks };
  let ca: string | undefined;
  if (e.ca_file) {
    try {
      ca = readFileSync(resolve(site.configDir, e.ca_file), 'utf8');
    } catch (err) {
      throw new TriggerSetupError(`notify.email.ca_file: cannot read ${e.ca_file}: ${(err as Error).message}`);
    }
  }
  const settings: SmtpSettings = {
    host: e.host, port: e.port, security: e.security, from: e.from, timeoutMs: ms(e.timeout),
    ...(e.user_env && e.password_env ? { auth: { user: secret('email.user_env', e.user_env), pass: secret('email.password_env', e.password_env) } } : {}),
    ...(ca ? { ca } : {}),
  };
  return { webhooks, email: emailSender(settings) };
}
