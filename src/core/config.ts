import { type BuiltinCheck, type ConfigData, configSchemaFor, type PipelineConfig, type PipelineName, PipelineSchema, type TargetConfig } from './config-schema.js';
import { orList, type ConfigDrivers } from './driver-declaration.js';
import { parseDuration } from './duration.js';
import { formatPath, type Problem } from './problem.js';
import { validatePositioned } from './schema-problems.js';
import { decodeUtf8 } from './utf8.js';
import { DEFAULT_YAML_LIMITS, loadYaml, positionOf, type PositionedYaml } from './yaml-source.js';

/** A validated configuration, with lookups that every pipeline needs. */
export interface Config extends ConfigData {
  readonly file: string;
  /** Alias or canonical dist name -> canonical dist name. */
  readonly distNames: ReadonlyMap<string, string>;
  /** Each configured trigger's section (`gerrit:`) by its type, as its driver's schema left it. */
  readonly triggers: Readonly<Record<string, unknown>>;
}

export type ConfigParse = { ok: true; config: Config } | { ok: false; problems: Problem[] };

export function parseConfigBytes(bytes: Uint8Array, file: string, drivers: ConfigDrivers): ConfigParse {
  const decoded = decodeUtf8(bytes, file);
  if (!decoded.ok) return { ok: false, problems: [decoded.problem] };
  return parseConfigText(decoded.text, file, drivers);
}

// One schema per list of drivers: the registry's list is one constant, built once.
const schemas = new WeakMap<ConfigDrivers, ReturnType<typeof configSchemaFor>>();
/** sluice.yaml's schema for these drivers, built once per list. */
export function configSchemaOf(drivers: ConfigDrivers): ReturnType<typeof configSchemaFor> {
  let schema = schemas.get(drivers);
  if (!schema) schemas.set(drivers, (schema = configSchemaFor(drivers)));
  return schema;
}

/** sluice.yaml as these drivers read it (src/drivers/registry.ts lists Sluice's own). */
export function parseConfigText(text: string, file: string, drivers: ConfigDrivers): ConfigParse {
  const loaded = loadYaml(text, file, DEFAULT_YAML_LIMITS);
  if (!loaded.ok) return loaded;
  const y = loaded.yaml;
  const checked = validatePositioned(configSchemaOf(drivers), y, 'E_CONFIG_INVALID');
  if (!checked.ok) return checked;
  const data = checked.value;
  const problems = crossReferenceProblems(data, y, drivers);
  if (problems.length > 0) return { ok: false, problems };
  const distNames = new Map<string, string>();
  for (const [dist, d] of Object.entries(data.dists)) {
    distNames.set(dist, dist);
    for (const alias of d.aliases) distNames.set(alias, dist);
  }
  const sections = new Map(Object.entries(data));
  const triggers = Object.fromEntries(drivers.triggers.flatMap((t) => (sections.get(t.type) === undefined ? [] : [[t.type, sections.get(t.type)]])));
  return { ok: true, config: { ...data, file, distNames, triggers } };
}

/** What the schema cannot say alone: names that must refer to each other. */
function crossReferenceProblems(c: ConfigData, y: PositionedYaml, drivers: ConfigDrivers): Problem[] {
  const out: Problem[] = [];
  const err = (path: (string | number)[], message: string, key = false) => {
    const { line, col } = positionOf(y, path, { key });
    out.push({ severity: 'error', code: 'E_CONFIG_INVALID', file: y.file, line, col, path: formatPath(path), message });
  };
  const spellings = new Map<string, string>();
  for (const [dist, d] of Object.entries(c.dists)) {
    for (const [i, spelling] of [dist, ...d.aliases].entries()) {
      const owner = spellings.get(spelling);
      if (owner !== undefined && owner !== dist) {
        err(i === 0 ? ['dists', dist] : ['dists', dist, 'aliases', i - 1], `"${spelling}" already names dist ${owner}`, i === 0);
      }
      spellings.set(spelling, dist);
    }
  }
  for (const [key, t] of Object.entries(c.targets)) {
    const [release, dist, ...rest] = key.split('/');
    if (release === undefined || dist === undefined || rest.length > 0) {
      err(['targets', key], `a target is named release/dist, e.g. kilo/epel-7, not "${key}"`, true);
      continue;
    }
    if (!c.releases.includes(release)) err(['targets', key], `release "${release}" is not in releases (${c.releases.join(', ')})`, true);
    if (!(dist in c.dists)) {
      const canonical = spellings.get(dist);
      err(['targets', key], canonical ? `use the canonical dist name: ${release}/${canonical}` : `dist "${dist}" is not in dists`, true);
    }
    if (!(t.provider in c.providers)) err(['targets', key, 'provider'], `provider "${t.provider}" is not in providers (${Object.keys(c.providers).join(', ')})`);
    // Roles need a node each on another machine: the local provider has one machine.
    const type = c.providers[t.provider]?.type;
    const driver = drivers.providers.find((p) => p.type === type);
    for (const pipeline of ['phase1', 'phase2'] as const) {
      const own = t.pipelines[pipeline]?.nodes;
      const roles = own ?? (t.pipelines[pipeline]?.test === undefined ? c.pipelines[pipeline]?.nodes : undefined);
      if (roles && driver && !driver.capabilities.multiNode) {
        const able = drivers.providers.filter((p) => p.capabilities.multiNode).map((p) => p.type);
        err(own ? ['targets', key, 'pipelines', pipeline, 'nodes'] : ['pipelines', pipeline, 'nodes'], `${key} runs on provider "${t.provider}" (${type}), which runs one node per job: multi-node jobs need an ${orList(able)} provider`);
      }
    }
    for (const pipeline of ['promote', 'images'] as const) {
      if (t.pipelines[pipeline]?.nodes) err(['targets', key, 'pipelines', pipeline, 'nodes'], `${pipeline} runs one node per job: nodes is for phase1 and phase2`);
    }
  }
  for (const pipeline of ['promote', 'images'] as const) {
    if (c.pipelines[pipeline]?.nodes) err(['pipelines', pipeline, 'nodes'], `${pipeline} runs one node per job: nodes is for phase1 and phase2`);
  }
  const sections = new Map(Object.entries(c));
  for (const t of drivers.triggers) {
    const section = sections.get(t.type);
    if (section === undefined || !t.crossReferences) continue;
    for (const p of t.crossReferences(section, c)) err([t.type, ...p.path], p.message);
  }
  for (const pipeline of ['phase1', 'promote', 'images'] as const) {
    if (c.pipelines[pipeline]?.window !== undefined) err(['pipelines', pipeline, 'window'], 'window is for phase2 only: how long a continuous phase2 waits for more updates', true);
  }
  return out;
}

/** The canonical dist for a spelling used in an update file (`el7` -> `epel-7`), if known. */
export function canonicalDist(config: Config, dist: string): string | undefined {
  return config.distNames.get(dist);
}

/** The pipeline settings for one target: its overrides on top of the pipeline's, on top of defaults. */
export function pipelineFor(config: Config, target: string, pipeline: PipelineName): PipelineConfig & { timeoutMs: number } {
  const base = config.pipelines[pipeline] ?? PipelineSchema.parse({});
  const t: TargetConfig | undefined = config.targets[target];
  const o = t?.pipelines[pipeline] ?? {};
  // A target's own test or nodes replaces both of the pipeline's: one shape of job, never a mix.
  const own = o.test !== undefined || o.nodes !== undefined;
  const nodes = own ? o.nodes : base.nodes;
  const { nodes: _baseNodes, ...rest } = base;
  const merged = {
    ...rest, checks: o.checks ?? base.checks, test: own ? o.test : base.test, ...(nodes ? { nodes } : {}),
    timeout: o.timeout ?? base.timeout, retries: o.retries ?? base.retries,
  };
  return { ...merged, timeoutMs: parseDuration(merged.timeout) ?? 2 * 3_600_000 };
}

/** A multi-node job's roles in the configuration's order, each with its command(s); undefined for a one-node job. */
export interface JobRole {
  readonly role: string;
  readonly command: string | readonly string[];
}

export function rolesOf(p: Pick<PipelineConfig, 'nodes'>): readonly JobRole[] | undefined {
  return p.nodes ? Object.entries(p.nodes).map(([role, r]) => ({ role, command: r.test })) : undefined;
}

/** What every planned job runs, whichever pipeline plans it: its command or roles, checks, limits. */
export interface PlannedCommand {
  readonly command: string | readonly string[] | undefined;
  /** A multi-node job's roles (then `command` is empty): each runs on its own node. */
  readonly roles?: readonly JobRole[];
  /** Built-in checks to run on the update's RPMs first. */
  readonly checks: readonly BuiltinCheck[];
  /** The target's production repository, which the checks test against. */
  readonly productionRepo: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

/** A job's command, or its roles' (a multi-node job has no command of its own). */
export function withRoles(p: Pick<PipelineConfig, 'test' | 'nodes'>): { command: string | readonly string[] | undefined; roles?: readonly JobRole[] } {
  const roles = rolesOf(p);
  return roles ? { command: [], roles } : { command: p.test };
}

/** What a node receives and sends back besides the commands' own work (a job spec carries it). */
export interface DeliverySettings {
  readonly gpgcheck: boolean;
  readonly gpgkey?: string;
  /** Globs of files on the node copied back beside the job log after the commands (e.g. /var/log/nova/*.log). */
  readonly collect: readonly string[];
  /** At most this many bytes are brought back of them, in all. */
  readonly collectMaxBytes: number;
}

export function deliveryFor(config: Config, target: string, pipeline: PipelineName): DeliverySettings {
  const p = pipelineFor(config, target, pipeline);
  return { gpgcheck: p.repo_gpgcheck, ...(p.repo_gpgkey ? { gpgkey: p.repo_gpgkey } : {}), collect: p.collect, collectMaxBytes: p.collect_max_mb * 1024 * 1024 };
}
