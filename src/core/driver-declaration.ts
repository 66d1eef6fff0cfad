import type { z } from 'zod';

/**
 * What the configuration knows of a driver, as Zuul's drivers declare themselves: the
 * `type` it answers to, the schema of its own entry, and what it can do. The drivers
 * (src/drivers) fill these in; the core assembles sluice.yaml's schema from them and never
 * names one, so a new driver is one more entry in the registry.
 */
export interface DriverDeclaration {
  readonly type: string;
  /** A few words for the list of types in the docs, e.g. "a pool of hosts"; empty: the type alone. */
  readonly summary: string;
  /** The whole entry (its `type` included); its messages name the entry's keys. */
  readonly configSchema: z.ZodType;
  /** The page that documents it, with an example of its entry in a yaml block (a test parses it). */
  readonly docs: string;
}

/** What a provider's nodes can do beyond running one job's commands. */
export interface ProviderCapabilities {
  /** Roles of a multi-node job each get a node of their own (`nodes:`). */
  readonly multiNode: boolean;
  /** How a green images baseline is kept: an archive of the node's root, a cloud snapshot, or not at all. */
  readonly images: 'archive' | 'snapshot' | null;
  /** Nodes cannot see the worker's disk: inputs are delivered to them and results brought back. */
  readonly remoteDelivery: boolean;
}

export interface ProviderDeclaration extends DriverDeclaration {
  readonly capabilities: ProviderCapabilities;
}

/** What the ids of a source's builds are. */
export interface SourceCapabilities {
  /** `build`: ids are NVRs; `scratch`: ids are Koji task numbers. */
  readonly kind: 'build' | 'scratch';
}

export interface SourceDeclaration extends DriverDeclaration {
  /** An object schema with a literal `type`: the sources are one discriminated union. */
  readonly configSchema: z.ZodObject;
  readonly capabilities: SourceCapabilities;
}

/** A trigger's section is a top-level key of sluice.yaml named for its type (`gerrit:`). */
export interface TriggerCapabilities {
  /** Its events start runs. */
  readonly trigger: boolean;
  /** It reports runs' results back (votes, comments, submits). */
  readonly reporter: boolean;
}

/** A problem inside a driver's section: `path` starts at the section's key. */
export interface SectionProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface TriggerDeclaration extends DriverDeclaration {
  /** The description of its section in the docs. */
  readonly description: string;
  readonly capabilities: TriggerCapabilities;
  /** What its own schema cannot check: names it shares with the rest of sluice.yaml (a rule's targets), given the section as its schema left it. */
  readonly crossReferences?: (section: unknown, config: { readonly targets: Readonly<Record<string, unknown>> }) => readonly SectionProblem[];
}

/** Every driver the configuration may name, in the order the docs list them. */
export interface ConfigDrivers {
  readonly providers: readonly ProviderDeclaration[];
  readonly sources: readonly SourceDeclaration[];
  readonly triggers: readonly TriggerDeclaration[];
}

/** `a, b or c`: how messages list the known types. */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
