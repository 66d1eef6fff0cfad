import type { SourceConfig } from '../../core/config-schema.js';
import { SOURCE_DRIVERS } from '../registry.js';
import { updateFault, type BuildSource, type SourceOutcome } from './build-source.js';
import { DEFAULT_HTTP_POLICY, type HttpPolicy } from './http-policy.js';

export interface SourceOptions {
  /** A local source's `path` is relative to the config file's directory. */
  readonly configDir: string;
  readonly policy?: HttpPolicy;
}

/**
 * The driver for the source an update's build names (`source: cbs`), from the
 * configuration's `sources:`. A name the configuration does not know is the update's fault.
 */
export function sourceFor(name: string, sources: Readonly<Record<string, SourceConfig>>, options: SourceOptions): SourceOutcome<BuildSource> {
  const config = Object.hasOwn(sources, name) ? sources[name] : undefined;
  if (!config) {
    const known = Object.keys(sources).sort().join(', ') || 'none';
    return updateFault(`source ${name} is not in the configuration's sources (known: ${known})`);
  }
  // The configuration's schema let only the registry's types through.
  const driver = SOURCE_DRIVERS.find((d) => d.type === config.type);
  if (!driver) return updateFault(`source ${name} has type ${String(config.type)}, which no driver reads`);
  return { ok: true, value: driver.create(config, { configDir: options.configDir, policy: options.policy ?? DEFAULT_HTTP_POLICY }) };
}
