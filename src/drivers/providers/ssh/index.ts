import { resolve } from 'node:path';
import type { ProviderDriver } from '../provider-driver.js';
import { ProviderSetupError } from '../provider-driver.js';
import { SshProviderSchema, sshSettings } from './ssh-config.js';
import { sshProvider } from './ssh-provider.js';

/** Jobs run on a fixed pool of hosts reached over SSH; inputs are delivered to them. */
export const sshProviderDriver: ProviderDriver = {
  type: 'ssh',
  summary: 'a pool of hosts',
  docs: 'docs/providers.md',
  configSchema: SshProviderSchema,
  capabilities: { multiNode: true, images: null, remoteDelivery: true },
  create(name, config, site) {
    const ssh = sshSettings(config, (f) => resolve(site.configDir, f));
    if (!ssh.ok) throw new ProviderSetupError(`providers.${name}.${ssh.key}: ${ssh.message}`);
    return sshProvider({ name, workDir: site.workDir, configDir: site.configDir, ...ssh.settings });
  },
  // The hosts' capacities add up; the entry's own capacity is ignored.
  capacityOf(config) {
    const ssh = SshProviderSchema.safeParse(config);
    return ssh.success ? ssh.data.hosts.reduce((n, h) => n + h.capacity, 0) : config.capacity;
  },
};
