import { z } from 'zod';
import { DURATION_RULE, parseDuration } from '../../../core/duration.js';

const text = (what: string) => z.string({ error: `${what} must be a text` }).min(1, { error: `${what} must not be empty` });

/**
 * The keys of a provider of `type: openstack` (the core schema knows only `type` and
 * `capacity`). The password is never in the file: `password_env` names the variable
 * that holds it.
 */
export const OpenStackProviderSchema = z.strictObject({
  type: z.literal('openstack'),
  capacity: z.int().min(1).default(2),
  auth_url: z.url({ protocol: /^https?$/, error: 'auth_url must be the http(s) URL of Keystone, e.g. https://cloud.example.org:5000/v3' })
    .meta({ description: 'The Keystone v3 endpoint (`/v3` is added when missing).' }),
  username: text('username').meta({ description: 'The user Sluice authenticates as.' }),
  password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'password_env must be the name of an environment variable (not the password)' })
    .meta({ description: 'The environment variable that holds the password.' }),
  project_name: text('project_name').meta({ description: 'The project the servers are made in (token scope).' }),
  user_domain_name: text('user_domain_name').default('Default').meta({ description: 'The domain of the user.' }),
  project_domain_name: text('project_domain_name').default('Default').meta({ description: 'The domain of the project.' }),
  region: text('region').optional().meta({ description: 'The catalog region whose endpoints are used; the first public one when absent.' }),
  flavor: text('flavor').meta({ description: 'The flavor id of every server.' }),
  network: text('network').meta({ description: 'The network id each server gets a port of its own on (its address comes from that network\'s pool).' }),
  boot_timeout: z.string().refine((d) => parseDuration(d) !== undefined, { error: `boot_timeout must be ${DURATION_RULE}` }).default('10m')
    .meta({ description: 'A server not ACTIVE this long after it was asked for is an infra failure.' }),
});

export type OpenStackProviderConfig = z.output<typeof OpenStackProviderSchema>;

/** The config, or an Error naming the first bad key (`providers.<name>.<key>: ...`). */
export function parseOpenStackConfig(name: string, raw: unknown): OpenStackProviderConfig {
  const r = OpenStackProviderSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue?.path.join('.') ?? '';
  const unknown = issue?.code === 'unrecognized_keys' ? ` (unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')})` : '';
  throw new Error(`providers.${name}${key ? `.${key}` : ''}: ${issue?.message ?? 'invalid'}${unknown}`);
}
