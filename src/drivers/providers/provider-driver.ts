import type { ProviderConfig, TargetConfig } from '../../core/config-schema.js';
import type { ProviderDeclaration } from '../../core/driver-declaration.js';
import type { NodeProvider } from '../../engine/node-provider.js';

/** What a provider is made with besides its own entry: the configuration's places and the environment. */
export interface ProviderSite {
  /** The worker's job directories (job.log and results of each attempt). */
  readonly workDir: string;
  /** The configuration's directory: relative paths of an entry start there. */
  readonly configDir: string;
  /** Archives of local nodes' roots kept as known-good images. */
  readonly imagesDir: string;
  /** Where secrets are read: an entry names the variable, never the value. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  /** Told what is left out and why. */
  readonly note: (line: string) => void;
  /** Told once-per-process warnings (a local provider running without isolation). */
  readonly log: (line: string) => void;
}

/** A provider's entry is wrong or cannot be used here: the message names the key (`providers.cloud.flavor: ...`). */
export class ProviderSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderSetupError';
  }
}

/** A known-good image the images pipeline pruned. */
export interface PrunedImage {
  readonly name: string;
  readonly location: string;
}

/**
 * A kind of node provider, as the registry lists it: its type, the schema of its entry,
 * its capabilities and how to make one. Without `create`, the configuration accepts the
 * type but this version runs no job on it (the simulator makes its own `sim` nodes).
 */
export interface ProviderDriver extends ProviderDeclaration {
  /** The provider `name` of the configuration, or undefined when it is left out (said through site.note). Throws ProviderSetupError. */
  readonly create?: (name: string, config: ProviderConfig, site: ProviderSite) => NodeProvider | undefined;
  /** How many nodes it has at once, when that is not its `capacity`. */
  readonly capacityOf?: (config: ProviderConfig) => number;
  /** Removes a pruned image (a driver with the images capability); `provider` is the one create made, if any. */
  readonly removeImage?: (image: PrunedImage, provider: NodeProvider | undefined, site: ProviderSite) => Promise<void>;
}
