import { parseConfigText, type Config } from '../core/config.js';
import { SIMULATION_DRIVERS } from '../core/sim-provider-type.js';
import { isSafeName, isTargetPart } from '../core/names.js';
import type { Problem } from '../core/problem.js';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from '../core/json-depth.js';
import { parseUpdateBytes } from '../core/update-file.js';
import type { Build } from '../core/update-schema.js';

/**
 * Traffic for `sluice simulate`: when each update was submitted and what it touched, as
 * recorded from RDO's 2015 update repository (samples/rdo-traffic.jsonl), or a synthetic
 * burst. Pure: the burst takes its random numbers from the caller.
 */
export interface Submission {
  readonly id: string;
  /** ms since the epoch. */
  readonly submittedAt: number;
  /** `release/dist` as the update spelled them (dist aliases such as `el7` kept). */
  readonly targets: readonly string[];
  readonly packages: readonly string[];
  /** What became of it in reality (`pushed`, `failed`, `never merged`), when known. */
  readonly final?: string;
}

export interface TrafficParse {
  /** Sorted by submission time (stable for equal times). */
  readonly submissions: readonly Submission[];
  readonly problems: readonly Problem[];
}

// Not a registered code of its own: a traffic line describes an update, and is wrong the
// way an update file is.
const CODE = 'E_UPDATE_INVALID';

/** One JSON object per line: {id, submitted, targets, packages, builds?, final?}; blank lines skipped. */
export function parseTraffic(text: string, file: string): TrafficParse {
  const submissions: Submission[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const bad = (message: string, path = '', col = 1) => problems.push({ severity: 'error', code: CODE, file, line, col, path, message });
    if (raw.trim() === '') return;
    const deep = jsonTooDeepAt(raw);
    if (deep !== undefined) { bad(`JSON nests more than ${MAX_JSON_DEPTH} levels deep here`, '', deep + 1); return; }
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch (e) {
      const at = /position (\d+)/.exec((e as Error).message);
      bad(`not a JSON object: ${(e as Error).message}`, '', at ? Number(at[1]) + 1 : 1);
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) { bad('a traffic line is a JSON object {id, submitted, targets, packages}'); return; }
    const r = o as Record<string, unknown>;
    const col = (key: string) => Math.max(1, raw.indexOf(`"${key}"`) + 1);
    const before = problems.length;
    if (typeof r.id !== 'string' || !isSafeName(r.id)) bad('id must be an update id such as "hkvc"', 'id', col('id'));
    else if (seen.has(r.id)) bad(`update ${r.id} appears twice`, 'id', col('id'));
    const submittedAt = typeof r.submitted === 'string' && /^\d{4}-\d\d-\d\dT/.test(r.submitted) ? Date.parse(r.submitted) : NaN;
    if (Number.isNaN(submittedAt)) bad('submitted must be an ISO time such as "2015-01-21T00:58:40+01:00"', 'submitted', col('submitted'));
    const targets = r.targets;
    if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string' && isTarget(t))) {
      bad('targets must be a non-empty list of "release/dist", e.g. ["kilo/el7"]', 'targets', col('targets'));
    }
    const packages = r.packages;
    if (!Array.isArray(packages) || packages.length === 0 || !packages.every((p) => typeof p === 'string' && isSafeName(p))) {
      bad('packages must be a non-empty list of package names', 'packages', col('packages'));
    }
    if (problems.length > before) return;
    const id = r.id as string;
    seen.add(id);
    submissions.push({
      id, submittedAt, targets: targets as string[], packages: packages as string[],
      ...(typeof r.final === 'string' ? { final: r.final } : {}),
    });
  });
  return { submissions: sortBySubmission(submissions), problems };
}

function isTarget(t: string): boolean {
  const [release, dist, ...rest] = t.split('/');
  return rest.length === 0 && release !== undefined && dist !== undefined && isTargetPart(release) && isTargetPart(dist);
}

function sortBySubmission(subs: Submission[]): Submission[] {
  return subs.map((s, i) => [s, i] as const).sort((a, b) => a[0].submittedAt - b[0].submittedAt || a[1] - b[1]).map(([s]) => s);
}

export interface BurstOptions {
  readonly count: number;
  readonly start: number;
  readonly overMs: number;
  /** Targets per update (capped by the targets available); default 2. */
  readonly targetsEach?: number;
  readonly targets?: readonly string[];
  readonly packages?: readonly string[];
}

export const BURST_TARGETS = ['kilo/el7', 'kilo/f22', 'liberty/el7', 'liberty/f23', 'juno/el7', 'juno/f21'] as const;
/** One package in ten is an installer package, so about a tenth of the updates provision. */
export const BURST_PACKAGES = [
  'openstack-nova', 'openstack-neutron', 'openstack-glance', 'openstack-keystone', 'openstack-cinder',
  'openstack-swift', 'openstack-heat', 'python-novaclient', 'openstack-packstack', 'openstack-horizon',
] as const;

/** `count` updates at uniformly random times over `overMs` from `start`, each on `targetsEach` random targets. */
export function syntheticBurst(o: BurstOptions, random: () => number): Submission[] {
  const targets = o.targets ?? BURST_TARGETS;
  const packages = o.packages ?? BURST_PACKAGES;
  const k = Math.max(1, Math.min(o.targetsEach ?? 2, targets.length));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const subs: Submission[] = [];
  for (let i = 0; i < o.count; i++) {
    const at = o.start + Math.floor(random() * o.overMs);
    const pool = [...targets];
    const chosen: string[] = [];
    while (chosen.length < k) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as string);
    subs.push({ id: `b${String(i + 1).padStart(4, '0')}`, submittedAt: at, targets: chosen, packages: [pick(packages)] });
  }
  return sortBySubmission(subs);
}

/** The update file an `rdopkg update` would have written for a submission: one build per target and package. */
export function updateFileFor(s: Submission): string {
  const builds = s.targets.flatMap((t) => {
    const [release, dist] = t.split('/') as [string, string];
    // The dist goes into the NVR without its dashes: the last two dashes split an NVR.
    return s.packages.map((p) => `  - id: ${p}-1.0-1.${dist.replace(/-/g, '')}\n    source: koji\n    repo: ${release}\n    dist: ${dist}\n`);
  });
  return `notes: simulated ${s.id} (${s.packages.join(', ')})\nbuilds:\n${builds.join('')}`;
}

/** The builds of that update file, as the real parser reads them. */
export function buildsFor(s: Submission): readonly Build[] {
  const parsed = parseUpdateBytes(new TextEncoder().encode(updateFileFor(s)), `updates/${s.id}.yml`);
  if (!parsed.ok) throw new Error(`the simulated update file of ${s.id} is invalid: ${parsed.problems.map((p) => p.message).join('; ')}`);
  return parsed.update.builds;
}

/** Canonical names of the dist spellings RDO's update files used. */
export const DIST_ALIASES: Readonly<Record<string, string>> = {
  el6: 'epel-6', el7: 'epel-7', f20: 'fedora-20', f21: 'fedora-21', f22: 'fedora-22', f23: 'fedora-23',
};

export const SIM_MUST_PROVISION = ['openstack-packstack', 'openstack-puppet-modules'] as const;

export interface SimulationConfigOptions {
  readonly capacity: number;
  /** The test timeout; default 2h as in any config. */
  readonly timeout?: string;
  readonly retries?: number;
}

/**
 * The configuration a simulation runs under: every target the traffic names (aliases folded
 * into their canonical dist), each with a known-good image, all on one provider `sim`, and
 * a phase1 and a phase2 test.
 * Written as text and parsed like an operator's sluice.yaml, so the same validation applies.
 */
export function simulationConfigText(subs: readonly Submission[], o: SimulationConfigOptions): string {
  const releases = new Set<string>();
  const dists = new Map<string, Set<string>>();
  const targets: Record<string, unknown> = {};
  for (const s of subs) {
    for (const t of s.targets) {
      const [release, spelled] = t.split('/') as [string, string];
      const dist = DIST_ALIASES[spelled] ?? spelled;
      releases.add(release);
      const aliases = dists.get(dist) ?? new Set<string>();
      if (spelled !== dist) aliases.add(spelled);
      dists.set(dist, aliases);
      targets[`${release}/${dist}`] = { repo: `file:///sim/${release}/${dist}/`, image: `sim-${release}-${dist}`, provider: 'sim' };
    }
  }
  const config = {
    releases: [...releases].sort(),
    dists: Object.fromEntries([...dists].sort(([a], [b]) => a.localeCompare(b)).map(([d, a]) => [d, { aliases: [...a].sort() }])),
    targets: Object.fromEntries(Object.entries(targets).sort(([a], [b]) => a.localeCompare(b))),
    must_provision: [...SIM_MUST_PROVISION],
    providers: { sim: { type: 'sim', capacity: o.capacity } },
    pipelines: {
      phase1: { test: 'simulated', timeout: o.timeout ?? '2h', retries: o.retries ?? 2 },
      // The ladder model plans phase2 with this configuration, as a real phase2 would.
      phase2: { test: 'simulated' },
    },
  };
  // JSON is YAML: the config loader reads it as it reads sluice.yaml.
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function simulationConfig(subs: readonly Submission[], o: SimulationConfigOptions, file = 'simulate.yaml'): Config {
  const parsed = parseConfigText(simulationConfigText(subs, o), file, SIMULATION_DRIVERS);
  if (!parsed.ok) throw new Error(`the simulation config is invalid: ${parsed.problems.map((p) => p.message).join('; ')}`);
  return parsed.config;
}
