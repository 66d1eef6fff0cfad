import { z } from 'zod';
import { duration } from '../../../core/config-schema.js';
import { DURATION_RULE, parseDuration } from '../../../core/duration.js';

const text = (what: string) => z.string({ error: `${what} must be a text` }).min(1, { error: `${what} must not be empty` });

const envName = (key: string) => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: `${key} must be the name of an environment variable (not the secret itself)` });

/**
 * The keys of a provider of `type: openstack` (the core schema knows only `type` and
 * `capacity`). Secrets are never in the file: `password_env` (or
 * `application_credential_secret_env`) names the variable that holds one.
 */
export const OpenStackProviderSchema = z.strictObject({
  type: z.literal('openstack'),
  capacity: z.int().min(1).default(2),
  auth_url: z.url({ protocol: /^https?$/, error: 'auth_url must be the http(s) URL of Keystone, e.g. https://cloud.example.org:5000/v3' })
    .meta({ description: 'The Keystone v3 endpoint (`/v3` is added when missing).' }),
  username: text('username').optional().meta({ description: 'The user Sluice authenticates as (password authentication).' }),
  password_env: envName('password_env').optional().meta({ description: 'The environment variable that holds the password.' }),
  project_name: text('project_name').optional().meta({ description: 'The project the servers are made in (token scope of password authentication).' }),
  application_credential_id: text('application_credential_id').optional()
    .meta({ description: 'Instead of username, password and project: an application credential\'s id (its token is scoped to the project it was made in).' }),
  application_credential_secret_env: envName('application_credential_secret_env').optional()
    .meta({ description: 'The environment variable that holds the application credential\'s secret.' }),
  user_domain_name: text('user_domain_name').default('Default').meta({ description: 'The domain of the user.' }),
  project_domain_name: text('project_domain_name').default('Default').meta({ description: 'The domain of the project.' }),
  region: text('region').optional().meta({ description: 'The catalog region whose endpoints are used; the first public one when absent.' }),
  flavor: text('flavor').meta({ description: 'The flavor id of every server.' }),
  network: text('network').meta({ description: 'The network id each server gets a port of its own on (its address comes from that network\'s pool).' }),
  floating_network: text('floating_network').optional()
    .meta({ description: 'An external network id: each server also gets a floating IP there, and the worker connects to it (when the worker cannot reach `network` directly).' }),
  boot_timeout: z.string().refine((d) => parseDuration(d) !== undefined, { error: `boot_timeout must be ${DURATION_RULE}` }).default('10m')
    .meta({ description: 'A server not ACTIVE this long after it was asked for is an infra failure.' }),
  snapshot_stopped: z.boolean({ error: 'snapshot_stopped must be true or false' }).default(true)
    .meta({ description: 'Stop a green images baseline\'s server (SHUTOFF) before snapshotting it, so the known-good image is a cleanly shut down disk; false snapshots it running.' }),
  ssh: z.strictObject({
    user: text('ssh.user').meta({ description: 'The login on the servers (the image\'s cloud-init default user, e.g. centos).' }),
    key_file: text('ssh.key_file').meta({ description: 'An unencrypted private key the image accepts; relative to the config file.' }),
    port: z.int({ error: 'ssh.port must be a whole number' }).min(1).max(65535).default(22),
    host_key: z.enum(['console', 'first-use'], { error: 'ssh.host_key must be console or first-use' }).default('console')
      .meta({ description: '`console`: pin the keys cloud-init printed on the server\'s console (read through Nova); `first-use`: pin the first key the server presents.' }),
    connect_timeout: duration.default('20s').meta({ description: 'One SSH handshake may take this long.' }),
    ready_timeout: duration.default('5m').meta({ description: 'How long after ACTIVE the host keys and sshd may take to appear.' }),
    work_dir: z.string().regex(/^\/[^\0]*$/, { error: 'ssh.work_dir must be an absolute path on the servers' }).default('/tmp/sluice'),
    config_dir: z.string().regex(/^\/[^\0]*$/, { error: 'ssh.config_dir must be an absolute path on the servers' }).optional()
      .meta({ description: 'Where the servers see the configuration\'s directory ($SLUICE_CONFIG_DIR), e.g. baked into the image.' }),
    config_files: z.array(z.string().min(1).refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), { error: 'a config_files entry is a path inside the configuration\'s directory (relative, no ..)' })).default([])
      .meta({ description: 'Files or directories of the configuration\'s directory (e.g. `tests/`) sent to each job\'s node; $SLUICE_CONFIG_DIR then points at them there.' }),
    kill_grace: duration.default('5s').meta({ description: 'Time between SIGTERM and SIGKILL for a job\'s remote process group.' }),
  }, { error: 'ssh must be a map: { user, key_file, port, host_key, connect_timeout, ready_timeout, work_dir, config_dir, config_files, kill_grace }' })
    .meta({ description: 'How the worker reaches a server once it is ACTIVE.' }),
}).superRefine((c, ctx) => {
  // One way to authenticate, complete: a half-given pair would otherwise surface as a
  // 401 from Keystone at the first job, far from the key that is missing.
  const password = (['username', 'password_env', 'project_name'] as const).filter((k) => c[k] !== undefined);
  const credential = (['application_credential_id', 'application_credential_secret_env'] as const).filter((k) => c[k] !== undefined);
  if (credential.length > 0 && password.length > 0) {
    ctx.addIssue({ code: 'custom', path: [password[0] ?? 'username'], message: `use either username, password_env and project_name or application_credential_id and application_credential_secret_env, not both (${[...password, ...credential].join(', ')} are given)` });
    return;
  }
  const need = credential.length > 0 ? (['application_credential_id', 'application_credential_secret_env'] as const) : (['username', 'password_env', 'project_name'] as const);
  for (const k of need) {
    if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} is required${credential.length > 0 ? ' with application_credential_id' : ' (or authenticate with application_credential_id and application_credential_secret_env)'}` });
  }
});

export type OpenStackProviderConfig = z.output<typeof OpenStackProviderSchema>;

/** The environment variable that holds this provider's secret: the password's or the application credential's. */
export function secretEnvOf(c: OpenStackProviderConfig): { key: 'password_env' | 'application_credential_secret_env'; variable: string } {
  return c.application_credential_secret_env !== undefined
    ? { key: 'application_credential_secret_env', variable: c.application_credential_secret_env }
    : { key: 'password_env', variable: c.password_env ?? '' };
}

/** The config, or an Error naming the first bad key (`providers.<name>.<key>: ...`). */
export function parseOpenStackConfig(name: string, raw: unknown): OpenStackProviderConfig {
  const r = OpenStackProviderSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue?.path.join('.') ?? '';
  const unknown = issue?.code === 'unrecognized_keys' ? ` (unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')})` : '';
  throw new Error(`providers.${name}${key ? `.${key}` : ''}: ${issue?.message ?? 'invalid'}${unknown}`);
}
