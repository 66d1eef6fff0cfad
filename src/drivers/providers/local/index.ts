import type { ProviderDriver } from '../provider-driver.js';
import { ProviderSetupError } from '../provider-driver.js';
import { LocalProviderSchema, localProviderFromConfig } from './local-config.js';
import { removeImage } from './local-images.js';

/** Jobs run as processes of the worker's machine, in a bwrap sandbox where it works; images are archives of a node's root. */
export const localProviderDriver: ProviderDriver = {
  type: 'local',
  summary: 'processes here',
  docs: 'docs/providers.md',
  configSchema: LocalProviderSchema,
  capabilities: { multiNode: false, images: 'archive', remoteDelivery: false },
  create(name, config, site) {
    const local = localProviderFromConfig(name, config, { workDir: site.workDir, configDir: site.configDir, imagesDir: site.imagesDir, log: site.log });
    if (!local.ok) throw new ProviderSetupError(`providers.${name}.${local.key}: ${local.message}`);
    return local.provider;
  },
  async removeImage(image, _provider, site) {
    removeImage(site.imagesDir, image.name);
  },
};

/** Where a local attempt's files are (the web finds the running log of a job claimed before migration 0014 there). */
export { jobDir } from './local-provider.js';
