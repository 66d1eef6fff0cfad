import { configSchemaOf, parseConfigBytes as parseWith, parseConfigText as parseTextWith, type ConfigParse } from '../core/config.js';
import type { ConfigDrivers } from '../core/driver-declaration.js';
import { SIM_PROVIDER } from '../core/sim-provider-type.js';
import { gerritDriver } from './gerrit/index.js';
import { notifyDriver } from './notify/index.js';
import { localProviderDriver } from './providers/local/index.js';
import { openstackProviderDriver } from './providers/openstack/index.js';
import type { ProviderDriver } from './providers/provider-driver.js';
import { sshProviderDriver } from './providers/ssh/index.js';
import { coprSourceDriver, kojiScratchSourceDriver, kojiSourceDriver, localSourceDriver } from './sources/index.js';
import type { SourceDriver } from './sources/source-driver.js';
import type { TriggerDriver } from './trigger-driver.js';

/** A list of drivers by kind: what a configuration may name, and how each is made. */
export interface Drivers extends ConfigDrivers {
  readonly providers: readonly ProviderDriver[];
  readonly sources: readonly SourceDriver[];
  readonly triggers: readonly TriggerDriver[];
}

/**
 * Every driver Sluice has, in the order the docs list them. The core assembles sluice.yaml's
 * schema from their declarations and the composition root (cli/) makes what the
 * configuration names through them: a new driver is one more entry here.
 */
export const DRIVERS: Drivers = {
  // `sim` is the simulator's: accepted in a configuration, run by no command (no create).
  providers: [localProviderDriver, SIM_PROVIDER, sshProviderDriver, openstackProviderDriver],
  sources: [kojiSourceDriver, kojiScratchSourceDriver, coprSourceDriver, localSourceDriver],
  triggers: [gerritDriver, notifyDriver],
};

export const SOURCE_DRIVERS = DRIVERS.sources;

/** sluice.yaml's schema with Sluice's drivers (the JSON Schema and docs/configuration.md come from it). */
export const CONFIG_SCHEMA = configSchemaOf(DRIVERS);

/** sluice.yaml read with Sluice's drivers. */
export function parseConfigText(text: string, file: string): ConfigParse {
  return parseTextWith(text, file, DRIVERS);
}

export function parseConfigBytes(bytes: Uint8Array, file: string): ConfigParse {
  return parseWith(bytes, file, DRIVERS);
}
