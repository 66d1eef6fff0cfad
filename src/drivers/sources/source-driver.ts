import type { SourceConfig } from '../../core/config-schema.js';
import type { SourceDeclaration } from '../../core/driver-declaration.js';
import type { BuildSource } from './build-source.js';
import type { HttpPolicy } from './http-policy.js';

export interface SourceSite {
  /** A local source's `path` is relative to the config file's directory. */
  readonly configDir: string;
  readonly policy: HttpPolicy;
}

/** A kind of build source, as the registry lists it: its type, the schema of its entry, what its ids are, and how to make one. */
export interface SourceDriver extends SourceDeclaration {
  /** The source of an entry the configuration's schema accepted. */
  readonly create: (config: SourceConfig, site: SourceSite) => BuildSource;
}
