import { z } from 'zod';
import { ListenSchema } from '../../core/config-schema.js';

/** The NAME of an environment variable (never its value: secrets stay out of sluice.yaml). */
const envName = (what: string) => z.string({ error: `${what} must be text` })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: `${what} is the name of an environment variable (letters, digits, _), not the secret itself` });

/**
 * The `gerrit:` section of sluice.yaml: the trigger's transports (SSH stream, webhook, the
 * REST poll) and what the reporter votes and submits. The Gerrit driver owns it; the
 * configuration's schema takes it from the driver (src/drivers/gerrit/index.ts).
 */
export const GerritSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'gerrit.url must be an http or https URL' }).meta({ description: 'The Gerrit server\'s web and REST base URL, e.g. `https://review.gerrithub.io/`.' }),
  project: z.string().min(1).meta({ description: 'The Gerrit project of the update repository, e.g. `redhat-openstack/rdo-update`.' }),
  branch: z.string().min(1).default('master').meta({ description: 'The branch changes target.' }),
  ssh: z.strictObject({
    host: z.string().min(1).meta({ description: 'The Gerrit SSH host, e.g. `review.gerrithub.io`.' }),
    port: z.int().min(1).max(65535).default(29418).meta({ description: 'Gerrit\'s SSH port.' }),
    user: z.string().min(1).meta({ description: 'The account that streams events (it needs the Stream Events capability).' }),
    key_file: z.string().min(1).meta({ description: 'Its private key (OpenSSH format, no passphrase), relative to the config file; readable by Sluice\'s user only.' }),
    known_hosts_file: z.string().min(1).meta({ description: 'A known_hosts file holding the server\'s host key (`ssh-keyscan -p 29418 HOST`), relative to the config file: an unknown or changed key is refused.' }),
  }).optional().meta({ description: 'Events from `gerrit stream-events` over SSH. Without it (and without `webhook`), open changes are only polled.' }),
  http: z.strictObject({
    user: z.string().min(1).meta({ description: 'The account that reads changes, votes, comments and submits over REST.' }),
    password_env: envName('gerrit.http.password_env').meta({ description: 'The name of the environment variable holding that account\'s HTTP password (Gerrit settings, HTTP Credentials), e.g. `SLUICE_GERRIT_PASSWORD`.' }),
  }).meta({ description: 'REST access (HTTP basic auth).' }),
  labels: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'a label name is letters, digits and -, e.g. Verified' }), z.strictObject({
    pass: z.int().min(-2).max(2).default(1).meta({ description: 'The vote on a passing run.' }),
    fail: z.int().min(-2).max(2).default(-1).meta({ description: 'The vote on a failing run (or a change that cannot be tested).' }),
  })).default({ Verified: { pass: 1, fail: -1 } }).meta({ description: 'Labels voted on each run, by name; an infra error, a hold or a cancel votes 0.' }),
  submit: z.boolean().default(false).meta({ description: 'Submit a change through Gerrit when its phase1 passes (the account needs the Submit permission); false leaves merging to reviewers.' }),
  phase2_group: z.string().min(1).optional().meta({ description: 'The Gerrit group whose members may start phase2 with a `run phase2` comment; unset, the command is refused.' }),
  webhook: z.strictObject({
    listen: ListenSchema.meta({ description: 'Where events from Gerrit\'s webhooks plugin are received (POST /gerrit/events).' }),
    secret_env: envName('gerrit.webhook.secret_env').meta({ description: 'The name of the environment variable holding the shared secret the plugin\'s URL carries (`?secret=...`).' }),
  }).optional().meta({ description: 'Events from Gerrit\'s webhooks plugin, beside or instead of `ssh`.' }),
  web_url: z.url({ protocol: /^https?$/, error: 'gerrit.web_url must be an http or https URL' }).optional().meta({ description: 'The public URL of Sluice\'s dashboard, for the log link in comments (`<web_url>/jobs/<job>/log`); unset, comments name `sluice logs <job>`.' }),
});

export type GerritConfig = z.output<typeof GerritSchema>;
