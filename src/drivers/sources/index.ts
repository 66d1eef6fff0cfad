import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { url } from '../../core/config-schema.js';
import type { SourceCapabilities } from '../../core/driver-declaration.js';
import { coprSource } from './copr-source.js';
import { kojiSource } from './koji-source.js';
import { localSource } from './local-source.js';
import type { SourceDriver } from './source-driver.js';

/** The build sources: each driver's entry schema and how it makes its source. */

function kojiDriver(type: 'koji' | 'koji-scratch', summary: string, capabilities: SourceCapabilities): SourceDriver {
  const configSchema = z.strictObject({
    type: z.literal(type),
    hub: url('hub').meta({ description: 'Koji XML-RPC hub URL.' }),
    topurl: url('topurl').meta({ description: 'Where the hub serves packages and task outputs.' }),
  });
  return {
    type, summary, configSchema, capabilities, docs: 'docs/sources.md',
    create(config, site) {
      const c = configSchema.parse(config);
      return kojiSource({ hub: c.hub, topurl: c.topurl, kind: capabilities.kind, policy: site.policy });
    },
  };
}

/** Koji and CBS builds by NVR. */
export const kojiSourceDriver = kojiDriver('koji', 'NVRs; also CBS', { kind: 'build' });

/** Koji scratch builds, by task number. */
export const kojiScratchSourceDriver = kojiDriver('koji-scratch', 'task numbers', { kind: 'scratch' });

const CoprSchema = z.strictObject({ type: z.literal('copr'), url: url('url').meta({ description: 'Results directory of the Copr project.' }) });

/** A Copr project's results directory. */
export const coprSourceDriver: SourceDriver = {
  type: 'copr', summary: '', docs: 'docs/sources.md', configSchema: CoprSchema, capabilities: { kind: 'build' },
  create: (config, site) => coprSource({ url: CoprSchema.parse(config).url, policy: site.policy }),
};

const LocalSchema = z.strictObject({ type: z.literal('local'), path: z.string().min(1).meta({ description: 'A directory of RPMs, relative to the config file.' }) });

/** A directory of RPMs on the worker. */
export const localSourceDriver: SourceDriver = {
  type: 'local', summary: '', docs: 'docs/sources.md', configSchema: LocalSchema, capabilities: { kind: 'build' },
  create(config, site) {
    const { path } = LocalSchema.parse(config);
    return localSource({ path: isAbsolute(path) ? path : resolve(site.configDir, path) });
  },
};
