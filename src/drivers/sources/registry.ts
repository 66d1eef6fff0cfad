import { isAbsolute, resolve } from 'node:path';
import type { SourceConfig } from '../../core/config-schema.js';
import { updateFault, type BuildSource, type SourceOutcome } from './build-source.js';
import { coprSource } from './copr-source.js';
import { DEFAULT_HTTP_POLICY, type HttpPolicy } from './http-policy.js';
import { kojiSource } from './koji-source.js';
import { localSource } from './local-source.js';

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
  const policy = options.policy ?? DEFAULT_HTTP_POLICY;
  switch (config.type) {
    case 'koji':
    case 'koji-scratch':
      return { ok: true, value: kojiSource({ hub: config.hub, topurl: config.topurl, kind: config.type === 'koji' ? 'build' : 'scratch', policy }) };
    case 'copr':
      return { ok: true, value: coprSource({ url: config.url, policy }) };
    case 'local':
      return { ok: true, value: localSource({ path: isAbsolute(config.path) ? config.path : resolve(options.configDir, config.path) }) };
  }
}
