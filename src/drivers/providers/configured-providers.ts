import type { ProviderConfig } from '../../core/config-schema.js';
import type { NodeProvider } from '../../engine/node-provider.js';
import { ProviderSetupError, type PrunedImage, type ProviderDriver, type ProviderSite } from './provider-driver.js';

/**
 * The providers a configuration names, each made by the driver its `type` names. A type
 * without a way to make it (the simulator's `sim`) is refused only when a target uses it.
 * Throws ProviderSetupError naming the key at fault.
 */
export function makeProviders(drivers: readonly ProviderDriver[], providers: Readonly<Record<string, ProviderConfig>>, site: ProviderSite): NodeProvider[] {
  const made: NodeProvider[] = [];
  for (const [name, config] of Object.entries(providers)) {
    const create = drivers.find((d) => d.type === config.type)?.create;
    if (create) {
      const provider = create(name, config, site);
      if (provider) made.push(provider);
    } else if (Object.values(site.targets).some((t) => t.provider === name)) {
      const runnable = drivers.filter((d) => d.create).map((d) => d.type);
      throw new ProviderSetupError(`provider "${name}" has type ${config.type}, which this version cannot run yet (only ${andList(runnable)})`);
    }
  }
  return made;
}

/** Removes a pruned known-good image through the driver of the provider that made it. */
export async function removePrunedImage(drivers: readonly ProviderDriver[], providers: Readonly<Record<string, ProviderConfig>>, made: readonly NodeProvider[], image: PrunedImage & { readonly provider: string }, site: ProviderSite): Promise<void> {
  const type = providers[image.provider]?.type;
  await drivers.find((d) => d.type === type)?.removeImage?.(image, made.find((p) => p.name === image.provider), site);
}

/** How many nodes a configured provider has at once. */
export function capacityOf(drivers: readonly ProviderDriver[], config: ProviderConfig): number {
  return drivers.find((d) => d.type === config.type)?.capacityOf?.(config) ?? config.capacity;
}

function andList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? 'none') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
