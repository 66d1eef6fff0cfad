// src/drivers/providers/dry-run/index.ts: a provider that runs nothing and says what it
// would have run (for trying a configuration). Then add `dryRunProviderDriver` to
// DRIVERS.providers in src/drivers/registry.ts, and show an entry on its docs page.
import { z } from 'zod';
import { CAPACITY } from '../../../src/core/config-schema.js';
import type { NodeProvider } from '../../../src/engine/node-provider.js';
import type { ProviderDriver } from '../../../src/drivers/providers/provider-driver.js';

export const dryRunProviderDriver: ProviderDriver = {
  type: 'dry-run',
  summary: 'runs nothing, passes every job',
  docs: 'docs/providers.md',
  // The whole entry, `type` and `capacity` included; messages name the entry's keys.
  configSchema: z.strictObject({ type: z.literal('dry-run'), capacity: CAPACITY, say: z.string({ error: 'say must be text' }).optional() }),
  capabilities: { multiNode: false, images: null, remoteDelivery: false },
  create(name, config): NodeProvider {
    const say = typeof config.say === 'string' ? config.say : 'would run';
    return {
      name,
      capacity: config.capacity,
      async execute(ex) {
        const command = typeof ex.spec.command === 'string' ? ex.spec.command : ex.spec.command.join('; ');
        return { result: 'success', reason: `${say}: ${command}`, node: `${name}-dry`, logPath: null };
      },
    };
  },
};
