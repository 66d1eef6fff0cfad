import { z } from 'zod';
import { CAPACITY } from './config-schema.js';
import type { ConfigDrivers, ProviderDeclaration } from './driver-declaration.js';

/**
 * The simulator's provider type: nodes that live in simulated time (`sluice simulate`).
 * The simulator makes them itself, so this is only what the configuration accepts; an
 * operator's sluice.yaml may name it, but no command runs a job on it.
 */
export const SIM_PROVIDER: ProviderDeclaration = {
  type: 'sim',
  summary: 'simulated',
  docs: 'docs/simulate.md',
  configSchema: z.strictObject({ type: z.literal('sim'), capacity: CAPACITY }),
  capabilities: { multiNode: false, images: null, remoteDelivery: false },
};

/** What a simulation's configuration may name: its one provider type. */
export const SIMULATION_DRIVERS: ConfigDrivers = { providers: [SIM_PROVIDER], sources: [], triggers: [] };
