import type { ProviderDriver } from '../provider-driver.js';
import { ProviderSetupError } from '../provider-driver.js';
import { OpenStackProviderSchema, parseOpenStackConfig, secretEnvOf } from './config.js';
import { openstackProviderFromConfig } from './from-config.js';
import { isOpenStackProvider } from './openstack-provider.js';

/** Each job gets a fresh server of an OpenStack cloud; green baselines are kept as Glance snapshots. */
export const openstackProviderDriver: ProviderDriver = {
  type: 'openstack',
  summary: 'a cloud',
  docs: 'docs/providers-openstack.md',
  configSchema: OpenStackProviderSchema,
  capabilities: { multiNode: true, images: 'snapshot', remoteDelivery: true },
  create(name, config, site) {
    // A cloud no target uses runs no job: without its password it is left out (its orphan
    // sweep with it) rather than stopping every command of a site that only declares it.
    // Validated first all the same: a password pasted where the variable's name belongs is
    // refused (never echoed), whether a target uses the provider or not.
    try {
      const { variable } = secretEnvOf(parseOpenStackConfig(name, config));
      if (!Object.values(site.targets).some((t) => t.provider === name) && !site.env[variable]) {
        site.note(`note: provider ${name} is not used by any target and $${variable} is not set: left out`);
        return undefined;
      }
      return openstackProviderFromConfig(name, config, { configDir: site.configDir, workDir: site.workDir, env: site.env, targets: site.targets });
    } catch (e) {
      throw new ProviderSetupError((e as Error).message);
    }
  },
  async removeImage(image, provider) {
    if (provider && isOpenStackProvider(provider)) await provider.deleteImage(image.location);
  },
};
