import { z } from 'zod';
import { duration } from '../../core/config-schema.js';
import { parseDuration } from '../../core/duration.js';
import { isSafeName, NAME_RULE } from '../../core/names.js';
import { PIPELINES, RUN_VERDICTS } from '../../core/records/vocabulary.js';

/** The NAME of an environment variable (never its value: secrets stay out of sluice.yaml). */
const envName = (what: string) => z.string({ error: `${what} must be text` })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: `${what} is the name of an environment variable (letters, digits, _), not the secret itself` });

const name = (what: string) => z.string({ error: `${what} must be text` }).refine(isSafeName, { error: `${what} must be ${NAME_RULE}` });

// An address as SMTP carries it: one mailbox, no display name, nothing that could end a
// header line or add a recipient.
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const address = (what: string) => z.string({ error: `${what} must be text` }).max(254).regex(ADDRESS, { error: `${what} must be one email address, e.g. release@example.org` });

export const SMTP_SECURITY = ['starttls', 'tls', 'none'] as const;

export const EmailSchema = z.strictObject({
  host: z.string().min(1).regex(/^[A-Za-z0-9.:[\]-]+$/, { error: 'notify.email.host must be a host name or address' }).meta({ description: 'The SMTP server (a relay or submission host), e.g. `smtp.example.org`.' }),
  port: z.int().min(1).max(65535).default(587).meta({ description: 'Its port: 587 for submission with STARTTLS, 465 for `tls`, 25 for a local relay.' }),
  security: z.enum(SMTP_SECURITY, { error: `notify.email.security is one of ${SMTP_SECURITY.join(', ')}` }).default('starttls')
    .meta({ description: '`starttls` (default): plain connection upgraded with STARTTLS, refused if the server does not offer it; `tls`: TLS from the first byte (port 465); `none`: no encryption, only for a relay on this host.' }),
  ca_file: z.string().min(1).optional().meta({ description: 'A PEM file of the certificate authority (or the certificate) to trust for the server, relative to the config file; unset, the system\'s.' }),
  from: address('notify.email.from').meta({ description: 'The sender address, e.g. `sluice@example.org`.' }),
  user_env: envName('notify.email.user_env').optional().meta({ description: 'The name of the environment variable holding the SMTP user name; unset, no authentication.' }),
  password_env: envName('notify.email.password_env').optional().meta({ description: 'The name of the environment variable holding the SMTP password, e.g. `SLUICE_SMTP_PASSWORD`.' }),
  timeout: duration.default('30s').meta({ description: 'How long connecting, the greeting and each reply may take before the attempt fails (and is retried).' }),
}).refine((e) => (e.user_env === undefined) === (e.password_env === undefined), { error: 'notify.email needs both user_env and password_env, or neither', path: ['password_env'] })
  .refine((e) => !(e.security === 'none' && e.user_env !== undefined), { error: 'security none would send the password in the clear: use starttls or tls, or no login (a relay on this host)', path: ['security'] });

export const WebhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'a webhook url must be an http or https URL' }).meta({ description: 'Where the JSON body is POSTed, e.g. `https://chat.example.org/hooks/sluice`.' }),
  secret_env: envName('secret_env').meta({ description: 'The name of the environment variable holding the shared secret: the body\'s HMAC-SHA256 is sent as `X-Sluice-Signature: sha256=<hex>`.' }),
  timeout: duration.default('10s').meta({ description: 'How long the receiver may take to answer before the attempt fails (and is retried).' }),
});

export const RuleSchema = z.strictObject({
  name: name('a rule\'s name').meta({ description: 'Unique among the rules; with the run and the recipient it names a delivery once.' }),
  pipelines: z.array(z.enum(PIPELINES, { error: `a pipeline is one of ${PIPELINES.join(', ')}` })).min(1).optional()
    .meta({ description: 'Runs of these pipelines only; unset, of every pipeline.' }),
  verdicts: z.array(z.enum(RUN_VERDICTS, { error: `a verdict is one of ${RUN_VERDICTS.join(', ')}` })).min(1).default(['fail', 'error'])
    .meta({ description: 'Runs that ended with one of these verdicts (pass, fail, error, held, cancelled); default fail and error.' }),
  targets: z.array(z.string().min(1)).min(1).optional()
    .meta({ description: 'Runs with a job on one of these targets (`release/dist`, as in `targets:`); when the run failed, only if one of them is among the failed targets. Unset, any target.' }),
  email: z.array(address('an email recipient')).default([]).meta({ description: 'Addresses that get a mail (needs `notify.email`).' }),
  webhooks: z.array(name('a webhook name')).default([]).meta({ description: 'Names from `notify.webhooks` that get the JSON body.' }),
});

export const NotifySchema = z.strictObject({
  web_url: z.url({ protocol: /^https?$/, error: 'notify.web_url must be an http or https URL' }).optional()
    .meta({ description: 'The public URL of Sluice\'s dashboard: each message links to `<web_url>/runs/<run>`; unset, it names `sluice status <run>`.' }),
  email: EmailSchema.optional().meta({ description: 'The SMTP server mails go through.' }),
  webhooks: z.record(name('a webhook name'), WebhookSchema).default({}).meta({ description: 'Webhook receivers by name.' }),
  attempts: z.int().min(1).max(50).default(8).meta({ description: 'Attempts per delivery before it is given up (and shown as failed).' }),
  backoff: duration.default('30s').meta({ description: 'The wait after the first failed attempt; it doubles after each further one.' }),
  max_backoff: duration.default('1h').meta({ description: 'The longest wait between two attempts.' }),
  rules: z.array(RuleSchema).default([]).meta({ description: 'Which runs are told to whom: a run matching a rule gets one message per recipient of it.' }),
}).superRefine((n, ctx) => {
  const seen = new Set<string>();
  for (const [i, rule] of n.rules.entries()) {
    if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `another rule is named ${rule.name} already` });
    seen.add(rule.name);
    if (rule.email.length === 0 && rule.webhooks.length === 0) ctx.addIssue({ code: 'custom', path: ['rules', i], message: 'a rule names at least one recipient (email or webhooks)' });
    if (rule.email.length > 0 && !n.email) ctx.addIssue({ code: 'custom', path: ['rules', i, 'email'], message: 'email recipients need notify.email (the SMTP server)' });
    for (const [j, hook] of rule.webhooks.entries()) {
      if (!Object.hasOwn(n.webhooks, hook)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'webhooks', j], message: `no webhook named ${hook} in notify.webhooks (${Object.keys(n.webhooks).join(', ') || 'none'})` });
    }
  }
  if ((parseDuration(n.max_backoff) ?? 0) < (parseDuration(n.backoff) ?? 0)) ctx.addIssue({ code: 'custom', path: ['max_backoff'], message: 'max_backoff must be at least backoff' });
});

export type NotifyConfig = z.output<typeof NotifySchema>;
export type NotifyRule = z.output<typeof RuleSchema>;
export type EmailConfig = z.output<typeof EmailSchema>;
export type WebhookConfig = z.output<typeof WebhookSchema>;
