import type { TargetConfig } from '../../../core/config-schema.js';
import { parseDuration } from '../../../core/duration.js';
import { parseOpenStackConfig } from './config.js';
import { openstackProvider, type OpenStackProvider, type OpenStackProviderOptions, type RunOnNode } from './openstack-provider.js';

export interface OpenStackSetup {
  readonly configDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly runOnNode: RunOnNode;
  readonly log?: (line: string) => void;
}

/**
 * The provider `name` of the configuration. Throws an Error naming the key at fault
 * (`providers.cloud.flavor: ...`, `providers.cloud.password_env: ...`,
 * `targets.kilo/el7.base: ...`) so the CLI can show it as a configuration error.
 */
export function openstackProviderFromConfig(name: string, providerConfig: unknown, setup: OpenStackSetup): OpenStackProvider {
  const c = parseOpenStackConfig(name, providerConfig);
  const password = setup.env[c.password_env];
  if (!password) throw new Error(`providers.${name}.password_env: the environment variable ${c.password_env} that should hold the OpenStack password is not set`);
  const targets: Record<string, { base?: string; image?: string }> = {};
  for (const [t, target] of Object.entries(setup.targets)) {
    if (target.provider !== name) continue;
    if (!target.base) throw new Error(`targets.${t}.base: target ${t} uses provider ${name} (openstack), which provisions servers from a base image: name one (an image id or name in Glance)`);
    targets[t] = { base: target.base, ...(target.image ? { image: target.image } : {}) };
  }
  const opts: OpenStackProviderOptions = {
    name, capacity: c.capacity, flavor: c.flavor, network: c.network, targets, runOnNode: setup.runOnNode,
    bootTimeoutMs: parseDuration(c.boot_timeout) ?? 600_000,
    credentials: {
      authUrl: c.auth_url, username: c.username, password, userDomainName: c.user_domain_name,
      projectName: c.project_name, projectDomainName: c.project_domain_name, ...(c.region ? { region: c.region } : {}),
    },
    ...(setup.log ? { log: setup.log } : {}),
  };
  return openstackProvider(opts);
}
